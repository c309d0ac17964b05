import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, modelAllows, Packet, PacketEnd } from '../../src/ir';
import { planAzure } from '../../src/azure/plan';
import { terraformJson } from '../../src/terraform/util';
import { AzureEnd, AzureNsgEvaluator } from '../support/azure-evaluator';
import { buildModel, ModelSpec, modelArb, packetArb, workloadAddress } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

/** NSGs cannot match ICMP types: random models use every-type ICMP (widening is tested apart). */
export function withoutIcmpTypes(spec: ModelSpec): ModelSpec {
  const fix = (f: ModelSpec['flows'][number]) => ({ ...f, ports: f.ports.map(p => (p.kind === 'icmp' ? { kind: 'icmp' as const } : p)) });
  return { ...spec, flows: spec.flows.map(fix), denies: spec.denies.map(fix) };
}

export function endOf(e: PacketEnd): AzureEnd {
  if ('workload' in e) {
    const [i, j] = e.workload.slice(1).split('-').map(Number);
    return { workload: e.workload, address: workloadAddress(i, j), family: 'ipv4' };
  }
  return { address: e.address, family: e.family };
}

const VNET = ['10.0.0.0/8'];

export const show = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));

describe('Azure NSG evaluator agrees with the model', () => {
  it('evaluator basics: default rules allow the VNet, deny-all overrides them', () => {
    const ev = new AzureNsgEvaluator({ resource: {
      azurerm_network_security_group: { n: { name: 'n', tags: { 'microseg:zone': 'z' } } },
      azurerm_application_security_group: { a: { tags: { 'microseg:workload': 'a', 'microseg:zone': 'z' } }, b: { tags: { 'microseg:workload': 'b', 'microseg:zone': 'z' } } },
    } }, VNET);
    const p = { source: { workload: 'a', address: 1n + (10n << 24n), family: 'ipv4' as const }, destination: { workload: 'b', address: 2n + (10n << 24n), family: 'ipv4' as const }, protocol: 'tcp' as const, port: 22 };
    expect(ev.firstMatch('${azurerm_network_security_group.n.name}', 'Inbound', p).name).toBe('AllowVnetInBound');
    expect(ev.allows(p)).toBe(true);
    const out = { ...p, destination: { address: 8n << 24n, family: 'ipv4' as const } };
    expect(ev.firstMatch('${azurerm_network_security_group.n.name}', 'Outbound', out).name).toBe('AllowInternetOutBound');
    const inbound = { ...p, source: { address: 8n << 24n, family: 'ipv4' as const } };
    expect(ev.firstMatch('${azurerm_network_security_group.n.name}', 'Inbound', inbound).name).toBe('DenyAllInBound');
  });

  const cases: { title: string; nsgScope?: 'ZONE' | 'WORKLOAD'; maxAsgsPerNsg?: number; layered?: boolean; exactEgressPorts?: boolean; runs: number }[] = [
    { title: 'zone NSGs', runs: 160 },
    { title: 'zone NSGs, port-exact egress (exactEgressPorts)', exactEgressPorts: true, runs: 80 },
    { title: 'workload NSGs, port-exact egress (exactEgressPorts)', nsgScope: 'WORKLOAD', exactEgressPorts: true, runs: 80 },
    { title: 'zone NSGs, exact sides switched to inbound by a low ASG budget', maxAsgsPerNsg: 5, runs: 100 },
    { title: 'workload NSGs (nsgScope WORKLOAD)', nsgScope: 'WORKLOAD', runs: 120 },
    { title: 'workload NSGs, busy sources switched to exact inbound by a low ASG budget', nsgScope: 'WORKLOAD', maxAsgsPerNsg: 3, runs: 120 },
    { title: 'workload NSGs on NICs and zone NSGs on subnets, both evaluated', nsgScope: 'WORKLOAD', layered: true, runs: 120 },
  ];
  for (const c of cases) it(`rendered NSG rules allow exactly what the model allows (random models and packets, ${c.title})`, () => {
    // Floors by construction: random models until enough packets of rendered models were checked.
    const arb = modelArb().map(withoutIcmpTypes).chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: 40, maxLength: 40 })));
    const until: Record<string, number> = { packets: c.runs * 30, allowed: 100, ...(c.maxAsgsPerNsg ? { switched: 1 } : {}) };
    const t = checkUntil(arb, ([spec, packets], tally) => {
      const { seg } = buildModel(spec);
      let policy;
      try { policy = compile(seg); } catch (e) {
        expect(String(e)).toMatch(/microseg:ShadowedFlow/);
        tally.refuse();
        return;
      }
      let resources;
      try {
        resources = planAzure(policy, { backendPath: 'Azure', resourceGroupName: 'rg', location: 'westeurope', maxAsgsPerNsg: c.maxAsgsPerNsg, nsgScope: c.nsgScope, exactEgressPorts: c.exactEgressPorts }).resources;
        if (c.layered) {
          const zonePlan = planAzure(policy, { backendPath: 'Azure', resourceGroupName: 'rg', location: 'westeurope' });
          const have = new Set(resources.map(r => `${r.type}.${r.name}`));
          resources = [...resources, ...zonePlan.resources.filter(r => !have.has(`${r.type}.${r.name}`))];
        }
      } catch (e) {
        expect(String(e)).toMatch(/microseg:QuotaExceeded/);
        tally.refuse();
        return;
      }
      if (resources.some(r => r.type === 'azurerm_network_security_rule' && r.attributes.direction === 'Inbound' && r.attributes.access === 'Allow' && r.attributes.source_application_security_group_ids)) tally.add('switched');
      const ev = new AzureNsgEvaluator(terraformJson(resources), VNET);
      if (c.nsgScope === 'WORKLOAD') expect(ev.nsgOfWorkload.size).toBe(ev.asgOfWorkload.size);
      if (c.nsgScope === 'WORKLOAD' && !c.layered) expect(ev.nsgOfZone.size).toBe(0);
      for (const p of packets as Packet[]) {
        const ap = { source: endOf(p.source), destination: endOf(p.destination), protocol: p.protocol, port: p.port };
        const want = modelAllows(policy, p);
        if (ev.allows(ap) !== want) expect.fail(`Azure ${want ? 'blocks' : 'allows'} ${show(p)}`);
        tally.add('packets'); if (want) tally.add('allowed');
      }
    }, { until, batch: 20, maxRuns: c.runs * 10 });
    expect(t.get('packets')).toBeGreaterThanOrEqual(c.runs * 30);
    expect(t.get('allowed')).toBeGreaterThanOrEqual(100);
    if (c.maxAsgsPerNsg) expect(t.get('switched')).toBeGreaterThan(0);
    console.log(`azure evaluator (${c.title}): ${t}`);
  });
});

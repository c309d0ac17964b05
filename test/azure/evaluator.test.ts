import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, modelAllows, Packet, PacketEnd } from '../../src/ir';
import { planAzure } from '../../src/azure/plan';
import { terraformJson } from '../../src/terraform/util';
import { AzureEnd, AzureNsgEvaluator } from '../support/azure-evaluator';
import { buildModel, ModelSpec, modelArb, packetArb, workloadAddress } from '../support/model-arbitrary';

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
    let checked = 0; let allowed = 0; let switched = 0;
    fc.assert(fc.property(modelArb().map(withoutIcmpTypes).chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: 40, maxLength: 40 }))), ([spec, packets]) => {
      const { seg } = buildModel(spec);
      let policy;
      try { policy = compile(seg); } catch (e) {
        expect(String(e)).toMatch(/microseg:ShadowedFlow/);
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
        return;
      }
      if (resources.some(r => r.type === 'azurerm_network_security_rule' && r.attributes.direction === 'Inbound' && r.attributes.access === 'Allow' && r.attributes.source_application_security_group_ids)) switched++;
      const ev = new AzureNsgEvaluator(terraformJson(resources), VNET);
      if (c.nsgScope === 'WORKLOAD') expect(ev.nsgOfWorkload.size).toBe(ev.asgOfWorkload.size);
      if (c.nsgScope === 'WORKLOAD' && !c.layered) expect(ev.nsgOfZone.size).toBe(0);
      for (const p of packets as Packet[]) {
        const ap = { source: endOf(p.source), destination: endOf(p.destination), protocol: p.protocol, port: p.port };
        const want = modelAllows(policy, p);
        if (ev.allows(ap) !== want) expect.fail(`Azure ${want ? 'blocks' : 'allows'} ${show(p)}`);
        checked++; if (want) allowed++;
      }
    }), { numRuns: c.runs });
    expect(checked).toBeGreaterThan(c.runs * 10);
    expect(allowed).toBeGreaterThan(100);
    console.log(`azure evaluator (${c.title}): ${checked} packets, ${allowed} allowed, ${switched} models with exact inbound sides`);
    if (c.maxAsgsPerNsg) expect(switched).toBeGreaterThan(0);
  });
});

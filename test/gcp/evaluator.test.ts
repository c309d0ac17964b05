import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gcpNetworkTag, planGcp } from '../../src/gcp/plan';
import { compile, modelAllows, Packet, PacketEnd } from '../../src/ir';
import { terraformJson } from '../../src/terraform/util';
import { GcpEnd, GcpFirewallEvaluator } from '../support/gcp-evaluator';
import { buildModel, ModelSpec, modelArb, packetArb, workloadAddress } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

/** GCP rules cannot match ICMP types: random models use every-type ICMP (widening is tested apart). */
function withoutIcmpTypes(spec: ModelSpec): ModelSpec {
  const fix = (f: ModelSpec['flows'][number]) => ({ ...f, ports: f.ports.map(p => (p.kind === 'icmp' ? { kind: 'icmp' as const } : p)) });
  return { ...spec, flows: spec.flows.map(fix), denies: spec.denies.map(fix) };
}

function endOf(e: PacketEnd): GcpEnd {
  if ('workload' in e) {
    const [i, j] = e.workload.slice(1).split('-').map(Number);
    return { workload: e.workload, address: workloadAddress(i, j), family: 'ipv4' };
  }
  return { address: e.address, family: e.family };
}

const show = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
const sa = (w: string) => `${w}@proj.iam.gserviceaccount.com`;

describe('GCP firewall evaluator agrees with the model', () => {
  it('evaluator basics: implied rules, deny wins at equal priority, tag and service-account matching, egress by range', () => {
    const rule = (name: string, r: Record<string, unknown>) => ({ [name]: { name, ...r } });
    const tf = { resource: { google_compute_firewall: {
      ...rule('a', { direction: 'INGRESS', priority: 1000, allow: [{ protocol: 'tcp', ports: ['443'] }], source_tags: ['web'], target_tags: ['api'] }),
      ...rule('b', { direction: 'INGRESS', priority: 1000, deny: [{ protocol: 'tcp', ports: ['443'] }], source_service_accounts: ['x@p.iam.gserviceaccount.com'], target_service_accounts: ['a@p.iam.gserviceaccount.com'] }),
      ...rule('c', { direction: 'EGRESS', priority: 1000, deny: [{ protocol: 'all' }], destination_ranges: ['10.9.0.0/16'], target_tags: ['web'] }),
    } } };
    const inst: Record<string, { tags: string[]; serviceAccount?: string }> = { w: { tags: ['web'] }, x: { tags: ['web'], serviceAccount: 'x@p.iam.gserviceaccount.com' }, a: { tags: ['api'], serviceAccount: 'a@p.iam.gserviceaccount.com' } };
    const ev = new GcpFirewallEvaluator(tf, w => inst[w]);
    const addr = (n: number) => (10n << 24n) + BigInt(n);
    const pk = (s: string, d: string, port: number) => ({ source: { workload: s, address: addr(1), family: 'ipv4' as const }, destination: { workload: d, address: addr(2), family: 'ipv4' as const }, protocol: 'tcp' as const, port });
    expect(ev.allows(pk('w', 'a', 443))).toBe(true);
    expect(ev.allows(pk('w', 'a', 80))).toBe(false); // implied deny ingress
    expect(ev.allows(pk('x', 'a', 443))).toBe(false); // deny beats allow at equal priority
    expect(ev.firstMatch('INGRESS', pk('x', 'a', 443))!.name).toBe('b');
    expect(ev.allows({ ...pk('w', 'a', 443), destination: { address: 8n << 24n, family: 'ipv4' } })).toBe(true); // implied allow egress
    expect(ev.allows({ ...pk('w', 'a', 443), destination: { address: (10n << 24n) + (9n << 16n), family: 'ipv4' } })).toBe(false);
  });

  for (const [identity, exactEgressPorts] of [['NETWORK_TAG', false], ['SERVICE_ACCOUNT', false], ['NETWORK_TAG', true]] as const) {
    it(`rendered firewall rules allow exactly what the model allows (${identity}${exactEgressPorts ? ', exactEgressPorts' : ''}, random models and packets)`, () => {
      const arb = modelArb().map(withoutIcmpTypes).chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: 40, maxLength: 40 })));
      const t = checkUntil(arb, ([spec, packets], tally) => {
        const { seg } = buildModel(spec);
        let policy;
        try { policy = compile(seg); } catch (e) {
          expect(String(e)).toMatch(/microseg:ShadowedFlow/);
          tally.refuse();
          return;
        }
        const serviceAccounts = identity === 'SERVICE_ACCOUNT' ? Object.fromEntries(policy.workloads.map(w => [w.name, sa(w.name)])) : undefined;
        const plan = planGcp(policy, { backendPath: 'Gcp', network: 'vpc', identity, serviceAccounts, exactEgressPorts });
        const ev = new GcpFirewallEvaluator(terraformJson(plan.resources), w => (identity === 'SERVICE_ACCOUNT' ? { tags: [], serviceAccount: sa(w) } : { tags: [gcpNetworkTag(policy.segmentation.name, w)] }));
        for (const p of packets as Packet[]) {
          const gp = { source: endOf(p.source), destination: endOf(p.destination), protocol: p.protocol, port: p.port };
          const want = modelAllows(policy, p);
          if (ev.allows(gp) !== want) expect.fail(`GCP ${want ? 'blocks' : 'allows'} ${show(p)}`);
          tally.add('packets'); if (want) tally.add('allowed');
        }
      }, { until: { packets: 4_000, allowed: 100 }, batch: 20, maxRuns: 1_500 });
      expect(t.get('packets')).toBeGreaterThanOrEqual(4_000);
      expect(t.get('allowed')).toBeGreaterThanOrEqual(100);
    });
  }
});

/**
 * Invariants on rendered rules: what the cloud lets through can differ from the model (a MONITOR
 * zone's catch-all, a narrowing), and the check on the rendered rules says so, with the hop that
 * only the cloud opens and, for a MustReach, that the cloud blocks what the model allows.
 */
import { describe, expect, it } from 'vitest';
import { EnforcementMode, MustReach, NeverReach, Port, Segmentation } from '../../src';
import { checkInvariants, checkRenderedInvariants, verifyInvariants } from '../../src/analysis/invariants';
import { gcpNetworkTag, planGcp } from '../../src/gcp/plan';
import { compile, Packet, PacketEnd, parseAddress } from '../../src/ir';
import { terraformJson } from '../../src/terraform/util';
import { GcpFirewallEvaluator } from '../support/gcp-evaluator';

function model(mode: EnforcementMode) {
  const seg = Segmentation.root('Shop');
  const web = seg.addZone('Web', { cidrs: ['10.1.0.0/16'], mode });
  const data = seg.addZone('Data', { cidrs: ['10.3.0.0/16'], mode });
  const frontend = web.addWorkload('Frontend', { cidrs: ['10.1.0.0/24'] });
  const db = data.addWorkload('Db', { cidrs: ['10.3.0.0/24'] });
  const api = web.addWorkload('Api', { cidrs: ['10.1.1.0/24'] });
  api.allowFrom(frontend, Port.tcp(8080));
  db.allowFrom(api, Port.tcp(5432));
  new NeverReach(seg, 'WebNeverReachesDbDirectly', { from: frontend, to: db, owner: 'team-sec' });
  new MustReach(seg, 'ApiReachesDb', { from: api, to: db, ports: [Port.tcp(5432)] });
  return seg;
}

function gcpOracle(seg: Segmentation, drop?: (r: any) => boolean) {
  const policy = compile(seg);
  const plan = planGcp(policy, { backendPath: 'Gcp', network: 'vpc', identity: 'NETWORK_TAG' });
  const tf = terraformJson(plan.resources) as any;
  if (drop) for (const [k, r] of Object.entries<any>(tf.resource.google_compute_firewall)) if (drop(r)) delete tf.resource.google_compute_firewall[k];
  const ev = new GcpFirewallEvaluator(tf, w => ({ tags: [gcpNetworkTag(policy.segmentation.name, w)] }));
  const addr = (w: string) => parseAddress(policy.workloads.find(x => x.name === w)!.cidrs[0].replace('.0/24', '.10')).value;
  const end = (e: PacketEnd) => ('workload' in e ? { workload: e.workload, address: addr(e.workload), family: 'ipv4' as const } : { address: e.address, family: e.family });
  return { policy, allows: (p: Packet) => ev.allows({ source: end(p.source), destination: end(p.destination), protocol: p.protocol, port: p.port }) };
}

describe('invariants on rendered rules', () => {
  it('ENFORCE: the rendered GCP rules keep what the model keeps', () => {
    const { policy, allows } = gcpOracle(model(EnforcementMode.ENFORCE));
    expect(checkRenderedInvariants(policy, { cloud: 'gcp', allows }).map(r => [r.checkedOn, r.holds])).toEqual([['gcp', true], ['gcp', true]]);
    expect(() => verifyInvariants(policy, { cloud: 'gcp', allows })).not.toThrow();
  });

  it('MONITOR zones: the model holds, the rendered catch-all breaks the NeverReach (a hop no flow of the model opens)', () => {
    const { policy, allows } = gcpOracle(model(EnforcementMode.MONITOR));
    expect(checkInvariants(policy).every(r => r.holds)).toBe(true);
    const [must, never] = checkRenderedInvariants(policy, { cloud: 'gcp', allows });
    expect(must.holds).toBe(true);
    expect(never).toMatchObject({ holds: false, checkedOn: 'gcp', hops: [{ from: 'frontend', to: 'db', flows: [] }] });
    expect(never.message).toMatch(/^NeverReach ".*" \(owner: team-sec\) is broken on the rendered gcp rules: frontend -\[.*by no flow of the model\]-> db\.$/);
    expect(() => verifyInvariants(policy, { cloud: 'gcp', allows })).toThrow(/\[microseg:InvariantViolated\] at Shop\/WebNeverReachesDbDirectly: .* on the rendered gcp rules/);
  });

  it('a MustReach the model keeps but the rendered rules break names the cloud as the blocker', () => {
    const { policy, allows } = gcpOracle(model(EnforcementMode.ENFORCE), r => r.direction === 'INGRESS' && JSON.stringify(r.allow ?? []).includes('5432'));
    const must = checkRenderedInvariants(policy, { cloud: 'gcp', allows })[0];
    expect(must).toMatchObject({ holds: false, blockers: ['api -> db tcp:5432: the rendered gcp rules block it although the model allows it'] });
  });

  it('invariants with an end outside the covered workloads are not checked on that cloud', () => {
    const { policy, allows } = gcpOracle(model(EnforcementMode.MONITOR));
    expect(checkRenderedInvariants(policy, { cloud: 'gcp', allows, workloads: ['frontend', 'api'] })).toEqual([]);
  });
});

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cidrHas, modelAllows, parseCidr, renderedAllows } from '../../src/ir';
import { AwsEvaluator } from '../support/aws-evaluator';
import { modelArb, packetArb } from '../support/model-arbitrary';
import { VPC_CIDR } from './helpers';
import { checkUntil } from '../support/property';
import { renderSpec } from './helpers';

const PROPS = { maxRulesPerSecurityGroup: 200, maxNaclEntriesPerDirection: 40 };
const PACKETS = 30;

/**
 * Random models and packets until `packets` packets of rendered (not refused) models were checked
 * and `allowed` of them were allowed: the floors hold by construction, whatever the seed.
 */
function check(opts: { zoneCidrs: boolean; nacls: boolean; packets: number; allowed: number }) {
  const arb = modelArb().chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: PACKETS, maxLength: PACKETS })));
  return checkUntil(arb, ([spec, packets], tally) => {
    let r;
    try {
      r = renderSpec(spec, { zoneCidrs: opts.zoneCidrs, nacls: opts.nacls, props: PROPS });
    } catch (e) {
      // Fully shadowed allows are a model error by design; a few random models exceed quotas.
      expect(String(e)).toMatch(/microseg:(ShadowedFlow|QuotaExceeded)/);
      tally.refuse();
      return;
    }
    tally.add('models');
    const policy = r.backend._policy!;
    const ev = new AwsEvaluator(r.template, r.backend, policy);
    if (opts.nacls) expect(ev.naclZones.length).toBe(spec.zones.length);
    for (const p of packets) {
      const want = modelAllows(policy, p);
      if (ev.allows(p) !== want && process.env.AWS_EVAL_DEBUG) {
        require('fs').writeFileSync('/tmp/aws-eval-fail.json', JSON.stringify({ spec, sg: ev.securityGroupsAllow(p), nacl: ev.naclsAllow(p), template: r.template, policy }, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 1));
      }
      expect(ev.allows(p), JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(want);
      tally.add('packets');
      if (want) tally.add('allowed');
    }
  }, { until: { packets: opts.packets, allowed: opts.allowed }, batch: 10, maxRuns: 2_000 });
}

describe('AWS evaluator agrees with the model', () => {
  it('security groups and network ACLs, zones with cidrs (range egress)', () => {
    const s = check({ zoneCidrs: true, nacls: true, packets: Number(process.env.AWS_EVAL_PACKETS ?? 2_500), allowed: 50 });
    expect(s.get('packets')).toBeGreaterThanOrEqual(2_500);
    expect(s.get('allowed')).toBeGreaterThanOrEqual(50);
  }, 600_000);

  it('security groups only, zones without cidrs (VPC-range egress)', () => {
    const s = check({ zoneCidrs: false, nacls: false, packets: 1_200, allowed: 20 });
    expect(s.get('packets')).toBeGreaterThanOrEqual(1_200);
  }, 600_000);

  it('edge cases the fuzzer found: MONITOR next to ENFORCE, zones without cidrs next to private Peers, IPv6 Peers with ICMP, typed ICMP denies, overlapping allows and denies', () => {
    const vpc = parseCidr(VPC_CIDR) as any;
    // MONITOR's catch-all admits the model's own network (the VPC range) inbound, everything outbound.
    const internal = (e: { address: bigint; family: 'ipv4' | 'ipv6' }) => cidrHas(vpc, e.family, e.address);
    const arb = modelArb({ edge: true, clouds: 1 }).chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec, { edge: true }), { minLength: PACKETS, maxLength: PACKETS })));
    const t = checkUntil(arb, ([spec, packets], tally) => {
      let r;
      const nacls = spec.zones.every(z => !z.noCidrs);
      try {
        r = renderSpec(spec, { nacls, props: PROPS });
      } catch (e) {
        expect(String(e)).toMatch(/microseg:(ShadowedFlow|QuotaExceeded|InvalidIcmp)/);
        tally.refuse();
        return;
      }
      const policy = r.backend._policy!;
      const ev = new AwsEvaluator(r.template, r.backend, policy);
      const warned = (id: string) => r.backend.node.metadata.some(m => String(m.data).includes(id));
      if (policy.zones.some(z => z.mode === 'MONITOR')) tally.add('monitor');
      // a guardrail between two MONITOR zones in network ACLs: the replies of the opposite
      // direction must pass them (FC_SEED=239202769 found them dropped)
      const monitorZone = (ws: readonly string[]) => policy.zones.some(z => z.mode === 'MONITOR' && z.workloads.length > 0 && z.workloads.every(w => ws.includes(w)));
      if (nacls && policy.denies.some(d => d.from.kind !== 'cidr' && d.to.kind !== 'cidr' && monitorZone(d.from.workloads) && monitorZone(d.to.workloads))) tally.add('monitorPairDenies');
      if (!nacls) tally.add('withoutCidrs');
      // The VPC has no IPv6 range: IPv6 packets exist only where the model names IPv6 (MONITOR's
      // catch-all adds ::/0 then).
      const ipv6 = spec.flows.some(f => [f.from, f.to].some(e => e.kind === 'peer' && e.cidr.includes(':')));
      for (const p of packets.filter(x => ipv6 || ![x.source, x.destination].some(e => 'family' in e && e.family === 'ipv6'))) {
        const want = renderedAllows(policy, p, { internal });
        // Security groups cannot deny: a guardrail towards a MONITOR workload (or from one towards
        // a Peer) is warned microseg:MonitorDenyNotEnforced and enforced only where a network ACL
        // sits between the ends. Either answer is honest there; everything else is exact.
        const monitorEnd = (e: typeof p.destination) => 'workload' in e && policy.zones.some(z => z.mode === 'MONITOR' && z.workloads.includes(e.workload));
        if (want !== renderedAllows({ ...policy, denies: [] }, p, { internal }) && (monitorEnd(p.destination) || (monitorEnd(p.source) && !('workload' in p.destination)))) {
          expect(warned('microseg:MonitorDenyNotEnforced')).toBe(true);
          tally.add('monitorDenies');
          continue;
        }
        // A MONITOR source's catch-all egress leaves the VPC range out when a zone without cidrs
        // is exposed or MONITOR (it cannot name that zone's addresses): less open, never more.
        if (want && !ev.allows(p) && monitorEnd(p.source) && !('workload' in p.destination) && internal(p.destination) && policy.zones.some(z => z.cidrs.length === 0)) {
          tally.add('monitorNarrowed');
          continue;
        }
        // Egress towards Peers leaves out the zones exposed to a Peer range that covers the model,
        // and the VPC range for such a zone without cidrs (warned microseg:PeerEgressLeavesVpcOut):
        // an address of the VPC outside every zone is then not reached through a Peer rule. Less
        // open, never more (FC_SEED=116333261 found it, unwarned then, from an ENFORCE source).
        if (want && !ev.allows(p) && !('workload' in p.destination) && internal(p.destination) && warned('microseg:PeerEgressLeavesVpcOut')) {
          tally.add('peerEgressNarrowed');
          continue;
        }
        // Egress towards a zone without cidrs names the VPC range (warned microseg:EgressToVpcRange):
        // it also reaches unsegmented hosts and MONITOR workloads in the VPC.
        if (!want && (!('workload' in p.destination) ? internal(p.destination) : monitorEnd(p.destination)) && warned('microseg:EgressToVpcRange')) {
          tally.add('vpcRangeWidened');
          continue;
        }
        if (ev.allows(p) !== want && process.env.AWS_EVAL_DEBUG) {
          require('fs').writeFileSync('/tmp/aws-edge-fail.json', JSON.stringify({ spec, p, sg: ev.securityGroupsAllow(p), nacl: ev.naclsAllow(p), template: r.template }, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 1));
        }
        expect(ev.allows(p), JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(want);
        tally.add('packets');
        if (want) tally.add('allowed');
      }
    }, { until: { packets: 1_500, allowed: 30, monitor: 5, withoutCidrs: 3, monitorPairDenies: 2 }, batch: 10, maxRuns: 2_000 });
    expect(t.get('packets')).toBeGreaterThanOrEqual(1_500);
  }, 600_000);
});

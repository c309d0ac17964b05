import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Peer, Port, Segmentation } from '../../src';
import { SegmentationAnalysis } from '../../src/analysis';
import { isDominatedBy, pruneSubsumed, subsumedRules } from '../../src/analysis/subsumption';
import { compile, IrPolicy, rulesAllow } from '../../src/ir';
import { buildModel, ModelSpec, modelArb, packetArb } from '../support/model-arbitrary';

function tryCompile(spec: ModelSpec): IrPolicy | undefined {
  try {
    return compile(buildModel(spec).seg);
  } catch {
    return undefined;
  }
}

/** Random models plus an internet-wide allow to w0-0, so narrower peer rules to it get dominated often. */
const withPackets = modelArb()
  .map(spec => ({ ...spec, flows: [...spec.flows, { from: { kind: 'peer' as const, cidr: '0.0.0.0/0' }, to: { kind: 'workload' as const, zone: 0, workload: 0 }, ports: [{ kind: 'all' as const }] }] }))
  .chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: 20, maxLength: 20 })));

describe('rule subsumption', () => {
  it('pruning keeps exactly the same traffic, is idempotent and leaves no dominated rule', () => {
    fc.assert(fc.property(withPackets, ([spec, packets]) => {
      const policy = tryCompile(spec);
      if (!policy) return;
      const kept = pruneSubsumed(policy.rules);
      for (const p of packets) expect(rulesAllow(kept, p)).toBe(rulesAllow(policy.rules, p));
      expect(pruneSubsumed(kept)).toEqual(kept);
      for (const r of kept) for (const o of kept) if (r !== o) expect(isDominatedBy(r, o)).toBe(false);
      expect(subsumedRules(policy.rules)).toHaveLength(policy.rules.length - kept.length);
    }), { numRuns: 120 });
  });

  it('isDominatedBy is reflexive and transitive on compiled rules', () => {
    fc.assert(fc.property(modelArb(), fc.nat(), fc.nat(), fc.nat(), (spec, i, j, k) => {
      const policy = tryCompile(spec);
      if (!policy || policy.rules.length === 0) return;
      const [a, b, c] = [i, j, k].map(n => policy.rules[n % policy.rules.length]);
      expect(isDominatedBy(a, a)).toBe(true);
      if (isDominatedBy(a, b) && isDominatedBy(b, c)) expect(isDominatedBy(a, c)).toBe(true);
    }), { numRuns: 100 });
  });

  it('finds a narrower peer rule next to a wider one, never across identities', () => {
    const seg = Segmentation.root('Shop');
    const z = seg.addZone('Web', { cidrs: ['10.0.1.0/24'] });
    const web = z.addWorkload('Front');
    const other = z.addWorkload('Other');
    web.allowFrom(Peer.anyIpv4(), Port.tcpRange(443, 444));
    web.allowFrom(Peer.ipv4('203.0.113.0/24'), Port.tcp(443));
    web.allowFrom(Peer.ipv4('10.0.1.0/24'), Port.tcp(22)); // the zone's range: a peer, not the workloads
    web.allowFrom(other, Port.tcp(22));
    const policy = compile(seg);
    const found = subsumedRules(policy.rules);
    expect(found.map(x => [x.rule.source, x.by.source])).toEqual([
      [{ kind: 'cidr', cidr: '203.0.113.0/24', family: 'ipv4' }, { kind: 'cidr', cidr: '0.0.0.0/0', family: 'ipv4' }],
    ]);
    expect(pruneSubsumed(policy.rules)).toHaveLength(policy.rules.length - 1);
    expect(SegmentationAnalysis.of(seg).formatSummary()).toContain('IR rules 4 (1 covered by wider rules)');
  });
});

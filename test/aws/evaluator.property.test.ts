import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelAllows } from '../../src/ir';
import { AwsEvaluator } from '../support/aws-evaluator';
import { modelArb, packetArb } from '../support/model-arbitrary';
import { renderSpec } from './helpers';

const PROPS = { maxRulesPerSecurityGroup: 200, maxNaclEntriesPerDirection: 40 };

function check(opts: { zoneCidrs: boolean; nacls: boolean; runs: number }) {
  let checked = 0; let skipped = 0; let models = 0; let allowed = 0;
  fc.assert(fc.property(modelArb().chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: 30, maxLength: 30 }))), ([spec, packets]) => {
    let r;
    try {
      r = renderSpec(spec, { zoneCidrs: opts.zoneCidrs, nacls: opts.nacls, props: PROPS });
    } catch (e) {
      // Fully shadowed allows are a model error by design; a few random models exceed quotas.
      expect(String(e)).toMatch(/microseg:(ShadowedFlow|QuotaExceeded)/);
      skipped++;
      return;
    }
    models++;
    const policy = r.backend._policy!;
    const ev = new AwsEvaluator(r.template, r.backend, policy);
    if (opts.nacls) expect(ev.naclZones.length).toBe(spec.zones.length);
    for (const p of packets) {
      const want = modelAllows(policy, p);
      if (ev.allows(p) !== want && process.env.AWS_EVAL_DEBUG) {
        require('fs').writeFileSync('/tmp/aws-eval-fail.json', JSON.stringify({ spec, sg: ev.securityGroupsAllow(p), nacl: ev.naclsAllow(p), template: r.template, policy }, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 1));
      }
      expect(ev.allows(p), JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(want);
      if (want) allowed++;
      checked++;
    }
  }), { numRuns: opts.runs, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}) });
  return { checked, skipped, models, allowed };
}

describe('AWS evaluator agrees with the model', () => {
  it('security groups and network ACLs, zones with cidrs (range egress)', () => {
    const s = check({ zoneCidrs: true, nacls: true, runs: Number(process.env.AWS_EVAL_RUNS ?? 110) });
    expect(s.checked).toBeGreaterThanOrEqual(2500);
    expect(s.allowed).toBeGreaterThan(50);
    expect(s.skipped).toBeLessThan(s.models);
  }, 600_000);

  it('security groups only, zones without cidrs (VPC-range egress)', () => {
    const s = check({ zoneCidrs: false, nacls: false, runs: 60 });
    expect(s.checked).toBeGreaterThanOrEqual(1200);
  });
});

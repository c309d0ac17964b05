import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelAllows } from '../../src/ir';
import { AwsEvaluator } from '../support/aws-evaluator';
import { modelArb, packetArb } from '../support/model-arbitrary';
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
});

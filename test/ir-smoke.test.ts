import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, modelAllows, rulesAllow } from '../src/ir';
import { buildModel, modelArb, packetArb } from './support/model-arbitrary';

describe('compiler against the model semantics', () => {
  it('compiled IR rules allow exactly what the declared model allows', () => {
    let checked = 0;
    fc.assert(fc.property(modelArb().chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: 20, maxLength: 20 }))), ([spec, packets]) => {
      const { seg } = buildModel(spec);
      let policy;
      try { policy = compile(seg); } catch (e) {
        // Fully shadowed allows are a model error by design.
        expect(String(e)).toMatch(/microseg:ShadowedFlow/);
        return;
      }
      for (const p of packets) {
        expect(rulesAllow(policy.rules, p)).toBe(modelAllows(policy, p));
        checked++;
      }
    }), { numRuns: 300 });
    expect(checked).toBeGreaterThan(1000);
  });
});

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareRules, compile, IrPolicy, IrRule, mergeDeclared, mergeServices, modelAllows, rulesAllow, serviceContains } from '../../src/ir';
import { atomKey } from '../../src/ir/types';
import { buildModel, ModelSpec, modelArb, packetArb } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

const RUNS = 100;

type Outcome = { policy: IrPolicy; error?: undefined } | { policy?: undefined; error: Error };
function outcome(spec: ModelSpec, shuffleSeed = 0): Outcome {
  try {
    return { policy: compile(buildModel(spec, { shuffleSeed }).seg) };
  } catch (e) {
    return { error: e as Error };
  }
}

const pairKey = (r: IrRule) => `${atomKey(r.source)}|${atomKey(r.destination)}`;
const sorted = (xs: string[]) => xs.every((x, i) => i === 0 || xs[i - 1] < x);

describe('compile: determinism', () => {
  it('is invariant under declaration order (byte-identical IR, or the identical error)', () => {
    fc.assert(fc.property(modelArb(), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (spec, seed) => {
      const a = outcome(spec);
      const b = outcome(spec, seed);
      if (a.error || b.error) {
        expect(b.error?.message).toBe(a.error?.message);
        return;
      }
      expect(JSON.stringify(b.policy)).toBe(JSON.stringify(a.policy));
    }), { numRuns: RUNS });
  });

  it('emits rules in canonical order, one per pair and merged service, with sorted origins', () => {
    fc.assert(fc.property(modelArb(), spec => {
      const { policy } = outcome(spec);
      if (!policy) return;
      for (let i = 1; i < policy.rules.length; i++) expect(compareRules(policy.rules[i - 1], policy.rules[i])).toBeLessThan(0);
      const byPair = new Map<string, IrRule[]>();
      for (const r of policy.rules) byPair.set(pairKey(r), [...(byPair.get(pairKey(r)) ?? []), r]);
      const flowPaths = new Set(policy.flows.map(f => f.path));
      for (const rules of byPair.values()) {
        const services = rules.map(r => r.service);
        expect(mergeServices(services)).toEqual(services); // deduplicated, merged, nothing subsumed
        for (const r of rules) {
          expect(sorted(r.flows)).toBe(true);
          for (const f of r.flows) expect(flowPaths.has(f)).toBe(true);
        }
      }
      expect(sorted(policy.zones.map(z => z.name))).toBe(true);
      expect(sorted(policy.workloads.map(w => w.name))).toBe(true);
      expect(sorted(policy.flows.map(f => f.path))).toBe(true);
      expect(sorted(policy.denies.map(d => d.path))).toBe(true);
      for (const f of policy.flows) {
        expect(mergeDeclared(f.services)).toEqual(f.services); // merged, typed ICMP kept apart for denies
        expect(sorted(f.from.workloads) && sorted(f.to.workloads)).toBe(true);
      }
    }), { numRuns: RUNS });
  });
});

describe('compile: locality', () => {
  it('adding one flow only adds rules: every other rule stays, at most widened by the new flow', () => {
    const t = checkUntil(modelArb({ maxFlows: 10 }).filter(s => s.flows.length >= 2), (spec, tally) => {
      const before = { ...spec, flows: spec.flows.slice(0, -1) };
      const newPath = `Seg/Flow${spec.flows.length - 1}`;
      const a = outcome(before);
      if (a.error) { tally.refuse(); return; }
      const b = outcome(spec);
      if (b.error) {
        // Only the new flow can be wrong (fully shadowed by a deny); nothing else changes.
        expect(b.error.message).toMatch(/microseg:ShadowedFlow\] at Seg\/Flow\d+/);
        expect(b.error.message).toContain(newPath);
        tally.add('shadowed');
        return;
      }
      const after = new Map<string, IrRule[]>();
      for (const r of b.policy.rules) after.set(pairKey(r), [...(after.get(pairKey(r)) ?? []), r]);
      for (const r of a.policy!.rules) {
        const wider = (after.get(pairKey(r)) ?? []).find(x => serviceContains(x.service, r.service));
        expect(wider, `rule ${pairKey(r)} ${JSON.stringify(r.service)} was removed`).toBeDefined();
        for (const f of r.flows) expect(wider!.flows).toContain(f);
      }
      const old = new Set(a.policy!.rules.map(r => JSON.stringify(r)));
      for (const r of b.policy.rules) if (!r.flows.includes(newPath)) expect(old.has(JSON.stringify(r))).toBe(true);
      // Warnings of the other flows do not change.
      expect(b.policy.warnings.filter(w => w.path !== newPath)).toEqual(a.policy!.warnings);
      tally.add('compared');
    }, { until: { compared: RUNS / 2 }, batch: 25, maxRuns: RUNS * 10 });
    expect(t.get('compared')).toBeGreaterThanOrEqual(RUNS / 2);
  });

  it('adding one deny only removes traffic', () => {
    fc.assert(fc.property(modelArb({ maxDenies: 3 }).filter(s => s.denies.length >= 1).chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: 30, maxLength: 30 }))), ([spec, packets]) => {
      const a = outcome({ ...spec, denies: spec.denies.slice(0, -1) });
      const b = outcome(spec);
      fc.pre(!a.error && !b.error);
      for (const p of packets) {
        if (rulesAllow(b.policy!.rules, p)) expect(rulesAllow(a.policy!.rules, p)).toBe(true);
        if (modelAllows(b.policy!, p)) expect(modelAllows(a.policy!, p)).toBe(true);
      }
    }), { numRuns: 100 });
  });
});

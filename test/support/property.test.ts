/**
 * The property runner itself: floors are met by construction, refused cases count towards none,
 * a broken generator fails with what was reached, and the synchronous and asynchronous forms run
 * the same batches on the same seeds.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkUntil, checkUntilAsync } from './property';

const arb = fc.integer({ min: 0, max: 999 });

describe('checkUntil', () => {
  it('runs seeded batches until every floor is met; refused cases count towards none', () => {
    const seen: number[] = [];
    const t = checkUntil(arb, (n, tally) => {
      seen.push(n);
      if (n % 3 === 0) return tally.refuse();
      tally.add(n % 2 ? 'odd' : 'even');
    }, { until: { odd: 30, even: 30 }, batch: 10, maxRuns: 10_000 });
    expect(t.get('odd')).toBeGreaterThanOrEqual(30);
    expect(t.get('even')).toBeGreaterThanOrEqual(30);
    expect(t.get('runs') % 10).toBe(0);
    // every generated value went through the body (fast-check may add none: no shrinking on success)
    expect(seen.length).toBe(t.get('runs'));
    expect(t.get('odd') + t.get('even') + t.get('refused')).toBe(t.get('runs'));
  });

  it('the asynchronous form runs the same batches on the same seeds', async () => {
    const opts = { until: { big: 25 }, batch: 7, maxRuns: 10_000 };
    const sync: number[] = [];
    const t1 = checkUntil(arb, (n, tally) => { sync.push(n); if (n > 500) tally.add('big'); }, opts);
    const async: number[] = [];
    const t2 = await checkUntilAsync(arb, async (n, tally) => { async.push(n); if (n > 500) tally.add('big'); }, opts);
    expect(async).toEqual(sync);
    expect(t2.toString()).toBe(t1.toString());
  });

  it('a generator that cannot reach a floor fails after maxRuns, saying what was reached', async () => {
    const never = { until: { impossible: 1 }, batch: 5, maxRuns: 20 };
    expect(() => checkUntil(arb, () => {}, never)).toThrow('coverage floors not reached after 20 runs:  (floors: impossible>=1)');
    await expect(checkUntilAsync(arb, async () => {}, never)).rejects.toThrow('coverage floors not reached after 20 runs');
  });

  it('a failing body fails the run with fast-check\'s counterexample', async () => {
    expect(() => checkUntil(arb, n => { expect(n).toBeLessThan(990); }, { until: { x: 1 }, maxRuns: 10_000 })).toThrow(/Counterexample/);
    await expect(checkUntilAsync(arb, async n => { expect(n).toBeLessThan(990); }, { until: { x: 1 }, maxRuns: 10_000 })).rejects.toThrow(/Counterexample/);
  });
});

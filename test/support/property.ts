/**
 * Reproducible property runs whose coverage floors are met by construction.
 *
 * - `baseSeed()` is `FC_SEED` (an integer) when set, else one random seed for the whole process.
 * - `testSeed(file, name)` derives a test's own seed from it (see `fc-setup.ts`, which installs it
 *   as fast-check's global seed before each test).
 * - `checkUntil(arb, body, { until })` runs a property in seeded batches until every counter
 *   named in `until` has reached its floor. Cases the body refuses (a random model the compiler
 *   rejects by design) are counted apart and never count towards a floor, so a floor never
 *   depends on the luck of the seed. `maxRuns` only bounds a broken generator, with a message
 *   that says what was reached.
 */
import * as fc from 'fast-check';

let base: number | undefined;

/** The run's base seed: `FC_SEED` when set (must be an integer), else random once per process. */
export function baseSeed(): number {
  if (base === undefined) {
    const env = process.env.FC_SEED;
    if (env !== undefined && env !== '') {
      const n = Number(env);
      if (!Number.isSafeInteger(n)) throw new Error(`FC_SEED must be an integer, got "${env}"`);
      base = n | 0;
    } else {
      base = (Math.random() * 2 ** 31) | 0;
    }
  }
  return base;
}

/** FNV-1a over the text, mixed with the base seed: a 32-bit seed per test. */
export function testSeed(file: string, name: string): number {
  const text = `${file.replace(/^.*?\/(test\/)/, '$1')}\u0000${name}`;
  let h = (0x811c9dc5 ^ baseSeed()) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h | 0;
}

/** Counters of one property run. `refused` counts cases that are skipped by design. */
export class Tally {
  private readonly counts = new Map<string, number>();
  /** Adds `n` to a counter. */
  public add(counter: string, n = 1): void { this.counts.set(counter, this.get(counter) + n); }
  /** Counts one case that the body refused (it counts towards no floor). */
  public refuse(): void { this.add('refused'); }
  /** The value of a counter (0 when never added). */
  public get(counter: string): number { return this.counts.get(counter) ?? 0; }
  /** All counters, for messages. */
  public toString(): string { return [...this.counts.entries()].sort().map(([k, v]) => `${k}=${v}`).join(', '); }
}

export interface CheckUntilOptions {
  /** Floors: the run goes on until every named counter has reached its value. */
  readonly until: Readonly<Record<string, number>>;
  /** Runs per seeded batch. @default 20 */
  readonly batch?: number;
  /** A bound for a broken generator: fail when the floors are not reached after this many runs. */
  readonly maxRuns: number;
}

/**
 * The one loop of a run: the seeded batches (`fc.assert` options) until every floor of `opts` is
 * met, each seed derived from the test's seed. Throws when `maxRuns` is spent first; adds the
 * `runs` counter when done. The caller runs each batch (synchronously or not).
 */
function* batches(tally: Tally, opts: CheckUntilOptions): Generator<{ numRuns: number; seed: number }> {
  const numRuns = opts.batch ?? 20;
  const start = fc.readConfigureGlobal().seed ?? baseSeed();
  const met = () => Object.entries(opts.until).every(([k, floor]) => tally.get(k) >= floor);
  let runs = 0;
  for (let i = 0; !met(); i++) {
    if (runs >= opts.maxRuns) {
      const floors = Object.entries(opts.until).map(([k, v]) => `${k}>=${v}`).join(', ');
      throw new Error(`coverage floors not reached after ${runs} runs: ${tally} (floors: ${floors}); the generator yields too few usable cases`);
    }
    yield { numRuns, seed: (start + Math.imul(i, 0x9e3779b9)) | 0 };
    runs += numRuns;
  }
  tally.add('runs', runs);
}

/**
 * Checks `body` on random values of `arb` until every floor is met. Each batch is an ordinary
 * `fc.assert` with a seed derived from the test's seed, so a failure shows fast-check's
 * counterexample and seed, and the whole run replays from `FC_SEED`.
 */
export function checkUntil<T>(arb: fc.Arbitrary<T>, body: (value: T, tally: Tally) => void, opts: CheckUntilOptions): Tally {
  const tally = new Tally();
  for (const run of batches(tally, opts)) fc.assert(fc.property(arb, value => body(value, tally)), run);
  return tally;
}

/** `checkUntil` for asynchronous bodies (a property that reads files through DuckDB): the same batches and seeds. */
export async function checkUntilAsync<T>(arb: fc.Arbitrary<T>, body: (value: T, tally: Tally) => Promise<void>, opts: CheckUntilOptions): Promise<Tally> {
  const tally = new Tally();
  for (const run of batches(tally, opts)) await fc.assert(fc.asyncProperty(arb, value => body(value, tally)), run);
  return tally;
}

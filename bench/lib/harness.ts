/**
 * The measurement protocol shared by `bench/run.ts` (parent) and `bench/child.ts` (one fresh
 * process per measurement). A case module (`bench/cases/<name>.ts`) exports
 * `run(ctx: CaseContext): Promise<CaseMetrics>`; it times its phases with `ctx.time` and calls
 * `ctx.endOfMeasurement()` once the measured work is done, before it analyses the output (so the
 * peak memory is that of the measured work only). A case throws `Unavailable` when the code it
 * measures has not landed (import fails, export missing).
 */
import { performance } from 'node:perf_hooks';

export type SizeName = 'S' | 'M' | 'L';

/** What the parent passes to a child. */
export interface CaseParams {
  readonly caseName: string;
  readonly size: SizeName;
  readonly seed: string;
  /** Folder the case writes its synthesized output to (wiped first). */
  readonly outdir: string;
  /** Root of the repository. */
  readonly root: string;
  /** Extra case options. */
  readonly options?: Record<string, unknown>;
}

/** Timings in milliseconds, memory in bytes. */
export interface CaseResult {
  readonly case: string;
  readonly size: SizeName;
  readonly status: 'ok' | 'unavailable' | 'error' | 'timeout';
  /** Why a figure is unavailable / failed / timed out. */
  readonly reason?: string;
  /** Phase timings (ms): `import` is module loading; `build`, `synth` the measured work. */
  readonly timings: Record<string, number>;
  /** Sum of the measured phases (everything but `import` and analysis), ms. */
  readonly totalMs?: number;
  /** CPU time (user + system, all threads of the process) of the measured phases, ms: less sensitive to other load than wall time. */
  readonly cpuMs?: number;
  /** maxRSS of the child when the measurement ended (bytes). */
  readonly peakRssBytes?: number;
  /** RSS after imports, before the measured work (bytes): the floor of the process. */
  readonly floorRssBytes?: number;
  /** Whatever the case reports about its output. */
  readonly metrics?: Record<string, unknown>;
  /** Wall time of the whole child process as seen by the parent (ms). */
  readonly wallMs?: number;
}

export class Unavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Unavailable';
  }
}

export type CaseMetrics = Record<string, unknown>;

export class CaseContext {
  readonly timings: Record<string, number> = {};
  /** CPU time per phase (ms). */
  readonly cpu: Record<string, number> = {};
  /** Phases whose time is not part of the measured total. */
  private readonly unmeasured = new Set<string>(['import']);
  peakRssBytes?: number;
  floorRssBytes?: number;
  private ended = false;

  constructor(readonly params: CaseParams) {}

  get size(): SizeName { return this.params.size; }
  get seed(): string { return this.params.seed; }
  get outdir(): string { return this.params.outdir; }
  get root(): string { return this.params.root; }

  /** Times `fn` as phase `name` (accumulates when called twice). */
  async time<T>(name: string, fn: () => T | Promise<T>, opts: { measured?: boolean } = {}): Promise<T> {
    if (opts.measured === false) this.unmeasured.add(name);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      return await fn();
    } finally {
      this.timings[name] = (this.timings[name] ?? 0) + (performance.now() - t0);
      const c = process.cpuUsage(c0);
      this.cpu[name] = (this.cpu[name] ?? 0) + (c.user + c.system) / 1000;
    }
  }

  /** Records the memory floor (call after imports and input generation, before measured work). */
  startOfMeasurement(): void {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) g();
    this.floorRssBytes = process.memoryUsage().rss;
  }

  /** Records the peak memory of the measured work (call before analysing the output). */
  endOfMeasurement(): void {
    if (this.ended) return;
    this.ended = true;
    this.peakRssBytes = process.resourceUsage().maxRSS * 1024;
  }

  /** Sum of the measured phases. */
  get totalMs(): number {
    return Object.entries(this.timings).filter(([k]) => !this.unmeasured.has(k)).reduce((s, [, v]) => s + v, 0);
  }

  /** CPU time of the measured phases. */
  get cpuMs(): number {
    return Object.entries(this.cpu).filter(([k]) => !this.unmeasured.has(k)).reduce((s, [, v]) => s + v, 0);
  }
}

/** Imports a module of the repository, turning a failed import into `Unavailable`. */
export async function importOrUnavailable<T = Record<string, unknown>>(spec: string, what: string): Promise<T> {
  try {
    return (await import(spec)) as T;
  } catch (e) {
    throw new Unavailable(`${what} cannot be imported (${spec}): ${firstLine(e)}`);
  }
}

/** The named export, or `Unavailable`. */
export function exportOrUnavailable<T>(mod: Record<string, unknown>, name: string, what: string): T {
  const v = mod[name];
  if (v === undefined) throw new Unavailable(`${what} does not export ${name} yet`);
  return v as T;
}

export function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.split('\n')[0].slice(0, 400);
}

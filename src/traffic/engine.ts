/**
 * Running the plan (plan.ts): the embedded engine reads local files with DuckDB and runs the
 * DuckDB rendering of the plan; the data-lake engines (engines.ts) run the Trino or BigQuery
 * rendering where the logs live. Either way one query comes back with aggregates only, and
 * `interpret` turns its rows into conversations, counts and unknown addresses.
 */
import * as fs from 'fs';
import { DIALECTS, SqlValue } from './dialect';
import { DUCKDB_MEMORY_LIMIT, jsonMemoryLimit, memoryLimitSet, openDb, outOfMemory } from './duckdb';
import { TrafficError } from './errors';
import { planSources, SourceGroup } from './formats';
import { IdentityMap } from './identity';
import { PlanMode, PlanRow, planRow, renderGuess, renderPlan } from './plan';
import { identityRows } from './plan-tables';
import { findLogFiles, parseTime } from './sources';
import { TrafficReadOptions, TrafficRecordCounts, TrafficWindow, UnknownAddress } from './types';

/** IANA protocol number to the protocol names of the outputs. */
export function protocolName(n: number): string {
  return n === 6 ? 'tcp' : n === 17 ? 'udp' : n === 1 || n === 58 ? 'icmp' : String(n);
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const iso = (s: unknown) => (s === null || s === undefined ? undefined : new Date(Number(s) * 1000).toISOString().replace('.000Z', 'Z'));

/** One aggregated row: a discover flow (per port and action) or a simulated conversation. */
export interface PlanFlow {
  readonly from: string;
  readonly to: string;
  readonly protocol: string;
  readonly port: number | null;
  /** discover: the action (ACCEPT/REJECT); simulate: the verdict. */
  readonly verdict: string;
  /** simulate: the flows that allow it. */
  readonly flows: string[];
  readonly records: number;
  readonly bytes: number;
  readonly t0: number | null;
  readonly t1: number | null;
}

/** What one run of the plan found. */
export interface PlanResult {
  readonly counts: TrafficRecordCounts;
  readonly window?: TrafficWindow;
  /** Sorted by from, to, protocol, port (none last), verdict, flows. */
  readonly flows: PlanFlow[];
  readonly unknown: UnknownAddress[];
  /** Addresses seen that resolved to a workload (discover), sorted by address. */
  readonly workloads: { addr: string; workload: string; zone?: string }[];
}

/** Byte-wise string order (the engines' default collation). */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Turns the plan's rows (any engine) into results; an address that does not parse is an error. */
export function interpret(raw: Record<string, unknown>[]): PlanResult {
  const rows: PlanRow[] = raw.map(planRow);
  const bad = rows.filter(r => r.kind === 'x').map(r => r.k1 ?? '').sort(cmp);
  if (bad.length) throw new TrafficError('FlowLogUnreadable', bad[0], 'is not an IP address', 'A srcaddr/dstaddr value could not be parsed: is --aws-fields right?');
  const c = rows.find(r => r.kind === 'n');
  const counts = { read: num(c?.n1), traffic: num(c?.n2), skipped: num(c?.n3), rejected: num(c?.n4) };
  const start = iso(c?.n5); const end = iso(c?.n6);
  const flows: PlanFlow[] = rows.filter(r => r.kind === 'f').map(r => ({
    from: r.k1 ?? '', to: r.k2 ?? '', protocol: r.k3 ?? '', port: r.n1, verdict: r.k4 ?? '',
    flows: r.k5 ? r.k5.split('\n') : [], records: num(r.n2), bytes: num(r.n3), t0: r.n4, t1: r.n5,
  })).sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.protocol, b.protocol)
    || (a.port === b.port ? 0 : a.port === null ? 1 : b.port === null ? -1 : a.port - b.port)
    || cmp(a.verdict, b.verdict) || cmp(a.flows.join('\n'), b.flows.join('\n')));
  const unknown = new Map<string, { records: number; peers: Set<string> }>();
  for (const r of rows.filter(x => x.kind === 'u')) {
    const u = unknown.get(r.k1 ?? '') ?? { records: 0, peers: new Set<string>() };
    u.records += num(r.n2);
    u.peers.add(r.k2 ?? '');
    unknown.set(r.k1 ?? '', u);
  }
  return {
    counts,
    window: start && end ? { start, end } : undefined,
    flows,
    unknown: [...unknown.entries()].sort((a, b) => cmp(a[0], b[0])).map(([address, u]) => ({ address, records: u.records, peers: [...u.peers].sort(cmp) })),
    workloads: rows.filter(r => r.kind === 'w').map(r => ({ addr: r.k1 ?? '', workload: r.k2 ?? '', ...(r.k3 ? { zone: r.k3 } : {}) })).sort((a, b) => cmp(a.addr, b.addr)),
  };
}

/** What the embedded engine read. */
export interface LocalRun {
  readonly result: PlanResult;
  readonly files: number;
  readonly pruned: number;
  /** Full reads of the records: 1, or 2 when the sample's guess of the servers conflicted. */
  readonly reads: number;
  /** Files the guess was sampled from (0: no sample, the input is small or has no tcp-flags). */
  readonly sampled: number;
}

/** The window options as epoch seconds. */
export function windowSeconds(options: { since?: string; until?: string }): { since?: number; until?: number; sinceMs?: number; untilMs?: number } {
  const sinceMs = parseTime(options.since, '--since');
  const untilMs = parseTime(options.until, '--until');
  return { sinceMs, untilMs, since: sinceMs === undefined ? undefined : sinceMs / 1000, until: untilMs === undefined ? undefined : untilMs / 1000 };
}

/** The DuckDB SQL of the normalised record relation of local files (robust: the tolerant readers). */
export function localSource(groups: SourceGroup[], robust: boolean): string {
  // each group in its own subquery: a reader's SQL may begin with WITH (GCP's de-duplication)
  return groups.length === 1 ? groups[0].select(robust) : groups.map((g, i) => `SELECT * FROM (${g.select(robust)}) g${i}`).join(' UNION ALL ');
}

/**
 * The sample the server endpoints are guessed from before the read: inputs of at least
 * `minBytes` are sampled, about `fraction` of them (every n-th file, so the sample spans the
 * window; the first records of each file when there are fewer than `files` files). Below it the
 * records are read once and the connections no flag decides are grouped per connection.
 */
export const GUESS_SAMPLE = { minBytes: 32 * 1024 * 1024, fraction: 1 / 64, files: 8 };

/** The files to sample and, for few files, how many records to take; undefined: no sample. */
export function sampleOf(files: string[]): { files: string[]; limit?: number } | undefined {
  const sizes = files.map(f => fs.statSync(f).size);
  const total = sizes.reduce((x, y) => x + y, 0);
  if (total < GUESS_SAMPLE.minBytes || files.length === 0) return undefined;
  if (files.length < GUESS_SAMPLE.files) {
    // gzip flow log text is about 12 bytes a record: the limit overestimates plain text's share
    return { files, limit: Math.max(10_000, Math.ceil((total * GUESS_SAMPLE.fraction) / 12)) };
  }
  const m = Math.max(1, Math.round(files.length * GUESS_SAMPLE.fraction));
  return { files: Array.from({ length: m }, (_, j) => files[Math.floor(((j + 0.5) * files.length) / m)]) };
}

/** The last local run's reads and sample (what the bench and the tests look at; not in the results). */
export const lastLocalRun: { reads?: number; sampled?: number } = {};

const GUESS_TABLE = 'microseg_guess';
const GUESS = `SELECT a, p, proto FROM ${GUESS_TABLE}`;

/** The guess's conflicts in a result (0 when it held or there was none). */
function conflicts(rows: Record<string, unknown>[]): number {
  return num(rows.find(r => r.kind === 'c')?.n1);
}

/** DuckDB ran out of its memory budget: not the logs' fault, and no partial result. */
function memoryError(e: unknown, limit?: string): TrafficError {
  const budget = process.env.MICROSEG_DUCKDB_MEMORY || limit || DUCKDB_MEMORY_LIMIT;
  return new TrafficError('EngineFailed', 'MICROSEG_DUCKDB_MEMORY', `the embedded engine ran out of its memory budget (${budget})`,
    `Raise the budget, e.g. MICROSEG_DUCKDB_MEMORY=2GB (DuckDB: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}).`);
}

/** Reads local flow logs with the embedded engine and runs the plan. */
export async function runLocal(options: TrafficReadOptions, identities: IdentityMap, mode: PlanMode, rules?: SqlValue[][]): Promise<LocalRun> {
  const w = windowSeconds(options);
  const found = findLogFiles(options.logs, { since: w.sinceMs, until: w.untilMs });
  if (found.files.length === 0) {
    throw new TrafficError('FlowLogUnreadable', options.logs.join(', '), `holds no flow log file${found.pruned ? ` in the window (${found.pruned} file(s) or folder(s) outside it)` : ''}`,
      'Check --logs, --since and --until: an empty read is never reported as clean.');
  }
  const idr = identityRows(identities);
  const db = await openDb(options.threads);
  try {
    const groups = await planSources(found.files, db, options.awsFields);
    const json = groups.filter(g => g.kind !== 'aws-text' && g.kind !== 'aws-parquet').flatMap(g => g.files);
    const limit = json.length && !memoryLimitSet() ? jsonMemoryLimit(Math.max(...json.map(f => fs.statSync(f).size))) : undefined;
    if (limit) await db.run(`SET memory_limit = '${limit}'`);
    // the guess is sampled from the files whose records carry tcp-flags (only they prove servers)
    const sample = sampleOf(groups.filter(g => g.flags).flatMap(g => g.files).sort());
    const sampleGroups = sample ? await planSources(sample.files, db, options.awsFields) : [];
    const records = (gs: SourceGroup[], robust: boolean, limit?: number) => ({ source: localSource(gs, robust), orient: true, since: w.since, until: w.until, limit });
    const query = (robust: boolean, guess?: string, guessProved?: boolean, guessPorts?: number[]) => renderPlan(DIALECTS.duckdb, { mode, ...records(groups, robust), identities: idr, rules, guess, guessProved, guessPorts });
    let reads = 0;
    const run = async (robust: boolean) => {
      let guess: string | undefined;
      let ports: number[] = [];
      if (sample) {
        await db.run(`CREATE OR REPLACE TABLE ${GUESS_TABLE} AS ${renderGuess(DIALECTS.duckdb, records(sampleGroups, robust, sample.limit))}`);
        guess = GUESS;
        ports = (await db.all(`SELECT DISTINCT p FROM ${GUESS_TABLE} WHERE p IS NOT NULL ORDER BY p`)).map(r => Number(r.p));
      }
      reads = 1;
      let rows = await db.all(query(robust, guess, false, ports));
      if (guess && conflicts(rows) > 0) {
        // the sample missed a server that the flags prove: read again with the proved endpoints
        const proved = rows.filter(r => r.kind === 'e').map(r => [r.k1, r.n1, r.n2] as SqlValue[]);
        await db.run(`CREATE OR REPLACE TABLE ${GUESS_TABLE} (a VARCHAR, p INTEGER, proto INTEGER)`);
        await db.append(GUESS_TABLE, 'snn', proved);
        reads = 2;
        rows = await db.all(query(robust, GUESS, true));
      }
      return rows;
    };
    let rows: Record<string, unknown>[];
    try {
      rows = await run(false);
    } catch (e) {
      if (outOfMemory(e)) throw memoryError(e, limit);
      // Doubled blanks between values (seen in AWS's own examples) break the fast reader: read
      // the lines as text and split on runs of blanks. A second failure is the file's fault.
      try {
        rows = await run(true);
      } catch (e) {
        if (outOfMemory(e)) throw memoryError(e, limit);
        throw new TrafficError('FlowLogUnreadable', found.files.length === 1 ? found.files[0] : `${found.files.length} files`,
          'could not be read completely', (e as Error).message.split('\n')[0]);
      }
    }
    const sampled = sample ? sample.files.length : 0;
    Object.assign(lastLocalRun, { reads, sampled });
    return { result: interpret(rows), files: found.files.length, pruned: found.pruned, reads, sampled };
  } finally {
    db.close();
  }
}

export { iso, num };

/**
 * The engines that run the plan (plan.ts):
 * - `duckdb` (default): embedded, reads local files (engine.ts);
 * - `athena`: Amazon Athena over the VPC Flow Logs table AWS documents (`athena-ddl` prints it),
 *   through `@aws-sdk/client-athena` (region and credentials from the usual AWS chain);
 * - `bigquery`: Google BigQuery over the Cloud Logging export of VPC Flow Logs
 *   (`compute_googleapis_com_vpc_flows_*` date-sharded tables or one partitioned table), through
 *   `@google-cloud/bigquery`.
 * The SDKs are optional and loaded only here; a missing one is `[microseg:MissingSdk]` with the
 * `npm i` line. Queries are read-only SELECTs: the only thing written is the engine's own result
 * (Athena's output location, BigQuery's anonymous result table). A failed or cancelled query, or
 * a scan over `maxBytes`, is an error (exit 2), never a partial result.
 * @see https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html
 * @see https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs
 */
import { loadOptional } from '../optional/load';
import { AWS_FIELDS, parseAwsFields } from './aws-text';
import { Dialect, DIALECTS, SqlValue } from './dialect';
import { interpret, LocalRun, runLocal, windowSeconds } from './engine';
import { TrafficError } from './errors';
import { IdentityMap } from './identity';
import { PlanMode, renderPlan } from './plan';
import { identityRows } from './plan-tables';
import { EngineStats, TrafficReadOptions } from './types';

/** The install lines of the engines' SDKs. */
export const ENGINE_INSTALL: Record<string, string> = {
  '@aws-sdk/client-athena': 'npm i @aws-sdk/client-athena',
  '@google-cloud/bigquery': 'npm i @google-cloud/bigquery',
};

/** Loads an engine's SDK, or throws `MissingSdk` with the install line. */
export function loadEngineSdk(name: string, engine: string): any {
  return loadOptional(name, {
    code: 'MissingSdk', path: `traffic/${engine}`,
    message: `is needed by --engine ${engine} but is not installed.`,
    install: ENGINE_INSTALL[name] ?? `npm i ${name}`,
  });
}

/** A run of the plan on any engine. */
export interface EngineRun extends LocalRun {
  readonly stats?: EngineStats;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const HOUR = 3_600_000;

/**
 * The record relation of the AWS VPC Flow Logs table (Athena's documented columns: the field
 * names with `_`), in dialect `d`. Text tables keep `-` as text in string columns and NULL in
 * numeric ones. `day` (the partition of the table `athena-ddl` prints, `yyyy/MM/dd`) prunes
 * partitions with an hour of slack, as the local reader does with S3 folders.
 */
export function athenaSource(d: Dialect, table: string, fields: string[], window: { sinceMs?: number; untilMs?: number }, partition: string | undefined = 'day'): string {
  const has = (f: string) => fields.includes(f);
  const col = (f: string) => (f === 'end' || f === 'start' ? `"${f}"` : f.replace(/-/g, '_'));
  const text = (f: string) => `nullif(${col(f)}, '-')`;
  const int = (f: string, t = 'BIGINT') => (has(f) ? `CAST(${col(f)} AS ${t})` : `CAST(NULL AS ${t})`);
  const src = has('pkt-srcaddr') ? `coalesce(${text('pkt-srcaddr')}, ${text('srcaddr')})` : text('srcaddr');
  const dst = has('pkt-dstaddr') ? `coalesce(${text('pkt-dstaddr')}, ${text('dstaddr')})` : text('dstaddr');
  const status = has('log-status') ? text('log-status') : `CASE WHEN ${text('srcaddr')} IS NULL THEN 'NODATA' ELSE 'OK' END`;
  const prune: string[] = [];
  if (partition) {
    const fmt = (ms: number) => day(ms).replace(/-/g, '/');
    if (window.sinceMs !== undefined) prune.push(`${partition} >= '${fmt(window.sinceMs - HOUR)}'`);
    if (window.untilMs !== undefined) prune.push(`${partition} <= '${fmt(window.untilMs + HOUR)}'`);
  }
  return `SELECT ${src} AS src, ${dst} AS dst, ${int('srcport', d.type('int'))} AS sport, ${int('dstport', d.type('int'))} AS dport, ${int('protocol', d.type('int'))} AS proto, ` +
    `${int('packets')} AS packets, ${int('bytes')} AS bytes, ${int('start')} AS tstart, ${int('end')} AS tend, ` +
    `${has('action') ? `coalesce(${text('action')}, 'ACCEPT')` : "'ACCEPT'"} AS action, ${status} AS status, ${int('tcp-flags')} AS flags, CAST(NULL AS ${d.type('int')}) AS orient ` +
    `FROM ${table}${prune.length ? ` WHERE ${prune.join(' AND ')}` : ''}`;
}

/**
 * The record relation of the BigQuery export of GCP VPC Flow Logs, in dialect `d` (BigQuery, or
 * DuckDB for a twin over the same columns): `jsonPayload.connection.*`, `bytes_sent`,
 * `packets_sent`, `start_time`/`end_time`, `reporter`; a DEST report of a connection that also has
 * a SRC report is `DUPLICATE` (read, never traffic), as the local GCP reader does. Date-sharded
 * tables (`..._*`) prune on `_TABLE_SUFFIX`, a partitioned table on `timestamp`.
 */
export function bigquerySource(d: Dialect, table: string, window: { sinceMs?: number; untilMs?: number }, sharded: boolean): string {
  const I = d.type('int');
  const T = d.type('text');
  const int = (x: string) => `CAST(CAST(${x} AS ${T}) AS ${I})`;
  const ts = d.ident('timestamp');
  const secs = (x: string) => (d.name === 'bigquery' ? `UNIX_SECONDS(CAST(${x} AS TIMESTAMP))` : `CAST(floor(epoch(CAST(CAST(${x} AS ${T}) AS TIMESTAMPTZ))) AS ${I})`);
  const prune: string[] = [];
  if (sharded) {
    const sfx = (ms: number) => day(ms).replace(/-/g, '');
    if (window.sinceMs !== undefined) prune.push(`_TABLE_SUFFIX >= '${sfx(window.sinceMs - HOUR)}'`);
    if (window.untilMs !== undefined) prune.push(`_TABLE_SUFFIX <= '${sfx(window.untilMs + HOUR)}'`);
  } else {
    if (window.sinceMs !== undefined) prune.push(`${ts} >= TIMESTAMP_SECONDS(${Math.floor((window.sinceMs - HOUR) / 1000)})`);
    if (window.untilMs !== undefined) prune.push(`${ts} < TIMESTAMP_SECONDS(${Math.ceil((window.untilMs + HOUR) / 1000)})`);
  }
  const e = `SELECT jsonPayload.connection.src_ip AS src_ip, jsonPayload.connection.dest_ip AS dest_ip, ${int('jsonPayload.connection.src_port')} AS src_port, ` +
    `${int('jsonPayload.connection.dest_port')} AS dest_port, ${int('jsonPayload.connection.protocol')} AS protocol, ${int('jsonPayload.bytes_sent')} AS bytes_sent, ` +
    `${int('jsonPayload.packets_sent')} AS packets_sent, ${secs(`coalesce(jsonPayload.start_time, ${ts})`)} AS t0, ${secs(`coalesce(jsonPayload.end_time, jsonPayload.start_time, ${ts})`)} AS t1, ` +
    `jsonPayload.reporter AS reporter FROM ${table}${prune.length ? ` WHERE ${prune.join(' AND ')}` : ''}`;
  const s = `SELECT DISTINCT src_ip, dest_ip, src_port, dest_port, protocol FROM e0 WHERE reporter = 'SRC'`;
  return `WITH e0 AS (${e}), s0 AS (${s}) ` +
    'SELECT e0.src_ip AS src, e0.dest_ip AS dst, e0.src_port AS sport, e0.dest_port AS dport, e0.protocol AS proto, e0.packets_sent AS packets, e0.bytes_sent AS bytes, ' +
    `e0.t0 AS tstart, e0.t1 AS tend, 'ACCEPT' AS action, CASE WHEN starts_with(e0.reporter, 'DEST') AND s0.src_ip IS NOT NULL THEN 'DUPLICATE' ELSE 'OK' END AS status, ` +
    `CAST(NULL AS ${I}) AS flags, CAST(NULL AS ${I}) AS orient FROM e0 LEFT JOIN s0 ON s0.src_ip = e0.src_ip AND s0.dest_ip = e0.dest_ip ` +
    'AND s0.src_port = e0.src_port AND s0.dest_port = e0.dest_port AND s0.protocol = e0.protocol';
}

/** The fields of the Athena table: `--aws-fields`, else every field of the documented DDL. */
function athenaFields(options: TrafficReadOptions): string[] {
  return options.awsFields ? parseAwsFields(options.awsFields) : Object.keys(AWS_FIELDS);
}

/** A table name of letters, digits, `_`, `-`, `.`, `*` and `` ` `` only (it goes into the query). */
function checkName(option: string, v: string | undefined, pattern: RegExp): string {
  if (!v || !pattern.test(v)) {
    throw new TrafficError('InvalidOption', option, `"${v ?? ''}" is not a valid name`, `${option} is required by this engine; letters, digits, _ - and . only.`);
  }
  return v;
}

/** The query an engine would run (for printing, dry runs and tests). */
export function engineQuery(options: TrafficReadOptions, identities: IdentityMap, mode: PlanMode, rules?: SqlValue[][]): { engine: string; sql: string } {
  const engine = options.engine ?? 'duckdb';
  const w = windowSeconds(options);
  // one read of the table (no server pre-pass): these engines bill per byte scanned
  const plan = { mode, orient: true, since: w.since, until: w.until, identities: identityRows(identities), rules };
  if (engine === 'athena') {
    const table = checkName('--athena-table', options.athenaTable, /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$/);
    const ref = table.split('.').map(p => `"${p}"`).join('.');
    return { engine, sql: renderPlan(DIALECTS.trino, { ...plan, source: athenaSource(DIALECTS.trino, ref, athenaFields(options), w, options.athenaPartition === '' ? undefined : options.athenaPartition ?? 'day') }) };
  }
  if (engine === 'bigquery') {
    const table = checkName('--bigquery-table', options.bigqueryTable, /^[A-Za-z0-9_.:-]+\*?$/);
    return { engine, sql: renderPlan(DIALECTS.bigquery, { ...plan, source: bigquerySource(DIALECTS.bigquery, `\`${table}\``, w, table.endsWith('*')) }) };
  }
  throw new TrafficError('InvalidOption', '--engine', `"${engine}" has no remote query`, 'The duckdb engine reads local files.');
}

/** Runs the plan on the engine the options name. */
export async function runPlan(options: TrafficReadOptions, identities: IdentityMap, mode: PlanMode, rules?: SqlValue[][]): Promise<EngineRun> {
  const engine = options.engine ?? 'duckdb';
  if (engine === 'duckdb') return runLocal(options, identities, mode, rules);
  if (engine !== 'athena' && engine !== 'bigquery') throw new TrafficError('InvalidOption', '--engine', `"${engine}" is not an engine`, 'Use duckdb, athena or bigquery.');
  const { sql } = engineQuery(options, identities, mode, rules);
  checkQuerySize(engine, sql);
  const { rows, stats } = engine === 'athena' ? await runAthena(sql, options) : await runBigQuery(sql, options);
  return { result: interpret(rows), files: 0, pruned: 0, reads: 1, sampled: 0, stats };
}

/** Query text limits: Athena 262,144 bytes, BigQuery 1,024 K characters. */
function checkQuerySize(engine: string, sql: string): void {
  const limit = engine === 'athena' ? 262_144 : 1_024_000;
  const size = engine === 'athena' ? Buffer.byteLength(sql) : sql.length;
  if (size > limit) {
    throw new TrafficError('InvalidOption', '--engine', `the query is ${size} bytes, over ${engine}'s limit of ${limit}`,
      'The policy travels inside the query: fewer identity entries (group addresses into ranges) or a smaller model.');
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function maxBytesOf(options: TrafficReadOptions): number | undefined {
  if (options.maxBytes === undefined) return undefined;
  if (!Number.isFinite(options.maxBytes) || options.maxBytes <= 0) throw new TrafficError('InvalidOption', '--max-bytes', `"${options.maxBytes}" is not a positive number of bytes`);
  return options.maxBytes;
}

/** Runs a query on Athena: start, poll until done, read every page of results. */
async function runAthena(sql: string, options: TrafficReadOptions): Promise<{ rows: Record<string, unknown>[]; stats: EngineStats }> {
  const sdk = loadEngineSdk('@aws-sdk/client-athena', 'athena');
  const maxBytes = maxBytesOf(options);
  const client = new sdk.AthenaClient({ ...(options.region ? { region: options.region } : {}), maxAttempts: 6 });
  const fail = (message: string, hint?: string) => new TrafficError('EngineFailed', `athena${options.athenaTable ? `:${options.athenaTable}` : ''}`, message, hint);
  try {
    let id: string;
    try {
      const started = await client.send(new sdk.StartQueryExecutionCommand({
        QueryString: sql,
        ...(options.athenaDatabase ? { QueryExecutionContext: { Database: options.athenaDatabase } } : {}),
        ...(options.workgroup ? { WorkGroup: options.workgroup } : {}),
        ...(options.outputLocation ? { ResultConfiguration: { OutputLocation: options.outputLocation } } : {}),
      }));
      id = String(started.QueryExecutionId);
    } catch (e) {
      throw fail(`could not start the query: ${(e as Error).name}: ${(e as Error).message}`);
    }
    let delay = 250;
    let scanned = 0;
    let execution: any;
    for (;;) {
      execution = (await client.send(new sdk.GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
      const state = execution?.Status?.State;
      scanned = Number(execution?.Statistics?.DataScannedInBytes ?? 0);
      if (maxBytes !== undefined && scanned > maxBytes && state !== 'SUCCEEDED') {
        await client.send(new sdk.StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
        throw fail(`query ${id} scanned ${scanned} bytes, over --max-bytes ${maxBytes}: stopped`, 'Narrow --since/--until, or raise --max-bytes.');
      }
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') {
        throw fail(`query ${id} ${state}: ${execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage ?? 'no reason given'}`);
      }
      if (state !== 'QUEUED' && state !== 'RUNNING') throw fail(`query ${id} is in an unknown state ${String(state)}`);
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
    if (maxBytes !== undefined && scanned > maxBytes) throw fail(`query ${id} scanned ${scanned} bytes, over --max-bytes ${maxBytes}`, 'Narrow --since/--until, or raise --max-bytes.');
    const rows: Record<string, unknown>[] = [];
    let token: string | undefined;
    let names: string[] | undefined;
    let pages = 0;
    do {
      const page = await client.send(new sdk.GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }));
      pages++;
      if (!names) names = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c: { Name: string }) => c.Name);
      const data: { Data?: { VarCharValue?: string }[] }[] = page.ResultSet?.Rows ?? [];
      // the first row of the first page repeats the column names
      data.forEach((r, i) => {
        if (pages === 1 && i === 0) return;
        rows.push(Object.fromEntries(names!.map((n, k) => [n, r.Data?.[k]?.VarCharValue ?? null])));
      });
      token = page.NextToken ?? undefined;
    } while (token);
    const s = execution?.Statistics ?? {};
    return {
      rows,
      stats: {
        engine: 'athena', queryId: id, query: sql, bytesScanned: scanned,
        engineMillis: s.EngineExecutionTimeInMillis !== undefined ? Number(s.EngineExecutionTimeInMillis) : undefined,
        resultPages: pages,
      },
    };
  } finally {
    client.destroy?.();
  }
}

/** Runs a query on BigQuery (or only estimates it with `dryRun`). */
async function runBigQuery(sql: string, options: TrafficReadOptions): Promise<{ rows: Record<string, unknown>[]; stats: EngineStats }> {
  const sdk = loadEngineSdk('@google-cloud/bigquery', 'bigquery');
  const maxBytes = maxBytesOf(options);
  const token = process.env.MICROSEG_GCP_ACCESS_TOKEN;
  let authClient: unknown;
  if (token) {
    const { OAuth2Client } = loadEngineSdk('google-auth-library', 'bigquery');
    const c = new OAuth2Client();
    c.setCredentials({ access_token: token, expiry_date: Date.now() + HOUR });
    authClient = c;
  }
  const bq = new sdk.BigQuery({
    ...(options.project ? { projectId: options.project } : {}),
    ...(options.bigqueryEndpoint ? { apiEndpoint: options.bigqueryEndpoint } : {}),
    ...(authClient ? { authClient } : {}),
    autoRetry: true, maxRetries: 5,
  });
  const fail = (message: string, hint?: string) => new TrafficError('EngineFailed', `bigquery${options.bigqueryTable ? `:${options.bigqueryTable}` : ''}`, message, hint);
  const describe = (e: unknown) => { const x = e as { message?: string; errors?: { message?: string }[] }; return String(x?.errors?.[0]?.message ?? x?.message ?? e); };
  let estimate: number;
  try {
    const [dry] = await bq.createQueryJob({ query: sql, useLegacySql: false, dryRun: true });
    estimate = Number(dry.metadata?.statistics?.totalBytesProcessed ?? 0);
  } catch (e) {
    throw fail(`the dry run failed: ${describe(e)}`);
  }
  if (options.dryRun) return { rows: [], stats: { engine: 'bigquery', query: sql, bytesScanned: estimate, dryRun: true } };
  if (maxBytes !== undefined && estimate > maxBytes) {
    throw fail(`the query would process ${estimate} bytes, over --max-bytes ${maxBytes}: not run`, 'Narrow --since/--until, or raise --max-bytes.');
  }
  let job: any;
  try {
    [job] = await bq.createQueryJob({ query: sql, useLegacySql: false, ...(maxBytes !== undefined ? { maximumBytesBilled: String(Math.floor(maxBytes)) } : {}) });
  } catch (e) {
    throw fail(`could not start the query: ${describe(e)}`);
  }
  const rows: Record<string, unknown>[] = [];
  let pages = 0;
  try {
    // a response with jobComplete false comes back with the same query to repeat (the job still
    // runs); a complete one with the next page's token, or none after the last page
    let query: Record<string, unknown> | null = { autoPaginate: false, maxResults: 1000 };
    while (query) {
      const [page, next, resp]: [unknown[] | null, Record<string, unknown> | null, { jobComplete?: boolean } | undefined] = await job.getQueryResults(query);
      if (resp?.jobComplete !== false) {
        pages++;
        rows.push(...((page ?? []) as Record<string, unknown>[]));
      }
      query = next ? { ...next, autoPaginate: false } : null;
    }
  } catch (e) {
    throw fail(`query ${job?.id ?? ''} failed: ${describe(e)}`);
  }
  const [meta] = await job.getMetadata();
  if (meta?.status?.errorResult) throw fail(`query ${job.id} failed: ${meta.status.errorResult.message ?? meta.status.errorResult.reason}`);
  const q = meta?.statistics?.query ?? {};
  return {
    rows,
    stats: {
      engine: 'bigquery', queryId: String(job.id), query: sql,
      bytesScanned: Number(q.totalBytesProcessed ?? meta?.statistics?.totalBytesProcessed ?? estimate),
      bytesBilled: q.totalBytesBilled !== undefined ? Number(q.totalBytesBilled) : undefined,
      slotMillis: q.totalSlotMs !== undefined ? Number(q.totalSlotMs) : undefined,
      resultPages: pages,
    },
  };
}

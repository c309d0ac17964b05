/**
 * The data-lake engines, without a cloud: the real `@aws-sdk/client-athena` and
 * `@google-cloud/bigquery` clients talk to local servers speaking each API
 * (test/support/servers). A server answers the query it receives by running the same plan's
 * DuckDB twin over the same records (the test renders both from the same inputs, and refuses any
 * other query text), so an engine's result must equal the embedded engine's on the same logs:
 * through paging, throttled calls that are retried, and partition pruning. Failed and cancelled
 * queries are exit 2; `--max-bytes` refuses or stops a bigger scan; `--dry-run` runs nothing.
 * The Trino and BigQuery renderings are parsed by node-sql-parser's trino and bigquery grammars.
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Port } from '../../src';
import { main } from '../../src/cli/main';
import { AWS_FIELDS } from '../../src/traffic/aws-text';
import { DIALECTS } from '../../src/traffic/dialect';
import { discoverInputs } from '../../src/traffic/discover';
import { openDb, sqlString } from '../../src/traffic/duckdb';
import { windowSeconds } from '../../src/traffic/engine';
import { athenaSource, bigquerySource, engineQuery } from '../../src/traffic/engines';
import { athenaDdl } from '../../src/traffic/engines-ddl';
import { PlanMode, renderPlan, RESULT_COLUMNS } from '../../src/traffic/plan';
import { identityRows } from '../../src/traffic/plan-tables';
import { simulateInputs } from '../../src/traffic/simulate';
import { DiscoverOptions, SimulateOptions, TrafficAnalysis } from '../../src/traffic';
import { startAthenaServer } from '../support/servers/athena-server';
import { startBigQueryServer } from '../support/servers/bigquery-server';
import { FORMATS, generateRecords, writeS3 } from '../support/traffic-generator';
import { estateModel, SHOP, tmpDir, writeManifest } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const trinoParser = new (require('node-sql-parser/build/trino').Parser)();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bigqueryParser = new (require('node-sql-parser/build/bigquery').Parser)();

const dir = tmpDir('lake-');
const logs = path.join(dir, 'logs');
const start = 1_790_000_000;
const { files } = writeS3(SHOP, { format: 'v5', start, seed: 5, nodata: 2, root: logs, perFile: 30 });
const declared = SHOP.calls.filter(c => c.port !== 1521 && !c.reject).map(c => (/^\d/.test(c.client) ? { ...c, client: '0.0.0.0/0' } : c));
const manifest = writeManifest(dir, estateModel(SHOP, declared, (_s, w) => { w.get('email')!.allowTo(w.get('cart')!, Port.tcp(7000)); }).manifest);

/** The inputs of the plan, as discover/simulate build them. */
async function inputs(mode: PlanMode, options: DiscoverOptions | SimulateOptions) {
  return mode === 'simulate' ? simulateInputs(options as SimulateOptions) : { ...(await discoverInputs(options)), rules: undefined };
}

/** Runs a DuckDB twin of the plan; values as text (null for NULL). */
async function twinRows(sql: string): Promise<(string | null)[][]> {
  const db = await openDb(2);
  try {
    return (await db.all(sql)).map(r => RESULT_COLUMNS.map(c => (r[c] === null || r[c] === undefined ? null : String(r[c]))));
  } finally { db.close(); }
}

/** The Athena table over the generated files, as Hive's text SerDe shows it: `-` kept in strings, NULL in numbers. */
const athenaTwinTable = (() => {
  const cols = FORMATS.v5.map(f => `${sqlString(f)}: 'VARCHAR'`).join(', ');
  const pick = Object.keys(AWS_FIELDS).map(f => {
    const name = f === 'end' || f === 'start' ? `"${f}"` : f.replace(/-/g, '_');
    if (!(FORMATS.v5 as readonly string[]).includes(f)) return `CAST(NULL AS ${AWS_FIELDS[f]}) AS ${name}`;
    return AWS_FIELDS[f] === 'VARCHAR' ? `"${f}" AS ${name}` : `TRY_CAST("${f}" AS ${AWS_FIELDS[f]}) AS ${name}`;
  }).join(', ');
  return `(SELECT ${pick}, regexp_extract(filename, '(\\d{4}/\\d{2}/\\d{2})/[^/]*$', 1) AS day FROM read_csv([${files.map(sqlString).join(', ')}], ` +
    `delim=' ', header=true, quote='', escape='', auto_detect=false, filename=true, columns={${cols}}))`;
})();

const strip = <T extends { engine?: unknown }>(r: T) => { const { engine, ...rest } = r; void engine; return rest; };

describe('Athena engine against a local Athena endpoint', () => {
  let server: Awaited<ReturnType<typeof startAthenaServer>>;
  let expected: { trino: string; twin: string }[] = [];
  let fault: 'none' | 'FAILED' | 'CANCELLED' | 'huge' = 'none';
  const env = { ...process.env };
  beforeAll(async () => {
    server = await startAthenaServer({
      maxPage: 7,
      throttle: (action, n) => (action === 'GetQueryExecution' || action === 'GetQueryResults') && n === 1,
      answer: async sql => {
        if (fault === 'FAILED' || fault === 'CANCELLED') return { state: fault, reason: `HIVE_BAD_DATA: injected ${fault}` };
        const e = expected.find(x => x.trino === sql);
        if (!e) return { state: 'FAILED', reason: 'SYNTAX_ERROR: not the query the test expected' };
        return { columns: [...RESULT_COLUMNS], rows: await twinRows(e.twin), scannedBytes: fault === 'huge' ? 5e9 : 123456 };
      },
    });
    Object.assign(process.env, { AWS_ENDPOINT_URL_ATHENA: server.url, AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_REGION: 'eu-west-1', AWS_EC2_METADATA_DISABLED: 'true' });
  });
  afterAll(async () => { process.env = env; await server.close(); });

  const lake = { engine: 'athena', athenaTable: 'flowlogs.vpc_flow_logs', athenaDatabase: 'flowlogs', workgroup: 'microseg', outputLocation: 's3://results-bucket/microseg/' };
  const expect2 = async (mode: PlanMode, options: DiscoverOptions | SimulateOptions) => {
    const { map, rules } = await inputs(mode, options);
    const w = windowSeconds(options);
    const trino = engineQuery(options, map, mode, rules).sql;
    const twin = renderPlan(DIALECTS.duckdb, { mode, orient: true, since: w.since, until: w.until, identities: identityRows(map), rules, source: athenaSource(DIALECTS.duckdb, athenaTwinTable, Object.keys(AWS_FIELDS), w) });
    expected.push({ trino, twin });
    return trino;
  };

  it('simulate: paged, throttled calls retried, the same result as the embedded engine', async () => {
    const local = await TrafficAnalysis.simulate({ logs: [logs], manifest });
    const sql = await expect2('simulate', { logs: [], manifest, ...lake });
    // the Trino rendering parses (node-sql-parser's trino grammar lacks Trino's IPADDRESS and VARBINARY types)
    expect(() => trinoParser.astify(sql.replace(/IPADDRESS|VARBINARY/g, 'VARCHAR'), { database: 'trino' })).not.toThrow();
    const remote = await TrafficAnalysis.simulate({ logs: [], manifest, ...lake });
    expect(strip(remote)).toEqual(local);
    expect(local.conversations.length).toBeGreaterThan(5);
    expect(remote.engine).toMatchObject({ engine: 'athena', bytesScanned: 123456, query: sql });
    expect(remote.engine!.resultPages).toBeGreaterThan(1);
    const start0 = server.requests.find(r => r.action === 'StartQueryExecution')!.body;
    expect(start0).toMatchObject({ WorkGroup: 'microseg', QueryExecutionContext: { Database: 'flowlogs' }, ResultConfiguration: { OutputLocation: 's3://results-bucket/microseg/' } });
    expect(start0.QueryString).toMatch(/^WITH\n/);
    expect(start0.QueryString).not.toMatch(/\b(INSERT|CREATE|DELETE|DROP|UNLOAD)\b/);
    const results = server.requests.filter(r => r.action === 'GetQueryResults');
    expect(results.filter(r => r.body.NextToken).length).toBeGreaterThan(0);
    // the throttled first calls were retried by the SDK
    expect(server.requests.filter(r => r.action === 'GetQueryExecution').length).toBeGreaterThan(2);
  });

  it('discover with --since/--until prunes the day partitions and equals the embedded engine', async () => {
    const window = { since: new Date((start - 600) * 1000).toISOString(), until: new Date((start + 3600) * 1000).toISOString() };
    const local = await TrafficAnalysis.discover({ logs: [logs], manifest, ...window });
    const sql = await expect2('discover', { logs: [], manifest, ...lake, ...window });
    expect(sql).toContain("day >= '2026/09/21'");
    const remote = await TrafficAnalysis.discover({ logs: [], manifest, ...lake, ...window });
    expect(strip(remote)).toEqual(local);
  });

  it('a failed or cancelled query is exit 2; --max-bytes stops a bigger scan', async () => {
    for (const f of ['FAILED', 'CANCELLED'] as const) {
      fault = f;
      await expect(TrafficAnalysis.simulate({ logs: [], manifest, ...lake })).rejects.toThrow(new RegExp(`EngineFailed.*${f}`));
      let err = '';
      const code = await main(['node', 'microseg', 'traffic', 'simulate', '-m', manifest, '--engine', 'athena', '--athena-table', 'vpc_flow_logs'],
        { stdout: { write: () => undefined }, stderr: { write: (s: string) => { err += s; } }, env: process.env });
      expect(code).toBe(2);
      expect(err).toContain(f);
    }
    fault = 'huge';
    await expect(TrafficAnalysis.simulate({ logs: [], manifest, ...lake, maxBytes: 1_000_000 })).rejects.toThrow(/over --max-bytes 1000000/);
    expect(server.requests.some(r => r.action === 'StopQueryExecution')).toBe(true);
    fault = 'none';
  });

  it('a missing SDK is MissingSdk with the npm i line', async () => {
    process.env.MICROSEG_HIDE_SDKS = '@aws-sdk/client-athena';
    try {
      await expect(TrafficAnalysis.discover({ logs: [], ...lake })).rejects.toThrow(/MissingSdk.*npm i @aws-sdk\/client-athena/);
    } finally { delete process.env.MICROSEG_HIDE_SDKS; }
  });
});

describe('BigQuery engine against a local BigQuery endpoint', () => {
  // GCP VPC Flow Logs entries of the same estate (one SRC report per record, a DEST duplicate of every
  // fourth), as Cloud Logging JSON lines for the embedded engine and as the export's columns for the twin
  const gcp = path.join(dir, 'gcp', 'vpc_flows.json');
  const lines: string[] = [];
  let k = 0;
  generateRecords(SHOP, { format: 'v5', start, seed: 9 }, line => {
    const v = Object.fromEntries(FORMATS.v5.map((f, i) => [f, line.split(' ')[i]]));
    if (v.action === 'REJECT') return;
    const iso = (s: string) => new Date(Number(s) * 1000).toISOString();
    const entry = (reporter: string) => JSON.stringify({
      insertId: `e${k++}`, logName: 'projects/p/logs/compute.googleapis.com%2Fvpc_flows', timestamp: iso(v.end),
      jsonPayload: { connection: { src_ip: v.srcaddr, src_port: Number(v.srcport), dest_ip: v.dstaddr, dest_port: Number(v.dstport), protocol: Number(v.protocol) },
        bytes_sent: v.bytes, packets_sent: v.packets, start_time: iso(v.start), end_time: iso(v.end), reporter },
    });
    lines.push(entry('SRC'));
    if (k % 4 === 0) lines.push(entry('DEST'));
  });
  fs.mkdirSync(path.dirname(gcp), { recursive: true });
  fs.writeFileSync(gcp, lines.join('\n') + '\n');
  const twinTable = `(SELECT * FROM read_json([${sqlString(gcp)}], format='newline_delimited', columns={jsonPayload: 'STRUCT(connection STRUCT(src_ip VARCHAR, src_port BIGINT, dest_ip VARCHAR, dest_port BIGINT, protocol BIGINT), bytes_sent VARCHAR, packets_sent VARCHAR, start_time VARCHAR, end_time VARCHAR, reporter VARCHAR)', "timestamp": 'VARCHAR'}))`;

  let server: Awaited<ReturnType<typeof startBigQueryServer>>;
  const expected: { sql: string; twin: string }[] = [];
  let fail = false;
  const env = { ...process.env };
  beforeAll(async () => {
    server = await startBigQueryServer({
      maxPage: 4,
      throttle: (call, n) => (call === 'insert' || call === 'results') && n === 1,
      answer: async sql => {
        const e = expected.find(x => x.sql === sql);
        if (!e) return { error: 'Syntax error: not the query the test expected', bytes: 0 };
        if (fail) return { error: 'Resources exceeded during query execution (injected)', bytes: 2048 };
        return { columns: RESULT_COLUMNS.map(c => [c, /^n/.test(c) ? 'INT64' : 'STRING'] as [string, 'STRING' | 'INT64']), rows: await twinRows(e.twin), bytes: 987654 };
      },
    });
    process.env.MICROSEG_GCP_ACCESS_TOKEN = 'ya29.test-token';
  });
  afterAll(async () => { process.env = env; await server.close(); });

  const lake = () => ({ engine: 'bigquery', bigqueryTable: 'prj.logs.compute_googleapis_com_vpc_flows_*', project: 'prj', bigqueryEndpoint: server.url });

  it('discover: paged, rate-limited calls retried, the same result as the embedded engine; the SQL parses', async () => {
    const local = await TrafficAnalysis.discover({ logs: [gcp], manifest });
    const options = { logs: [], manifest, ...lake() };
    const { map } = await discoverInputs(options);
    const sql = engineQuery(options, map, 'discover').sql;
    expected.push({ sql, twin: renderPlan(DIALECTS.duckdb, { mode: 'discover', orient: true, identities: identityRows(map), source: bigquerySource(DIALECTS.duckdb, twinTable, {}, false) }) });
    expect(() => bigqueryParser.astify(sql, { database: 'bigquery' })).not.toThrow();
    const remote = await TrafficAnalysis.discover(options);
    expect(strip(remote)).toEqual(local);
    expect(local.flows.length).toBeGreaterThan(3);
    expect(local.records.read).toBeGreaterThan(local.records.traffic);
    expect(remote.engine).toMatchObject({ engine: 'bigquery', bytesScanned: 987654, query: sql });
    expect(remote.engine!.resultPages).toBeGreaterThan(1);
    expect(server.requests.filter(r => r.call === 'results' && /pageToken=/.test(r.path)).length).toBeGreaterThan(0);
    expect(server.requests.filter(r => r.call === 'insert').length).toBeGreaterThanOrEqual(3); // 429, dry run, job
  });

  it('simulate with a window prunes the date shards; the SQL parses', async () => {
    const window = { since: new Date((start - 600) * 1000).toISOString(), until: new Date((start + 7200) * 1000).toISOString() };
    const options = { logs: [], manifest, ...lake(), ...window };
    const { map, rules } = await simulateInputs(options);
    const sql = engineQuery(options, map, 'simulate', rules).sql;
    expect(sql).toContain("_TABLE_SUFFIX >= '20260921'");
    expect(() => bigqueryParser.astify(sql, { database: 'bigquery' })).not.toThrow();
    const w = windowSeconds(options);
    expected.push({ sql, twin: renderPlan(DIALECTS.duckdb, { mode: 'simulate', orient: true, since: w.since, until: w.until, identities: identityRows(map), rules, source: bigquerySource(DIALECTS.duckdb, twinTable, {}, false) }) });
    const local = await TrafficAnalysis.simulate({ logs: [gcp], manifest, ...window });
    const remote = await TrafficAnalysis.simulate(options);
    expect(strip(remote)).toEqual(local);
  });

  it('--dry-run runs nothing; --max-bytes refuses before running; a failed job is exit 2', async () => {
    const before = server.requests.length;
    const dry = await TrafficAnalysis.discover({ logs: [], manifest, ...lake(), dryRun: true });
    expect(dry.engine).toMatchObject({ dryRun: true, bytesScanned: 987654 });
    expect(dry.flows).toEqual([]);
    expect(server.requests.slice(before).every(r => r.call === 'insert' && r.body.configuration.dryRun)).toBe(true);
    const before2 = server.requests.length;
    await expect(TrafficAnalysis.discover({ logs: [], manifest, ...lake(), maxBytes: 1000 })).rejects.toThrow(/would process 987654 bytes, over --max-bytes 1000/);
    expect(server.requests.slice(before2).filter(r => r.call === 'insert' && !r.body.configuration.dryRun)).toEqual([]);
    let err = '';
    const cli = (args: string[]) => main(['node', 'microseg', 'traffic', 'discover', '-m', manifest, '--engine', 'bigquery', '--bigquery-table', 'prj.logs.compute_googleapis_com_vpc_flows_*',
      '--project', 'prj', '--bigquery-endpoint', server.url, ...args], { stdout: { write: () => undefined }, stderr: { write: (s: string) => { err += s; } }, env: process.env });
    expect(await cli(['--dry-run'])).toBe(0);
    expect(err).toContain('bigquery: would process 987654 bytes');
    fail = true;
    try {
      expect(await cli([])).toBe(2);
      expect(err).toMatch(/EngineFailed.*Resources exceeded/);
    } finally { fail = false; }
  });
});

describe('athena-ddl', () => {
  it('prints the documented table with partition projection (text and Parquet)', async () => {
    const text = athenaDdl({ location: 's3://my-logs/prefix', format: 'text', accounts: ['012345678901'], regions: ['eu-west-1'] });
    expect(text).toContain("LOCATION 's3://my-logs/prefix/AWSLogs/'");
    expect(text).toContain('"storage.location.template" = "s3://my-logs/prefix/AWSLogs/${accid}/vpcflowlogs/${region}/${day}"');
    expect(text).toContain("FIELDS TERMINATED BY ' '");
    expect(text).toContain('tcp_flags int');
    const parquet = athenaDdl({ location: 's3://my-logs', format: 'parquet', accounts: ['012345678901'], regions: ['eu-west-1', 'us-east-1'] });
    expect(parquet).toContain('ParquetHiveSerDe');
    expect(parquet).not.toContain('skip.header.line.count');
    let out = '';
    const code = await main(['node', 'microseg', 'traffic', 'athena-ddl', '--location', 's3://my-logs/prefix', '--account', '012345678901', '--region', 'eu-west-1'],
      { stdout: { write: (s: string) => { out += s; } }, stderr: { write: () => undefined }, env: process.env });
    expect(code).toBe(0);
    expect(out).toBe(text);
    expect(() => athenaDdl({ location: 'my-logs', format: 'text', accounts: ['1'], regions: ['x'] })).toThrow(/InvalidOption/);
  });
});

/**
 * The plan's working set and its guess of the servers. Records that `orient`, their own tcp-flags
 * or the guessed server endpoints decide are grouped per conversation, so with a good guess the
 * connection aggregate does not grow with the number of connections; without a guess (the
 * data-lake engines) the records no flag decides are grouped per connection. Whatever the guess
 * (none, a sample's, exactly the proved servers, or wrong endpoints), the answer is the same: a
 * wrong guess shows as conflicts, and a second read with the proved endpoints gives the answer.
 */
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { describe, expect, it } from 'vitest';
import { TrafficAnalysis } from '../../src/traffic';
import { DIALECTS, SqlValue } from '../../src/traffic/dialect';
import { Db, openDb } from '../../src/traffic/duckdb';
import { GUESS_SAMPLE, lastLocalRun, localSource } from '../../src/traffic/engine';
import { planSources } from '../../src/traffic/formats';
import { ENDPOINT_COLUMNS, renderGuess, renderPlan } from '../../src/traffic/plan';
import { findLogFiles } from '../../src/traffic/sources';
import { checkUntilAsync } from '../support/property';
import { GenCall, GenEstate, writeS3 } from '../support/traffic-generator';
import { SHOP, tmpDir } from './helpers';

/** SHOP's TCP calls, each with `times` as many connections. */
const scaled = (times: number): GenEstate => ({ workloads: SHOP.workloads, calls: SHOP.calls.filter(c => c.protocol === 'tcp').map(c => ({ ...c, connections: c.connections * times })) });

/** The guess of a run: none, the proved servers of all records, of the first file only, or given endpoints. */
type Guess = 'none' | 'all' | 'first' | SqlValue[][];

interface Run { groups: number; convs: number; conflicts: number; rows: string[] }

/** Runs `fn` with a one-thread DuckDB, closed afterwards. */
async function withDb(fn: (db: Db) => Promise<void>): Promise<void> {
  const db = await openDb(1);
  try {
    await fn(db);
  } finally {
    db.close();
  }
}

const json = (r: unknown) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));

/** Runs the plan as the engine does: a conflicting guess is followed by a read with the proved endpoints. */
async function run(db: Db, logs: string, guess: Guess, guessPorts?: number[]): Promise<Run> {
  const files = findLogFiles([logs], {}).files;
  const source = localSource(await planSources(files, db), false);
  const guessSql = guess === 'none' ? undefined
    : guess === 'all' ? renderGuess(DIALECTS.duckdb, { source, orient: true })
      : guess === 'first' ? renderGuess(DIALECTS.duckdb, { source: localSource(await planSources(files.slice(0, 1), db), false), orient: true })
        : `SELECT * FROM ${DIALECTS.duckdb.values(ENDPOINT_COLUMNS, guess)} v`;
  const plan = (g?: string, proved?: boolean) => renderPlan(DIALECTS.duckdb, { mode: 'discover', source, orient: true, identities: [], guess: g, guessProved: proved, guessPorts: proved ? undefined : guessPorts });
  let q = plan(guessSql);
  let rows = await db.all(q);
  const conflicts = Number(rows.find(r => r.kind === 'c')?.n1);
  if (conflicts > 0) {
    const proved = rows.filter(r => r.kind === 'e').map(r => [r.k1, r.n1, r.n2] as SqlValue[]);
    expect(proved.length).toBeGreaterThan(0);
    q = plan(`SELECT * FROM ${DIALECTS.duckdb.values(ENDPOINT_COLUMNS, proved)} v`, true);
    rows = await db.all(q);
  }
  const results = q.lastIndexOf("\nSELECT 'n' AS kind");
  expect(results).toBeGreaterThan(0);
  const [{ n, c }] = await db.all(`${q.slice(0, results)}\nSELECT (SELECT count(*) FROM conn0) AS n, (SELECT count(*) FROM convs) AS c`);
  return { groups: Number(n), convs: Number(c), conflicts, rows: rows.filter(r => r.kind !== 'c' && r.kind !== 'e').map(json).sort() };
}

describe('the plan keys decided records by conversation', () => {
  it('with the guess, the connection aggregate holds one group per conversation when the connections triple (x2 to x6), and the results equal the plan without a guess', async () => {
    const dir = tmpDir('plan-');
    await withDb(async db => {
      const out: Record<string, Run> = {};
      for (const times of [2, 6]) {
        const logs = path.join(dir, `x${times}`);
        writeS3(scaled(times), { format: 'v5', start: 1_790_000_000, seed: 5, nodata: 1, root: logs, perFile: 200 });
        out[`all${times}`] = await run(db, logs, 'all');
        out[`none${times}`] = await run(db, logs, 'none');
      }
      // without a guess: one group per pooled connection (direction-normalised) for its records
      // after the first window (no flags), so it grows with the connections
      expect(out.none6.groups).toBeGreaterThan(2 * out.none2.groups);
      // with the proved servers as the guess: one group per conversation (client and server
      // address, protocol, port, action), plus the NODATA records' group, whatever the number of
      // connections
      for (const k of ['all2', 'all6']) {
        expect(out[k].groups).toBe(out[k].convs + 1);
        expect(out[k].conflicts).toBe(0);
      }
      expect(out.all6.groups).toBeLessThan(out.all2.groups * 1.5);
      expect(out.all2.groups).toBeLessThan(out.none2.groups / 2);
      expect(out.all2.rows).toEqual(out.none2.rows);
      expect(out.all6.rows).toEqual(out.none6.rows);
    });
  });

  it('a guess from the first file only, or of wrong endpoints, gives the same answer (a wrong one conflicts and is read again)', async () => {
    const dir = tmpDir('plan-guess-');
    await withDb(async db => {
      // calls one after another: the first file (200 records) sees only the first calls' servers
      const logs = path.join(dir, 'logs');
      writeS3(scaled(3), { format: 'v5', start: 1_790_000_000, seed: 7, nodata: 1, root: logs, perFile: 200 });
      const none = await run(db, logs, 'none');
      const first = await run(db, logs, 'first');
      expect(first.rows).toEqual(none.rows);
      // wrong: the client end of a pooled connection taken for a server (its later records would
      // turn round), an endpoint nobody uses, and a true server
      const [c] = await db.all(`SELECT src, sport FROM (${localSource(await planSources(findLogFiles([logs], {}).files, db), false)}) WHERE dport = 6379 AND flags = 0 LIMIT 1`);
      const wrong = await run(db, logs, [[String(c.src), Number(c.sport), 6], ['192.0.2.1', 443, 6], ['10.0.2.30', 50051, 6]]);
      expect(wrong.conflicts).toBeGreaterThan(0);
      expect(wrong.rows).toEqual(none.rows);
    });
  });

  it('a server the guess missed on a port of the guess is checked exactly against the client ends; on another port, against their range', async () => {
    const dir = tmpDir('plan-ports-');
    await withDb(async db => {
      // a: a busy client of c:443 (client ports 32800 and 33100) and a server on 33000, which the
      // guess misses; b also serves on 33000, so 33000 is a port of the guess
      const t = 1_790_000_000;
      const rec = (src: string, dst: string, sp: number, dp: number, flags: number, w: number) => ({ srcaddr: src, dstaddr: dst, srcport: sp, dstport: dp, 'tcp-flags': flags, start: t + w * 60 });
      const lines = [
        rec('10.0.0.1', '10.0.0.3', 32800, 443, 2, 0), rec('10.0.0.3', '10.0.0.1', 443, 32800, 18, 0), rec('10.0.0.1', '10.0.0.3', 32800, 443, 0, 1), rec('10.0.0.3', '10.0.0.1', 443, 32800, 0, 1),
        rec('10.0.0.1', '10.0.0.3', 33100, 443, 2, 0), rec('10.0.0.3', '10.0.0.1', 443, 33100, 18, 0), rec('10.0.0.1', '10.0.0.3', 33100, 443, 0, 1), rec('10.0.0.3', '10.0.0.1', 443, 33100, 0, 1),
        rec('10.0.0.9', '10.0.0.2', 50000, 33000, 2, 0), rec('10.0.0.2', '10.0.0.9', 33000, 50000, 18, 0),
        rec('10.0.0.8', '10.0.0.1', 50001, 33000, 2, 0), rec('10.0.0.1', '10.0.0.8', 33000, 50001, 18, 0), rec('10.0.0.8', '10.0.0.1', 50001, 33000, 0, 1),
      ];
      const write = (root: string, extra: typeof lines) => {
        const folder = path.join(root, 'AWSLogs', '012345678901', 'vpcflowlogs', 'eu-west-1', '2026', '09', '21');
        fs.mkdirSync(folder, { recursive: true });
        const fields = ['version', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'start', 'end', 'action', 'tcp-flags', 'log-status'];
        const text = [fields.join(' '), ...[...lines, ...extra].map(r => [5, r.srcaddr, r.dstaddr, r.srcport, r.dstport, 6, r.start, r.start + 60, 'ACCEPT', r['tcp-flags'], 'OK'].join(' '))].join('\n') + '\n';
        fs.writeFileSync(path.join(folder, 'records.log.gz'), zlib.gzipSync(text));
        return root;
      };
      const guess: SqlValue[][] = [['10.0.0.3', 443, 6], ['10.0.0.2', 33000, 6]];
      const logs = write(path.join(dir, 'a'), []);
      const none = await run(db, logs, 'none');
      // exact: no guessed record has a's port 33000 as its client end
      const exact = await run(db, logs, guess, [443, 33000]);
      expect(exact.conflicts).toBe(0);
      expect(exact.rows).toEqual(none.rows);
      // without the ports, 33000 lies within a's client ports (32800-33100): read again
      const ranged = await run(db, logs, guess);
      expect(ranged.conflicts).toBeGreaterThan(0);
      expect(ranged.rows).toEqual(none.rows);
      // a truly uses 33000 as a client port towards c:443 (a pooled connection, later window):
      // a conflict, and the same answer as without a guess
      const clash = write(path.join(dir, 'b'), [rec('10.0.0.1', '10.0.0.3', 33000, 443, 0, 2), rec('10.0.0.3', '10.0.0.1', 443, 33000, 0, 2)]);
      const clashNone = await run(db, clash, 'none');
      const clashed = await run(db, clash, guess, [443, 33000]);
      expect(clashed.conflicts).toBeGreaterThan(0);
      expect(clashed.rows).toEqual(clashNone.rows);
    });
  });

  it('property: whatever the guess, discover and simulate answer the same (a sample of any size, conflicts read again)', async () => {
    const ports = [22, 443, 5432, 8080, 33000, 40000, 50051];
    const arb = fc.record({
      calls: fc.array(fc.record({ c: fc.nat(5), s: fc.nat(5), port: fc.constantFrom(...ports), udp: fc.boolean(), connections: fc.integer({ min: 2, max: 5 }), windows: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 8 }),
      perFile: fc.integer({ min: 5, max: 60 }),
      fraction: fc.constantFrom(0.01, 0.2, 0.5, 1),
      files: fc.constantFrom(1, 2, 1000),
    });
    const saved = { ...GUESS_SAMPLE };
    try {
      await checkUntilAsync(arb, async (g, t) => {
        const workloads = Array.from({ length: 6 }, (_, i) => ({ name: `w${i}`, zone: `z${i % 2}`, addresses: [`10.${i % 2}.${i}.10`, `10.${i % 2}.${i}.11`] }));
        const calls: GenCall[] = [];
        const seen = new Set<string>();
        for (const c of g.calls) {
          const call: GenCall = { client: `w${c.c}`, server: `w${c.s}`, protocol: c.udp ? 'udp' : 'tcp', port: c.port, connections: c.connections, windows: c.windows };
          const k = `${call.client}|${call.server}|${call.protocol}|${call.port}`;
          if (call.client !== call.server && !seen.has(k)) { seen.add(k); calls.push(call); }
        }
        if (calls.length === 0) { t.refuse(); return; }
        const dir = tmpDir('plan-prop-');
        const logs = path.join(dir, 'logs');
        const { files } = writeS3({ workloads, calls }, { format: 'v5', start: 1_790_000_000, seed: 9, nodata: 1, root: logs, perFile: g.perFile });
        const answer = async () => {
          const d = await TrafficAnalysis.discover({ logs: [logs] });
          return json({ flows: d.flows, rejected: d.rejected, unknown: d.unknown, records: d.records, window: d.window });
        };
        Object.assign(GUESS_SAMPLE, { minBytes: Number.MAX_SAFE_INTEGER });
        const plain = await answer();
        Object.assign(GUESS_SAMPLE, { minBytes: 0, fraction: g.fraction, files: g.files });
        expect(await answer()).toBe(plain);
        expect(lastLocalRun.sampled).toBeGreaterThan(0);
        t.add(files.length >= g.files ? 'sampled files' : 'sampled first records');
        fs.rmSync(dir, { recursive: true, force: true });
      }, { until: { 'sampled files': 6, 'sampled first records': 6 }, batch: 4, maxRuns: 200 });
    } finally {
      Object.assign(GUESS_SAMPLE, saved);
    }
  });
});

describe('the shape rule counts distinct peer endpoints', () => {
  it('a connection logged with ACCEPT and REJECT records is one peer, not two (the fan decides the server)', async () => {
    // P=10.0.0.1:1111 talks to Q=10.0.0.2:2222 and to U1-U3 on port 5000, every connection of P
    // logged with an ACCEPT and a REJECT record; Q also talks to R, T, V and W. Distinct peer
    // endpoints: P 4, Q 5, so Q:2222 serves P. Counted per record, P would have 8 and Q 6.
    const dir = tmpDir();
    const head = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
    const lines: string[] = [head];
    let t = 1_793_613_600;
    const rec = (a: string, ap: number, b: string, bp: number, action = 'ACCEPT') => {
      lines.push(`2 123456789012 eni-0a1b2c3d ${a} ${b} ${ap} ${bp} 6 10 840 ${t} ${t + 60} ${action} OK`);
      lines.push(`2 123456789012 eni-0a1b2c3d ${b} ${a} ${bp} ${ap} 6 10 840 ${t} ${t + 60} ${action} OK`);
      t += 60;
    };
    for (const [b, bp] of [['10.0.0.2', 2222], ['10.0.1.1', 5000], ['10.0.1.2', 5000], ['10.0.1.3', 5000]] as const) {
      rec('10.0.0.1', 1111, b, bp);
      rec('10.0.0.1', 1111, b, bp, 'REJECT');
    }
    for (const [i, a] of ['10.0.2.1', '10.0.2.2', '10.0.2.3', '10.0.2.4'].entries()) rec(a, 40000 + i, '10.0.0.2', 2222);
    fs.writeFileSync(path.join(dir, 'flows.log'), lines.join('\n') + '\n');
    const r = await TrafficAnalysis.discover({ logs: [dir] });
    const towardsQ = r.flows.filter(f => f.to === 'ipv4:10.0.0.2' || f.from === 'ipv4:10.0.0.2').map(f => `${f.from} -> ${f.to}:${f.ports.join(',')}`).sort();
    expect(towardsQ).toEqual([
      'ipv4:10.0.0.1 -> ipv4:10.0.0.2:2222',
      'ipv4:10.0.2.1 -> ipv4:10.0.0.2:2222', 'ipv4:10.0.2.2 -> ipv4:10.0.0.2:2222', 'ipv4:10.0.2.3 -> ipv4:10.0.0.2:2222', 'ipv4:10.0.2.4 -> ipv4:10.0.0.2:2222',
    ]);
    // P serves U1-U3 (P has 4 peers, each U one)
    expect(r.flows.filter(f => f.to === 'ipv4:10.0.0.1').map(f => `${f.from} -> ${f.ports.join(',')}`).sort()).toEqual(['ipv4:10.0.1.1 -> 1111', 'ipv4:10.0.1.2 -> 1111', 'ipv4:10.0.1.3 -> 1111']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/**
 * The query plan, run in DuckDB. Records never come back to JavaScript; only aggregates do.
 *
 *  1. `pairs`: records grouped by (src, dst, ports, protocol, action, log-status), one scan of
 *     the files (counts of NODATA/SKIPDATA/REJECT fall out of the same scan).
 *  2. `ends`: per endpoint (address, port, protocol) the number of distinct peer endpoints
 *     ("fan") and whether it ever answered a SYN (SYN-ACK in `tcp-flags`).
 *  3. `conn`: both directions of each connection together, then oriented into `convs`
 *     (client, server, protocol, server port): SYN-ACK marks the server, SYN alone the client;
 *     without flags (version 2 logs, connections older than the logs, pools) the endpoint with the
 *     larger fan is the server (a listening port sees many peers), then the side that varies its
 *     own port against a fixed peer port is the client (replicas: one client, several server
 *     addresses, one connection each), then the port number found on more connections across
 *     all addresses is the server's (replicas on both sides), then the side that spoke first is
 *     the client; the lower port decides only when nothing else can (one isolated
 *     connection seen from the middle). Never the ephemeral range: gRPC listens on 50051.
 *  4. `ident`: every distinct address of `convs` with its identity (resolved from the identity
 *     ranges), joined back in DuckDB.
 * REJECT records keep their own conversations: attempts, never evidence of a dependency.
 */
import { Db, openDb } from './duckdb';
import { planSources } from './formats';
import { TrafficError } from './errors';
import { IdentityMap, ResolvedAddress } from './identity';
import { findLogFiles, parseTime } from './sources';
import { TrafficReadOptions, TrafficRecordCounts, TrafficWindow } from './types';

/** A read whose conversations sit in the DuckDB tables `convs` and `ident`. */
export interface Loaded {
  readonly db: Db;
  readonly counts: TrafficRecordCounts;
  readonly window?: TrafficWindow;
  readonly files: number;
  readonly pruned: number;
  readonly resolved: Map<string, ResolvedAddress>;
}

/** IANA protocol number to the protocol names of the outputs. */
export function protocolName(n: number): string {
  return n === 6 ? 'tcp' : n === 17 ? 'udp' : n === 1 || n === 58 ? 'icmp' : String(n);
}

/** SQL for the protocol name of column `p`. */
export const PROTO_SQL = (p: string) => `CASE ${p} WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp' ELSE CAST(${p} AS VARCHAR) END`;

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const iso = (s: unknown) => (s === null || s === undefined ? undefined : new Date(Number(s) * 1000).toISOString().replace('.000Z', 'Z'));

/** Reads the logs and rebuilds conversations; the caller closes `db`. */
export async function load(options: TrafficReadOptions, identities: IdentityMap): Promise<Loaded> {
  const since = parseTime(options.since, '--since');
  const until = parseTime(options.until, '--until');
  const found = findLogFiles(options.logs, { since, until });
  if (found.files.length === 0) {
    throw new TrafficError('FlowLogUnreadable', options.logs.join(', '), `holds no flow log file${found.pruned ? ` in the window (${found.pruned} file(s) or folder(s) outside it)` : ''}`,
      'Check --logs, --since and --until: an empty read is never reported as clean.');
  }
  const db = await openDb(options.threads);
  try {
    const groups = await planSources(found.files, db, options.awsFields);
    const timeFilter = [
      since !== undefined ? `(tstart IS NULL OR coalesce(tend, tstart) >= ${Math.floor(since / 1000)})` : '',
      until !== undefined ? `(tstart IS NULL OR tstart < ${Math.ceil(until / 1000)})` : '',
    ].filter(Boolean).join(' AND ') || 'true';
    const build = (robust: boolean) => {
      const selects = groups.map(g => g.select(robust));
      const source = selects.join(' UNION ALL ');
      return `CREATE OR REPLACE TABLE pairs AS SELECT src, dst, coalesce(sport, 0) AS sport, coalesce(dport, 0) AS dport, proto, action, status, ` +
        'count(*)::BIGINT AS n, coalesce(sum(bytes), 0)::BIGINT AS b, min(tstart) AS t0, max(tend) AS t1, coalesce(bit_or(flags), 0) AS fl ' +
        `FROM (${source}) WHERE ${timeFilter} GROUP BY ALL`;
    };
    try {
      await db.run(build(false));
    } catch {
      // Doubled blanks between values (seen in AWS's own examples) break the fast reader: read
      // the lines as text and split on runs of blanks. A second failure is the file's fault.
      try {
        await db.run(build(true));
      } catch (e) {
        throw new TrafficError('FlowLogUnreadable', found.files.length === 1 ? found.files[0] : `${found.files.length} files`,
          'could not be read completely', (e as Error).message.split('\n')[0]);
      }
    }
    const [c] = await db.all(`SELECT sum(n) AS "read", sum(n) FILTER (status = 'OK') AS traffic, sum(n) FILTER (status IN ('NODATA', 'SKIPDATA')) AS skipped,
      sum(n) FILTER (status = 'OK' AND action = 'REJECT') AS rejected, min(t0) FILTER (status = 'OK') AS t0, max(t1) FILTER (status = 'OK') AS t1 FROM pairs`);
    const counts = { read: num(c.read), traffic: num(c.traffic), skipped: num(c.skipped), rejected: num(c.rejected) };
    const start = iso(c.t0); const end = iso(c.t1);
    await db.run(`
      CREATE OR REPLACE TEMP VIEW t AS SELECT * FROM pairs WHERE status = 'OK' AND src IS NOT NULL AND dst IS NOT NULL AND proto IS NOT NULL;
      CREATE OR REPLACE TABLE ends AS SELECT a, p, proto, count(DISTINCT hash(peer, pp)) AS fan, bool_or(sa) AS synack FROM (
        SELECT src AS a, sport AS p, proto, dst AS peer, dport AS pp, (fl & 18 = 18) AS sa FROM t
        UNION ALL SELECT dst, dport, proto, src, sport, false FROM t) GROUP BY ALL;
      CREATE OR REPLACE TABLE vary AS SELECT a, pp, proto, count(DISTINCT p) AS v FROM (
        SELECT src AS a, sport AS p, dport AS pp, proto FROM t
        UNION ALL SELECT dst, dport, sport, proto FROM t) GROUP BY ALL;
      CREATE OR REPLACE TABLE ports AS SELECT p, proto, count(*) AS pf FROM (
        SELECT DISTINCT src AS a, sport AS p, proto, dst AS peer, dport AS pp FROM t
        UNION SELECT dst, dport, proto, src, sport FROM t) GROUP BY ALL;
      CREATE OR REPLACE TABLE conn AS
        WITH d AS (SELECT *, (src < dst OR (src = dst AND sport <= dport)) AS fwd FROM t)
        SELECT CASE WHEN fwd THEN src ELSE dst END AS aa, CASE WHEN fwd THEN sport ELSE dport END AS ap,
               CASE WHEN fwd THEN dst ELSE src END AS ba, CASE WHEN fwd THEN dport ELSE sport END AS bp, proto, action,
               coalesce(bit_or(fl) FILTER (fwd), 0) AS fa, coalesce(bit_or(fl) FILTER (NOT fwd), 0) AS fb,
               min(t0) FILTER (fwd) AS ta, min(t0) FILTER (NOT fwd) AS tb,
               sum(n)::BIGINT AS n, sum(b)::BIGINT AS b, min(t0) AS t0, max(t1) AS t1
        FROM d GROUP BY ALL;
      CREATE OR REPLACE TABLE convs AS
        WITH o AS (
          SELECT c.*, CASE
            WHEN (fa & 18 = 18) <> (fb & 18 = 18) THEN CASE WHEN fa & 18 = 18 THEN 'a' ELSE 'b' END
            WHEN (fa & 18 = 2) <> (fb & 18 = 2) THEN CASE WHEN fa & 18 = 2 THEN 'b' ELSE 'a' END
            WHEN coalesce(ea.synack, false) <> coalesce(eb.synack, false) THEN CASE WHEN ea.synack THEN 'a' ELSE 'b' END
            WHEN coalesce(ea.fan, 0) <> coalesce(eb.fan, 0) THEN CASE WHEN coalesce(ea.fan, 0) > coalesce(eb.fan, 0) THEN 'a' ELSE 'b' END
            WHEN coalesce(va.v, 0) <> coalesce(vb.v, 0) THEN CASE WHEN coalesce(va.v, 0) > coalesce(vb.v, 0) THEN 'b' ELSE 'a' END
            WHEN coalesce(pa.pf, 0) <> coalesce(pb.pf, 0) THEN CASE WHEN coalesce(pa.pf, 0) > coalesce(pb.pf, 0) THEN 'a' ELSE 'b' END
            WHEN coalesce(ta, 9223372036854775807) <> coalesce(tb, 9223372036854775807) THEN CASE WHEN coalesce(ta, 9223372036854775807) < coalesce(tb, 9223372036854775807) THEN 'b' ELSE 'a' END
            WHEN ap <= bp THEN 'a' ELSE 'b' END AS srv
          FROM conn c
          LEFT JOIN ends ea ON ea.a = c.aa AND ea.p = c.ap AND ea.proto = c.proto
          LEFT JOIN ends eb ON eb.a = c.ba AND eb.p = c.bp AND eb.proto = c.proto
          LEFT JOIN vary va ON va.a = c.aa AND va.pp = c.bp AND va.proto = c.proto
          LEFT JOIN vary vb ON vb.a = c.ba AND vb.pp = c.ap AND vb.proto = c.proto
          LEFT JOIN ports pa ON pa.p = c.ap AND pa.proto = c.proto
          LEFT JOIN ports pb ON pb.p = c.bp AND pb.proto = c.proto)
        SELECT CASE WHEN srv = 'a' THEN ba ELSE aa END AS client, CASE WHEN srv = 'a' THEN aa ELSE ba END AS server, proto,
               CASE WHEN proto IN (6, 17, 132) THEN CASE WHEN srv = 'a' THEN ap ELSE bp END END AS port, action,
               sum(n)::BIGINT AS records, sum(b)::BIGINT AS bytes, min(t0) AS t0, max(t1) AS t1
        FROM o GROUP BY ALL;
      CREATE OR REPLACE TABLE ident (addr VARCHAR, fam VARCHAR, num UHUGEINT, workload VARCHAR, zone VARCHAR, identity VARCHAR, unknown BOOLEAN, internet BOOLEAN);
    `);
    const addresses = await db.all('SELECT DISTINCT x FROM (SELECT client AS x FROM convs UNION SELECT server FROM convs) ORDER BY x');
    const resolved = new Map<string, ResolvedAddress>();
    const rows: (string | bigint | boolean | null)[][] = [];
    for (const { x } of addresses) {
      const text = String(x);
      let r: ResolvedAddress;
      try {
        r = identities.resolve(text);
      } catch {
        throw new TrafficError('FlowLogUnreadable', text, 'is not an IP address', 'A srcaddr/dstaddr value could not be parsed: is --aws-fields right?');
      }
      resolved.set(text, r);
      rows.push([text, r.family, r.value, r.workload ?? null, r.zone ?? null, r.identity, r.unknown, r.internet]);
    }
    await db.append('ident', 'ssusssbb', rows);
    return { db, counts, window: start && end ? { start, end } : undefined, files: found.files.length, pruned: found.pruned, resolved };
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Unknown internal addresses with their record counts and the identities they talked to. */
export async function unknownAddresses(db: Db): Promise<{ address: string; records: number; peers: string[] }[]> {
  const rows = await db.all(`
    WITH sides AS (
      SELECT c.client AS addr, s.identity AS peer, c.records FROM convs c JOIN ident s ON s.addr = c.server
      UNION ALL SELECT c.server, k.identity, c.records FROM convs c JOIN ident k ON k.addr = c.client)
    SELECT sides.addr AS address, sum(records)::BIGINT AS records, list(DISTINCT peer ORDER BY peer) AS peers
    FROM sides JOIN ident i ON i.addr = sides.addr WHERE i.unknown GROUP BY sides.addr ORDER BY sides.addr`);
  return rows.map(r => ({ address: String(r.address), records: num(r.records), peers: (r.peers as string[]) ?? [] }));
}

export { iso, num };

/**
 * The logical plan of `discover` and `simulate`, written once and rendered by the dialect layer
 * (dialect.ts) to DuckDB (the embedded engine), Trino (Amazon Athena) and GoogleSQL (BigQuery).
 * The embedded engine runs the DuckDB rendering, so every engine answers the same query.
 *
 * Input: the normalised record relation of the format readers (`src, dst, sport, dport, proto,
 * packets, bytes, tstart, tend, action, status, flags`, plus `orient` when the format knows who
 * initiated: 1 = `src` is the client). The policy travels inside the query as inline tables: the
 * identity ranges (`idr`) and, for simulate, the declared flows' rules (`rules`).
 *
 *  1. One read of the records, each decided where it can be: `orient` when the format says; its
 *     own tcp-flags (a SYN-ACK comes from the server, a bare SYN goes to it); else the guessed
 *     server endpoints (`guess`: exactly one of its endpoints is one). A decided record is keyed by
 *     its conversation (server first, the client's port dropped), the others by their connection
 *     (`conn0`). The server endpoints the flags prove come out of the same aggregate (`ev`: SYN-ACK
 *     senders and bare-SYN receivers).
 *  2. The guess is checked against them (`cf`): a guessed server that the flags never prove, or a
 *     proved server endpoint, not guessed, that is the client end of a guessed record (exactly
 *     when its port is one of the guess's ports, else when it lies within the client ports
 *     seen). Any conflict, and the caller reads again with `guess` = `ev` (returned
 *     as `e` rows); without one the result equals that read's. Without a guess every undecided
 *     record stays per connection (the data-lake engines: one read, billed per byte scanned).
 *  3. `conn`: the connections with exactly one endpoint in `ev` join their conversation. For the
 *     rest (UDP, logs without tcp-flags, connections both of whose ends are servers) the shape of
 *     the traffic decides (a connection that stays a connection is one row already and is not
 *     grouped again), in this order: an endpoint known to answer SYNs (`ends.synack`), the
 *     endpoint with more distinct peer endpoints (`ends.fan`: a listening port sees many;
 *     `ends` keeps only the endpoints with more than one, or a SYN-ACK: a missing end has one;
 *     counted without a distinct, see `dup`);
 *     for the connections these two leave tied, and computed only for the endpoints and ports
 *     those use: the side that varies its own port against the other's fixed port is the client
 *     (`vary`: one client calling replicas), the port number seen on more connections across all
 *     addresses (`ports`), the side that spoke first is the client; the lower port only when
 *     nothing else can decide. Never the ephemeral range: gRPC listens on 50051.
 *  4. `convs`: conversations (client, server, protocol, server port, action).
 *  5. `ident`: every distinct address of `convs` resolved against `idr` in SQL (range join; the
 *     entries' order of precedence is computed from the policy, see identity.ts).
 *  6. Results (one relation, a `kind` per row): `n` record counts, `f` flows (discover: per
 *     identity pair, protocol, port and action; simulate: with the verdict and the flows that allow
 *     it), `u` unknown addresses with each peer identity, `w` workload addresses, `x` addresses
 *     that do not parse, `c` the guess's conflicts (and, when there are any, `e` the proved server
 *     endpoints). Only these aggregates leave the engine.
 */
import { Dialect, SqlType, SqlValue } from './dialect';

/** What the plan computes. */
export type PlanMode = 'discover' | 'simulate';

/** The identity table's columns. */
export const IDR_COLUMNS: [string, SqlType][] = [
  ['kind', 'text'], ['fam', 'text'], ['lo', 'text'], ['hi', 'text'], ['ord', 'int'], ['rng', 'bool'], ['workload', 'text'], ['zone', 'text'], ['label', 'text'],
];

/** The rules table's columns (simulate). */
export const RULE_COLUMNS: [string, SqlType][] = [
  ['rid', 'int'], ['s_wl', 'text'], ['s_fam', 'text'], ['s_lo', 'text'], ['s_hi', 'text'],
  ['d_wl', 'text'], ['d_fam', 'text'], ['d_lo', 'text'], ['d_hi', 'text'], ['proto', 'text'], ['pfrom', 'int'], ['pto', 'int'], ['flow', 'text'],
];

/** The columns of a server endpoint relation (the guess, the `e` rows): address, port, protocol number. */
export const ENDPOINT_COLUMNS: [string, SqlType][] = [['a', 'text'], ['p', 'int'], ['proto', 'int']];

/** Which records to read. */
export interface RecordInput {
  /** SQL of the normalised record relation. */
  readonly source: string;
  /** Whether the relation has the `orient` column. */
  readonly orient?: boolean;
  /** Records kept: start at or after (epoch seconds). */
  readonly since?: number;
  /** Records kept: start before (epoch seconds). */
  readonly until?: number;
  /** Only the first records (a sample). */
  readonly limit?: number;
}

/** Everything the plan needs besides the dialect. */
export interface PlanInput extends RecordInput {
  readonly mode: PlanMode;
  /** Identity rows (IDR_COLUMNS). */
  readonly identities: SqlValue[][];
  /** Rule rows (RULE_COLUMNS), simulate only. */
  readonly rules?: SqlValue[][];
  /**
   * SQL of a relation of guessed server endpoints (ENDPOINT_COLUMNS), usually `renderGuess` over
   * a sample of the same records: the records it decides are keyed by conversation, so the working
   * set is bounded by the conversations, not by the connections. A wrong guess never changes the
   * answer: the `c` row counts its conflicts and the caller reads again with the `e` rows.
   * Absent: every record that neither `orient` nor its flags decide is grouped per connection.
   */
  readonly guess?: string;
  /**
   * Whether `guess` is exactly the server endpoints the flags prove in these records (the `e` rows
   * of a read with a conflict): then it cannot conflict and is not checked.
   * @default false
   */
  readonly guessProved?: boolean;
  /**
   * The port numbers of `guess`: a guessed record whose client port is one of them keeps it, so
   * a server endpoint the guess missed on such a port (gRPC's 50051, inside the ephemeral range)
   * is checked exactly against the client ends; other missed ports are checked against the range
   * of client ports seen.
   * @default - none
   */
  readonly guessPorts?: number[];
}

/** The result columns (every kind uses a subset; see `PlanRow`). */
export const RESULT_COLUMNS = ['kind', 'k1', 'k2', 'k3', 'k4', 'k5', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6'] as const;

/** SQL of the protocol name of an IANA number column. */
export function protoName(d: Dialect, p: string): string {
  return `CASE ${p} WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp' ELSE ${d.intText(p)} END`;
}

const BIG = '9223372036854775807';
const ok = (t = '') => `${t}status = 'OK' AND ${t}src IS NOT NULL AND ${t}dst IS NOT NULL AND ${t}proto IS NOT NULL`;
const nul = (d: Dialect, t: SqlType) => `CAST(NULL AS ${d.type(t)})`;

/**
 * The records in the window, as a subquery read once per reference: never a CTE, which an engine
 * may keep in memory whole.
 */
function records(p: RecordInput): string {
  const time = [
    p.since !== undefined ? `(tstart IS NULL OR coalesce(tend, tstart) >= ${Math.floor(p.since)})` : '',
    p.until !== undefined ? `(tstart IS NULL OR tstart < ${Math.ceil(p.until)})` : '',
  ].filter(Boolean).join(' AND ') || '1 = 1';
  return `(SELECT src, dst, coalesce(sport, 0) AS sport, coalesce(dport, 0) AS dport, proto, action, status, bytes, tstart, tend, flags${p.orient ? ', orient' : ''}
  FROM (${p.source}) r0 WHERE ${time}${p.limit ? ` LIMIT ${Math.floor(p.limit)}` : ''})`;
}

/**
 * A query of the server endpoints the records' flags prove (ENDPOINT_COLUMNS): the SYN-ACK
 * senders and the bare-SYN receivers. Over a sample of the records it is the plan's `guess`; over
 * all of them it is the plan's `ev`.
 */
export function renderGuess(d: Dialect, p: RecordInput): string {
  const x = d.bitAnd('coalesce(flags, 0)', '18');
  return `SELECT DISTINCT CASE WHEN ${x} = 18 THEN src ELSE dst END AS a, CASE WHEN ${x} = 18 THEN sport ELSE dport END AS p, proto
  FROM ${records(p)} rec WHERE ${ok()} AND ${x} IN (2, 18)${p.orient ? ` AND NOT (coalesce(orient, 0) = 1 AND ${x} = 18)` : ''}`;
}

/** Steps 1-3: the one read, the check of the guess, the connections joined to their conversations. */
function readCtes(d: Dialect, p: PlanInput): string[] {
  const and = (a: string, b: string) => d.bitAnd(a, b);
  const x = and('coalesce(rec.flags, 0)', '18');
  const ctes: string[] = [];
  if (p.guess) ctes.push(d.cte('g', `  SELECT a, p, proto FROM (${p.guess}) g0`));
  // membership of an endpoint in the guess: a struct key probed by a semi join (cheaper than
  // joining the guess twice); the data-lake engines never take a guess
  if (p.guess && d.name !== 'duckdb') throw new Error(`renderPlan: a guess is only read by DuckDB, not ${d.name}`);
  const inGuess = (a: string, port: string) => (p.guess ? `({'a': rec.${a}, 'p': rec.${port}, 'r': rec.proto} IN (SELECT {'a': a, 'p': p, 'r': proto} FROM g))` : 'FALSE');
  const s1 = inGuess('src', 'sport');
  const s2 = inGuess('dst', 'dport');
  // how a record is decided, one bit each: 1 orient, 64 orient with a bare SYN, 2 its SYN-ACK
  // (src serves), 4 its bare SYN (dst serves), 8/16 the guess (src/dst serves); 0 undecided
  const how = `CASE WHEN NOT coalesce(${ok('rec.')}, FALSE) THEN 0
      ${p.orient ? `WHEN rec.orient = 1 THEN CASE WHEN ${x} = 2 THEN 64 ELSE 1 END\n      ` : ''}WHEN ${x} = 18 THEN 2
      WHEN ${x} = 2 THEN 4
      WHEN rec.g1 AND NOT rec.g2 THEN 8
      WHEN rec.g2 AND NOT rec.g1 THEN 16 ELSE 0 END`;
  const fwd = '(src < dst OR (src = dst AND sport <= dport))';
  ctes.push(d.cte('rs', `  SELECT r.*, CASE WHEN how = 0 THEN coalesce(${fwd}, FALSE) ELSE how IN (2, 8) END AS fw FROM (
    SELECT rec.*, ${how} AS how FROM (SELECT rec.*, ${s1} AS g1, ${s2} AS g2 FROM ${records(p)} rec) rec) r`));
  // decided records: aa/ap the server, ba the client, bp NULL; the others: both ends with their
  // ports. `cp`: a guessed record's client port when it is a port of the guess; `hows`: the bits
  // of its records; ta/tb: the first start from each end; cmin/cmax: the client ports (b's)
  const ports = (p.guessPorts ?? []).map(n => Math.floor(n)).filter(n => Number.isFinite(n));
  const kept = ports.length ? `CASE WHEN how IN (8, 16) AND op IN (${ports.join(', ')}) THEN op END` : nul(d, 'int');
  ctes.push(d.cte('conn0', `  SELECT aa, ap, ba, CASE WHEN how = 0 THEN op END AS bp, ${kept} AS cp, proto, action, status,
    ${d.bitOrAgg('how')} AS hows, min(CASE WHEN fw THEN tstart END) AS ta, min(CASE WHEN NOT fw THEN tstart END) AS tb,
    count(*) AS n, coalesce(sum(bytes), 0) AS b, max(tend) AS t1, min(op) AS cmin, max(op) AS cmax
  FROM (SELECT CASE WHEN fw THEN src ELSE dst END AS aa, CASE WHEN fw THEN sport ELSE dport END AS ap,
    CASE WHEN fw THEN dst ELSE src END AS ba, CASE WHEN fw THEN dport ELSE sport END AS op, how, fw, proto, action, status, tstart, tend, bytes FROM rs) r1
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`, true));
  ctes.push(d.cte('ev', `  SELECT DISTINCT aa AS a, ap AS p, proto FROM conn0 WHERE ${and('hows', '70')} <> 0`, true));
  // conflicts of the guess: a guessed server the flags never prove; a proved server endpoint, not
  // guessed, that is (a port of the guess: exactly) or may be (another port: within the range of
  // client ports seen) the client end of a guessed record
  if (p.guess) {
    ctes.push(d.cte('cf', p.guessProved ? '  SELECT 0 AS c' : `  SELECT count(*) AS c FROM (
    SELECT 1 AS one FROM conn0 c LEFT JOIN ev e ON e.a = c.aa AND e.p = c.ap AND e.proto = c.proto WHERE ${and('c.hows', '24')} <> 0 AND e.a IS NULL
    UNION ALL SELECT 1 FROM conn0 c JOIN ev e ON e.a = c.ba AND e.proto = c.proto LEFT JOIN g ON g.a = e.a AND g.p = e.p AND g.proto = e.proto
    WHERE ${and('c.hows', '24')} <> 0 AND g.a IS NULL
      AND (${ports.length ? `e.p IN (${ports.join(', ')})` : 'FALSE'} AND c.cp = e.p OR ${ports.length ? `e.p NOT IN (${ports.join(', ')})` : 'TRUE'} AND e.p >= c.cmin AND e.p <= c.cmax)) c0`));
  }
  // a connection with exactly one proved server end joins its conversation (s: which end serves);
  // the connections that stay connections are each one row already and skip the regrouping.
  // cj, sides and o1 are not kept: each reference scans a kept relation (conn0, conn) and probes
  // small ones (ev, ends), cheaper than writing a row per connection (v2 logs: 26% less CPU)
  ctes.push(d.cte('cj', `  SELECT c.*, CASE WHEN c.bp IS NULL THEN NULL WHEN ea.a IS NOT NULL AND eb.a IS NULL THEN 'a' WHEN eb.a IS NOT NULL AND ea.a IS NULL THEN 'b' END AS s
  FROM conn0 c LEFT JOIN ev ea ON ea.a = c.aa AND ea.p = c.ap AND ea.proto = c.proto
  LEFT JOIN ev eb ON eb.a = c.ba AND eb.p = c.bp AND eb.proto = c.proto`, false));
  const sw = (b: string, a: string) => `CASE WHEN s = 'b' THEN ${b} ELSE ${a} END`;
  const first = (ta: string, tb: string) => `CASE WHEN ${ta} IS NULL THEN ${tb} WHEN ${tb} IS NULL OR ${ta} <= ${tb} THEN ${ta} ELSE ${tb} END`;
  const synack = `${and('hows', '2')} <> 0`;
  ctes.push(d.cte('conn', `  SELECT ${sw('ba', 'aa')} AS aa, ${sw('bp', 'ap')} AS ap, ${sw('aa', 'ba')} AS ba, ${nul(d, 'int')} AS bp, proto, action, status,
    ${d.boolOrAgg(synack)} AS sk, min(${sw('tb', 'ta')}) AS ta, min(${sw('ta', 'tb')}) AS tb, sum(n) AS n, sum(b) AS b, min(${first('ta', 'tb')}) AS t0, max(t1) AS t1
  FROM cj WHERE bp IS NULL OR s IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7
  UNION ALL SELECT aa, ap, ba, bp, proto, action, status, ${synack}, ta, tb, n, b, ${first('ta', 'tb')}, t1 FROM cj WHERE bp IS NOT NULL AND s IS NULL`, true));
  return ctes;
}

/** Step 3's shape rule for the connections still undecided, and step 4: the conversations. */
function shapeCtes(d: Dialect): string[] {
  const ctes: string[] = [];
  ctes.push(d.cte('t', `  SELECT * FROM conn WHERE status = 'OK' AND aa IS NOT NULL AND ba IS NOT NULL AND proto IS NOT NULL`, false));
  // equal ports, NULL equal to NULL, as an equi-join every engine hashes (`ap` is never NULL)
  const same = (x: string, y: string) => `(${x} IS NULL) = (${y} IS NULL) AND coalesce(${x}, 0) = coalesce(${y}, 0)`;
  // both ends of every row; a row whose ends are one endpoint (a self-pair) gives one side
  ctes.push(d.cte('sides', `  SELECT aa AS a, ap AS p, proto, ba AS peer, bp AS pp, sk AS sa FROM t
  UNION ALL SELECT ba, bp, proto, aa, ap, FALSE FROM t WHERE NOT (aa = ba AND coalesce(ap = bp, FALSE))`, false));
  // an endpoint's fan is the number of its distinct peer endpoints. The rows of t are unique per
  // connection (or conversation) and action, so the only repeated sides come from rows that differ
  // by their action alone: `dup` counts those from the few rows that are not ACCEPT, and the fan is
  // the endpoint's sides less its repeats (one plain aggregate over the sides, no distinct: on logs
  // without tcp-flags the sides are two rows per connection; 27% less CPU than a distinct)
  ctes.push(d.cte('dup', `  SELECT t.aa, t.ap, t.ba, t.bp, t.proto, count(*) - 1 AS m FROM t
  JOIN (SELECT DISTINCT aa, ap, ba, bp, proto FROM t WHERE coalesce(action <> 'ACCEPT', TRUE)) x
    ON x.aa = t.aa AND x.ap = t.ap AND x.ba = t.ba AND ${same('x.bp', 't.bp')} AND x.proto = t.proto
  GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1`));
  ctes.push(d.cte('dupe', `  SELECT a, p, proto, sum(m) AS m FROM (
    SELECT aa AS a, ap AS p, proto, m FROM dup
    UNION ALL SELECT ba, bp, proto, m FROM dup WHERE NOT (aa = ba AND coalesce(ap = bp, FALSE))) d0
  GROUP BY 1, 2, 3`));
  // only the endpoints with more than one peer endpoint or a SYN-ACK: every end of a connection
  // has at least one, so a missing end has one (the joins below probe a small table, not one
  // row per client port)
  ctes.push(d.cte('ends', `  SELECT e.a, e.p, e.proto, e.n - coalesce(x.m, 0) AS fan, e.synack FROM (
    SELECT a, p, proto, count(*) AS n, ${d.boolOrAgg('sa')} AS synack FROM sides GROUP BY 1, 2, 3 HAVING count(*) > 1 OR ${d.boolOrAgg('sa')}) e
  LEFT JOIN dupe x ON x.a = e.a AND ${same('x.p', 'e.p')} AND x.proto = e.proto
  WHERE e.n - coalesce(x.m, 0) > 1 OR e.synack`));
  const c0 = (v: string) => `coalesce(${v}, 0)`;
  const c1 = (v: string) => `coalesce(${v}, 1)`;
  // most connections are decided by the first two features; the others (ties) alone need `vary`
  // and `ports`, computed only for the endpoints and ports the ties use
  ctes.push(d.cte('o1', `  SELECT c.*, CASE
      WHEN c.bp IS NULL THEN 'a'
      WHEN coalesce(ea.synack, FALSE) <> coalesce(eb.synack, FALSE) THEN CASE WHEN ea.synack THEN 'a' ELSE 'b' END
      WHEN ${c1('ea.fan')} <> ${c1('eb.fan')} THEN CASE WHEN ${c1('ea.fan')} > ${c1('eb.fan')} THEN 'a' ELSE 'b' END END AS srv1
  FROM t c
  LEFT JOIN ends ea ON ea.a = c.aa AND ea.p = c.ap AND ea.proto = c.proto
  LEFT JOIN ends eb ON eb.a = c.ba AND eb.p = c.bp AND eb.proto = c.proto`, false));
  ctes.push(d.cte('tie', `  SELECT * FROM o1 WHERE srv1 IS NULL`, true));
  ctes.push(d.cte('tvk', `  SELECT aa AS a, bp AS pp, proto FROM tie ${d.union} SELECT ba, ap, proto FROM tie`));
  ctes.push(d.cte('tpk', `  SELECT ap AS p, proto FROM tie ${d.union} SELECT bp, proto FROM tie`));
  ctes.push(d.cte('vary', `  SELECT a, pp, proto, count(p) AS v FROM (
    SELECT DISTINCT x.a, x.pp, x.proto, x.p FROM sides x JOIN tvk u ON u.a = x.a AND u.pp = x.pp AND u.proto = x.proto) v0
  GROUP BY 1, 2, 3`));
  ctes.push(d.cte('ports', `  SELECT y.p, y.proto, count(*) AS pf FROM (
    SELECT DISTINCT x.a, x.p, x.proto, x.peer, x.pp FROM sides x JOIN tpk u ON u.p = x.p AND u.proto = x.proto) y
  GROUP BY 1, 2`));
  const cols = 'aa, ap, ba, bp, proto, action, n, b, t0, t1';
  ctes.push(d.cte('o', `  SELECT ${cols}, srv1 AS srv FROM o1 WHERE srv1 IS NOT NULL
  UNION ALL SELECT ${cols.split(', ').map(x => `c.${x}`).join(', ')}, CASE
      WHEN ${c0('va.v')} <> ${c0('vb.v')} THEN CASE WHEN ${c0('va.v')} > ${c0('vb.v')} THEN 'b' ELSE 'a' END
      WHEN ${c0('pa.pf')} <> ${c0('pb.pf')} THEN CASE WHEN ${c0('pa.pf')} > ${c0('pb.pf')} THEN 'a' ELSE 'b' END
      WHEN coalesce(c.ta, ${BIG}) <> coalesce(c.tb, ${BIG}) THEN CASE WHEN coalesce(c.ta, ${BIG}) < coalesce(c.tb, ${BIG}) THEN 'b' ELSE 'a' END
      WHEN c.ap <= c.bp THEN 'a' ELSE 'b' END
  FROM tie c
  LEFT JOIN vary va ON va.a = c.aa AND va.pp = c.bp AND va.proto = c.proto
  LEFT JOIN vary vb ON vb.a = c.ba AND vb.pp = c.ap AND vb.proto = c.proto
  LEFT JOIN ports pa ON pa.p = c.ap AND pa.proto = c.proto
  LEFT JOIN ports pb ON pb.p = c.bp AND pb.proto = c.proto`));
  ctes.push(d.cte('convs', `  SELECT CASE WHEN srv = 'a' THEN ba ELSE aa END AS client, CASE WHEN srv = 'a' THEN aa ELSE ba END AS server, proto,
    CASE WHEN proto IN (6, 17, 132) THEN CASE WHEN srv = 'a' THEN ap ELSE bp END END AS port, action,
    sum(n) AS records, sum(b) AS bytes, min(t0) AS t0, max(t1) AS t1
  FROM o GROUP BY 1, 2, 3, 4, 5`, true));
  return ctes;
}

/** Step 5: every address of the conversations with its identity. */
function identityCtes(d: Dialect, p: PlanInput): string[] {
  const ctes: string[] = [];
  ctes.push(d.cte('idr', `  SELECT * FROM ${d.values(IDR_COLUMNS, p.identities)} i0`));
  ctes.push(d.cte('ak', `  SELECT addr, CASE WHEN ${d.isIpv6('addr')} THEN 'ipv6' ELSE 'ipv4' END AS fam, ${d.ipKey('addr')} AS k
  FROM (SELECT client AS addr FROM convs ${d.union} SELECT server FROM convs) a0`));
  const inRange = (i: string) => `${i}.fam = ak.fam AND ak.k >= ${i}.lo AND ak.k <= ${i}.hi`;
  ctes.push(d.cte('hit', `  SELECT ak.addr, min(i.ord) AS ord FROM ak JOIN idr i ON i.kind = 'e' AND ${inRange('i')} GROUP BY 1`));
  ctes.push(d.cte('zhit', `  SELECT ak.addr, min(i.ord) AS ord FROM ak JOIN idr i ON i.kind = 'e' AND i.rng AND i.zone IS NOT NULL AND ${inRange('i')} GROUP BY 1`));
  ctes.push(d.cte('priv', `  SELECT DISTINCT ak.addr FROM ak JOIN idr i ON i.kind = 'p' AND ${inRange('i')}`));
  ctes.push(d.cte('peer', `  SELECT ak.addr, min(i.ord) AS ord FROM ak JOIN idr i ON i.kind = 'q' AND ${inRange('i')} GROUP BY 1`));
  const zone = 'coalesce(he.zone, ze.zone)';
  ctes.push(d.cte('ident', `  SELECT ak.addr, ak.fam, ak.k, he.workload, ${zone} AS zone,
    CASE WHEN he.workload IS NOT NULL THEN ${d.concat("'workload:'", 'he.workload')}
         WHEN ${zone} IS NOT NULL OR h.ord IS NOT NULL OR pv.addr IS NOT NULL THEN ${d.concat('ak.fam', "':'", 'ak.addr')}
         ELSE ${d.concat('ak.fam', "':'", `coalesce(pe.label, CASE WHEN ak.fam = 'ipv4' THEN '0.0.0.0/0' ELSE '::/0' END)`)} END AS identity,
    (he.workload IS NULL AND (${zone} IS NOT NULL OR h.ord IS NOT NULL OR pv.addr IS NOT NULL)) AS unknown
  FROM ak
  LEFT JOIN hit h ON h.addr = ak.addr LEFT JOIN idr he ON he.kind = 'e' AND he.ord = h.ord
  LEFT JOIN zhit z ON z.addr = ak.addr LEFT JOIN idr ze ON ze.kind = 'e' AND ze.ord = z.ord
  LEFT JOIN priv pv ON pv.addr = ak.addr
  LEFT JOIN peer q ON q.addr = ak.addr LEFT JOIN idr pe ON pe.kind = 'q' AND pe.ord = q.ord`));

  return ctes;
}

/** Step 6: the result rows (simulate adds its `judged` step to `ctes`). */
function resultParts(d: Dialect, p: PlanInput, ctes: string[]): string[] {
  const T = (t: SqlType) => d.type(t);
  const row = (kind: string, k: string[], n: string[]) => {
    const ks = [0, 1, 2, 3, 4].map(i => (k[i] !== undefined ? `CAST(${k[i]} AS ${T('text')})` : nul(d, 'text')));
    const ns = [0, 1, 2, 3, 4, 5].map(i => (n[i] !== undefined ? `CAST(${n[i]} AS ${T('int')})` : nul(d, 'int')));
    return `SELECT '${kind}' AS kind, ${ks.map((x, i) => `${x} AS k${i + 1}`).join(', ')}, ${ns.map((x, i) => `${x} AS n${i + 1}`).join(', ')}`;
  };
  const parts: string[] = [];
  parts.push(`${row('n', [], ['sum(n)', "sum(CASE WHEN status = 'OK' THEN n END)", "sum(CASE WHEN status IN ('NODATA', 'SKIPDATA') THEN n END)",
    "sum(CASE WHEN status = 'OK' AND action = 'REJECT' THEN n END)", "min(CASE WHEN status = 'OK' THEN t0 END)", "max(CASE WHEN status = 'OK' THEN t1 END)"])} FROM conn`);
  if (p.mode === 'simulate') {
    ctes.push(d.cte('rules', `  SELECT * FROM ${d.values(RULE_COLUMNS, p.rules ?? [])} r0`));
    const side = (r: string, i: string) => `((r.${r}_wl IS NOT NULL AND ${i}.workload = r.${r}_wl) OR (r.${r}_wl IS NULL AND ${i}.workload IS NULL AND ${i}.fam = r.${r}_fam AND ${i}.k >= r.${r}_lo AND ${i}.k <= r.${r}_hi))`;
    ctes.push(d.cte('judged', `  SELECT cv.client, cv.server, cv.pname, cv.port, cv.action, cv.records, cv.bytes, cv.t0, cv.t1,
    ${d.joinDistinct("CASE WHEN r.flow <> '' THEN r.flow END")} AS flows, count(r.rid) > 0 AS allowed
  FROM (SELECT convs.*, ${protoName(d, 'proto')} AS pname FROM convs) cv
  JOIN ident k ON k.addr = cv.client JOIN ident s ON s.addr = cv.server
  LEFT JOIN rules r ON cv.action <> 'REJECT' AND ${side('s', 'k')} AND ${side('d', 's')}
    AND (r.proto = 'all' OR (r.proto = cv.pname AND ((cv.pname = 'icmp' AND r.pfrom = -1) OR (cv.pname <> 'icmp' AND cv.port >= r.pfrom AND cv.port <= r.pto))))
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9`));
    parts.push(`${row('f', ['k.identity', 's.identity', 'j.pname',
      "CASE WHEN j.action = 'REJECT' THEN 'rejected' WHEN j.allowed THEN 'allowed' ELSE 'wouldBlock' END", 'j.flows'],
    ['j.port', 'sum(j.records)', 'sum(j.bytes)', 'min(j.t0)', 'max(j.t1)'])}
  FROM judged j JOIN ident k ON k.addr = j.client JOIN ident s ON s.addr = j.server GROUP BY 2, 3, 4, 5, 6, 7`);
  } else {
    parts.push(`${row('f', ['k.identity', 's.identity', protoName(d, 'c.proto'), 'c.action'], ['c.port', 'sum(c.records)', 'sum(c.bytes)', 'min(c.t0)', 'max(c.t1)'])}
  FROM convs c JOIN ident k ON k.addr = c.client JOIN ident s ON s.addr = c.server GROUP BY 2, 3, 4, 5, 7`);
    parts.push(`${row('w', ['addr', 'workload', 'zone'], [])} FROM ident WHERE workload IS NOT NULL`);
  }
  parts.push(`${row('u', ['x.addr', 'x.peer'], [undefined as unknown as string, 'sum(x.records)'])} FROM (
    SELECT c.client AS addr, s.identity AS peer, c.records FROM convs c JOIN ident s ON s.addr = c.server
    UNION ALL SELECT c.server, k.identity, c.records FROM convs c JOIN ident k ON k.addr = c.client) x
  JOIN ident i ON i.addr = x.addr WHERE i.unknown GROUP BY 2, 3`);
  parts.push(`${row('x', ['addr'], [])} FROM ak WHERE k IS NULL`);
  if (p.guess) {
    parts.push(`${row('c', [], ['c'])} FROM cf`);
    parts.push(`${row('e', ['ev.a'], ['ev.p', 'ev.proto'])} FROM ev, cf WHERE cf.c > 0`);
  }
  return parts;
}


/** Renders the plan in one dialect: a single read-only query. */
export function renderPlan(d: Dialect, p: PlanInput): string {
  const ctes: string[] = [...readCtes(d, p), ...shapeCtes(d), ...identityCtes(d, p)];
  const parts = resultParts(d, p, ctes);
  return `WITH\n${ctes.join(',\n')}\n${parts.join('\nUNION ALL\n')}`;
}

/** One result row, as plain values. */
export interface PlanRow {
  readonly kind: string;
  readonly k1: string | null; readonly k2: string | null; readonly k3: string | null; readonly k4: string | null; readonly k5: string | null;
  readonly n1: number | null; readonly n2: number | null; readonly n3: number | null; readonly n4: number | null; readonly n5: number | null; readonly n6: number | null;
}

/** Normalises a result row of any engine (numbers may come back as text or bigint). */
export function planRow(r: Record<string, unknown>): PlanRow {
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const n = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v));
  return {
    kind: String(r.kind), k1: s(r.k1), k2: s(r.k2), k3: s(r.k3), k4: s(r.k4), k5: s(r.k5),
    n1: n(r.n1), n2: n(r.n2), n3: n(r.n3), n4: n(r.n4), n5: n(r.n5), n6: n(r.n6),
  };
}

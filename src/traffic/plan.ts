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
 *  1. `conn`: one aggregation of the records per connection (the unordered 5-tuple, action and
 *     log-status): records, bytes, first/last seen, the tcp-flags OR-ed per direction, the first
 *     start per direction (and the `orient` votes). NODATA/SKIPDATA/REJECT counts come from it.
 *  2. Orientation (client, server): `orient` when the format says; else SYN-ACK marks the
 *     server and a bare SYN the client; else, for the connections that no flag decides (`und`),
 *     the shape of the traffic, from features computed only for the endpoints and ports those
 *     connections use: an endpoint known to answer SYNs (`ends.synack`), the endpoint with more
 *     distinct peer endpoints (`ends.fan`: a listening port sees many), the side that varies its
 *     own port against the other's fixed port is the client (`vary`: one client calling
 *     replicas), the port number seen on more connections across all addresses (`ports`), the
 *     side that spoke first is the client; the lower port only when nothing else can decide. Never
 *     the ephemeral range: gRPC listens on 50051.
 *  3. `convs`: conversations (client, server, protocol, server port, action).
 *  4. `ident`: every distinct address of `convs` resolved against `idr` in SQL (range join; the
 *     entries' order of precedence is computed from the policy, see identity.ts).
 *  5. Results (one relation, a `kind` per row): `n` record counts, `f` flows (discover: per
 *     identity pair, protocol, port and action; simulate: with the verdict and the flows that allow
 *     it), `u` unknown addresses with each peer identity, `w` workload addresses, `x` addresses
 *     that do not parse. Only these aggregates leave the engine.
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

/** Everything the plan needs besides the dialect. */
export interface PlanInput {
  readonly mode: PlanMode;
  /** SQL of the normalised record relation. */
  readonly source: string;
  /** Whether the relation has the `orient` column. */
  readonly orient?: boolean;
  /** Records kept: start at or after (epoch seconds). */
  readonly since?: number;
  /** Records kept: start before (epoch seconds). */
  readonly until?: number;
  /** Identity rows (IDR_COLUMNS). */
  readonly identities: SqlValue[][];
  /** Rule rows (RULE_COLUMNS), simulate only. */
  readonly rules?: SqlValue[][];
  /**
   * Whether to read the records twice: first for the server endpoints (SYN-ACK senders, bare SYN
   * receivers), then to key every record it decides by its conversation, so the working set is
   * bounded by conversations and the undecided connections, not by the records. Off, the records
   * are read once and grouped per connection (for engines billed per byte scanned).
   * @default true
   */
  readonly prepass?: boolean;
}

/** The result columns (every kind uses a subset; see `PlanRow`). */
export const RESULT_COLUMNS = ['kind', 'k1', 'k2', 'k3', 'k4', 'k5', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6'] as const;

/** SQL of the protocol name of an IANA number column. */
export function protoName(d: Dialect, p: string): string {
  return `CASE ${p} WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp' ELSE ${d.intText(p)} END`;
}

/** Renders the plan in one dialect: a single read-only query. */
export function renderPlan(d: Dialect, p: PlanInput): string {
  const T = (t: SqlType) => d.type(t);
  const and = (a: string, b: string) => d.bitAnd(a, b);
  const nul = (t: SqlType) => `CAST(NULL AS ${T(t)})`;
  const big = '9223372036854775807';
  const time = [
    p.since !== undefined ? `(tstart IS NULL OR coalesce(tend, tstart) >= ${Math.floor(p.since)})` : '',
    p.until !== undefined ? `(tstart IS NULL OR tstart < ${Math.ceil(p.until)})` : '',
  ].filter(Boolean).join(' AND ') || '1 = 1';
  const ctes: string[] = [];
  const ok = (t = '') => `${t}status = 'OK' AND ${t}src IS NOT NULL AND ${t}dst IS NOT NULL AND ${t}proto IS NOT NULL`;
  const prepass = p.prepass !== false;
  // the records, read once per reference (with the pre-pass, twice): never a CTE, which an engine
  // may keep in memory whole
  const rec = `(SELECT src, dst, coalesce(sport, 0) AS sport, coalesce(dport, 0) AS dport, proto, action, status, bytes, tstart, tend, flags${p.orient ? ', orient' : ''}
  FROM (${p.source}) r0 WHERE ${time})`;
  // the server endpoints: (address, port) that answered a SYN or received a bare SYN anywhere
  ctes.push(d.cte('srv', prepass
    ? `  SELECT DISTINCT a, p, proto FROM (
    SELECT CASE WHEN ${and('flags', '18')} = 18 THEN src ELSE dst END AS a, CASE WHEN ${and('flags', '18')} = 18 THEN sport ELSE dport END AS p, proto
    FROM ${rec} rec WHERE ${ok()} AND ${and('coalesce(flags, 0)', '18')} IN (2, 18)) s0`
    : `  SELECT ${nul('text')} AS a, ${nul('int')} AS p, ${nul('int')} AS proto FROM (SELECT 1 AS one) s0 WHERE 1 = 0`));
  // a record is decided when the format says who initiated, or exactly one of its endpoints is a
  // server endpoint; decided records are keyed by their conversation (server first, client port
  // dropped), the others by their connection
  const side = `CASE WHEN NOT coalesce(${ok('rec.')}, FALSE) THEN NULL
      ${p.orient ? "WHEN rec.orient = 1 THEN 'd'\n      " : ''}WHEN s1.a IS NOT NULL AND s2.a IS NULL THEN 's'
      WHEN s2.a IS NOT NULL AND s1.a IS NULL THEN 'd' END`;
  const fwd = '(src < dst OR (src = dst AND sport <= dport))';
  ctes.push(d.cte('rs', `  SELECT r.*, CASE WHEN side IS NULL THEN coalesce(${fwd}, FALSE) ELSE side = 's' END AS fw FROM (
    SELECT rec.*, ${side} AS side
    FROM ${rec} rec LEFT JOIN srv s1 ON s1.a = rec.src AND s1.p = rec.sport AND s1.proto = rec.proto
    LEFT JOIN srv s2 ON s2.a = rec.dst AND s2.p = rec.dport AND s2.proto = rec.proto) r`));
  const orientCols = p.orient
    ? `,\n    ${d.boolOrAgg('(orient = 1 AND fw)')} AS ca, ${d.boolOrAgg('(orient = 1 AND NOT fw)')} AS cb`
    : `,\n    FALSE AS ca, FALSE AS cb`;
  ctes.push(d.cte('conn', `  SELECT CASE WHEN fw THEN src ELSE dst END AS aa, CASE WHEN fw THEN sport ELSE dport END AS ap,
    CASE WHEN fw THEN dst ELSE src END AS ba, CASE WHEN side IS NOT NULL THEN NULL WHEN fw THEN dport ELSE sport END AS bp, proto, action, status,
    CASE WHEN side IS NOT NULL THEN 'a' END AS dside,
    coalesce(${d.bitOrAgg('CASE WHEN fw THEN flags END')}, 0) AS fa, coalesce(${d.bitOrAgg('CASE WHEN NOT fw THEN flags END')}, 0) AS fb,
    min(CASE WHEN fw THEN tstart END) AS ta, min(CASE WHEN NOT fw THEN tstart END) AS tb,
    count(*) AS n, coalesce(sum(bytes), 0) AS b, min(tstart) AS t0, max(tend) AS t1${orientCols}
  FROM rs
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`, true));
  ctes.push(d.cte('t', `  SELECT * FROM conn WHERE status = 'OK' AND aa IS NOT NULL AND ba IS NOT NULL AND proto IS NOT NULL`));
  // decided by orient or by the flags alone: 'a' or 'b' is the server
  const decided = `CASE
      WHEN dside IS NOT NULL THEN dside
      WHEN coalesce(ca, FALSE) <> coalesce(cb, FALSE) THEN CASE WHEN ca THEN 'b' ELSE 'a' END
      WHEN (${and('fa', '18')} = 18) <> (${and('fb', '18')} = 18) THEN CASE WHEN ${and('fa', '18')} = 18 THEN 'a' ELSE 'b' END
      WHEN (${and('fa', '18')} = 2) <> (${and('fb', '18')} = 2) THEN CASE WHEN ${and('fa', '18')} = 2 THEN 'b' ELSE 'a' END
    END`;
  ctes.push(d.cte('tf', `  SELECT t.*, ${decided} AS decided FROM t`));
  ctes.push(d.cte('und', `  SELECT aa, ap, ba, bp, proto FROM tf WHERE decided IS NULL`));
  ctes.push(d.cte('uend', `  SELECT aa AS a, ap AS p, proto FROM und ${d.union} SELECT ba, bp, proto FROM und`));
  ctes.push(d.cte('uvary', `  SELECT aa AS a, bp AS pp, proto FROM und ${d.union} SELECT ba, ap, proto FROM und`));
  ctes.push(d.cte('uport', `  SELECT ap AS p, proto FROM und ${d.union} SELECT bp, proto FROM und`));
  ctes.push(d.cte('sides', `  SELECT aa AS a, ap AS p, proto, ba AS peer, bp AS pp, (${and('fa', '18')} = 18) AS sa FROM t
  UNION ALL SELECT ba, bp, proto, aa, ap, (${and('fb', '18')} = 18) FROM t`));
  ctes.push(d.cte('ends', `  SELECT x.a, x.p, x.proto, count(DISTINCT ${d.pairKey('x.peer', 'x.pp')}) AS fan, ${d.boolOrAgg('x.sa')} AS synack
  FROM sides x JOIN uend u ON u.a = x.a AND u.p = x.p AND u.proto = x.proto GROUP BY 1, 2, 3`));
  ctes.push(d.cte('vary', `  SELECT x.a, x.pp, x.proto, count(DISTINCT x.p) AS v
  FROM sides x JOIN uvary u ON u.a = x.a AND u.pp = x.pp AND u.proto = x.proto GROUP BY 1, 2, 3`));
  ctes.push(d.cte('ports', `  SELECT y.p, y.proto, count(*) AS pf FROM (
    SELECT DISTINCT x.a, x.p, x.proto, x.peer, x.pp FROM sides x JOIN uport u ON u.p = x.p AND u.proto = x.proto) y
  GROUP BY 1, 2`));
  const c0 = (x: string) => `coalesce(${x}, 0)`;
  ctes.push(d.cte('o', `  SELECT c.*, CASE
      WHEN c.decided IS NOT NULL THEN c.decided
      WHEN coalesce(ea.synack, FALSE) <> coalesce(eb.synack, FALSE) THEN CASE WHEN ea.synack THEN 'a' ELSE 'b' END
      WHEN ${c0('ea.fan')} <> ${c0('eb.fan')} THEN CASE WHEN ${c0('ea.fan')} > ${c0('eb.fan')} THEN 'a' ELSE 'b' END
      WHEN ${c0('va.v')} <> ${c0('vb.v')} THEN CASE WHEN ${c0('va.v')} > ${c0('vb.v')} THEN 'b' ELSE 'a' END
      WHEN ${c0('pa.pf')} <> ${c0('pb.pf')} THEN CASE WHEN ${c0('pa.pf')} > ${c0('pb.pf')} THEN 'a' ELSE 'b' END
      WHEN coalesce(c.ta, ${big}) <> coalesce(c.tb, ${big}) THEN CASE WHEN coalesce(c.ta, ${big}) < coalesce(c.tb, ${big}) THEN 'b' ELSE 'a' END
      WHEN c.ap <= c.bp THEN 'a' ELSE 'b' END AS srv
  FROM tf c
  LEFT JOIN ends ea ON ea.a = c.aa AND ea.p = c.ap AND ea.proto = c.proto
  LEFT JOIN ends eb ON eb.a = c.ba AND eb.p = c.bp AND eb.proto = c.proto
  LEFT JOIN vary va ON va.a = c.aa AND va.pp = c.bp AND va.proto = c.proto
  LEFT JOIN vary vb ON vb.a = c.ba AND vb.pp = c.ap AND vb.proto = c.proto
  LEFT JOIN ports pa ON pa.p = c.ap AND pa.proto = c.proto
  LEFT JOIN ports pb ON pb.p = c.bp AND pb.proto = c.proto`));
  ctes.push(d.cte('convs', `  SELECT CASE WHEN srv = 'a' THEN ba ELSE aa END AS client, CASE WHEN srv = 'a' THEN aa ELSE ba END AS server, proto,
    CASE WHEN proto IN (6, 17, 132) THEN CASE WHEN srv = 'a' THEN ap ELSE bp END END AS port, action,
    sum(n) AS records, sum(b) AS bytes, min(t0) AS t0, max(t1) AS t1
  FROM o GROUP BY 1, 2, 3, 4, 5`, true));

  // identities
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

  // results
  const row = (kind: string, k: string[], n: string[]) => {
    const ks = [0, 1, 2, 3, 4].map(i => (k[i] !== undefined ? `CAST(${k[i]} AS ${T('text')})` : nul('text')));
    const ns = [0, 1, 2, 3, 4, 5].map(i => (n[i] !== undefined ? `CAST(${n[i]} AS ${T('int')})` : nul('int')));
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

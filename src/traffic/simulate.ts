/**
 * `simulate`: replays the observed conversations against a declared model. The model's compiled
 * rules (the manifest's IR rules: denies already subtracted, so they allow exactly what
 * `modelAllows` allows) travel into DuckDB as the table `rules`; each conversation is joined with
 * the rules that match its two ends, protocol and server port. Verdicts: `allowed` (with the
 * flows that allow it), `wouldBlock`, or `rejected` (REJECT records: already stopped today).
 */
import { cidr } from '../ir/cidr';
import { Manifest } from '../ir/manifest';
import { IrService, parseServiceKey, serviceKey } from '../ir/services';
import { readManifest, identityEntries } from './discover';
import { iso, load, num, PROTO_SQL, unknownAddresses } from './engine';
import { IdentityMap } from './identity';
import { SimulatedConversation, SimulateOptions, SimulateResult, UnusedFlow } from './types';

/** The common part of two services, if any. */
function intersect(a: IrService, b: IrService): IrService | undefined {
  if (a.protocol === 'all') return b;
  if (b.protocol === 'all') return a;
  if (a.protocol !== b.protocol) return undefined;
  if (a.protocol === 'icmp') {
    if (a.from === -1) return b;
    if (b.from === -1) return a;
    if (a.from !== b.from) return undefined;
    if (a.to === -1) return b;
    return b.to === -1 || b.to === a.to ? a : undefined;
  }
  const from = Math.max(a.from, b.from); const to = Math.min(a.to, b.to);
  return from <= to ? { protocol: a.protocol, from, to } : undefined;
}

/**
 * The rule rows of a manifest: per IR rule (denies already subtracted), one row per flow of the
 * rule and per part of the rule's service that flow declares, so a matching row names exactly the
 * flows that allow a conversation.
 */
export function ruleRows(m: Manifest): (string | number | bigint | null)[][] {
  const side = (key: string): [string | null, string | null, bigint | null, bigint | null] => {
    if (key.startsWith('w:')) return [key.slice(2), null, null, null];
    const c = cidr(key.slice(2));
    return [null, c.family, c.first, c.last];
  };
  const flows = new Map(m.model.flows.map(f => [f.path, f]));
  const rows: (string | number | bigint | null)[][] = [];
  m.rules.forEach((r, i) => {
    const s = parseServiceKey(r.service);
    let any = false;
    for (const path of r.flows) {
      for (const fs of flows.get(path)?.services ?? []) {
        const part = intersect(s, fs);
        if (!part) continue;
        any = true;
        rows.push([i, ...side(r.source), ...side(r.destination), part.protocol, part.from, part.to, path]);
      }
    }
    if (!any) rows.push([i, ...side(r.source), ...side(r.destination), s.protocol, s.from, s.to, '']);
  });
  return rows;
}

/** Peer ranges declared in the model (the internet is folded into the narrowest). */
function declaredPeers(m: Manifest): string[] {
  const out = new Set<string>();
  for (const f of [...m.model.flows, ...m.model.denies]) for (const e of [f.from, f.to]) if (e.kind === 'cidr' && e.cidr) out.add(e.cidr);
  return [...out];
}

/** Runs simulate. */
export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const manifest = readManifest(options.manifest);
  const map = new IdentityMap(identityEntries({ ...options, strict: true }, manifest), declaredPeers(manifest));
  const loaded = await load(options, map);
  const { db } = loaded;
  try {
    await db.run(`CREATE OR REPLACE TABLE rules (rid INTEGER, s_wl VARCHAR, s_fam VARCHAR, s_lo UHUGEINT, s_hi UHUGEINT,
      d_wl VARCHAR, d_fam VARCHAR, d_lo UHUGEINT, d_hi UHUGEINT, proto VARCHAR, pfrom INTEGER, pto INTEGER, flow VARCHAR)`);
    await db.append('rules', 'nssuussuusnns', ruleRows(manifest));
    const side = (r: string, i: string) => `(CASE WHEN r.${r}_wl IS NOT NULL THEN ${i}.workload = r.${r}_wl ELSE ${i}.workload IS NULL AND ${i}.fam = r.${r}_fam AND ${i}.num BETWEEN r.${r}_lo AND r.${r}_hi END)`;
    const rows = await db.all(`
      WITH cv AS (SELECT c.*, ${PROTO_SQL('c.proto')} AS pname FROM convs c),
      judged AS (
        SELECT cv.client, cv.server, cv.pname, cv.port, cv.action, cv.records, cv.bytes, cv.t0, cv.t1,
               list(DISTINCT r.flow ORDER BY r.flow) FILTER (WHERE r.flow IS NOT NULL AND r.flow <> '') AS flows,
               count(r.rid) > 0 AS allowed
        FROM cv JOIN ident k ON k.addr = cv.client JOIN ident s ON s.addr = cv.server
        LEFT JOIN rules r ON cv.action <> 'REJECT' AND ${side('s', 'k')} AND ${side('d', 's')}
          AND (r.proto = 'all' OR (r.proto = cv.pname AND ((cv.pname = 'icmp' AND r.pfrom = -1) OR (cv.pname <> 'icmp' AND cv.port BETWEEN r.pfrom AND r.pto))))
        GROUP BY ALL)
      SELECT k.identity AS "from", s.identity AS "to", j.pname AS protocol, j.port,
             CASE WHEN j.action = 'REJECT' THEN 'rejected' WHEN j.allowed THEN 'allowed' ELSE 'wouldBlock' END AS verdict,
             coalesce(j.flows, []) AS flows, sum(j.records)::BIGINT AS records, sum(j.bytes)::BIGINT AS bytes, min(j.t0) AS t0, max(j.t1) AS t1
      FROM judged j JOIN ident k ON k.addr = j.client JOIN ident s ON s.addr = j.server
      GROUP BY ALL ORDER BY 1, 2, 3, 4, 5`);
    const conversations: SimulatedConversation[] = rows.map(r => ({
      from: String(r.from), to: String(r.to), protocol: String(r.protocol),
      ...(r.port === null ? {} : { port: Number(r.port) }),
      verdict: String(r.verdict), flows: (r.flows as string[]) ?? [],
      records: num(r.records), bytes: num(r.bytes), firstSeen: iso(r.t0) ?? '', lastSeen: iso(r.t1) ?? '',
    }));
    const used = new Set(conversations.flatMap(c => c.flows));
    const unused: UnusedFlow[] = manifest.model.flows.filter(f => !used.has(f.path)).map(f => ({
      flow: f.path, from: f.from.key, to: f.to.key, ports: f.services.map(serviceKey).join(','),
    }));
    const accepted = conversations.filter(c => c.verdict !== 'rejected');
    const allowed = accepted.filter(c => c.verdict === 'allowed');
    const ratio = (a: number, b: number) => (b === 0 ? 1 : Math.round((a / b) * 10000) / 10000);
    const workloads = manifest.model.workloads.map(w => w.name);
    const allowedPairs = new Set(manifest.rules.filter(r => r.source.startsWith('w:') && r.destination.startsWith('w:')).map(r => `${r.source.slice(2)}>${r.destination.slice(2)}`));
    const observedPairs = new Set(allowed.filter(c => c.from.startsWith('workload:') && c.to.startsWith('workload:'))
      .map(c => `${c.from.slice(9)}>${c.to.slice(9)}`).filter(k => allowedPairs.has(k)));
    const result: SimulateResult = {
      schemaVersion: 1,
      segmentation: manifest.segmentation.name,
      window: loaded.window,
      records: loaded.counts,
      conversations,
      unused,
      unknown: await unknownAddresses(db),
      coverage: {
        conversations: ratio(allowed.length, accepted.length),
        bytes: ratio(allowed.reduce((s, c) => s + c.bytes, 0), accepted.reduce((s, c) => s + c.bytes, 0)),
        allowedPairs: ratio(allowedPairs.size, workloads.length * workloads.length),
        observedOfAllowed: ratio(observedPairs.size, allowedPairs.size),
      },
      exitCode: accepted.some(c => c.verdict === 'wouldBlock') ? 1 : 0,
    };
    return result;
  } finally {
    db.close();
  }
}

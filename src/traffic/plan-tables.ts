/**
 * The policy as the plan's inline tables: the identity ranges (`idr`) and the declared flows'
 * rules (`rules`). Address ranges are 32-hex-digit keys (dialect.ts `ipKey`), so one range join
 * resolves addresses in every engine.
 */
import { cidr } from '../ir/cidr';
import { Manifest } from '../ir/manifest';
import { IrService, parseServiceKey } from '../ir/services';
import { ipKeyOf, SqlValue } from './dialect';
import { IdentityMap, identityRank, PRIVATE } from './identity';

/**
 * Identity rows (`IDR_COLUMNS`): kind `e` for every entry, ordered as `IdentityMap.resolve`
 * chooses (the lowest `ord` containing an address wins: single addresses first, then the highest
 * rank; ties by source for single addresses, by range text for ranges, then input order); `p`
 * the private ranges; `q` the declared peers, narrowest first.
 */
export function identityRows(map: IdentityMap): SqlValue[][] {
  const parsed = map.entries.map((entry, index) => ({ entry, index, c: cidr(entry.cidr) }));
  const exact = (p: typeof parsed[number]) => p.c.first === p.c.last;
  parsed.sort((a, b) => {
    const ra = identityRank(a.entry, a.c); const rb = identityRank(b.entry, b.c);
    if (exact(a) !== exact(b)) return exact(a) ? -1 : 1;
    if (ra !== rb) return rb - ra;
    if (exact(a)) {
      if (a.entry.source !== b.entry.source) return a.entry.source < b.entry.source ? -1 : 1;
    } else {
      const byText = a.entry.cidr.localeCompare(b.entry.cidr);
      if (byText) return byText;
    }
    return a.index - b.index;
  });
  const rows: SqlValue[][] = parsed.map((p, ord) => ['e', p.c.family, ipKeyOf(p.c.family, p.c.first), ipKeyOf(p.c.family, p.c.last), ord, !exact(p),
    p.entry.workload ?? null, p.entry.zone ?? null, null]);
  PRIVATE.forEach((c, ord) => rows.push(['p', c.family, ipKeyOf(c.family, c.first), ipKeyOf(c.family, c.last), ord, true, null, null, null]));
  map.peers.forEach((c, ord) => rows.push(['q', c.family, ipKeyOf(c.family, c.first), ipKeyOf(c.family, c.last), ord, true, null, null, c.text]));
  return rows;
}

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
 * The rule rows (`RULE_COLUMNS`) of a manifest: per IR rule (denies already subtracted), one row
 * per flow of the rule and per part of the rule's service that flow declares, so a matching row
 * names exactly the flows that allow a conversation.
 */
export function ruleRows(m: Manifest): SqlValue[][] {
  const side = (key: string): SqlValue[] => {
    if (key.startsWith('w:')) return [key.slice(2), null, null, null];
    const c = cidr(key.slice(2));
    return [null, c.family, ipKeyOf(c.family, c.first), ipKeyOf(c.family, c.last)];
  };
  const flows = new Map(m.model.flows.map(f => [f.path, f]));
  const rows: SqlValue[][] = [];
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

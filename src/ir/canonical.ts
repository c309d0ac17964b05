/**
 * Canonical cloud rules: the form in which backends record what they rendered (in the manifest)
 * and audit readers report what is live, so drift is a set difference of the same shape.
 * Pure data and functions; the types themselves are public (`src/model/backend.ts`).
 */
import { CanonicalRule } from '../model/backend';

export type { CanonicalRule } from '../model/backend';
export { Cloud, RuleAction, RuleDirection } from '../model/backend';

/**
 * The identity of a rule for drift: everything semantic, nothing cosmetic (names, ids, origins
 * and descriptions are not part of it).
 */
export function canonicalRuleKey(r: CanonicalRule): string {
  return [r.container, r.direction, r.action, r.protocol.toLowerCase(), r.ports, r.peer, r.target ?? '*', r.priority ?? ''].join('|');
}

/** Sorts rules by their key (stable canonical order). */
export function sortCanonical(rules: CanonicalRule[]): CanonicalRule[] {
  return rules.slice().sort((a, b) => {
    const ka = canonicalRuleKey(a); const kb = canonicalRuleKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Merges port ranges (inclusive) into the fewest ranges covering the same ports, sorted. */
export function mergePortRanges(ranges: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = ranges.map(r => [r[0], r[1]] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}

/** Formats a port range as canonical text. */
export function portsText(from: number, to: number): string {
  if (from === -1 || (from === 0 && to === 65535)) return '*';
  return from === to ? `${from}` : `${from}-${to}`;
}

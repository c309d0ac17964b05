/**
 * Hash-slot priorities: stable numbers for rules in a band, derived from rule content so that
 * adding or removing a rule renumbers no other (Azure NSG priorities; any cloud whose rules need
 * unique numbers). Pure.
 */
import { cmp, hash32 } from './text';

/** An inclusive range of priorities. */
export type Band = readonly [number, number];

/**
 * Assigns priorities in `[lo, hi]` to keys: home slot = lo + hash(key) mod size; keys are placed
 * in (home, key) order and probe forward (wrapping) to the next free slot. A rule keeps its
 * priority when others are added or removed unless one of them lands in its probe run.
 * Returns undefined when the band is too small. With `order: 'key'` keys are placed in key
 * order instead (AWS network ACL rule numbers), which decides who probes on a collision.
 */
export function assignPriorities(keys: string[], lo: number, hi: number, options: { readonly order?: 'home' | 'key' } = {}): Map<string, number> | undefined {
  const size = hi - lo + 1;
  if (keys.length > size) return undefined;
  const byKey = options.order === 'key';
  const items = keys.map(k => ({ k, home: hash32(k) % size })).sort((a, b) => (byKey ? 0 : a.home - b.home) || cmp(a.k, b.k));
  const used = new Uint8Array(size);
  const out = new Map<string, number>();
  for (const it of items) {
    let p = it.home;
    while (used[p]) p = (p + 1) % size;
    used[p] = 1;
    out.set(it.k, lo + p);
  }
  return out;
}

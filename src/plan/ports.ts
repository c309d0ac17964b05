/**
 * Port texts shared by the planners: one formatter and one comparator for the `443`, `80-90`,
 * `*` texts rules carry, and their canonical form (`ir/canonical`). Pure.
 */
import { portsText } from '../ir/canonical';

/** `443`, `8000-8100`; `*` for every port when `anyAsStar` and the range is 0-65535. */
export function portRangeText(from: number, to: number, anyAsStar = false): string {
  if (anyAsStar && from === 0 && to === 65535) return '*';
  return from === to ? `${from}` : `${from}-${to}`;
}

/** Orders port texts by their first port (`*` first), then as text. */
export function comparePortTexts(a: string, b: string): number {
  const n = (x: string) => (x === '*' ? -1 : Number(x.split('-')[0]));
  return n(a) - n(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The canonical ports text (`ir/canonical`) of a rendered port text (`*`, `443`, `80-90`). */
export function canonicalPortText(p: string): string {
  if (p === '*') return '*';
  const [a, b] = p.split('-').map(Number);
  return portsText(a, b ?? a);
}

/** Merges port ranges into the fewest ranges covering the same ports (sorted). */
export function mergePortRanges(ranges: [number, number][]): [number, number][] {
  const sorted = ranges.map(r => [r[0], r[1]] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/**
 * Port texts shared by the planners: one formatter and one comparator for the `443`, `80-90`,
 * `*` texts rules carry; ranges merge as the audit merges them (`ir/canonical`). Pure.
 */
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

export { mergePortRanges } from '../ir/canonical';

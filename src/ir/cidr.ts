/**
 * CIDR math for the IR (parsing with hints, containment, subtraction), built on ip-num.
 * Pure functions; no cloud imports.
 */
import { IPv4CidrRange, IPv6CidrRange, Validator } from 'ip-num';

/** A parsed CIDR block. */
export interface Cidr {
  readonly family: 'ipv4' | 'ipv6';
  /** Canonical text (IPv6 compressed per RFC 5952). */
  readonly text: string;
  readonly prefix: number;
  readonly first: bigint;
  readonly last: bigint;
}

/** Why a CIDR did not parse, with a hint for the fix. */
export interface CidrProblem {
  readonly message: string;
  readonly hint?: string;
}

const V4_BITS = 32;
const V6_BITS = 128;

/** Parses a CIDR of either family, or returns the problem. */
export function parseCidr(text: string, family?: 'ipv4' | 'ipv6'): Cidr | CidrProblem {
  const fam = family ?? (text.includes(':') ? 'ipv6' : 'ipv4');
  if (typeof text !== 'string' || !text.includes('/')) {
    const hint = typeof text === 'string' && text.length > 0 ? `Did you mean "${text}/${fam === 'ipv4' ? 32 : 128}"?` : undefined;
    return { message: `is not a valid ${fam === 'ipv4' ? 'IPv4' : 'IPv6'} CIDR: it needs a prefix length.`, hint };
  }
  const [isNotation, notationErrors] = fam === 'ipv4' ? Validator.isValidIPv4CidrNotation(text) : Validator.isValidIPv6CidrNotation(text);
  if (!isNotation) {
    const other = fam === 'ipv4' ? Validator.isValidIPv6CidrNotation(text)[0] : Validator.isValidIPv4CidrNotation(text)[0];
    const hint = other ? `It is an ${fam === 'ipv4' ? 'IPv6' : 'IPv4'} CIDR: use Peer.${fam === 'ipv4' ? 'ipv6' : 'ipv4'}().` : undefined;
    return { message: `is not a valid ${fam === 'ipv4' ? 'IPv4' : 'IPv6'} CIDR (${notationErrors[0] ?? 'bad notation'}).`, hint };
  }
  const range = fam === 'ipv4' ? IPv4CidrRange.fromCidr(text) : IPv6CidrRange.fromCidr(text);
  const prefix = Number(text.split('/')[1]);
  const first = range.getFirst().getValue();
  const [isRange] = fam === 'ipv4' ? Validator.isValidIPv4CidrRange(text) : Validator.isValidIPv6CidrRange(text);
  if (!isRange) {
    const bits = fam === 'ipv4' ? V4_BITS : V6_BITS;
    const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
    const net = fromNumber(fam, first & mask, prefix);
    return { message: 'has host bits set: the address is not the start of its range.', hint: `Did you mean "${net}"?` };
  }
  return { family: fam, text: fromNumber(fam, first, prefix), prefix, first, last: range.getLast().getValue() };
}

/** True when `x` is a parsed CIDR (not a problem). */
export function isCidr(x: Cidr | CidrProblem): x is Cidr {
  return (x as Cidr).text !== undefined;
}

/** Parses a CIDR that is known to be valid (throws otherwise). */
export function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (!isCidr(c)) throw new Error(`invalid CIDR ${text}: ${c.message}`);
  return c;
}

/** Whether `outer` contains `inner` (same family). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}

/** Whether two CIDRs share any address. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** Whether an address (as a number) of the given family is inside the CIDR. */
export function cidrHas(c: Cidr, family: 'ipv4' | 'ipv6', address: bigint): boolean {
  return c.family === family && c.first <= address && address <= c.last;
}

/** The CIDRs covering `a` minus `b` (empty when `b` covers `a`). */
export function cidrSubtract(a: Cidr, b: Cidr): Cidr[] {
  if (!cidrOverlaps(a, b)) return [a];
  if (cidrContains(b, a)) return [];
  // b is strictly inside a: split a in halves and recurse into the half that holds b.
  const bits = a.family === 'ipv4' ? V4_BITS : V6_BITS;
  const half = 1n << BigInt(bits - a.prefix - 1);
  const lo = make(a.family, a.first, a.prefix + 1);
  const hi = make(a.family, a.first + half, a.prefix + 1);
  return [...cidrSubtract(lo, b), ...cidrSubtract(hi, b)];
}

/** Parses a plain IP address to a number. */
export function parseAddress(text: string): { family: 'ipv4' | 'ipv6'; value: bigint } {
  const c = cidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
  return { family: c.family, value: c.first };
}

function make(family: 'ipv4' | 'ipv6', first: bigint, prefix: number): Cidr {
  const bits = family === 'ipv4' ? V4_BITS : V6_BITS;
  const size = 1n << BigInt(bits - prefix);
  return { family, text: fromNumber(family, first, prefix), prefix, first, last: first + size - 1n };
}

/** Formats a network number and prefix as canonical CIDR text. */
export function fromNumber(family: 'ipv4' | 'ipv6', value: bigint, prefix: number): string {
  return `${formatAddress(family, value)}/${prefix}`;
}

/** Formats an address number (IPv6 compressed per RFC 5952). */
export function formatAddress(family: 'ipv4' | 'ipv6', value: bigint): string {
  if (family === 'ipv4') {
    return [24n, 16n, 8n, 0n].map(s => ((value >> s) & 255n).toString()).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // longest run of zero groups (length >= 2) becomes "::"
  let bestStart = -1; let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map(g => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/**
 * Rule sides: how one end of a rule is rendered on a cloud. A workload placed on this cloud is
 * named by its identity (a `WorkloadSide`); everything else (a zone or workload elsewhere, a
 * `Peer`) is address ranges of one family (a `RangesSide`). Pure.
 */
import { Cidr, cidr } from '../ir/cidr';
import { isUnresolved } from '../model/tokens';

/** A workload rendered on this cloud (by its identity). */
export interface WorkloadSide {
  readonly kind: 'workload';
  /** `w:<workload>`. */
  readonly key: string;
  readonly workload: string;
  readonly zone: string;
}

/** Address ranges of one family. */
export interface RangesSide {
  readonly kind: 'ranges';
  /** `z:<zone>:<family>` (remote zone), `a:<workload>:<family>` (remote workload's cidrs), `c:<cidr>` (peer). */
  readonly key: string;
  readonly origin: 'zone' | 'workload' | 'peer';
  /** The zone or workload name, or the peer's CIDR. */
  readonly label: string;
  readonly family: 'ipv4' | 'ipv6';
  /** Canonical CIDRs, sorted, never empty. */
  readonly prefixes: string[];
}

/** One end of a rule as a cloud renders it. */
export type Side = WorkloadSide | RangesSide;

/** An address family. */
export type Family = 'ipv4' | 'ipv6';

/** The families, in rendering order. */
export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/** The family of a CIDR text. */
export function familyOf(text: string): Family {
  return text.includes(':') ? 'ipv6' : 'ipv4';
}

/** A workload side. */
export function workloadSide(workload: string, zone: string): WorkloadSide {
  return { kind: 'workload', key: `w:${workload}`, workload, zone };
}

/**
 * The ranges sides of a zone's or workload's cidrs, one per family present (IPv4 first), each
 * keeping the cidrs in their given order: key `z:<zone>:<family>` or `a:<workload>:<family>`.
 */
export function rangeSides(origin: 'zone' | 'workload', label: string, cidrs: string[]): RangesSide[] {
  return FAMILIES
    .map(family => ({ family, prefixes: cidrs.filter(c => familyOf(c) === family) }))
    .filter(x => x.prefixes.length > 0)
    .map(x => ({ kind: 'ranges' as const, key: `${origin === 'zone' ? 'z' : 'a'}:${label}:${x.family}`, origin, label, family: x.family, prefixes: x.prefixes }));
}

/** Orders CIDRs by address, then prefix length. */
export function cidrOrder(a: Cidr, b: Cidr): number {
  return a.first < b.first ? -1 : a.first > b.first ? 1 : a.prefix - b.prefix;
}

/** Orders CIDR texts by address (tokens by text). */
export function cidrTextOrder(a: string, b: string): number {
  return isUnresolved(a) || isUnresolved(b) ? (a < b ? -1 : 1) : cidrOrder(cidr(a), cidr(b));
}

/** CIDR texts by family (IPv4 first), each list sorted by address. */
export function byFamily(prefixes: string[]): Map<Family, string[]> {
  const m = new Map<Family, string[]>();
  for (const p of prefixes) {
    const f = familyOf(p);
    const l = m.get(f) ?? [];
    l.push(p);
    m.set(f, l);
  }
  for (const l of m.values()) l.sort(cidrTextOrder);
  return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Readable text of a side, for descriptions. */
export function sideText(s: Side): string {
  if (s.kind === 'workload') return s.workload;
  return s.origin === 'peer' ? s.label : `${s.origin} ${s.label} (${s.family})`;
}

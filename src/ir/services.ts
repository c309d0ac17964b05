/**
 * Services: the protocol/port part of a rule, with the set algebra the compiler needs
 * (containment, subtraction, merging into ranges). Pure functions.
 *
 * Shape: `{ protocol, from, to }`; TCP/UDP use an inclusive port range; ICMP uses from = type and
 * to = code, -1 meaning "every"; ALL uses -1/-1.
 */

/** The IR protocol. ICMP means "ICMP of the packet's family" (ICMPv6 for IPv6). */
export type IrProtocol = 'tcp' | 'udp' | 'icmp' | 'all';

/** A protocol and port range (or ICMP type/code). */
export interface IrService {
  readonly protocol: IrProtocol;
  readonly from: number;
  readonly to: number;
}

const ORDER: Record<IrProtocol, number> = { all: 0, tcp: 1, udp: 2, icmp: 3 };

/** Every service. */
export const ALL_SERVICE: IrService = { protocol: 'all', from: -1, to: -1 };

/** Canonical text form: `all`, `tcp:443`, `tcp:1024-65535`, `udp:*`, `icmp:*`, `icmp:8`, `icmp:3/4`. */
export function serviceKey(s: IrService): string {
  if (s.protocol === 'all') return 'all';
  if (s.protocol === 'icmp') {
    if (s.from === -1) return 'icmp:*';
    return s.to === -1 ? `icmp:${s.from}` : `icmp:${s.from}/${s.to}`;
  }
  if (s.from === 0 && s.to === 65535) return `${s.protocol}:*`;
  return s.from === s.to ? `${s.protocol}:${s.from}` : `${s.protocol}:${s.from}-${s.to}`;
}

/** Parses the canonical text form back into a service. */
export function parseServiceKey(key: string): IrService {
  if (key === 'all') return ALL_SERVICE;
  const [proto, rest] = key.split(':') as [IrProtocol, string];
  if (proto === 'icmp') {
    if (rest === '*') return { protocol: 'icmp', from: -1, to: -1 };
    const [t, c] = rest.split('/');
    return { protocol: 'icmp', from: Number(t), to: c === undefined ? -1 : Number(c) };
  }
  if (rest === '*') return { protocol: proto, from: 0, to: 65535 };
  const [a, b] = rest.split('-');
  return { protocol: proto, from: Number(a), to: Number(b ?? a) };
}

/** Total order on services (protocol, then from, then to). */
export function compareServices(a: IrService, b: IrService): number {
  return ORDER[a.protocol] - ORDER[b.protocol] || a.from - b.from || a.to - b.to;
}

/** Whether `outer` allows everything `inner` allows. */
export function serviceContains(outer: IrService, inner: IrService): boolean {
  if (outer.protocol === 'all') return true;
  if (outer.protocol !== inner.protocol) return false;
  if (outer.protocol === 'icmp') {
    if (outer.from === -1) return true;
    if (outer.from !== inner.from) return false;
    return outer.to === -1 || outer.to === inner.to;
  }
  return outer.from <= inner.from && inner.to <= outer.to;
}

/** Whether two services share any traffic. */
export function serviceOverlaps(a: IrService, b: IrService): boolean {
  if (a.protocol === 'all' || b.protocol === 'all') return true;
  if (a.protocol !== b.protocol) return false;
  if (a.protocol === 'icmp') {
    if (a.from === -1 || b.from === -1) return true;
    if (a.from !== b.from) return false;
    return a.to === -1 || b.to === -1 || a.to === b.to;
  }
  return a.from <= b.to && b.from <= a.to;
}

/** The result of a subtraction; `narrowed` is set when the exact difference cannot be expressed and more was removed. */
export interface SubtractResult {
  readonly services: IrService[];
  readonly narrowed: boolean;
}

/**
 * `a` minus `d`. Exact for TCP/UDP ranges. Two cases cannot be expressed by any cloud's rules
 * and are narrowed (more is removed, never less): ALL minus part of it keeps TCP, UDP and ICMP
 * only (other IP protocols are dropped); ICMP minus part of ICMP drops that ICMP entirely.
 */
export function subtractService(a: IrService, d: IrService): SubtractResult {
  if (!serviceOverlaps(a, d)) return { services: [a], narrowed: false };
  if (serviceContains(d, a)) return { services: [], narrowed: false };
  if (a.protocol === 'all') {
    const parts: IrService[] = [
      { protocol: 'tcp', from: 0, to: 65535 },
      { protocol: 'udp', from: 0, to: 65535 },
      { protocol: 'icmp', from: -1, to: -1 },
    ];
    const out: IrService[] = [];
    for (const p of parts) out.push(...subtractService(p, d).services);
    return { services: out, narrowed: true };
  }
  if (a.protocol === 'icmp') return { services: [], narrowed: true };
  // tcp/udp interval difference
  const out: IrService[] = [];
  if (d.from > a.from) out.push({ protocol: a.protocol, from: a.from, to: d.from - 1 });
  if (d.to < a.to) out.push({ protocol: a.protocol, from: d.to + 1, to: a.to });
  return { services: out, narrowed: false };
}

/** Subtracts every service of `deny` from every service of `allow`. */
export function subtractAll(allow: IrService[], deny: IrService[]): SubtractResult {
  let current = allow;
  let narrowed = false;
  for (const d of deny) {
    const next: IrService[] = [];
    for (const a of current) {
      const r = subtractService(a, d);
      narrowed = narrowed || r.narrowed;
      next.push(...r.services);
    }
    current = next;
  }
  return { services: mergeDeclared(current), narrowed };
}

/**
 * The normal form of a flow's declared services: merged (see {@link mergeServices}), except that
 * typed ICMP services (`icmp:3/4`) inside a wider one (all traffic, every ICMP type, a type with
 * every code) are kept apart. The union is the same; what changes is that a DenyFlow removing
 * one ICMP type from the wider service (which no cloud can express exactly, so that ICMP is
 * dropped) leaves the other declared types: `[allTraffic(), icmp(3, 4)]` minus `icmp(8)` keeps
 * `icmp:3/4`. Denies are subtracted from this form; rules are merged afterwards.
 */
export function mergeDeclared(services: IrService[]): IrService[] {
  const merged = mergeServices(services);
  const have = new Set(merged.map(serviceKey));
  const extra = new Map<string, IrService>();
  for (const s of services) {
    if (s.protocol !== 'icmp' || s.from === -1) continue;
    const k = serviceKey(s);
    if (!have.has(k)) extra.set(k, s);
  }
  return extra.size === 0 ? merged : [...merged, ...extra.values()].sort(compareServices);
}

/**
 * ICMPv4 types with an ICMPv6 equivalent (RFC 4443), for flows and guardrails towards or from an
 * IPv6 `Peer`: `Port.icmp()` names ICMPv4 types, and on an IPv6 path they are translated.
 * Key: `type` (every code) or `type/code`; value: the ICMPv6 services.
 */
const ICMPV6_EQUIVALENT: Record<string, [number, number][]> = {
  '0': [[129, -1]], '0/0': [[129, 0]],
  '8': [[128, -1]], '8/0': [[128, 0]],
  // destination unreachable; "fragmentation needed" (3/4) is ICMPv6 "packet too big" (2)
  '3': [[1, -1], [2, -1]], '3/0': [[1, 0]], '3/1': [[1, 3]], '3/3': [[1, 4]], '3/4': [[2, 0]], '3/13': [[1, 1]],
  '11': [[3, -1]], '11/0': [[3, 0]], '11/1': [[3, 1]],
  '12': [[4, -1]], '12/0': [[4, 0]],
};

/** The first ICMPv6 type taken as it is (ICMPv4 assigns no type from 128 on). */
export const ICMPV6_OWN_TYPES_FROM = 128;

/**
 * The services of a path whose packets are IPv6 (how every backend renders ICMP towards IPv6
 * ranges; the IR keeps the declared ICMPv4 numbers): typed ICMP is translated to ICMPv6 (echo
 * request 8 -> 128, echo reply 0 -> 129, destination unreachable 3 -> 1 and, for
 * fragmentation needed, packet too big 2, time exceeded 11 -> 3, parameter problem 12 -> 4);
 * types from 128 on are ICMPv6 types already. Returns the ICMP services that have no
 * equivalent in `untranslatable`.
 */
export function icmpForIpv6(services: IrService[]): { services: IrService[]; untranslatable: IrService[] } {
  const out: IrService[] = [];
  const bad: IrService[] = [];
  for (const s of services) {
    if (s.protocol !== 'icmp' || s.from === -1 || s.from >= ICMPV6_OWN_TYPES_FROM) { out.push(s); continue; }
    const eq = ICMPV6_EQUIVALENT[s.to === -1 ? `${s.from}` : `${s.from}/${s.to}`];
    if (!eq) { bad.push(s); continue; }
    for (const [t, c] of eq) out.push({ protocol: 'icmp', from: t, to: c });
  }
  return { services: mergeDeclared(out), untranslatable: bad };
}

/**
 * Merges a list of services: drops what another covers, joins overlapping or adjacent TCP/UDP
 * ranges, and sorts canonically. Idempotent and order-independent.
 */
export function mergeServices(services: IrService[]): IrService[] {
  if (services.some(s => s.protocol === 'all')) return [ALL_SERVICE];
  const out: IrService[] = [];
  for (const proto of ['tcp', 'udp'] as const) {
    const ranges = services.filter(s => s.protocol === proto).slice().sort(compareServices);
    let cur: { from: number; to: number } | undefined;
    for (const r of ranges) {
      if (cur && r.from <= cur.to + 1) {
        cur.to = Math.max(cur.to, r.to);
      } else {
        if (cur) out.push({ protocol: proto, ...cur });
        cur = { from: r.from, to: r.to };
      }
    }
    if (cur) out.push({ protocol: proto, ...cur });
  }
  const icmp = new Map(services.filter(s => s.protocol === 'icmp').map(s => [serviceKey(s), s]));
  const list = [...icmp.values()];
  out.push(...list.filter(s => !list.some(o => o !== s && serviceContains(o, s))));
  return out.sort(compareServices);
}

/** Whether a packet's protocol/port (or ICMP type/code) is inside the service. */
export function serviceMatches(s: IrService, protocol: 'tcp' | 'udp' | 'icmp' | string, port: number, code = -1): boolean {
  if (s.protocol === 'all') return true;
  if (s.protocol !== protocol) return false;
  if (s.protocol === 'icmp') {
    if (s.from === -1) return true;
    if (s.from !== port) return false;
    return s.to === -1 || s.to === code;
  }
  return s.from <= port && port <= s.to;
}

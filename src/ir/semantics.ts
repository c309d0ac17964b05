/**
 * The model's own answer: is this packet allowed by the declared flows and denies? Computed
 * directly from the resolved flows and guardrails (not from the compiled rules), so it is an
 * independent oracle for the compiler and for every backend's evaluator.
 */
import { Cidr, cidr, cidrHas } from './cidr';
import { IrService, serviceContains, serviceMatches, serviceOverlaps } from './services';
import { IrEndpointRef, IrPolicy, IrRule } from './types';

/** One end of a packet: a workload of the model, or an address outside it. */
export type PacketEnd = { readonly workload: string } | { readonly address: bigint; readonly family: 'ipv4' | 'ipv6' };

/** A packet: ends, protocol and port (for ICMP: type, and `code`). */
export interface Packet {
  readonly source: PacketEnd;
  readonly destination: PacketEnd;
  readonly protocol: 'tcp' | 'udp' | 'icmp';
  readonly port: number;
  readonly code?: number;
}

const parsed = new Map<string, Cidr>();
/** Parses a canonical CIDR once (the oracle runs on thousands of packets per test). */
function cached(text: string): Cidr {
  let c = parsed.get(text);
  if (!c) { c = cidr(text); parsed.set(text, c); }
  return c;
}

function endMatches(ref: IrEndpointRef, end: PacketEnd): boolean {
  if ('workload' in end) return ref.workloads.includes(end.workload);
  if (ref.kind !== 'cidr' || !ref.cidr || ref.family !== end.family) return false;
  return cidrHas(cached(ref.cidr), end.family, end.address);
}

function servicesMatch(services: IrService[], p: Packet): boolean {
  return services.some(s => serviceMatches(s, p.protocol, p.port, p.code ?? -1));
}

/**
 * Whether the declared model allows the packet: some allow flow matches and no deny does.
 * One documented narrowing: where a deny covers part of an allow's ICMP (a single type of an
 * every-type allow), no cloud can express the exact difference, so that allow grants no ICMP
 * at all (the compiler warns `microseg:DenyNarrowed`).
 */
export function modelAllows(policy: IrPolicy, p: Packet): boolean {
  const denies = policy.denies.filter(d => endMatches(d.from, p.source) && endMatches(d.to, p.destination));
  if (denies.some(d => servicesMatch(d.services, p))) return false;
  return policy.flows.some(f => endMatches(f.from, p.source) && endMatches(f.to, p.destination)
    && f.services.some(s => serviceMatches(s, p.protocol, p.port, p.code ?? -1) && !(p.protocol === 'icmp' && icmpNarrowed(s, denies))));
}

function icmpNarrowed(s: IrService, denies: IrPolicy['denies']): boolean {
  const icmpPart: IrService = s.protocol === 'all' ? { protocol: 'icmp', from: -1, to: -1 } : s;
  return denies.some(d => d.services.some(ds => ds.protocol === 'icmp' && serviceOverlaps(ds, icmpPart) && !serviceContains(ds, icmpPart)));
}

function atomMatches(a: IrRule['source'], end: PacketEnd): boolean {
  if (a.kind === 'workload') return 'workload' in end && end.workload === a.workload;
  return !('workload' in end) && cidrHas(cached(a.cidr), end.family, end.address);
}

/** Whether the compiled IR rules allow the packet (used to check the compiler against `modelAllows`). */
export function rulesAllow(rules: IrRule[], p: Packet): boolean {
  return rules.some(r => atomMatches(r.source, p.source) && atomMatches(r.destination, p.destination) && serviceMatches(r.service, p.protocol, p.port, p.code ?? -1));
}

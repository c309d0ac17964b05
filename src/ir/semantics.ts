/**
 * The model's own answer: is this packet allowed by the declared flows and denies? Computed
 * directly from the resolved flows and guardrails (not from the compiled rules), so it is an
 * independent oracle for the compiler and for every backend's evaluator.
 */
import { Cidr, cidr, cidrHas } from './cidr';
import { icmpForIpv6, IrService, serviceContains, serviceMatches, serviceOverlaps } from './services';
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

/** Whether an end of the packet is an IPv6 address (its ICMP is then ICMPv6). */
function ipv6Packet(p: Packet): boolean {
  return [p.source, p.destination].some(e => !('workload' in e) && e.family === 'ipv6');
}

/**
 * Whether a service (ICMPv4 numbers, as declared) matches the packet: on an IPv6 path a typed
 * ICMP service matches its ICMPv6 equivalents (`icmpForIpv6`), as every backend renders it.
 */
function serviceMatchesPacket(s: IrService, p: Packet): boolean {
  if (p.protocol !== 'icmp' || s.protocol !== 'icmp' || s.from === -1 || !ipv6Packet(p)) return serviceMatches(s, p.protocol, p.port, p.code ?? -1);
  return icmpForIpv6([s]).services.some(x => serviceMatches(x, p.protocol, p.port, p.code ?? -1));
}

function servicesMatch(services: IrService[], p: Packet): boolean {
  return services.some(s => serviceMatchesPacket(s, p));
}

/**
 * Whether the declared model allows the packet: some allow flow matches and no deny does.
 * ICMP types are ICMPv4 numbers in the model; on a path with an IPv6 end they match their
 * ICMPv6 equivalents (echo request 8 is 128; see `icmpForIpv6`).
 * One documented narrowing: where a deny covers part of an allow's ICMP (a single type of an
 * every-type allow), no cloud can express the exact difference, so that allow grants no ICMP
 * at all (the compiler warns `microseg:DenyNarrowed`).
 */
export function modelAllows(policy: IrPolicy, p: Packet): boolean {
  const denies = policy.denies.filter(d => endMatches(d.from, p.source) && endMatches(d.to, p.destination));
  if (denies.some(d => servicesMatch(d.services, p))) return false;
  return policy.flows.some(f => endMatches(f.from, p.source) && endMatches(f.to, p.destination)
    && f.services.some(s => serviceMatchesPacket(s, p) && !(p.protocol === 'icmp' && icmpNarrowed(s, denies))));
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
  return rules.some(r => atomMatches(r.source, p.source) && atomMatches(r.destination, p.destination) && serviceMatchesPacket(r.service, p));
}

/** Options of {@link renderedAllows}. */
export interface RenderedAllowsOptions {
  /**
   * Whether an address outside the model's workloads counts as one of the model's own networks
   * (a MONITOR zone's catch-all ingress admits those). Default: none does (the catch-all admits
   * the model's workloads only).
   */
  readonly internal?: (end: { readonly address: bigint; readonly family: 'ipv4' | 'ipv6' }) => boolean;
  /** The catch-all ingress admits every address (the backends' internet opt-in). Default false. */
  readonly monitorOpenToInternet?: boolean;
}

/**
 * What the rendered rules of every backend must let through, MONITOR zones included: a packet
 * passes its source's side (egress) and its destination's side (ingress). An ENFORCE workload's
 * side passes what the model allows; a MONITOR workload's side passes everything its catch-all
 * admits (every destination outbound; inbound, the model's own networks unless opened to the
 * internet); an address outside the model has no side here. Guardrails (DenyFlow) are rendered
 * before the catch-all, so they block in every mode. For a model without MONITOR zones this is
 * exactly {@link modelAllows}.
 */
export function renderedAllows(policy: IrPolicy, p: Packet, opts: RenderedAllowsOptions = {}): boolean {
  const monitor = new Set(policy.zones.filter(z => z.mode === 'MONITOR').flatMap(z => z.workloads));
  const srcMon = 'workload' in p.source && monitor.has(p.source.workload);
  const dstMon = 'workload' in p.destination && monitor.has(p.destination.workload);
  if (!srcMon && !dstMon) return modelAllows(policy, p);
  const denied = policy.denies.some(d => endMatches(d.from, p.source) && endMatches(d.to, p.destination) && servicesMatch(d.services, p));
  if (denied) return false;
  const model = () => modelAllows(policy, p);
  const egress = srcMon || !('workload' in p.source) || model();
  const fromInside = 'workload' in p.source || opts.monitorOpenToInternet === true || (opts.internal?.(p.source) ?? false);
  const ingress = (dstMon && fromInside) || !('workload' in p.destination) || model();
  return egress && ingress;
}

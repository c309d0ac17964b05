/**
 * The semantic layer's shared vocabulary: cloud rules in the canonical form every backend records
 * (its rendered plan) and every audit reader returns (live state), parsed once into matchers, and
 * the packets the per-cloud evaluators answer for. Pure data and functions.
 *
 * A cloud rule is a {@link CanonicalRule}: one container (security group, NACL, NSG, network),
 * one direction, one action, one protocol with one port range (or ICMP type/code), one peer and
 * one target. A cloud rule with several peers, targets or ports is several canonical rules with
 * the same priority and action, which the clouds evaluate the same way (the union of matches).
 */
import { CanonicalRule, Cloud, RuleAction, RuleDirection } from '../ir/canonical';
import { Cidr, cidr, cidrHas } from '../ir/cidr';
import type { Packet, PacketEnd } from '../ir/semantics';

export type { Packet, PacketEnd };

/** An address of a packet end. */
export interface Address {
  readonly family: 'ipv4' | 'ipv6';
  readonly value: bigint;
}

/** One cloud's rules: the semantic form of a backend's plan or of a cloud's live state. */
export interface CloudRuleSet {
  readonly cloud: Cloud;
  readonly rules: readonly CanonicalRule[];
}

/** Answers "does this packet pass?" for one cloud's rules and deployment. */
export interface PacketEvaluator {
  /** Whether the cloud delivers the packet. */
  allows(packet: Packet): boolean;
}

/**
 * A packet end as the evaluators accept it: a workload of the model (its address, where a rule
 * names ranges, from the deployment unless given here) or an address outside the model.
 */
export type EvalEnd = PacketEnd | { readonly workload: string; readonly address: bigint; readonly family: 'ipv4' | 'ipv6' };

/** The workload of an end, or undefined for an address outside the model. */
export function workloadOf(end: EvalEnd): string | undefined {
  return 'workload' in end ? end.workload : undefined;
}

/** The address given with an end, if any. */
export function addressGiven(end: EvalEnd): Address | undefined {
  return 'address' in end && end.address !== undefined ? { family: end.family, value: end.address } : undefined;
}

const parsedCidrs = new Map<string, Cidr>();

/** Parses a CIDR once (evaluators run on thousands of packets). */
export function cachedCidr(text: string): Cidr {
  let c = parsedCidrs.get(text);
  if (!c) {
    c = cidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
    if (parsedCidrs.size < 100_000) parsedCidrs.set(text, c);
  }
  return c;
}

/** Whether a CIDR text contains an address. */
export function cidrTextHas(text: string, a: Address): boolean {
  const c = cachedCidr(text);
  return c.family === a.family && cidrHas(c, a.family, a.value);
}

/** The IP protocol numbers of the canonical protocol names. */
const PROTOCOL_NAMES: Record<string, string> = { '-1': 'all', '*': 'all', 'any': 'all', '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6' };

/** Canonical protocol text: lower case, the numbers of the named protocols replaced by names. */
export function protocolName(p: string | number): string {
  const text = String(p).trim().toLowerCase();
  return PROTOCOL_NAMES[text] ?? text;
}

/**
 * Whether a rule's protocol matches a packet's: `all` every packet; `icmp` ICMPv4 and `icmpv6`
 * ICMPv6 (the family of the path decides which one a packet's ICMP is), unless `icmpAnyFamily`
 * (Azure's `Icmp` matches both).
 */
export function protocolMatches(ruleProtocol: string, packet: Packet['protocol'], family: Address['family'], icmpAnyFamily = false): boolean {
  const r = protocolName(ruleProtocol);
  if (r === 'all') return true;
  if (packet === 'icmp') {
    if (icmpAnyFamily) return r === 'icmp' || r === 'icmpv6';
    return family === 'ipv6' ? r === 'icmpv6' : r === 'icmp';
  }
  return r === packet;
}

/** A rule's ports parsed: a port range, or ICMP type and code (-1: any). */
export interface ParsedPorts {
  readonly from: number;
  readonly to: number;
  readonly icmpType: number;
  readonly icmpCode: number;
}

const portsCache = new Map<string, ParsedPorts>();

/** Parses canonical ports (`*`, `443`, `1024-65535`; ICMP `*`, `8`, `3/4`). */
export function parsePorts(text: string): ParsedPorts {
  let p = portsCache.get(text);
  if (p) return p;
  const t = text.trim();
  if (t === '*' || t === '' || t === '-1') {
    p = { from: 0, to: 65535, icmpType: -1, icmpCode: -1 };
  } else if (t.includes('/')) {
    const [type, code] = t.split('/').map(Number);
    p = { from: 0, to: 65535, icmpType: type, icmpCode: code };
  } else {
    const [a, b] = t.split('-').map(Number);
    p = { from: Math.min(a, b ?? a), to: Math.max(a, b ?? a), icmpType: a, icmpCode: -1 };
  }
  portsCache.set(text, p);
  return p;
}

/** Whether a rule's ports match the packet (ICMP: type and code; `icmpTypes` false: every ICMP). */
export function portsMatch(ports: string, packet: Pick<Packet, 'protocol' | 'port' | 'code'>, icmpTypes = true): boolean {
  const p = parsePorts(ports);
  if (packet.protocol === 'icmp') {
    if (!icmpTypes || p.icmpType === -1) return true;
    if (p.icmpType !== packet.port) return false;
    return p.icmpCode === -1 || p.icmpCode === (packet.code ?? -1);
  }
  return p.from <= packet.port && packet.port <= p.to;
}

/** Whether a rule's service (protocol and ports) matches the packet on a path of the given family. */
export function serviceMatches(r: Pick<CanonicalRule, 'protocol' | 'ports'>, packet: Packet, family: Address['family']): boolean {
  if (!protocolMatches(r.protocol, packet.protocol, family)) return false;
  const proto = protocolName(r.protocol);
  if (proto === 'all') return true;
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'icmp' && proto !== 'icmpv6') return true;
  return portsMatch(r.ports, packet);
}

/** The family of a packet's path: IPv6 when an end's address is IPv6. */
export function pathFamily(ends: Address[]): Address['family'] {
  return ends.some(a => a.family === 'ipv6') ? 'ipv6' : 'ipv4';
}

/** Groups rules by a key. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t); else out.set(k, [t]);
  }
  return out;
}

/** The name after a canonical prefix (`sg:web` -> `web`), or undefined when the text has another prefix. */
export function after(prefix: string, text: string): string | undefined {
  return text.startsWith(prefix) ? text.slice(prefix.length) : undefined;
}

/**
 * A cloud rule as a planner holds it before rendering: one container, direction, action and
 * priority, with lists of services, peers and targets (a cloud rule names several of each).
 */
export interface PlannedRule {
  /** Where the rule lives (`sg:<group>`, `nacl:<zone>`, `nsg:<name>`, `network:<name>`). */
  readonly container: string;
  /** `ingress` or `egress` (a {@link RuleDirection}'s value). */
  readonly direction: `${RuleDirection}`;
  /** `allow` or `deny` (a {@link RuleAction}'s value). */
  readonly action: `${RuleAction}`;
  /** Protocols (canonical names: `tcp`, `udp`, `icmp`, `icmpv6`, `all`, or a number) with their canonical ports (`*`, `443`, `1024-65535`, ICMP `8` or `3/4`). */
  readonly services: readonly { readonly protocol: string; readonly ports: readonly string[] }[];
  /** The remote sides (`sg:`, `cidr:`, `asg:`, `tag:`, `sa:`, `*`). */
  readonly peers: readonly string[];
  /** The protected sides where a container holds many (Azure ASGs, GCP target tags); none: the whole container (AWS). */
  readonly targets?: readonly string[];
  /** NACL rule number, Azure or GCP priority. */
  readonly priority?: number;
  /** The cloud rule's name, where it has one. */
  readonly name?: string;
  /** Construct paths of the flows (or guardrails) the rule comes from; the first is recorded. */
  readonly origins?: readonly string[];
}

/**
 * The one way a plan's rules become the canonical rules the manifest records (and the audit
 * compares): one canonical rule per service x port range x peer x target, ports normalised
 * (`0-65535` is `*`, `80-80` is `80`, every port of `all` is `*`).
 */
export function canonicalRules(planned: readonly PlannedRule[]): CanonicalRule[] {
  const out: CanonicalRule[] = [];
  for (const r of planned) {
    const origin = r.origins && r.origins.length ? { origin: r.origins[0] } : {};
    for (const s of r.services) {
      const protocol = protocolName(s.protocol);
      for (const ports of protocol === 'all' ? ['*'] : s.ports) {
        for (const peer of r.peers) {
          for (const target of r.targets ?? [undefined]) {
            out.push({
              container: r.container, direction: r.direction as RuleDirection, action: r.action as RuleAction, protocol, ports: normalPorts(protocol, ports), peer,
              ...(target !== undefined ? { target } : {}),
              ...(r.priority !== undefined ? { priority: r.priority } : {}),
              ...(r.name !== undefined ? { name: r.name } : {}),
              ...origin,
            });
          }
        }
      }
    }
  }
  return out;
}

function normalPorts(protocol: string, ports: string): string {
  if (protocol !== 'tcp' && protocol !== 'udp') return ports === '' || ports === '-1' ? '*' : ports;
  const p = parsePorts(ports);
  if (p.from <= 0 && p.to >= 65535) return '*';
  return p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`;
}

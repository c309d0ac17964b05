/**
 * GCP semantics: "does the VPC firewall deliver this packet?" over canonical firewall rules (a
 * backend's plan or the live rules an audit read).
 *
 * Rules apply to the instances they target (`target` a network tag `tag:<t>`, a service account
 * `sa:<email>`, or `*` every instance); the lowest priority number wins, and at equal priority a
 * deny beats an allow; implied rules at 65535 allow all egress and deny all ingress. An ingress
 * rule's `peer` is the source (range, tag or service account), an egress rule's the destination
 * range. A packet passes when the source instance's egress and the destination instance's ingress
 * both allow it; an end that is not an instance of the network is not filtered there. `icmp`
 * matches ICMPv4 of every type, `icmpv6` ICMPv6.
 *
 * @see https://cloud.google.com/firewall/docs/firewalls
 */
import { CanonicalRule } from '../ir/canonical';
import { Address, addressGiven, cidrTextHas, EvalEnd, Packet, PacketEvaluator, pathFamily, protocolMatches, protocolName, portsMatch, workloadOf } from './rules';

/** What a workload's instances carry. */
export interface GcpInstance {
  /** Network tags. */
  readonly tags: readonly string[];
  /** The service account, if any. */
  readonly serviceAccount?: string;
}

/** Where the members of each workload sit. */
export interface GcpDeployment {
  /** What the workload's instances carry; undefined: not on this network (just an address). */
  readonly instanceOf: (workload: string) => GcpInstance | undefined;
  /** An address of a member of the workload. */
  readonly addressOf: (workload: string) => Address | undefined;
}

interface End { readonly workload?: string; readonly instance?: GcpInstance; readonly address?: Address }

/** Evaluates packets against GCP canonical firewall rules. */
export class GcpRuleEvaluator implements PacketEvaluator {
  private readonly ingress: CanonicalRule[];
  private readonly egress: CanonicalRule[];

  constructor(rules: readonly CanonicalRule[], private readonly deployment: GcpDeployment) {
    // priority order; at equal priority deny first
    const sorted = rules.filter(r => r.container.startsWith('network:'))
      .sort((a, b) => (a.priority ?? 1000) - (b.priority ?? 1000) || (a.action === b.action ? 0 : a.action === 'deny' ? -1 : 1));
    this.ingress = sorted.filter(r => r.direction === 'ingress');
    this.egress = sorted.filter(r => r.direction === 'egress');
  }

  /** The first matching rule for a direction, or undefined (the implied rule). */
  public firstMatch(direction: 'ingress' | 'egress', p: Packet): CanonicalRule | undefined {
    const src = this.end(p.source);
    const dst = this.end(p.destination);
    const family = pathFamily([src.address, dst.address].filter((a): a is Address => a !== undefined));
    const [protectedEnd, remote] = direction === 'ingress' ? [dst, src] : [src, dst];
    if (!protectedEnd.instance) return undefined;
    const inst = protectedEnd.instance;
    return (direction === 'ingress' ? this.ingress : this.egress).find(r => targets(r, inst) && serviceMatches(r, p, family) && this.peerMatches(r.peer, remote));
  }

  /** Whether the VPC firewall delivers the packet. */
  public allows(p: Packet): boolean {
    const src = workloadOf(p.source);
    if (src !== undefined && this.deployment.instanceOf(src)) {
      if (this.firstMatch('egress', p)?.action === 'deny') return false; // implied egress: allow
    }
    const dst = workloadOf(p.destination);
    if (dst !== undefined && this.deployment.instanceOf(dst)) {
      if (this.firstMatch('ingress', p)?.action !== 'allow') return false; // implied ingress: deny
    }
    return true;
  }

  private end(e: EvalEnd): End {
    const workload = workloadOf(e);
    if (workload === undefined) return { address: addressGiven(e) };
    return { workload, instance: this.deployment.instanceOf(workload), address: addressGiven(e) ?? this.deployment.addressOf(workload) };
  }

  private peerMatches(peer: string, e: End): boolean {
    if (peer === '*') return true;
    if (peer.startsWith('cidr:')) return e.address !== undefined && cidrTextHas(peer.slice(5), e.address);
    if (!e.instance) return false;
    if (peer.startsWith('tag:')) return e.instance.tags.includes(peer.slice(4));
    if (peer.startsWith('sa:')) return e.instance.serviceAccount === peer.slice(3);
    return false;
  }
}

function targets(r: CanonicalRule, inst: GcpInstance): boolean {
  const t = r.target ?? '*';
  if (t === '*') return true;
  if (t.startsWith('tag:')) return inst.tags.includes(t.slice(4));
  if (t.startsWith('sa:')) return inst.serviceAccount === t.slice(3);
  return false;
}

function serviceMatches(r: CanonicalRule, p: Packet, family: Address['family']): boolean {
  if (!protocolMatches(r.protocol, p.protocol, family)) return false;
  const proto = protocolName(r.protocol);
  if (proto !== 'tcp' && proto !== 'udp') return true; // ICMP rules carry no types on GCP
  return portsMatch(r.ports, p);
}

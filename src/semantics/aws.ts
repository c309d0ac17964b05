/**
 * AWS semantics: "does EC2 deliver this packet?" over canonical rules (a backend's plan or the
 * live rules an audit read), the way EC2 evaluates them:
 *
 * - security groups are stateful: the source's egress AND the destination's ingress must allow
 *   the packet; a rule matches by address range or by a group (`sg:<name>`) the other end
 *   carries; an address outside the model has no groups and is not filtered at its end;
 * - network ACLs (`nacl:<zone>`) are stateless, lowest rule number first, first match wins,
 *   implicit deny: the request must pass the source subnet's egress and the destination
 *   subnet's ingress, and its reply the destination's egress and the source's ingress. The reply
 *   of TCP and UDP goes to an ephemeral port of the source; an ICMP echo request (IPv4 type 8,
 *   ICMPv6 type 128) gets an echo reply (0, 129); other ICMP messages (errors such as destination
 *   unreachable) get no reply.
 *
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html
 */
import { CanonicalRule } from '../ir/canonical';
import { Address, addressGiven, cidrTextHas, EvalEnd, groupBy, Packet, PacketEvaluator, protocolMatches, protocolName, portsMatch, workloadOf } from './rules';

/** Source port of return traffic (inside every ephemeral range AWS documents). */
export const AWS_RETURN_PORT = 50000;

/** Where the members of each workload sit: the groups they carry, their subnets' zone, an address. */
export interface AwsDeployment {
  /** The security groups a member of the workload carries (canonical containers, `sg:<name>`); none: not on this cloud. */
  readonly groupsOf: (workload: string) => readonly string[] | undefined;
  /** The zone whose subnets hold the workload's members. */
  readonly zoneOf: (workload: string) => string | undefined;
  /** An address of a member of the workload. */
  readonly addressOf: (workload: string) => Address | undefined;
  /**
   * Zones whose subnets are associated with their `nacl:<zone>` ACL.
   * @default - every zone with a `nacl:<zone>` rule
   */
  readonly naclZones?: readonly string[];
}

interface End { readonly workload?: string; readonly groups: readonly string[]; readonly address?: Address }

/** Evaluates packets against AWS canonical rules (security groups and network ACLs). */
export class AwsRuleEvaluator implements PacketEvaluator {
  private readonly ingress: Map<string, CanonicalRule[]>;
  private readonly egress: Map<string, CanonicalRule[]>;
  private readonly nacls: Map<string, CanonicalRule[]>;
  /** Zones whose subnets have a microseg network ACL, sorted. */
  public readonly naclZones: string[];

  constructor(rules: readonly CanonicalRule[], private readonly deployment: AwsDeployment) {
    const sg = rules.filter(r => r.container.startsWith('sg:') && r.action === 'allow');
    this.ingress = groupBy(sg.filter(r => r.direction === 'ingress'), r => r.container);
    this.egress = groupBy(sg.filter(r => r.direction === 'egress'), r => r.container);
    this.nacls = groupBy(rules.filter(r => r.container.startsWith('nacl:')), r => r.container.slice('nacl:'.length));
    for (const list of this.nacls.values()) list.sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
    // an associated ACL without entries denies everything (its implicit deny)
    this.naclZones = [...(deployment.naclZones ?? this.nacls.keys())].sort();
  }

  /** Whether the security groups and network ACLs allow the packet. */
  public allows(p: Packet): boolean {
    return this.securityGroupsAllow(p) && this.naclsAllow(p);
  }

  /** The security group part alone. */
  public securityGroupsAllow(p: Packet): boolean {
    const src = this.end(p.source);
    const dst = this.end(p.destination);
    if (src.workload !== undefined && !src.groups.some(g => (this.egress.get(g) ?? []).some(r => this.sgMatches(r, p, dst)))) return false;
    if (dst.workload !== undefined && !dst.groups.some(g => (this.ingress.get(g) ?? []).some(r => this.sgMatches(r, p, src)))) return false;
    return true;
  }

  /** The network ACL part alone (request and return traffic). */
  public naclsAllow(p: Packet): boolean {
    const src = this.end(p.source);
    const dst = this.end(p.destination);
    const srcNacl = this.naclOf(src.workload);
    const dstNacl = this.naclOf(dst.workload);
    const req = { protocol: p.protocol, port: p.port, code: p.code };
    if (srcNacl && !this.naclPasses(srcNacl, 'egress', dst.address, req)) return false;
    if (dstNacl && !this.naclPasses(dstNacl, 'ingress', src.address, req)) return false;
    const reply = replyOf(p, src.address?.family === 'ipv6' || dst.address?.family === 'ipv6' ? 'ipv6' : 'ipv4');
    if (!reply) return true;
    if (dstNacl && !this.naclPasses(dstNacl, 'egress', src.address, reply)) return false;
    if (srcNacl && !this.naclPasses(srcNacl, 'ingress', dst.address, reply)) return false;
    return true;
  }

  private naclOf(workload: string | undefined): string | undefined {
    if (workload === undefined) return undefined;
    const zone = this.deployment.zoneOf(workload);
    return zone !== undefined && this.naclZones.includes(zone) ? zone : undefined;
  }

  private end(e: EvalEnd): End {
    const workload = workloadOf(e);
    if (workload === undefined) return { groups: [], address: addressGiven(e) };
    return { workload, groups: this.deployment.groupsOf(workload) ?? [], address: addressGiven(e) ?? this.deployment.addressOf(workload) };
  }

  private sgMatches(r: CanonicalRule, p: Packet, other: End): boolean {
    if (!protocolMatches(r.protocol, p.protocol, other.address?.family ?? 'ipv4')) return false;
    if (protocolName(r.protocol) !== 'all' && !portsMatch(r.ports, p)) return false;
    if (r.peer === '*') return true;
    if (r.peer.startsWith('cidr:')) return other.address !== undefined && cidrTextHas(r.peer.slice(5), other.address);
    return other.groups.includes(r.peer);
  }

  private naclPasses(zone: string, direction: 'ingress' | 'egress', remote: Address | undefined, t: Pick<Packet, 'protocol' | 'port' | 'code'>): boolean {
    for (const e of this.nacls.get(zone) ?? []) {
      if (e.direction !== direction) continue;
      if (e.peer !== '*' && !(remote && e.peer.startsWith('cidr:') && cidrTextHas(e.peer.slice(5), remote))) continue;
      if (!protocolMatches(e.protocol, t.protocol, remote?.family ?? 'ipv4')) continue;
      if (protocolName(e.protocol) !== 'all' && !portsMatch(e.ports, t)) continue;
      return e.action === 'allow';
    }
    return false;
  }
}

/**
 * The reply a packet gets, if any: TCP and UDP to an ephemeral port, an ICMP echo reply to an
 * echo request (IPv4 type 8 -> 0, ICMPv6 128 -> 129); other ICMP messages get none.
 */
function replyOf(p: Packet, family: Address['family']): Pick<Packet, 'protocol' | 'port' | 'code'> | undefined {
  if (p.protocol !== 'icmp') return { protocol: p.protocol, port: AWS_RETURN_PORT };
  const echo = family === 'ipv6' ? { request: 128, reply: 129 } : { request: 8, reply: 0 };
  return p.port === echo.request ? { protocol: 'icmp', port: echo.reply, code: 0 } : undefined;
}

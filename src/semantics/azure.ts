/**
 * Azure semantics: "does Azure deliver this packet?" over canonical NSG rules (a backend's plan
 * or the live rules an audit read).
 *
 * Each member of a workload has its NIC in the workload's application security groups and sits in
 * its zone's subnet. A packet passes the source's NSGs outbound (NIC, then subnet), then the
 * destination's NSGs inbound (subnet, then NIC); an address outside the model has no NSG. Each
 * NSG evaluates its rules by priority (lowest first), first match wins, with Azure's default
 * rules after the custom ones (AllowVnetInBound 65000, AllowAzureLoadBalancerInBound 65001,
 * DenyAllInBound 65500; AllowVnetOutBound 65000, AllowInternetOutBound 65001, DenyAllOutBound
 * 65500). A rule's `peer` is the remote side (source inbound, destination outbound), its
 * `target` the protected side. ICMP rules match every ICMP type (NSGs cannot match types). The
 * `VirtualNetwork` service tag covers the deployment's network ranges, `Internet` everything else.
 *
 * @see https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works
 * @see https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules
 */
import { CanonicalRule, RuleAction, RuleDirection } from '../ir/canonical';
import { Address, addressGiven, cidrTextHas, EvalEnd, groupBy, Packet, PacketEvaluator, pathFamily, portsMatch, protocolMatches, workloadOf } from './rules';

/** Where the members of each workload sit. */
export interface AzureDeployment {
  /** The application security groups a member's NIC is in (canonical, `asg:<name>`); none: not on this cloud. */
  readonly asgsOf: (workload: string) => readonly string[] | undefined;
  /** The NSG of the workload's subnet (canonical container, `nsg:<name>`), if any. */
  readonly subnetNsgOf: (workload: string) => string | undefined;
  /** The NSG of the workload's NICs (canonical container), if any. */
  readonly nicNsgOf: (workload: string) => string | undefined;
  /** An address of a member of the workload. */
  readonly addressOf: (workload: string) => Address | undefined;
  /** The address ranges Azure's `VirtualNetwork` service tag covers. */
  readonly virtualNetworkRanges: readonly string[];
}

/** Azure's default rules of every NSG, canonical (`tag:` peers are service tags). */
export const AZURE_DEFAULT_RULES: readonly CanonicalRule[] = [
  { container: '*', direction: RuleDirection.INGRESS, action: RuleAction.ALLOW, protocol: 'all', ports: '*', peer: 'tag:VirtualNetwork', target: 'tag:VirtualNetwork', priority: 65000, name: 'AllowVnetInBound' },
  { container: '*', direction: RuleDirection.INGRESS, action: RuleAction.ALLOW, protocol: 'all', ports: '*', peer: 'tag:AzureLoadBalancer', target: '*', priority: 65001, name: 'AllowAzureLoadBalancerInBound' },
  { container: '*', direction: RuleDirection.INGRESS, action: RuleAction.DENY, protocol: 'all', ports: '*', peer: '*', target: '*', priority: 65500, name: 'DenyAllInBound' },
  { container: '*', direction: RuleDirection.EGRESS, action: RuleAction.ALLOW, protocol: 'all', ports: '*', peer: 'tag:VirtualNetwork', target: 'tag:VirtualNetwork', priority: 65000, name: 'AllowVnetOutBound' },
  { container: '*', direction: RuleDirection.EGRESS, action: RuleAction.ALLOW, protocol: 'all', ports: '*', peer: 'tag:Internet', target: '*', priority: 65001, name: 'AllowInternetOutBound' },
  { container: '*', direction: RuleDirection.EGRESS, action: RuleAction.DENY, protocol: 'all', ports: '*', peer: '*', target: '*', priority: 65500, name: 'DenyAllOutBound' },
];

interface End { readonly workload?: string; readonly asgs: readonly string[]; readonly address?: Address }

/** Evaluates packets against Azure canonical NSG rules. */
export class AzureRuleEvaluator implements PacketEvaluator {
  /** Rules per NSG container and direction, by priority, default rules last. */
  private readonly byNsg: Map<string, CanonicalRule[]>;

  constructor(rules: readonly CanonicalRule[], private readonly deployment: AzureDeployment) {
    this.byNsg = groupBy(rules.filter(r => r.container.startsWith('nsg:')), r => `${r.container}|${r.direction}`);
    for (const [key, list] of this.byNsg) {
      list.push(...AZURE_DEFAULT_RULES.filter(d => key.endsWith(`|${d.direction}`)));
      // equal priorities come from one Azure rule (priorities are unique per direction): same action
      list.sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
    }
  }

  /**
   * The first rule of an NSG matching the packet in a direction (a default rule when no custom
   * one does), or undefined when the NSG has no rules at all here.
   */
  public firstMatch(nsg: string, direction: RuleDirection.INGRESS | 'egress', p: Packet): CanonicalRule | undefined {
    const src = this.end(p.source);
    const dst = this.end(p.destination);
    const family = pathFamily([src.address, dst.address].filter((a): a is Address => a !== undefined));
    const list = this.byNsg.get(`${nsg}|${direction}`) ?? AZURE_DEFAULT_RULES.filter(d => d.direction === direction);
    return list.find(r => this.matches(r, p, src, dst, family));
  }

  /** The NSGs in a workload's path, in Azure's order for the direction (subnet and NIC). */
  public nsgsOf(workload: string | undefined, direction: RuleDirection.INGRESS | 'egress'): string[] {
    if (workload === undefined || this.deployment.asgsOf(workload) === undefined) return [];
    const both = [this.deployment.subnetNsgOf(workload), this.deployment.nicNsgOf(workload)].filter((x): x is string => x !== undefined);
    return direction === 'ingress' ? both : both.reverse();
  }

  /** Whether Azure delivers the packet. */
  public allows(p: Packet): boolean {
    for (const nsg of this.nsgsOf(workloadOf(p.source), RuleDirection.EGRESS)) if (this.firstMatch(nsg, RuleDirection.EGRESS, p)?.action !== RuleAction.ALLOW) return false;
    for (const nsg of this.nsgsOf(workloadOf(p.destination), RuleDirection.INGRESS)) if (this.firstMatch(nsg, RuleDirection.INGRESS, p)?.action !== RuleAction.ALLOW) return false;
    return true;
  }

  private end(e: EvalEnd): End {
    const workload = workloadOf(e);
    if (workload === undefined) return { asgs: [], address: addressGiven(e) };
    return { workload, asgs: this.deployment.asgsOf(workload) ?? [], address: addressGiven(e) ?? this.deployment.addressOf(workload) };
  }

  private matches(r: CanonicalRule, p: Packet, src: End, dst: End, family: Address['family']): boolean {
    if (!protocolMatches(r.protocol, p.protocol, family, true)) return false;
    // a port range applies to TCP and UDP packets, also on an any-protocol rule
    if (p.protocol !== 'icmp' && !portsMatch(r.ports, p)) return false;
    const [peerEnd, targetEnd] = r.direction === 'ingress' ? [src, dst] : [dst, src];
    return this.sideMatches(r.peer, peerEnd) && this.sideMatches(r.target ?? '*', targetEnd);
  }

  private sideMatches(side: string, e: End): boolean {
    if (side === '*') return true;
    if (side.startsWith('asg:')) return e.asgs.includes(side);
    if (side.startsWith('cidr:')) return e.address !== undefined && cidrTextHas(side.slice(5), e.address);
    if (side === 'tag:VirtualNetwork') return e.address !== undefined && this.inVnet(e.address);
    if (side === 'tag:Internet') return e.address !== undefined && !this.inVnet(e.address);
    return false; // other service tags (AzureLoadBalancer, ...) name no address of the model
  }

  private inVnet(a: Address): boolean {
    return this.deployment.virtualNetworkRanges.some(c => cidrTextHas(c, a));
  }
}

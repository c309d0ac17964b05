/**
 * An Azure NSG evaluator over synthesized Terraform JSON (azurerm): "does Azure let this packet
 * through?", independent of how microseg planned the rules. It reads the document's rules into
 * canonical rules and asks the semantic layer (`src/semantics/azure.ts`).
 *
 * The deployment it assumes: every VM of workload `w` has its NIC in the ASG tagged
 * `microseg:workload=w` and sits in the subnet of its zone, whose NSG is the one tagged
 * `microseg:zone=<zone>` (subnet NSGs on both ends). A packet passes when the source subnet's
 * NSG allows it outbound and then the destination subnet's NSG allows it inbound. Each NSG
 * evaluates its rules by priority (lowest first), first match wins, with Azure's default rules
 * (AllowVnetInBound 65000, AllowAzureLoadBalancerInBound 65001, DenyAllInBound 65500;
 * AllowVnetOutBound 65000, AllowInternetOutBound 65001, DenyAllOutBound 65500) after the custom
 * ones. ICMP rules match every ICMP type (NSGs cannot match types).
 *
 * Per-workload NSGs (tagged `microseg:workload=<w>`, nsgScope WORKLOAD) sit on the workload's
 * NICs: a packet then passes the source workload's NSG outbound and the destination workload's
 * NSG inbound, and also the zone (subnet) NSGs when the document has both (Azure evaluates the
 * subnet NSG and the NIC NSG, and both must allow: inbound subnet then NIC, outbound NIC then
 * subnet).
 */
import { CanonicalRule, RuleAction, RuleDirection } from '../../src/ir';
import { AzureRuleEvaluator, protocolName } from '../../src/semantics';

/** A rule as the document renders it. */
export interface AzureRule {
  name: string;
  priority: number;
  direction: 'Inbound' | 'Outbound';
  access: 'Allow' | 'Deny';
  protocol: string;
  sourcePrefixes?: string[];
  sourceAsgs?: string[];
  destinationPrefixes?: string[];
  destinationAsgs?: string[];
  ports: string[];
}

/** One end of a packet: a workload (by name, with its address) or an external address. */
export interface AzureEnd {
  workload?: string;
  address: bigint;
  family: 'ipv4' | 'ipv6';
}

export interface AzurePacket {
  source: AzureEnd;
  destination: AzureEnd;
  protocol: 'tcp' | 'udp' | 'icmp';
  port: number;
}

const asList = (one: unknown, many: unknown): string[] | undefined => (many as string[] | undefined) ?? (one === undefined ? undefined : [one as string]);

/** A prefix of the document -> a canonical side (`*`, `cidr:`, `tag:<service tag>`). */
function prefixSide(p: string): string {
  if (p === '*') return '*';
  return /^[0-9a-fA-F:.]+(\/\d+)?$/.test(p) && /[.:]/.test(p) ? `cidr:${p}` : `tag:${p}`;
}

function sides(prefixes: string[] | undefined, asgs: string[] | undefined): string[] {
  if (asgs) return asgs.map(a => `asg:${a}`);
  return (prefixes ?? []).map(prefixSide);
}

/** A document rule -> canonical rules (one per peer x target x port range). */
function canonical(nsg: string, r: AzureRule): CanonicalRule[] {
  const inbound = r.direction === 'Inbound';
  const src = sides(r.sourcePrefixes, r.sourceAsgs);
  const dst = sides(r.destinationPrefixes, r.destinationAsgs);
  const out: CanonicalRule[] = [];
  for (const peer of inbound ? src : dst) {
    for (const target of inbound ? dst : src) {
      for (const ports of r.ports.length ? r.ports : ['none']) {
        out.push({
          container: `nsg:${nsg}`, direction: inbound ? RuleDirection.INGRESS : RuleDirection.EGRESS, action: r.access === 'Allow' ? RuleAction.ALLOW : RuleAction.DENY,
          protocol: protocolName(r.protocol), ports, peer, target, priority: r.priority, name: r.name,
        });
      }
    }
  }
  return out;
}

const toPacket = (p: AzurePacket) => ({
  source: p.source.workload !== undefined ? { workload: p.source.workload, address: p.source.address, family: p.source.family } : { address: p.source.address, family: p.source.family },
  destination: p.destination.workload !== undefined ? { workload: p.destination.workload, address: p.destination.address, family: p.destination.family } : { address: p.destination.address, family: p.destination.family },
  protocol: p.protocol, port: p.port,
});

export class AzureNsgEvaluator {
  /** Rules per NSG reference (`${azurerm_network_security_group.<name>.name}`), as rendered. */
  readonly nsgRules = new Map<string, AzureRule[]>();
  /** NSG name reference per zone (subnet NSGs). */
  readonly nsgOfZone = new Map<string, string>();
  /** NSG name reference per workload (NIC NSGs, nsgScope WORKLOAD). */
  readonly nsgOfWorkload = new Map<string, string>();
  /** ASG id reference per workload. */
  readonly asgOfWorkload = new Map<string, string>();
  /** Zone per workload (from the ASG tags). */
  readonly zoneOfWorkload = new Map<string, string>();
  /** The rendered rules, canonical (containers `nsg:<NSG name reference>`, ASGs by id reference). */
  readonly rules: CanonicalRule[] = [];
  private readonly semantic: AzureRuleEvaluator;

  /**
   * @param tf the Terraform JSON document
   * @param vnetRanges the virtual network's address space (what the VirtualNetwork tag covers)
   */
  constructor(tf: any, vnetRanges: string[]) {
    const res = tf.resource ?? {};
    for (const [name, a] of Object.entries<any>(res.azurerm_application_security_group ?? {})) {
      this.asgOfWorkload.set(a.tags['microseg:workload'], `\${azurerm_application_security_group.${name}.id}`);
      this.zoneOfWorkload.set(a.tags['microseg:workload'], a.tags['microseg:zone']);
    }
    for (const [name, a] of Object.entries<any>(res.azurerm_network_security_group ?? {})) {
      if (a.security_rule) throw new Error('inline security_rule blocks must not be mixed with rule resources');
      const ref = `\${azurerm_network_security_group.${name}.name}`;
      if (a.tags['microseg:workload'] !== undefined) this.nsgOfWorkload.set(a.tags['microseg:workload'], ref);
      else this.nsgOfZone.set(a.tags['microseg:zone'], ref);
      this.nsgRules.set(ref, []);
    }
    for (const r of Object.values<any>(res.azurerm_network_security_rule ?? {})) {
      const list = this.nsgRules.get(r.network_security_group_name);
      if (!list) throw new Error(`rule ${r.name} refers to an unknown NSG ${r.network_security_group_name}`);
      list.push({
        name: r.name, priority: r.priority, direction: r.direction, access: r.access, protocol: r.protocol,
        sourcePrefixes: asList(r.source_address_prefix, r.source_address_prefixes),
        sourceAsgs: r.source_application_security_group_ids,
        destinationPrefixes: asList(r.destination_address_prefix, r.destination_address_prefixes),
        destinationAsgs: r.destination_application_security_group_ids,
        ports: asList(r.destination_port_range, r.destination_port_ranges) ?? [],
      });
    }
    for (const [ref, list] of this.nsgRules) {
      for (const dir of ['Inbound', 'Outbound']) {
        const ps = list.filter(r => r.direction === dir).map(r => r.priority);
        if (new Set(ps).size !== ps.length) throw new Error(`duplicate ${dir} priority in ${ref}`);
        if (ps.some(p => p < 100 || p > 4096)) throw new Error(`priority out of range in ${ref}`);
      }
      list.sort((a, b) => a.priority - b.priority);
      this.rules.push(...list.flatMap(r => canonical(ref, r)));
    }
    this.semantic = new AzureRuleEvaluator(this.rules, {
      asgsOf: w => (this.asgOfWorkload.has(w) ? [`asg:${this.asgOfWorkload.get(w)}`] : undefined),
      subnetNsgOf: w => { const n = this.nsgOfZone.get(this.zoneOfWorkload.get(w) ?? ''); return n && `nsg:${n}`; },
      nicNsgOf: w => { const n = this.nsgOfWorkload.get(w); return n && `nsg:${n}`; },
      addressOf: () => undefined, // the packets carry the addresses
      virtualNetworkRanges: vnetRanges,
    });
  }

  /** The first matching rule of an NSG in a direction (a default rule when no custom one matches). */
  firstMatch(nsg: string, direction: 'Inbound' | 'Outbound', p: AzurePacket): CanonicalRule {
    return this.semantic.firstMatch(`nsg:${nsg}`, direction === 'Inbound' ? RuleDirection.INGRESS : RuleDirection.EGRESS, toPacket(p))!;
  }

  /** The NSGs in a workload's path, in Azure's order for the direction (NIC and subnet). */
  nsgsOf(workload: string | undefined, direction: 'Inbound' | 'Outbound'): string[] {
    return this.semantic.nsgsOf(workload, direction === 'Inbound' ? RuleDirection.INGRESS : RuleDirection.EGRESS).map(c => c.slice('nsg:'.length));
  }

  /**
   * Whether Azure delivers the packet: the source's NSGs outbound (NIC, then subnet), then the
   * destination's NSGs inbound (subnet, then NIC).
   */
  allows(p: AzurePacket): boolean {
    return this.semantic.allows(toPacket(p));
  }
}

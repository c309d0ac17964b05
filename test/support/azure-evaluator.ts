/**
 * An Azure NSG evaluator over synthesized Terraform JSON (azurerm): "does Azure let this packet
 * through?", independent of how microseg planned the rules.
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
import { Cidr, cidr, cidrHas } from '../../src/ir';

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

const DEFAULTS: AzureRule[] = [
  { name: 'AllowVnetInBound', priority: 65000, direction: 'Inbound', access: 'Allow', protocol: '*', sourcePrefixes: ['VirtualNetwork'], destinationPrefixes: ['VirtualNetwork'], ports: ['*'] },
  { name: 'AllowAzureLoadBalancerInBound', priority: 65001, direction: 'Inbound', access: 'Allow', protocol: '*', sourcePrefixes: ['AzureLoadBalancer'], destinationPrefixes: ['*'], ports: ['*'] },
  { name: 'DenyAllInBound', priority: 65500, direction: 'Inbound', access: 'Deny', protocol: '*', sourcePrefixes: ['*'], destinationPrefixes: ['*'], ports: ['*'] },
  { name: 'AllowVnetOutBound', priority: 65000, direction: 'Outbound', access: 'Allow', protocol: '*', sourcePrefixes: ['VirtualNetwork'], destinationPrefixes: ['VirtualNetwork'], ports: ['*'] },
  { name: 'AllowInternetOutBound', priority: 65001, direction: 'Outbound', access: 'Allow', protocol: '*', sourcePrefixes: ['*'], destinationPrefixes: ['Internet'], ports: ['*'] },
  { name: 'DenyAllOutBound', priority: 65500, direction: 'Outbound', access: 'Deny', protocol: '*', sourcePrefixes: ['*'], destinationPrefixes: ['*'], ports: ['*'] },
];

const asList = (one: unknown, many: unknown): string[] | undefined => (many as string[] | undefined) ?? (one === undefined ? undefined : [one as string]);

export class AzureNsgEvaluator {
  /** Rules per NSG reference (`${azurerm_network_security_group.<name>.name}`), sorted by priority. */
  readonly nsgRules = new Map<string, AzureRule[]>();
  /** NSG name reference per zone (subnet NSGs). */
  readonly nsgOfZone = new Map<string, string>();
  /** NSG name reference per workload (NIC NSGs, nsgScope WORKLOAD). */
  readonly nsgOfWorkload = new Map<string, string>();
  /** ASG id reference per workload. */
  readonly asgOfWorkload = new Map<string, string>();
  /** Zone per workload (from the ASG tags). */
  readonly zoneOfWorkload = new Map<string, string>();
  private readonly vnet: Cidr[];
  private readonly cidrs = new Map<string, Cidr>();

  /**
   * @param tf the Terraform JSON document
   * @param vnetRanges the virtual network's address space (what the VirtualNetwork tag covers)
   */
  constructor(tf: any, vnetRanges: string[]) {
    this.vnet = vnetRanges.map(cidr);
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
      list.push(...DEFAULTS);
      list.sort((a, b) => a.priority - b.priority);
    }
  }

  private inVnet(e: AzureEnd): boolean {
    return this.vnet.some(c => cidrHas(c, e.family, e.address));
  }

  private sideMatches(prefixes: string[] | undefined, asgs: string[] | undefined, e: AzureEnd): boolean {
    if (asgs) return e.workload !== undefined && asgs.includes(this.asgOfWorkload.get(e.workload)!);
    return (prefixes ?? []).some(p => {
      if (p === '*') return true;
      if (p === 'VirtualNetwork') return this.inVnet(e);
      if (p === 'Internet') return !this.inVnet(e);
      if (p === 'AzureLoadBalancer') return false;
      let c = this.cidrs.get(p);
      if (!c) { c = cidr(p); this.cidrs.set(p, c); }
      return cidrHas(c, e.family, e.address);
    });
  }

  private ruleMatches(r: AzureRule, p: AzurePacket): boolean {
    if (r.protocol !== '*' && r.protocol.toLowerCase() !== p.protocol) return false;
    if (p.protocol !== 'icmp' && !r.ports.some(x => x === '*' || (() => { const [a, b] = x.split('-').map(Number); return a <= p.port && p.port <= (b ?? a); })())) return false;
    return this.sideMatches(r.sourcePrefixes, r.sourceAsgs, p.source) && this.sideMatches(r.destinationPrefixes, r.destinationAsgs, p.destination);
  }

  /** The first matching rule of an NSG in a direction. */
  firstMatch(nsg: string, direction: 'Inbound' | 'Outbound', p: AzurePacket): AzureRule {
    return this.nsgRules.get(nsg)!.find(r => r.direction === direction && this.ruleMatches(r, p))!;
  }

  /** The NSGs in a workload's path, in Azure's order for the direction (NIC and subnet). */
  nsgsOf(workload: string | undefined, direction: 'Inbound' | 'Outbound'): string[] {
    if (workload === undefined) return [];
    const nic = this.nsgOfWorkload.get(workload);
    const subnet = this.nsgOfZone.get(this.zoneOfWorkload.get(workload)!);
    const both = [subnet, nic].filter((x): x is string => x !== undefined);
    return direction === 'Inbound' ? both : both.reverse();
  }

  /**
   * Whether Azure delivers the packet: the source's NSGs outbound (NIC, then subnet), then the
   * destination's NSGs inbound (subnet, then NIC).
   */
  allows(p: AzurePacket): boolean {
    for (const nsg of this.nsgsOf(p.source.workload, 'Outbound')) if (this.firstMatch(nsg, 'Outbound', p).access !== 'Allow') return false;
    for (const nsg of this.nsgsOf(p.destination.workload, 'Inbound')) if (this.firstMatch(nsg, 'Inbound', p).access !== 'Allow') return false;
    return true;
  }
}

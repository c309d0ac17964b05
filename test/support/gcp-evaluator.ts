/**
 * A GCP VPC firewall evaluator over synthesized Terraform JSON (`google_compute_firewall`):
 * "does the VPC firewall let this packet through?", independent of how microseg planned it.
 *
 * Semantics (https://cloud.google.com/firewall/docs/firewalls): rules apply to the instances they
 * target (target tags, target service accounts, or every instance); lower priority number wins,
 * and at equal priority a deny beats an allow; implied rules at 65535 allow all egress and deny
 * all ingress. Ingress rules match the source by source ranges, source tags or source service
 * accounts (ORed; no source means 0.0.0.0/0); egress rules match destination ranges only (none
 * means 0.0.0.0/0). A packet passes when the source instance's egress and the destination
 * instance's ingress both allow it. `icmp` matches ICMPv4 of every type, `58` ICMPv6.
 */
import { Cidr, cidr, cidrHas } from '../../src/ir';

export interface GcpInstance {
  tags: string[];
  serviceAccount?: string;
}

/** One end: a workload's instance (with its address) or an external address. */
export interface GcpEnd {
  workload?: string;
  address: bigint;
  family: 'ipv4' | 'ipv6';
}

export interface GcpPacket {
  source: GcpEnd;
  destination: GcpEnd;
  protocol: 'tcp' | 'udp' | 'icmp';
  port: number;
}

interface Block { protocol: string; ports?: string[] }

export interface GcpRule {
  name: string;
  direction: 'INGRESS' | 'EGRESS';
  priority: number;
  action: 'allow' | 'deny';
  blocks: Block[];
  sourceRanges?: string[];
  sourceTags?: string[];
  sourceServiceAccounts?: string[];
  destinationRanges?: string[];
  targetTags?: string[];
  targetServiceAccounts?: string[];
  logged: boolean;
}

export class GcpFirewallEvaluator {
  readonly rules: GcpRule[] = [];
  private readonly cidrs = new Map<string, Cidr>();

  /**
   * @param tf the Terraform JSON document
   * @param instanceOf the deployment: the tags / service account of a workload's instances, or
   * undefined for a workload that is not on this network (it is then just an address)
   */
  constructor(tf: any, private readonly instanceOf: (workload: string) => GcpInstance | undefined) {
    for (const r of Object.values<any>(tf.resource?.google_compute_firewall ?? {})) {
      if (r.disabled) continue;
      if (r.name.length > 63 || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(r.name)) throw new Error(`invalid firewall name ${r.name}`);
      if ((r.source_tags || r.target_tags) && (r.source_service_accounts || r.target_service_accounts)) throw new Error(`${r.name} mixes tags and service accounts`);
      const ranges = [...(r.source_ranges ?? []), ...(r.destination_ranges ?? [])];
      if (new Set(ranges.map((c: string) => c.includes(':'))).size > 1) throw new Error(`${r.name} mixes IPv4 and IPv6 ranges`);
      this.rules.push({
        name: r.name, direction: r.direction, priority: r.priority ?? 1000, action: r.allow ? 'allow' : 'deny', blocks: r.allow ?? r.deny,
        sourceRanges: r.source_ranges, sourceTags: r.source_tags, sourceServiceAccounts: r.source_service_accounts,
        destinationRanges: r.destination_ranges, targetTags: r.target_tags, targetServiceAccounts: r.target_service_accounts,
        logged: r.log_config !== undefined,
      });
    }
    // priority order; at equal priority deny first
    this.rules.sort((a, b) => a.priority - b.priority || (a.action === b.action ? 0 : a.action === 'deny' ? -1 : 1));
  }

  private has(list: string[], e: GcpEnd): boolean {
    return list.some(p => {
      let c = this.cidrs.get(p);
      if (!c) { c = cidr(p); this.cidrs.set(p, c); }
      return cidrHas(c, e.family, e.address);
    });
  }

  private targets(r: GcpRule, inst: GcpInstance): boolean {
    if (!r.targetTags && !r.targetServiceAccounts) return true;
    return (r.targetTags ?? []).some(t => inst.tags.includes(t)) || (!!inst.serviceAccount && (r.targetServiceAccounts ?? []).includes(inst.serviceAccount));
  }

  private serviceMatches(r: GcpRule, p: GcpPacket, family: 'ipv4' | 'ipv6'): boolean {
    return r.blocks.some(b => {
      if (b.protocol === 'all') return true;
      if (p.protocol === 'icmp') return (b.protocol === 'icmp' && family === 'ipv4') || (b.protocol === '58' && family === 'ipv6');
      if (b.protocol !== p.protocol) return false;
      return !b.ports || b.ports.some(x => { const [a, c] = x.split('-').map(Number); return a <= p.port && p.port <= (c ?? a); });
    });
  }

  /** The first matching rule for a direction, or undefined (implied rule). */
  firstMatch(direction: 'INGRESS' | 'EGRESS', p: GcpPacket): GcpRule | undefined {
    // the packet's family: an external IPv6 end makes it IPv6 (workload ends carry IPv4 addresses)
    const family = p.source.family === 'ipv6' || p.destination.family === 'ipv6' ? 'ipv6' : 'ipv4';
    if (direction === 'INGRESS') {
      const inst = this.instanceOf(p.destination.workload!)!;
      const src = p.source.workload ? this.instanceOf(p.source.workload) : undefined;
      return this.rules.find(r => r.direction === 'INGRESS' && this.targets(r, inst) && this.serviceMatches(r, p, family) && (
        (!r.sourceRanges && !r.sourceTags && !r.sourceServiceAccounts ? this.has(['0.0.0.0/0'], p.source) : false)
        || this.has(r.sourceRanges ?? [], p.source)
        || (!!src && (r.sourceTags ?? []).some(t => src.tags.includes(t)))
        || (!!src?.serviceAccount && (r.sourceServiceAccounts ?? []).includes(src.serviceAccount))));
    }
    const inst = this.instanceOf(p.source.workload!)!;
    return this.rules.find(r => r.direction === 'EGRESS' && this.targets(r, inst) && this.serviceMatches(r, p, family)
      && this.has(r.destinationRanges ?? ['0.0.0.0/0'], p.destination));
  }

  /** Whether the VPC firewall delivers the packet. */
  allows(p: GcpPacket): boolean {
    if (p.source.workload && this.instanceOf(p.source.workload)) {
      const r = this.firstMatch('EGRESS', p);
      if (r && r.action === 'deny') return false; // implied egress: allow
    }
    if (p.destination.workload && this.instanceOf(p.destination.workload)) {
      const r = this.firstMatch('INGRESS', p);
      if (!r || r.action === 'deny') return false; // implied ingress: deny
    }
    return true;
  }
}

/**
 * A GCP VPC firewall evaluator over synthesized Terraform JSON (`google_compute_firewall`):
 * "does the VPC firewall let this packet through?", independent of how microseg planned it. It
 * reads the document's rules into canonical rules and asks the semantic layer
 * (`src/semantics/gcp.ts`).
 *
 * Semantics (https://cloud.google.com/firewall/docs/firewalls): rules apply to the instances they
 * target (target tags, target service accounts, or every instance); lower priority number wins,
 * and at equal priority a deny beats an allow; implied rules at 65535 allow all egress and deny
 * all ingress. Ingress rules match the source by source ranges, source tags or source service
 * accounts (ORed; no source means 0.0.0.0/0); egress rules match destination ranges only (none
 * means 0.0.0.0/0). A packet passes when the source instance's egress and the destination
 * instance's ingress both allow it. `icmp` matches ICMPv4 of every type, `58` ICMPv6.
 */
import { CanonicalRule, RuleAction, RuleDirection } from '../../src/ir';
import { GcpInstance, GcpRuleEvaluator, protocolName } from '../../src/semantics';

export type { GcpInstance };

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

/** A firewall rule as the document renders it. */
export interface GcpRule {
  name: string;
  direction: 'INGRESS' | 'EGRESS';
  priority: number;
  action: RuleAction;
  blocks: Block[];
  sourceRanges?: string[];
  sourceTags?: string[];
  sourceServiceAccounts?: string[];
  destinationRanges?: string[];
  targetTags?: string[];
  targetServiceAccounts?: string[];
  logged: boolean;
}

/** A document rule -> canonical rules (one per peer x target x protocol x port range). */
function canonical(r: GcpRule): CanonicalRule[] {
  const ingress = r.direction === 'INGRESS';
  const peers = ingress
    ? [...(r.sourceRanges ?? []).map(c => `cidr:${c}`), ...(r.sourceTags ?? []).map(t => `tag:${t}`), ...(r.sourceServiceAccounts ?? []).map(s => `sa:${s}`)]
    : (r.destinationRanges ?? ['0.0.0.0/0']).map(c => `cidr:${c}`);
  const targets = [...(r.targetTags ?? []).map(t => `tag:${t}`), ...(r.targetServiceAccounts ?? []).map(s => `sa:${s}`)];
  const out: CanonicalRule[] = [];
  for (const b of r.blocks) {
    for (const ports of b.ports ?? ['*']) {
      for (const peer of peers.length ? peers : ['cidr:0.0.0.0/0']) {
        for (const target of targets.length ? targets : ['*']) {
          out.push({ container: 'network:n', direction: ingress ? RuleDirection.INGRESS : RuleDirection.EGRESS, action: r.action, protocol: protocolName(b.protocol), ports, peer, target, priority: r.priority, name: r.name });
        }
      }
    }
  }
  return out;
}

const toPacket = (p: GcpPacket) => ({
  source: p.source.workload !== undefined ? { workload: p.source.workload, address: p.source.address, family: p.source.family } : { address: p.source.address, family: p.source.family },
  destination: p.destination.workload !== undefined ? { workload: p.destination.workload, address: p.destination.address, family: p.destination.family } : { address: p.destination.address, family: p.destination.family },
  protocol: p.protocol, port: p.port,
});

export class GcpFirewallEvaluator {
  /** The document's rules, as rendered (priority order; at equal priority deny first). */
  readonly rules: GcpRule[] = [];
  /** The same, canonical. */
  readonly canonical: CanonicalRule[];
  private readonly semantic: GcpRuleEvaluator;

  /**
   * @param tf the Terraform JSON document
   * @param instanceOf the deployment: the tags / service account of a workload's instances, or
   * undefined for a workload that is not on this network (it is then just an address)
   */
  constructor(tf: any, instanceOf: (workload: string) => GcpInstance | undefined) {
    for (const r of Object.values<any>(tf.resource?.google_compute_firewall ?? {})) {
      if (r.disabled) continue;
      if (r.name.length > 63 || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(r.name)) throw new Error(`invalid firewall name ${r.name}`);
      if ((r.source_tags || r.target_tags) && (r.source_service_accounts || r.target_service_accounts)) throw new Error(`${r.name} mixes tags and service accounts`);
      const ranges = [...(r.source_ranges ?? []), ...(r.destination_ranges ?? [])];
      if (new Set(ranges.map((c: string) => c.includes(':'))).size > 1) throw new Error(`${r.name} mixes IPv4 and IPv6 ranges`);
      this.rules.push({
        name: r.name, direction: r.direction, priority: r.priority ?? 1000, action: r.allow ? RuleAction.ALLOW : RuleAction.DENY, blocks: r.allow ?? r.deny,
        sourceRanges: r.source_ranges, sourceTags: r.source_tags, sourceServiceAccounts: r.source_service_accounts,
        destinationRanges: r.destination_ranges, targetTags: r.target_tags, targetServiceAccounts: r.target_service_accounts,
        logged: r.log_config !== undefined,
      });
    }
    this.rules.sort((a, b) => a.priority - b.priority || (a.action === b.action ? 0 : a.action === RuleAction.DENY ? -1 : 1));
    this.canonical = this.rules.flatMap(canonical);
    this.semantic = new GcpRuleEvaluator(this.canonical, { instanceOf, addressOf: () => undefined });
  }

  /** The first matching rule for a direction, or undefined (implied rule). */
  firstMatch(direction: 'INGRESS' | 'EGRESS', p: GcpPacket): GcpRule | undefined {
    const c = this.semantic.firstMatch(direction === 'INGRESS' ? 'ingress' : 'egress', toPacket(p));
    return c && this.rules.find(r => r.name === c.name);
  }

  /** Whether the VPC firewall delivers the packet. */
  allows(p: GcpPacket): boolean {
    return this.semantic.allows(toPacket(p));
  }
}

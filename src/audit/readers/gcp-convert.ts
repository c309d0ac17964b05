/**
 * GCP VPC firewall rules -> canonical rules. Accepts the `@google-cloud/compute` objects and the
 * `gcloud compute firewall-rules list --format=json` / REST JSON (same field names). Pure.
 */
import { CanonicalRule, RuleAction, RuleDirection } from '../../ir/canonical';
import { canonicalProtocol, formatPortRange, parsePortRange } from '../normalize';
import { DriftAttachment } from '../types';
import { cidrPeer } from './aws-convert';
import { armName } from './azure-convert';

/** Structural type of one allowed/denied entry. */
export interface GcpProtocolPorts { readonly IPProtocol?: string | null; readonly ipProtocol?: string | null; readonly I_p_protocol?: string | null; readonly ports?: string[] | null }

/** Structural type of a firewall rule. */
export interface GcpFirewall {
  readonly name?: string | null;
  readonly network?: string | null;
  readonly direction?: string | null;
  readonly priority?: number | string | null;
  readonly disabled?: boolean | null;
  readonly sourceRanges?: string[] | null;
  readonly destinationRanges?: string[] | null;
  readonly sourceTags?: string[] | null;
  readonly sourceServiceAccounts?: string[] | null;
  readonly targetTags?: string[] | null;
  readonly targetServiceAccounts?: string[] | null;
  readonly allowed?: GcpProtocolPorts[] | null;
  readonly denied?: GcpProtocolPorts[] | null;
}

/** The network name of a rule (`.../global/networks/<name>`). */
export function networkName(fw: GcpFirewall): string {
  return armName(fw.network ?? '');
}

/** One firewall rule -> canonical rules (one per peer x target x protocol x port range). */
export function fromFirewall(fw: GcpFirewall): CanonicalRule[] {
  if (fw.disabled) return [];
  const container = `network:${networkName(fw)}`;
  const ingress = String(fw.direction ?? 'INGRESS').toUpperCase() !== 'EGRESS';
  const peers = ingress
    ? [...(fw.sourceRanges ?? []).map(cidrPeer), ...(fw.sourceTags ?? []).map(t => `tag:${t}`), ...(fw.sourceServiceAccounts ?? []).map(s => `sa:${s}`)]
    : (fw.destinationRanges && fw.destinationRanges.length ? fw.destinationRanges : ['0.0.0.0/0']).map(cidrPeer);
  const targets = [...(fw.targetTags ?? []).map(t => `tag:${t}`), ...(fw.targetServiceAccounts ?? []).map(s => `sa:${s}`)];
  const action = fw.denied && fw.denied.length ? RuleAction.DENY : RuleAction.ALLOW;
  const entries = (action === RuleAction.DENY ? fw.denied : fw.allowed) ?? [];
  const priority = fw.priority === undefined || fw.priority === null ? 1000 : Number(fw.priority);
  const out: CanonicalRule[] = [];
  for (const e of entries) {
    const protocol = canonicalProtocol(e.IPProtocol ?? e.ipProtocol ?? e.I_p_protocol ?? 'all');
    const ports = (e.ports && e.ports.length ? e.ports : ['*']).map(p => {
      const r = parsePortRange(p);
      return r ? formatPortRange(r[0], r[1]) : p;
    });
    for (const peer of peers.length ? peers : ['cidr:0.0.0.0/0']) {
      for (const target of targets.length ? targets : ['*']) {
        for (const p of ports) {
          out.push({ container, direction: ingress ? RuleDirection.INGRESS : RuleDirection.EGRESS, action, protocol, ports: protocol === 'all' ? '*' : p, peer, target, priority, name: fw.name ?? undefined });
        }
      }
    }
  }
  return out;
}

/** An unmanaged firewall rule with the canonical rules it holds (they set the finding's severity). */
export interface UnmanagedFirewall extends DriftAttachment {
  readonly rules: CanonicalRule[];
}

/**
 * Splits the live rules: firewall rules microseg did not render (their name is not in the
 * manifest) that target a segmented workload's network tag or service account are `unmanaged`
 * (their rules bypass the model); the others stay in the comparison. Rules that target every
 * instance of the network are compared as they are (`unexpected`).
 */
export function splitUnmanagedFirewalls(live: CanonicalRule[], rendered: ReadonlySet<string>, identities: Readonly<Record<string, Record<string, string>>>): { rules: CanonicalRule[]; unmanaged: UnmanagedFirewall[] } {
  const byTarget = new Map<string, string[]>();
  for (const [w, id] of Object.entries(identities)) {
    const targets = [id.networkTag ? `tag:${id.networkTag}` : '', id.serviceAccount ? `sa:${id.serviceAccount}` : ''].filter(Boolean);
    for (const t of targets) byTarget.set(t, [...(byTarget.get(t) ?? []), w]);
  }
  const foreign = new Map<string, CanonicalRule[]>();
  const rules: CanonicalRule[] = [];
  for (const r of live) {
    const name = r.name;
    if (name && !rendered.has(name) && r.target && byTarget.has(r.target)) {
      const list = foreign.get(name);
      if (list) list.push(r); else foreign.set(name, [r]);
    } else {
      rules.push(r);
    }
  }
  const unmanaged: UnmanagedFirewall[] = [...foreign.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([name, rs]) => {
    const targets = [...new Set(rs.map(r => r.target!))].sort();
    return {
      container: `firewall:${name}`, name: `firewall rule ${name}`, attachedTo: targets.join(', '),
      workloads: [...new Set(targets.flatMap(t => byTarget.get(t) ?? []))].sort(), rules: rs,
    };
  });
  return { rules, unmanaged };
}

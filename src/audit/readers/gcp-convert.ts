/**
 * GCP VPC firewall rules -> canonical rules. Accepts the `@google-cloud/compute` objects and the
 * `gcloud compute firewall-rules list --format=json` / REST JSON (same field names). Pure.
 */
import { CanonicalRule } from '../../ir/canonical';
import { canonicalProtocol, formatPortRange, parsePortRange } from '../normalize';
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
  const action = fw.denied && fw.denied.length ? 'deny' : 'allow';
  const entries = (action === 'deny' ? fw.denied : fw.allowed) ?? [];
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
          out.push({ container, direction: ingress ? 'ingress' : 'egress', action, protocol, ports: protocol === 'all' ? '*' : p, peer, target, priority, name: fw.name ?? undefined });
        }
      }
    }
  }
  return out;
}

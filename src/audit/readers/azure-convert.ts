/**
 * Azure NSGs -> canonical rules. Accepts the SDK's flattened models (`@azure/arm-network`), the
 * `az network nsg show/list` JSON (also flattened) and raw ARM JSON (rule fields under
 * `properties`). Pure functions shared by the live reader and `--from-file`.
 */
import { CanonicalRule } from '../../ir/canonical';
import { canonicalProtocol, formatPortRange, isPortProtocol, parsePortRange } from '../normalize';
import { cidrPeer } from './aws-convert';

/** Structural type of a security rule (flattened or ARM). */
export interface AzureRule {
  readonly name?: string;
  readonly id?: string;
  readonly properties?: AzureRule;
  readonly protocol?: string;
  readonly access?: string;
  readonly direction?: string;
  readonly priority?: number;
  readonly sourceAddressPrefix?: string;
  readonly sourceAddressPrefixes?: string[];
  readonly destinationAddressPrefix?: string;
  readonly destinationAddressPrefixes?: string[];
  readonly sourceApplicationSecurityGroups?: { readonly id?: string }[];
  readonly destinationApplicationSecurityGroups?: { readonly id?: string }[];
  readonly destinationPortRange?: string;
  readonly destinationPortRanges?: string[];
  readonly sourcePortRange?: string;
  readonly sourcePortRanges?: string[];
}

/** Structural type of an NSG. */
export interface AzureNsg {
  readonly name?: string;
  readonly id?: string;
  readonly tags?: Record<string, string>;
  readonly properties?: AzureNsg;
  readonly securityRules?: AzureRule[];
  readonly networkInterfaces?: { readonly id?: string }[];
  readonly subnets?: { readonly id?: string }[];
}

/** The last segment of an ARM id (a resource name). */
export function armName(id: string | undefined): string {
  const parts = (id ?? '').split('/').filter(Boolean);
  return parts[parts.length - 1] ?? '';
}

const PROTOCOLS: Record<string, string> = { '*': 'all', tcp: 'tcp', udp: 'udp', icmp: 'icmp', esp: '50', ah: '51' };

/** An address prefix -> peer/target text: `*`, `cidr:...` or `tag:<ServiceTag>`. */
export function azurePrefix(p: string): string {
  const t = p.trim();
  if (t === '*') return '*';
  if (/^[0-9.]+(\/\d+)?$/.test(t) || t.includes(':') && /^[0-9a-fA-F:.]+(\/\d+)?$/.test(t)) return cidrPeer(t);
  return `tag:${t}`;
}

function sides(prefix: string | undefined, prefixes: string[] | undefined, asgs: { id?: string }[] | undefined): string[] {
  const out = [
    ...(prefixes && prefixes.length ? prefixes : prefix !== undefined && prefix !== '' ? [prefix] : []).map(azurePrefix),
    ...(asgs ?? []).map(a => `asg:${armName(a.id)}`),
  ];
  return out.length ? out : ['*'];
}

function ports(protocol: string, range: string | undefined, ranges: string[] | undefined): string[] {
  const list = ranges && ranges.length ? ranges : [range ?? '*'];
  if (!isPortProtocol(protocol)) {
    if (protocol !== 'all') return ['*'];
  }
  return list.map(p => {
    const r = parsePortRange(p);
    return r ? formatPortRange(r[0], r[1]) : p;
  });
}

/** One NSG -> canonical rules (default rules are not listed: they are not the NSG's own). */
export function fromNsg(nsg: AzureNsg, names?: { nsg?: string }): { rules: CanonicalRule[]; notes: string[] } {
  const body = nsg.properties ?? nsg;
  const container = `nsg:${names?.nsg ?? nsg.name ?? armName(nsg.id)}`;
  const rules: CanonicalRule[] = [];
  const notes: string[] = [];
  for (const raw of body.securityRules ?? []) {
    const r = { ...raw, ...(raw.properties ?? {}) };
    const protocol = PROTOCOLS[String(r.protocol ?? '*').toLowerCase()] ?? canonicalProtocol(r.protocol ?? '*');
    const inbound = String(r.direction).toLowerCase() === 'inbound';
    const src = sides(r.sourceAddressPrefix, r.sourceAddressPrefixes, r.sourceApplicationSecurityGroups);
    const dst = sides(r.destinationAddressPrefix, r.destinationAddressPrefixes, r.destinationApplicationSecurityGroups);
    const srcPorts = r.sourcePortRanges && r.sourcePortRanges.length ? r.sourcePortRanges : [r.sourcePortRange ?? '*'];
    if (srcPorts.some(p => p !== '*' && p !== '0-65535')) notes.push(`${container} rule ${r.name}: source ports ${srcPorts.join(',')} are not part of the canonical form (ignored).`);
    const peers = inbound ? src : dst;
    const targets = inbound ? dst : src;
    for (const p of ports(protocol, r.destinationPortRange, r.destinationPortRanges)) {
      for (const peer of peers) {
        for (const target of targets) {
          rules.push({
            container, direction: inbound ? 'ingress' : 'egress', action: String(r.access).toLowerCase() === 'deny' ? 'deny' : 'allow',
            protocol, ports: protocol === 'all' && p === '*' ? '*' : p, peer, target, priority: r.priority, name: r.name ?? armName(r.id),
            ...(r.id ? { id: r.id } : {}),
          } as CanonicalRule);
        }
      }
    }
  }
  return { rules, notes };
}

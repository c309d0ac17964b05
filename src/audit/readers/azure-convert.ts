/**
 * Azure NSGs -> canonical rules. Accepts the SDK's flattened models (`@azure/arm-network`), the
 * `az network nsg show/list` JSON (also flattened) and raw ARM JSON (rule fields under
 * `properties`). Pure functions shared by the live reader and `--from-file`.
 */
import { CanonicalRule, RuleAction, RuleDirection } from '../../ir/canonical';
import { DetachedContainer } from '../findings';
import { AuditContainer, DriftAttachment } from '../types';
import { canonicalProtocol, formatPortRange, isPortProtocol, LiveRule, parsePortRange } from '../normalize';
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
export function fromNsg(nsg: AzureNsg, names?: { nsg?: string }): { rules: LiveRule[]; notes: string[] } {
  const body = nsg.properties ?? nsg;
  const container = `nsg:${names?.nsg ?? nsg.name ?? armName(nsg.id)}`;
  const rules: LiveRule[] = [];
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
            container, direction: inbound ? RuleDirection.INGRESS : RuleDirection.EGRESS, action: String(r.access).toLowerCase() === 'deny' ? RuleAction.DENY : RuleAction.ALLOW,
            protocol, ports: protocol === 'all' && p === '*' ? '*' : p, peer, target, priority: r.priority, name: r.name ?? armName(r.id),
            ...(r.id ? { id: r.id } : {}),
          });
        }
      }
    }
  }
  return { rules, notes };
}

/** Tag keys the Azure backend may write on NSGs/ASGs (Azure allows `:` in tag names). */
export const AZURE_SEG_TAGS = ['microseg:segmentation', 'microseg-segmentation'];

/** What the Azure view is compared against. */
export interface AzureViewOptions {
  readonly segmentation: string;
  /** NSG names of the manifest (tagged NSGs count too). */
  readonly nsgNames: ReadonlySet<string>;
  /** ASG names of the manifest (tagged ASGs count too). */
  readonly asgNames: ReadonlySet<string>;
  /** NSG name -> the subnet id it must be associated with. */
  readonly subnetOf?: Readonly<Record<string, string>>;
}

/** A field of an SDK/`az` object (flattened) or of raw ARM JSON (under `properties`). */
function field(x: any, name: string): any {
  return x?.[name] ?? x?.properties?.[name];
}

/**
 * The segmentation's NSG rules, the foreign NSGs and ASGs on segmented NICs (`unmanaged`), and
 * zone NSGs not associated with their subnet. Pure: shared by the live reader and `--from-file`.
 */
export function azureView(nsgs: AzureNsg[], asgs: { name?: string; tags?: Record<string, string> }[], nics: any[], options: AzureViewOptions): {
  rules: CanonicalRule[]; containers: AuditContainer[]; unmanaged: DriftAttachment[]; detached: DetachedContainer[]; notes: string[];
} {
  const tagged = (tags?: Record<string, string>) => AZURE_SEG_TAGS.some(k => tags?.[k] === options.segmentation);
  const ours = nsgs.filter(n => options.nsgNames.has(n.name ?? '') || tagged(n.tags));
  const ourNsgIds = new Set(ours.map(n => (n.id ?? '').toLowerCase()));
  const asgNames = new Set([...options.asgNames, ...asgs.filter(a => tagged(a.tags)).map(a => a.name ?? '')]);
  const rules: LiveRule[] = [];
  const notes: string[] = [];
  const containers: AuditContainer[] = [];
  for (const n of ours) {
    const r = fromNsg(n);
    rules.push(...r.rules);
    notes.push(...r.notes);
    containers.push({ container: `nsg:${n.name}`, id: n.id ?? '' });
  }
  const unmanaged: DriftAttachment[] = [];
  for (const nic of nics) {
    const configs: any[] = field(nic, 'ipConfigurations') ?? [];
    const nicAsgs: string[] = configs.flatMap(c => (field(c, 'applicationSecurityGroups') ?? []).map((a: any) => armName(a.id)));
    const workloads = [...new Set(nicAsgs.filter(a => asgNames.has(a)))].sort();
    if (workloads.length === 0) continue;
    for (const a of [...new Set(nicAsgs.filter(x => !asgNames.has(x)))].sort()) {
      unmanaged.push({ container: `asg:${a}`, name: `application security group ${a}`, attachedTo: nic.name ?? nic.id, workloads });
    }
    const nsgId: string | undefined = field(nic, 'networkSecurityGroup')?.id;
    if (nsgId && !ourNsgIds.has(nsgId.toLowerCase())) {
      unmanaged.push({ container: `nsg-id:${armName(nsgId)}`, name: `network security group ${armName(nsgId)}`, attachedTo: nic.name ?? nic.id, workloads });
    }
  }
  // each zone NSG must be associated with the zone's subnet; a foreign NSG there is unmanaged
  const detached: DetachedContainer[] = [];
  const subnetIds = (n: AzureNsg) => ((n.properties ?? n).subnets ?? []).map(x => (x.id ?? '').toLowerCase());
  for (const [name, subnet] of Object.entries(options.subnetOf ?? {}).sort()) {
    const mine = ours.find(n => n.name === name);
    if (!mine || subnetIds(mine).includes(subnet.toLowerCase())) continue;
    const other = nsgs.find(n => n !== mine && subnetIds(n).includes(subnet.toLowerCase()));
    detached.push({ container: `nsg:${name}`, attachedTo: `subnet ${armName(subnet)}`, ...(other ? { instead: `nsg-id:${other.name}` } : {}) });
  }
  return { rules, containers, unmanaged, detached, notes };
}

/**
 * Identity sources: the manifest's workload and zone `cidrs`, and inventory JSON, each document
 * recognised by its content:
 * - AWS: `aws ec2 describe-instances`, `describe-network-interfaces`, `describe-subnets`,
 *   `describe-security-groups`. Interfaces whose security group carries microseg's
 *   `microseg:workload` tag are that workload; Lambda interfaces are named by function.
 * - Azure: `az network nic list`, `az network asg list`, `az network vnet subnet list` (the CLI's
 *   flattened objects or the REST API's `properties`, bare arrays or `{ "value": [...] }`).
 * - GCP: `gcloud compute instances list --format=json`, `gcloud compute networks subnets list
 *   --format=json`.
 * `--group-by` names workloads: `tag:<key>` (AWS tags, Azure NIC tags, GCP labels; `tag:Name`
 * falls back to the Azure VM or GCP instance name), `asg[:<prefix>]` (the Azure application
 * security group, the prefix stripped), `network-tag[:<prefix>]` (the GCP network tag).
 * `--zones-by subnet|tag:<key>` names zones. The same documents come from the clouds' SDKs with
 * `--live` (live.ts). An unreadable or unrecognised file is an error (exit 2), never skipped.
 * @see https://docs.aws.amazon.com/cli/latest/reference/ec2/describe-network-interfaces.html
 * @see https://learn.microsoft.com/cli/azure/network/nic#az-network-nic-list
 * @see https://cloud.google.com/sdk/gcloud/reference/compute/instances/list
 */
import * as fs from 'fs';
import { Manifest } from '../ir/manifest';
import { TrafficError } from './errors';
import { IdentityEntry } from './identity';

/** How inventory addresses are grouped. */
export interface Grouping {
  /** `tag:<key>`, `asg[:<prefix>]` or `network-tag[:<prefix>]`. */
  readonly groupBy: string;
  /** `subnet` or `tag:<key>`. */
  readonly zonesBy: string;
}

/** Turns free text into a valid microseg name (lowercase letters, digits, hyphens; starts with a letter; <= 40). */
export function toName(text: string): string {
  let n = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (!/^[a-z]/.test(n)) n = `w-${n}`;
  return n.slice(0, 40).replace(/-$/, '') || 'unnamed';
}

/** Identity entries from a manifest: workload cidrs, then zone cidrs. */
export function manifestEntries(m: Manifest, source: string): IdentityEntry[] {
  const out: IdentityEntry[] = [];
  for (const w of m.model.workloads) for (const c of w.cidrs) out.push({ cidr: c, workload: w.name, zone: w.zone, labels: w.labels, source, priority: 1 });
  for (const z of m.model.zones) for (const c of z.cidrs) out.push({ cidr: c, zone: z.name, source, priority: 1 });
  return out;
}

/** Checks `--group-by` and `--zones-by`. */
export function checkGrouping(g: Grouping): void {
  if (!/^(tag:.+|asg(:.*)?|network-tag(:.*)?)$/.test(g.groupBy)) {
    throw new TrafficError('InvalidOption', '--group-by', `"${g.groupBy}" is not supported`,
      'Use tag:<key> (AWS tags, Azure NIC tags, GCP labels), asg[:<prefix>] (Azure) or network-tag[:<prefix>] (GCP).');
  }
  if (g.zonesBy !== 'subnet' && !/^tag:.+/.test(g.zonesBy)) throw new TrafficError('InvalidOption', '--zones-by', `"${g.zonesBy}" is not supported`, 'Use subnet or tag:<key>.');
}

/** One inventory document and where it came from. */
export interface InventoryDoc {
  readonly source: string;
  readonly doc: unknown;
}

/** One network interface, whatever the cloud. */
interface Iface {
  source: string;
  addresses: string[];
  /** Key into the subnets map. */
  subnet?: string;
  tags: Record<string, string>;
  /** AWS security group ids (their tags may name the workload). */
  groups: string[];
  /** Azure application security group names. */
  asgs: string[];
  /** GCP network tags. */
  networkTags: string[];
  /** The Azure VM or GCP instance name. */
  vm?: string;
  description?: string;
}

interface Subnet { cidrs: string[]; name: string }

type AwsTags = { Key?: string; Value?: string }[] | undefined;
const awsTags = (tags: AwsTags): Record<string, string> => Object.fromEntries((tags ?? []).filter(t => t.Key !== undefined).map(t => [t.Key!, t.Value ?? '']));
const last = (id: unknown) => (typeof id === 'string' ? id.replace(/\/+$/, '').split('/').pop() : undefined);
/** An Azure object's field, flattened (CLI) or under `properties` (REST), any case. */
const az = (o: any, field: string): any => {
  if (!o || typeof o !== 'object') return undefined;
  const find = (x: any) => (x && typeof x === 'object' ? Object.keys(x).find(k => k.toLowerCase() === field.toLowerCase()) : undefined);
  const k = find(o);
  if (k !== undefined) return o[k];
  const p = o.properties;
  const kp = find(p);
  return kp !== undefined ? p[kp] : undefined;
};
const list = (doc: any): any[] | undefined => (Array.isArray(doc) ? doc : Array.isArray(doc?.value) ? doc.value : undefined);
const azType = (o: any) => String(o?.type ?? '').toLowerCase();
const azSubnetKey = (id: unknown) => (typeof id === 'string' ? id.toLowerCase() : undefined);
/** GCP subnetwork self links and short forms to one key: region/name. */
const gcpSubnetKey = (link: unknown) => {
  if (typeof link !== 'string') return undefined;
  const m = /regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(link);
  return m ? `${m[1]}/${m[2]}` : link;
};

/** Reads inventory files into identity entries. */
export function inventoryEntries(files: string[], g: Grouping): IdentityEntry[] {
  return inventoryDocsEntries(readInventoryFiles(files), g);
}

/** Reads inventory files as documents. */
export function readInventoryFiles(files: string[]): InventoryDoc[] {
  return files.map(file => {
    try {
      return { source: file, doc: JSON.parse(fs.readFileSync(file, 'utf8')) };
    } catch (e) {
      throw new TrafficError('InventoryUnreadable', file, 'is not readable JSON', (e as Error).message);
    }
  });
}

/** What the inventory documents hold: interfaces, subnets by key, security groups' tags. */
interface Found {
  readonly ifaces: Iface[];
  readonly subnets: Map<string, Subnet>;
  readonly groups: Map<string, Record<string, string>>;
}

/** Turns inventory documents (files or `--live` reads) into identity entries. */
export function inventoryDocsEntries(docs: InventoryDoc[], g: Grouping): IdentityEntry[] {
  checkGrouping(g);
  const found: Found = { ifaces: [], subnets: new Map(), groups: new Map() };
  for (const { source, doc } of docs) {
    const aws = readAwsDoc(doc, source, found);
    const listed = readListedDoc(doc, source, found);
    if (!aws && !listed) {
      throw new TrafficError('InventoryUnreadable', source, 'is not a recognised inventory',
        'Save the JSON of aws ec2 describe-instances/-network-interfaces/-subnets/-security-groups, az network nic/asg/vnet subnet list, or gcloud compute instances/networks subnets list --format=json.');
    }
  }
  return identityEntries(found, g);
}

/** The AWS CLI's describe outputs (instances, network interfaces, subnets, security groups); whether the document was one. */
function readAwsDoc(raw: unknown, source: string, found: Found): boolean {
  const doc = raw as any;
  let recognised = false;
  if (Array.isArray(doc?.Reservations)) {
    recognised = true;
    for (const r of doc.Reservations) {
      for (const i of r.Instances ?? []) {
        const nis: any[] = i.NetworkInterfaces?.length ? i.NetworkInterfaces : [{ PrivateIpAddresses: i.PrivateIpAddress ? [{ PrivateIpAddress: i.PrivateIpAddress }] : [], SubnetId: i.SubnetId }];
        for (const ni of nis) {
          found.ifaces.push({
            source, tags: awsTags(i.Tags), subnet: ni.SubnetId ?? i.SubnetId, asgs: [], networkTags: [],
            groups: (ni.Groups ?? i.SecurityGroups ?? []).map((x: any) => x.GroupId),
            addresses: awsAddresses(ni),
          });
        }
      }
    }
  }
  if (Array.isArray(doc?.NetworkInterfaces)) {
    recognised = true;
    for (const ni of doc.NetworkInterfaces) {
      found.ifaces.push({
        source, tags: awsTags(ni.TagSet), subnet: ni.SubnetId, description: ni.Description, asgs: [], networkTags: [],
        groups: (ni.Groups ?? []).map((x: any) => x.GroupId), addresses: awsAddresses(ni),
      });
    }
  }
  if (Array.isArray(doc?.Subnets)) {
    recognised = true;
    for (const s of doc.Subnets) {
      const cidrs = [s.CidrBlock, ...(s.Ipv6CidrBlockAssociationSet ?? []).map((a: any) => a.Ipv6CidrBlock)].filter(Boolean);
      found.subnets.set(s.SubnetId, { cidrs, name: toName(awsTags(s.Tags).Name ?? s.SubnetId) });
    }
  }
  if (Array.isArray(doc?.SecurityGroups)) {
    recognised = true;
    for (const sg of doc.SecurityGroups) found.groups.set(sg.GroupId, awsTags(sg.Tags));
  }
  return recognised;
}

/** Lists of the Azure and Google Cloud CLIs (NICs, ASGs, subnets, instances); whether the document was one. */
function readListedDoc(doc: unknown, source: string, found: Found): boolean {
  const items = list(doc);
  if (!items) return false;
  let recognised = items.length === 0; // an empty list: nothing to learn, nothing wrong
  for (const o of items) recognised = readAzureItem(o, source, found) || readGcpItem(o, source, found) || recognised;
  return recognised;
}

/** One item of `az network nic/asg/vnet subnet list`; whether it was one. */
function readAzureItem(o: any, source: string, found: Found): boolean {
  const type = azType(o);
  const id = String(o?.id ?? o?.selfLink ?? '');
  if (type === 'microsoft.network/networkinterfaces' || (!type && Array.isArray(az(o, 'ipConfigurations')))) {
    const configs: any[] = az(o, 'ipConfigurations') ?? [];
    const addresses = configs.map(c => az(c, 'privateIPAddress')).filter((a: unknown): a is string => typeof a === 'string' && a.length > 0);
    const asgs = configs.flatMap(c => (az(c, 'applicationSecurityGroups') ?? []).map((a: any) => last(a?.id)).filter(Boolean));
    found.ifaces.push({
      source, addresses, subnet: azSubnetKey(az(configs.find(c => az(c, 'subnet')), 'subnet')?.id), tags: { ...(o.tags ?? {}) },
      groups: [], asgs: [...new Set(asgs as string[])].sort(), networkTags: [], vm: last(az(o, 'virtualMachine')?.id),
    });
    return true;
  }
  if (type === 'microsoft.network/applicationsecuritygroups' || /\/applicationsecuritygroups\/[^/]+$/i.test(id)) {
    return true; // names only: NICs carry their ASGs' ids
  }
  if (type === 'microsoft.network/virtualnetworks/subnets' || (/\/subnets\/[^/]+$/i.test(id) && (az(o, 'addressPrefix') || az(o, 'addressPrefixes')))) {
    const cidrs = [az(o, 'addressPrefix'), ...(az(o, 'addressPrefixes') ?? [])].filter((c: unknown): c is string => typeof c === 'string');
    found.subnets.set(azSubnetKey(id)!, { cidrs: [...new Set(cidrs)], name: toName(String(o.name ?? last(id))) });
    return true;
  }
  return false;
}

/** One item of `gcloud compute instances/networks subnets list --format=json`; whether it was one. */
function readGcpItem(o: any, source: string, found: Found): boolean {
  if (o?.kind === 'compute#instance' || (Array.isArray(o?.networkInterfaces) && o?.name)) {
    for (const ni of o.networkInterfaces ?? []) {
      const addresses = [ni.networkIP, ni.ipv6Address, ...(ni.aliasIpRanges ?? []).map((r: any) => r.ipCidrRange)].filter((a: unknown): a is string => typeof a === 'string' && a.length > 0);
      found.ifaces.push({
        source, addresses, subnet: gcpSubnetKey(ni.subnetwork), tags: { ...(o.labels ?? {}) }, groups: [], asgs: [],
        networkTags: [...(o.tags?.items ?? [])], vm: o.name,
      });
    }
    return true;
  }
  if (o?.kind === 'compute#subnetwork' || (typeof o?.ipCidrRange === 'string' && o?.name)) {
    const cidrs = [o.ipCidrRange, o.ipv6CidrRange, o.internalIpv6Prefix, ...(o.secondaryIpRanges ?? []).map((r: any) => r.ipCidrRange)].filter((c: unknown): c is string => typeof c === 'string');
    found.subnets.set(gcpSubnetKey(o.selfLink ?? (o.region ? `regions/${last(o.region)}/subnetworks/${o.name}` : o.name))!, { cidrs: [...new Set(cidrs)], name: toName(o.name) });
    return true;
  }
  return false;
}

/** The identity entries of what the documents hold: subnets as zones, interfaces as workloads. */
function identityEntries(found: Found, g: Grouping): IdentityEntry[] {
  const { ifaces, subnets, groups } = found;
  const tagKey = (spec: string) => (spec.startsWith('tag:') ? spec.slice(4) : undefined);
  const prefixed = (spec: string, kind: string, names: string[]) => {
    if (spec !== kind && !spec.startsWith(`${kind}:`)) return undefined;
    const prefix = spec.slice(kind.length + 1);
    const hit = [...names].sort().find(n => n.startsWith(prefix) && n.length > prefix.length);
    return hit?.slice(prefix.length);
  };
  const subnetZone = (key: string | undefined) => (key ? subnets.get(key)?.name ?? toName(last(key) ?? key) : undefined);
  const entries: IdentityEntry[] = [];
  if (g.zonesBy === 'subnet') {
    for (const [key, s] of [...subnets.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      for (const c of s.cidrs) entries.push({ cidr: c, zone: subnetZone(key), source: 'subnets' });
    }
  }
  const seen = new Set<string>();
  for (const ni of ifaces) {
    const fromSg = ni.groups.map(id => groups.get(id)?.['microseg:workload']).find(Boolean);
    const key = tagKey(g.groupBy);
    const tagged = key ? ni.tags[key] ?? (key === 'Name' ? ni.vm : undefined) : undefined;
    const lambda = /^AWS Lambda VPC ENI-(.+?)(-[0-9a-f]{8}-[0-9a-f-]{27})?$/.exec(ni.description ?? '')?.[1];
    const grouped = prefixed(g.groupBy, 'asg', ni.asgs) ?? prefixed(g.groupBy, 'network-tag', ni.networkTags);
    const name = fromSg ?? tagged ?? grouped ?? lambda;
    const zoneKey = tagKey(g.zonesBy);
    const zone = zoneKey ? (ni.tags[zoneKey] ? toName(ni.tags[zoneKey]) : undefined) : subnetZone(ni.subnet);
    const labels: Record<string, string> = {};
    if (tagged && key && ni.tags[key]) labels[toName(key.replace(/^aws:/, ''))] = toName(tagged);
    for (const a of ni.addresses) {
      const k = `${a}|${name}`;
      if (seen.has(k)) continue;
      seen.add(k);
      entries.push({ cidr: a.includes('/') ? a : `${a}/${a.includes(':') ? 128 : 32}`, workload: name ? toName(name) : undefined, zone, labels, source: ni.source });
    }
  }
  return entries;
}

function awsAddresses(ni: any): string[] {
  const v4 = (ni.PrivateIpAddresses ?? []).map((p: any) => p.PrivateIpAddress);
  if (ni.PrivateIpAddress && !v4.includes(ni.PrivateIpAddress)) v4.push(ni.PrivateIpAddress);
  const v6 = (ni.Ipv6Addresses ?? []).map((p: any) => p.Ipv6Address);
  return [...v4, ...v6].filter((x: unknown): x is string => typeof x === 'string' && x.length > 0);
}

/**
 * Identity sources: the manifest's workload and zone `cidrs`, and saved AWS inventory JSON
 * (`aws ec2 describe-instances`, `describe-network-interfaces`, `describe-subnets`,
 * `describe-security-groups`), each recognised by its content. Interfaces whose security group
 * carries microseg's `microseg:workload` tag are that workload; otherwise `--group-by tag:<key>`
 * names the workload (Lambda interfaces by function name), and `--zones-by subnet|tag:<key>`
 * the zone. An unreadable or unrecognised file is an error (exit 2), never silently skipped.
 * @see https://docs.aws.amazon.com/cli/latest/reference/ec2/describe-network-interfaces.html
 */
import * as fs from 'fs';
import { Manifest } from '../ir/manifest';
import { TrafficError } from './errors';
import { IdentityEntry } from './identity';

/** How inventory addresses are grouped. */
export interface Grouping {
  /** `tag:<key>`. */
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

type Tags = { Key?: string; Value?: string }[] | undefined;
const tagOf = (tags: Tags, key: string) => tags?.find(t => t.Key === key)?.Value;

interface Iface {
  addresses: string[];
  subnetId?: string;
  tags: Tags;
  groups: string[];
  description?: string;
}

/** Reads inventory files into identity entries. */
export function inventoryEntries(files: string[], g: Grouping): IdentityEntry[] {
  const ifaces: (Iface & { source: string })[] = [];
  const subnets = new Map<string, { cidrs: string[]; tags: Tags }>();
  const groups = new Map<string, Tags>();
  for (const file of files) {
    let doc: any;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new TrafficError('InventoryUnreadable', file, 'is not readable JSON', (e as Error).message);
    }
    let recognised = false;
    if (Array.isArray(doc?.Reservations)) {
      recognised = true;
      for (const r of doc.Reservations) {
        for (const i of r.Instances ?? []) {
          const nis: any[] = i.NetworkInterfaces?.length ? i.NetworkInterfaces : [{ PrivateIpAddresses: i.PrivateIpAddress ? [{ PrivateIpAddress: i.PrivateIpAddress }] : [], SubnetId: i.SubnetId }];
          for (const ni of nis) {
            ifaces.push({
              source: file, tags: i.Tags, subnetId: ni.SubnetId ?? i.SubnetId,
              groups: (ni.Groups ?? i.SecurityGroups ?? []).map((x: any) => x.GroupId),
              addresses: addressesOf(ni),
            });
          }
        }
      }
    }
    if (Array.isArray(doc?.NetworkInterfaces)) {
      recognised = true;
      for (const ni of doc.NetworkInterfaces) {
        ifaces.push({
          source: file, tags: ni.TagSet, subnetId: ni.SubnetId, description: ni.Description,
          groups: (ni.Groups ?? []).map((x: any) => x.GroupId), addresses: addressesOf(ni),
        });
      }
    }
    if (Array.isArray(doc?.Subnets)) {
      recognised = true;
      for (const s of doc.Subnets) {
        const cidrs = [s.CidrBlock, ...(s.Ipv6CidrBlockAssociationSet ?? []).map((a: any) => a.Ipv6CidrBlock)].filter(Boolean);
        subnets.set(s.SubnetId, { cidrs, tags: s.Tags });
      }
    }
    if (Array.isArray(doc?.SecurityGroups)) {
      recognised = true;
      for (const sg of doc.SecurityGroups) groups.set(sg.GroupId, sg.Tags);
    }
    if (!recognised) {
      throw new TrafficError('InventoryUnreadable', file, 'is not a recognised inventory',
        'Save the output of aws ec2 describe-instances, describe-network-interfaces, describe-subnets or describe-security-groups (JSON).');
    }
  }

  const tagKey = (spec: string) => (spec.startsWith('tag:') ? spec.slice(4) : undefined);
  const subnetZone = (id: string | undefined) => {
    if (!id) return undefined;
    const s = subnets.get(id);
    return toName(tagOf(s?.tags, 'Name') ?? id);
  };
  const entries: IdentityEntry[] = [];
  for (const [id, s] of [...subnets.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (g.zonesBy === 'subnet') for (const c of s.cidrs) entries.push({ cidr: c, zone: subnetZone(id), source: 'subnets' });
  }
  const seen = new Set<string>();
  for (const ni of ifaces) {
    const fromSg = ni.groups.map(id => tagOf(groups.get(id), 'microseg:workload')).find(Boolean);
    const key = tagKey(g.groupBy);
    const tagged = key ? tagOf(ni.tags, key) : undefined;
    const lambda = /^AWS Lambda VPC ENI-(.+?)(-[0-9a-f]{8}-[0-9a-f-]{27})?$/.exec(ni.description ?? '')?.[1];
    const name = fromSg ?? tagged ?? lambda;
    const zoneKey = tagKey(g.zonesBy);
    const zone = zoneKey ? (tagOf(ni.tags, zoneKey) ? toName(tagOf(ni.tags, zoneKey)!) : undefined) : subnetZone(ni.subnetId);
    const labels: Record<string, string> = {};
    if (tagged && key) labels[toName(key.replace(/^aws:/, ''))] = toName(tagged);
    for (const a of ni.addresses) {
      const k = `${a}|${name}`;
      if (seen.has(k)) continue;
      seen.add(k);
      entries.push({ cidr: `${a}/${a.includes(':') ? 128 : 32}`, workload: name ? toName(name) : undefined, zone, labels, source: ni.source });
    }
  }
  return entries;
}

function addressesOf(ni: any): string[] {
  const v4 = (ni.PrivateIpAddresses ?? []).map((p: any) => p.PrivateIpAddress);
  if (ni.PrivateIpAddress && !v4.includes(ni.PrivateIpAddress)) v4.push(ni.PrivateIpAddress);
  const v6 = (ni.Ipv6Addresses ?? []).map((p: any) => p.Ipv6Address);
  return [...v4, ...v6].filter((x: unknown): x is string => typeof x === 'string' && x.length > 0);
}

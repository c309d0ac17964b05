/**
 * EC2 objects (as the SDK v3 returns them and as `aws ec2 describe-*` prints them: the same
 * PascalCase shapes) -> canonical rules. Pure functions shared by the live reader and
 * `--from-file`.
 */
import { RuleAction, RuleDirection } from '../../ir/canonical';
import { isCidr, parseCidr } from '../../ir/cidr';
import { DriftAttachment } from '../types';
import { canonicalProtocol, formatPortRange, isIcmpProtocol, isPortProtocol, LiveRule } from '../normalize';

/** Tag keys the AWS backend writes. */
export const AWS_TAGS = {
  segmentation: 'microseg:segmentation',
  group: 'microseg:group',
  workload: 'microseg:workload',
  zone: 'microseg:zone',
} as const;

/** Minimal structural types of the EC2 objects we read (SDK and CLI JSON agree). */
export interface Ec2Tag { readonly Key?: string; readonly Value?: string }
export interface Ec2IpPermission {
  readonly IpProtocol?: string; readonly FromPort?: number; readonly ToPort?: number;
  readonly IpRanges?: { readonly CidrIp?: string; readonly Description?: string }[];
  readonly Ipv6Ranges?: { readonly CidrIpv6?: string; readonly Description?: string }[];
  readonly PrefixListIds?: { readonly PrefixListId?: string; readonly Description?: string }[];
  readonly UserIdGroupPairs?: { readonly GroupId?: string; readonly GroupName?: string; readonly Description?: string }[];
}
export interface Ec2SecurityGroup {
  readonly GroupId?: string; readonly GroupName?: string; readonly VpcId?: string; readonly Tags?: Ec2Tag[];
  readonly IpPermissions?: Ec2IpPermission[]; readonly IpPermissionsEgress?: Ec2IpPermission[];
}
export interface Ec2SecurityGroupRule {
  readonly SecurityGroupRuleId?: string; readonly GroupId?: string; readonly IsEgress?: boolean;
  readonly IpProtocol?: string; readonly FromPort?: number; readonly ToPort?: number;
  readonly CidrIpv4?: string; readonly CidrIpv6?: string; readonly PrefixListId?: string;
  readonly ReferencedGroupInfo?: { readonly GroupId?: string }; readonly Description?: string;
}
export interface Ec2NetworkAclEntry {
  readonly RuleNumber?: number; readonly Protocol?: string; readonly RuleAction?: string; readonly Egress?: boolean;
  readonly CidrBlock?: string; readonly Ipv6CidrBlock?: string;
  readonly IcmpTypeCode?: { readonly Code?: number; readonly Type?: number };
  readonly PortRange?: { readonly From?: number; readonly To?: number };
}
export interface Ec2NetworkAcl {
  readonly NetworkAclId?: string; readonly Tags?: Ec2Tag[]; readonly Entries?: Ec2NetworkAclEntry[];
  readonly Associations?: { readonly NetworkAclAssociationId?: string; readonly SubnetId?: string }[];
}
export interface Ec2Subnet { readonly SubnetId?: string; readonly Tags?: Ec2Tag[] }
export interface Ec2NetworkInterface { readonly NetworkInterfaceId?: string; readonly Groups?: { readonly GroupId?: string; readonly GroupName?: string }[] }

/** The value of a tag, if present. */
export function tagValue(tags: Ec2Tag[] | undefined, key: string): string | undefined {
  return (tags ?? []).find(t => t.Key === key)?.Value;
}

/** The canonical container of a security group: `sg:<microseg:group tag>` (or the group name when untagged). */
export function groupContainer(sg: Ec2SecurityGroup): string {
  return `sg:${tagValue(sg.Tags, AWS_TAGS.group) ?? sg.GroupName ?? sg.GroupId}`;
}

/** True when the group carries the segmentation's tag. */
export function isSegmentationGroup(sg: { Tags?: Ec2Tag[] }, segmentation: string): boolean {
  return tagValue(sg.Tags, AWS_TAGS.segmentation) === segmentation;
}

const peerCache = new Map<string, string>();

/** Canonical `cidr:` peer (canonical text; a bare address becomes a host route). */
export function cidrPeer(text: string): string {
  let out = peerCache.get(text);
  if (out === undefined) {
    const withPrefix = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`;
    const c = parseCidr(withPrefix);
    out = `cidr:${isCidr(c) ? c.text : withPrefix.toLowerCase()}`;
    if (peerCache.size < 100_000) peerCache.set(text, out);
  }
  return out;
}

/** Canonical ports of an EC2 protocol and from/to pair (SG rules; ICMP from = type, to = code). */
export function ec2Ports(protocol: string, from: number | undefined, to: number | undefined): string {
  if (isIcmpProtocol(protocol)) {
    if (from === undefined || from === -1) return '*';
    return to === undefined || to === -1 ? `${from}` : `${from}/${to}`;
  }
  if (isPortProtocol(protocol)) {
    if (from === undefined || from === -1) return '*';
    return formatPortRange(from, to ?? from);
  }
  return '*';
}

/** Resolves a referenced group id to a peer: `sg:<name>` for microseg groups, `sg-id:<id>` otherwise. */
export type GroupNames = ReadonlyMap<string, string>;

/** One rule of DescribeSecurityGroupRules -> canonical. */
export function fromSecurityGroupRule(r: Ec2SecurityGroupRule, container: string, names: GroupNames): LiveRule {
  const protocol = canonicalProtocol(r.IpProtocol ?? '-1');
  const peer = r.CidrIpv4 ? cidrPeer(r.CidrIpv4)
    : r.CidrIpv6 ? cidrPeer(r.CidrIpv6)
      : r.PrefixListId ? `pl:${r.PrefixListId}`
        : r.ReferencedGroupInfo?.GroupId ? groupPeer(r.ReferencedGroupInfo.GroupId, names) : '*';
  const rule: LiveRule = { container, direction: r.IsEgress ? RuleDirection.EGRESS : RuleDirection.INGRESS, action: RuleAction.ALLOW, protocol, ports: ec2Ports(protocol, r.FromPort, r.ToPort), peer };
  return r.SecurityGroupRuleId ? { ...rule, id: `${r.GroupId}/${r.SecurityGroupRuleId}` } : rule;
}

function groupPeer(id: string, names: GroupNames): string {
  const name = names.get(id);
  return name ? `sg:${name}` : `sg-id:${id}`;
}

/** The inline permissions of a DescribeSecurityGroups group -> canonical (one rule per peer). */
export function fromIpPermissions(sg: Ec2SecurityGroup, names: GroupNames): LiveRule[] {
  const container = groupContainer(sg);
  const out: LiveRule[] = [];
  const add = (perms: Ec2IpPermission[] | undefined, direction: RuleDirection) => {
    for (const p of perms ?? []) {
      const protocol = canonicalProtocol(p.IpProtocol ?? '-1');
      const ports = ec2Ports(protocol, p.FromPort, p.ToPort);
      const peers = [
        ...(p.IpRanges ?? []).map(x => cidrPeer(x.CidrIp ?? '')),
        ...(p.Ipv6Ranges ?? []).map(x => cidrPeer(x.CidrIpv6 ?? '')),
        ...(p.PrefixListIds ?? []).map(x => `pl:${x.PrefixListId}`),
        ...(p.UserIdGroupPairs ?? []).map(x => groupPeer(x.GroupId ?? '', names)),
      ];
      for (const peer of peers) out.push({ container, direction, action: RuleAction.ALLOW, protocol, ports, peer, ...(sg.GroupId ? { id: sg.GroupId } : {}) });
    }
  };
  add(sg.IpPermissions, RuleDirection.INGRESS);
  add(sg.IpPermissionsEgress, RuleDirection.EGRESS);
  return out;
}

/** A network ACL -> canonical (the default `*` entries, rule number 32767 and above, are not listed). */
export function fromNetworkAcl(acl: Ec2NetworkAcl): LiveRule[] {
  const container = `nacl:${tagValue(acl.Tags, AWS_TAGS.zone) ?? acl.NetworkAclId}`;
  const out: LiveRule[] = [];
  for (const e of acl.Entries ?? []) {
    if ((e.RuleNumber ?? 32767) >= 32767) continue;
    const protocol = canonicalProtocol(e.Protocol ?? '-1');
    let ports = '*';
    if (isIcmpProtocol(protocol)) ports = ec2Ports(protocol, e.IcmpTypeCode?.Type, e.IcmpTypeCode?.Code);
    else if (isPortProtocol(protocol)) ports = e.PortRange ? formatPortRange(e.PortRange.From ?? 0, e.PortRange.To ?? 65535) : '*';
    const cidr = e.CidrBlock ?? e.Ipv6CidrBlock;
    out.push({
      container, direction: e.Egress ? RuleDirection.EGRESS : RuleDirection.INGRESS, action: e.RuleAction === 'deny' ? RuleAction.DENY : RuleAction.ALLOW,
      protocol, ports, peer: cidr ? cidrPeer(cidr) : '*', priority: e.RuleNumber,
      ...(acl.NetworkAclId ? { id: `${acl.NetworkAclId}#${e.Egress ? 'egress' : 'ingress'}/${e.RuleNumber}` } : {}),
    });
  }
  return out;
}

/** Interfaces carrying a microseg group together with groups microseg did not create. */
export function unmanagedOnInterfaces(enis: Ec2NetworkInterface[], managed: ReadonlyMap<string, string>, region?: string): DriftAttachment[] {
  const out: DriftAttachment[] = [];
  for (const eni of enis) {
    const groups = eni.Groups ?? [];
    const ours = groups.filter(g => g.GroupId && managed.has(g.GroupId)).map(g => managed.get(g.GroupId!)!).sort();
    if (ours.length === 0) continue;
    for (const g of groups) {
      if (!g.GroupId || managed.has(g.GroupId)) continue;
      out.push({ container: `sg-id:${g.GroupId}`, name: g.GroupName ?? g.GroupId, attachedTo: eni.NetworkInterfaceId ?? '?', workloads: ours, region });
    }
  }
  return out;
}

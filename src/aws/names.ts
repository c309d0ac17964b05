/**
 * Names, ids and canonical texts of the AWS rendering: logical ids (stable content hashes), group
 * names, rule descriptions, the canonical order of groups that decides which group a reference
 * points to. Pure.
 *
 * @internal
 */
import { IrPolicy, isCidr, parseCidr, portsText } from '../ir';
import { cmp, familyOf, shortHash as hexHash } from '../plan';
import { SgPeer, SgRulePlan } from './types';

/** Short stable content hash (8 hex characters, upper case). */
export function shortHash(text: string): string {
  return hexHash(text).toUpperCase();
}

/** `web-front` -> `WebFront`. */
export function pascal(name: string): string {
  return name.split(/[^A-Za-z0-9]+/).filter(Boolean).map(p => p[0].toUpperCase() + p.slice(1)).join('');
}

/** Logical id of a workload's security group: from the segmentation and workload names only. */
export function groupLogicalId(segmentation: string, group: string): string {
  return `${pascal(segmentation)}${pascal(group)}Sg${shortHash(`${segmentation}|sg|${group}`)}`;
}

/** Logical id of a zone's network ACL. */
export function naclLogicalId(segmentation: string, zone: string): string {
  return `${pascal(segmentation)}${pascal(zone)}Nacl${shortHash(`${segmentation}|nacl|${zone}`)}`;
}

/**
 * The name of a zone's group (its `microseg:group` tag). Workload names are `[a-z][a-z0-9-]*`,
 * so a name with a dot never collides with one.
 */
export function zoneGroupName(zone: string): string {
  return `zone.${zone}`;
}

/** The name of a workload's source group (never collides with a workload or zone group name). */
export function sourceGroupName(workload: string): string {
  return `src.${workload}`;
}

const DESCRIPTION_OK = /[^a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]/g;

/** Makes text a valid EC2 rule description (allowed characters, at most 255). */
export function ruleDescription(text: string): string {
  const clean = text.replace(DESCRIPTION_OK, '_');
  return clean.length > 255 ? clean.slice(0, 252) + '...' : clean;
}

/** Canonical ports text of a rule. */
export function canonicalPorts(protocol: string, from: number, to: number): string {
  if (protocol === 'all') return '*';
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    if (from === -1) return '*';
    return to === -1 ? `${from}` : `${from}/${to}`;
  }
  return portsText(from, to);
}

/** Canonical peer text. */
export function canonicalPeer(p: SgPeer): string {
  switch (p.kind) {
    case 'sg': return `sg:${p.group}`;
    case 'cidr': return `cidr:${p.cidr}`;
    case 'vpc': return 'vpc-cidr';
  }
}

/** The order of a group's rules: by peer, protocol, ports. */
export function ruleSortKey(r: SgRulePlan): string {
  return `${canonicalPeer(r.peer)}|${r.protocol}|${String(r.from + 1).padStart(6, '0')}|${String(r.to + 1).padStart(6, '0')}`;
}

/** Whether a text is an unresolved CDK token. */
export function isToken(text: string): boolean {
  return /\$\{Token\[/.test(text);
}

/**
 * The canonical order of groups that decides which group a reference points to: by the zone's lowest
 * IPv4 range (zones without ranges last), then zone name, then group name; zone and source
 * groups (no ingress) before every workload group. A reference points to the source's own group
 * when it sorts before the destination, else to its source group. It depends on names and zone
 * ranges only, never on flows, so adding a flow never changes another rule.
 */
export function groupRanks(policy: IrPolicy): Map<string, number> {
  const zoneKey = new Map<string, string>();
  for (const z of policy.zones) {
    const starts = z.cidrs.filter(c => !isToken(c) && familyOf(c) === 'ipv4').map(c => parseCidr(c)).filter(isCidr).map(c => c.first.toString(16).padStart(8, '0'));
    zoneKey.set(z.name, `${starts.length ? starts.sort()[0] : 'zzzzzzzz'}|${z.name}`);
  }
  // Zone and source groups first: they hold no ingress rules, so references to them never form a cycle.
  const sorted = [
    ...policy.zones.map(z => ({ name: zoneGroupName(z.name), key: `0|${zoneKey.get(z.name)}` })),
    ...policy.workloads.map(w => ({ name: sourceGroupName(w.name), key: `0|${zoneKey.get(w.zone)}|${w.name}` })),
    ...policy.workloads.map(w => ({ name: w.name, key: `1|${zoneKey.get(w.zone)}|${w.name}` })),
  ].sort((a, b) => cmp(a.key, b.key));
  return new Map(sorted.map((w, i) => [w.name, i]));
}

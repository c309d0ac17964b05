/**
 * The AWS rendering plan: every decision of the AWS backend (which groups exist, which rules
 * they carry, which group each reference points to, network ACL entries and
 * their rule numbers, quota checks, the manifest's canonical rules), as plain data computed by
 * pure functions. No constructs here: the construct layer (`segmentation.ts`) only emits what
 * the plan says, so other emitters (e.g. nested-stack sharding) can reuse the same plan.
 *
 * @internal (not exported from the submodule index)
 */
import { createHash } from 'crypto';
import { MicrosegError, MicrosegProblem, MicrosegWarning } from '../model/errors';
import { findExposure, subtractRanges } from './exposure';
import { aggregate } from './ranges';
import { AwsWarnings } from './warnings';
import { DEFAULT_STACK_LIMITS, groupBytes, planShards, ShardPlan, StackLimits } from './shard';
import {
  ALL_SERVICE, CanonicalRule, Cidr, RuleAction, RuleDirection, cidrOverlaps, IrEndpointRef, IrPolicy, IrService, isCidr,
  mergeServices, parseCidr, PlacedRule, portsText, remoteWorkloadCidrs, serviceContains, serviceKey, serviceOverlaps, sortCanonical, subtractAll,
} from '../ir';

/** The match-nothing egress rule (same as aws-cdk-lib's `allowAllOutbound: false`). */
export const MATCH_NOTHING = { cidr: '255.255.255.255/32', type: 252, code: 86, description: 'Disallow all traffic' } as const;

/** Quotas the plan checks. */
export interface AwsQuotas {
  readonly rulesPerSecurityGroup: number;
  readonly securityGroupsPerInterface: number;
  readonly naclEntriesPerDirection: number;
  readonly resourcesPerStack: number;
}

/** AWS default quotas. */
export const DEFAULT_QUOTAS: AwsQuotas = {
  rulesPerSecurityGroup: 60,
  securityGroupsPerInterface: 5,
  naclEntriesPerDirection: 20,
  resourcesPerStack: 500,
};

/** Input of {@link planAws} besides the policy. */
export interface AwsPlanOptions {
  /** Construct path of the backend (for messages). */
  readonly backendPath: string;
  /** Zones placed on this backend (default: all). */
  readonly zones?: string[];
  /** Zones that get a network ACL, with stable keys of their subnets (e.g. construct paths). */
  readonly naclSubnets?: Record<string, string[]>;
  /** The VPC's primary CIDR when known at synth. */
  readonly vpcCidr?: string;
  /** Ephemeral port range for stateless return traffic. */
  readonly ephemeral?: { readonly from: number; readonly to: number };
  readonly quotas?: AwsQuotas;
  /**
   * Egress towards workloads of zones placed here: `zone` (default) one all-traffic rule per
   * block holding the destination zone (see egressBlocks); `flow`: the flows' ports per
   * destination zone range.
   */
  readonly egressTowardsZones?: 'zone' | 'flow';
  /** Describe rules of flows without a description as `<from> to <to> on <ports>` (default false). */
  readonly generatedDescriptions?: boolean;
  /** MONITOR's catch-all ingress from the internet instead of the VPC range (default false). */
  readonly monitorIngressFromInternet?: boolean;
  /** Resources already in the stack that the backend did not create. */
  readonly otherResources?: number;
  /**
   * `none`: one stack (QuotaExceeded when it does not fit); `auto` (default): nested stacks when
   * one stack cannot hold the segmentation; `always`: nested stacks.
   */
  readonly sharding?: 'none' | 'auto' | 'always';
  /** The backend's construct path when CDK writes `aws:cdk:path` metadata (template size estimates). */
  readonly pathMetadata?: string;
  /** CloudFormation's per-template limits (parameters, outputs, template bytes). */
  readonly stackLimits?: StackLimits;
}

/** The other side of a security group rule. */
export type SgPeer =
  | { readonly kind: 'sg'; readonly group: string }
  | { readonly kind: 'cidr'; readonly cidr: string; readonly family: 'ipv4' | 'ipv6' }
  /** The VPC's primary IPv4 range, unknown at synth (a token). */
  | { readonly kind: 'vpc' };

/** One security group rule. */
export interface SgRulePlan {
  readonly direction: 'ingress' | 'egress';
  /** Canonical protocol: `tcp`, `udp`, `icmp`, `icmpv6`, `all`. */
  readonly protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'all';
  /** TCP/UDP first port, ICMP type (-1 every); -1 for `all`. */
  readonly from: number;
  /** TCP/UDP last port, ICMP code (-1 every); -1 for `all`. */
  readonly to: number;
  readonly peer: SgPeer;
  readonly description: string;
  /** Construct paths of the flows the rule comes from. */
  readonly origins: string[];
  readonly kind: 'flow' | 'catchall' | 'matchnothing';
}

/** One security group. */
export interface SgGroupPlan {
  /** The group name (value of the `microseg:group` tag): the workload name for a workload group, `zone.<zone>` for a zone group. */
  readonly name: string;
  /**
   * `workload`: a workload's own group (holds its rules); `zone`: the group every workload of a
   * zone carries; `source`: a workload's source group (`src.<workload>`), which later-ranked
   * groups reference inline. Zone and source groups are source identities only: no ingress.
   */
  readonly kind: 'workload' | 'zone' | 'source';
  /** The workload (empty for a zone group). */
  readonly workload: string;
  readonly zone: string;
  readonly workloadPath: string;
  readonly logicalId: string;
  readonly monitor: boolean;
  readonly description: string;
  readonly tags: Record<string, string>;
  readonly ingress: SgRulePlan[];
  readonly egress: SgRulePlan[];
}

/** One network ACL entry. */
export interface NaclEntryPlan {
  readonly egress: boolean;
  readonly action: 'allow' | 'deny';
  /** Canonical protocol. */
  readonly protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'all';
  /** IP protocol number (-1 all). */
  readonly protocolNumber: number;
  readonly from: number;
  readonly to: number;
  readonly cidr: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly ruleNumber: number;
  readonly band: 'return' | 'deny' | 'allow' | 'monitor';
  readonly logicalId: string;
  readonly origins: string[];
}

/** One network ACL (per zone with subnets). */
export interface NaclPlan {
  readonly zone: string;
  readonly logicalId: string;
  readonly monitor: boolean;
  readonly tags: Record<string, string>;
  readonly entries: NaclEntryPlan[];
  /** Subnet keys with the logical id of their association. */
  readonly associations: { readonly subnet: string; readonly logicalId: string }[];
}

/** The whole plan. */
export interface AwsPlan {
  readonly segmentation: string;
  readonly groups: SgGroupPlan[];
  readonly nacls: NaclPlan[];
  readonly warnings: MicrosegWarning[];
  /** Resources the backend renders. */
  readonly resourceCount: number;
  readonly expected: CanonicalRule[];
  /** Security groups each workload carries (group names). */
  readonly groupsOf: Record<string, string[]>;
  /** The nested stacks, when sharded (else undefined: everything in the backend's stack). */
  readonly shards?: ShardPlan[];
  /** Estimated template bytes of the segmentation in one stack. */
  readonly templateBytes: number;
}

/** NACL rule number bands (inclusive). */
export const NACL_BANDS = {
  return: { from: 100, to: 9999 },
  deny: { from: 10000, to: 19999 },
  allow: { from: 20000, to: 29999 },
} as const;
/**
 * Rule numbers of the MONITOR entries (just before the implicit deny): the allow-all entries
 * (ingress from the model's own network, egress everywhere), and the ingress of return traffic
 * of the catch-all egress (TCP and UDP to the ephemeral ports, and ICMP, from everywhere).
 */
export const NACL_MONITOR_NUMBERS = { ipv4: 32766, ipv6: 32765, returnTcp4: 32764, returnUdp4: 32763, returnIcmp4: 32762, returnTcp6: 32761, returnUdp6: 32760, returnIcmp6: 32759 } as const;
/** The NACL entry cidr that stands for the VPC's primary IPv4 range when it is a token. */
export const VPC_CIDR_TOKEN = 'vpc-cidr';

// ---- names and ids ---------------------------------------------------------------------------

/** Short stable content hash (8 hex characters, upper case). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8).toUpperCase();
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

function peerKey(p: SgPeer): string {
  return canonicalPeer(p);
}

function familyOf(c: string): 'ipv4' | 'ipv6' {
  return c.includes(':') ? 'ipv6' : 'ipv4';
}

function isToken(text: string): boolean {
  return /\$\{Token\[/.test(text);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The SG/NACL protocol of an IR service towards a peer of a family. */
function protocolFor(s: IrService, family: 'ipv4' | 'ipv6'): SgRulePlan['protocol'] {
  if (s.protocol === 'icmp') return family === 'ipv6' ? 'icmpv6' : 'icmp';
  return s.protocol;
}

function portsOf(s: IrService): { from: number; to: number } {
  return s.protocol === 'all' ? { from: -1, to: -1 } : { from: s.from, to: s.to };
}

/**
 * The ports (ICMP type and code) of a service as rendered with `protocol`. ICMP towards IPv6
 * ranges is ICMPv6, whose types differ: echo request 8 is 128, echo reply 0 is 129, destination
 * unreachable 3 is 1 (fragmentation needed, 3/4, is packet too big, 2), time exceeded 11 is 3.
 * parameter problem 12 is 4. Types from 128 up are ICMPv6 numbers already (no ICMPv4 type
 * has them) and are kept. An ICMP type with no ICMPv6 counterpart renders nothing towards IPv6
 * (never more open).
 *
 * @see https://www.iana.org/assignments/icmpv6-parameters/icmpv6-parameters.xhtml
 */
export function portsFor(s: IrService, protocol: SgRulePlan['protocol']): { from: number; to: number }[] {
  if (protocol !== 'icmpv6' || s.protocol !== 'icmp' || s.from === -1) return [portsOf(s)];
  const type = s.from; const code = s.to;
  switch (type) {
    case 8: return [{ from: 128, to: code }];
    case 0: return [{ from: 129, to: code }];
    case 11: return [{ from: 3, to: code }];
    case 12: return [{ from: 4, to: code }];
    case 3:
      if (code === -1) return [{ from: 1, to: -1 }, { from: 2, to: -1 }];
      return ICMP_UNREACHABLE_V6[code] ? [ICMP_UNREACHABLE_V6[code]] : [];
    default: return type >= 128 ? [{ from: type, to: code }] : [];
  }
}

/** ICMP destination-unreachable codes with an ICMPv6 counterpart (type/code). */
const ICMP_UNREACHABLE_V6: Record<number, { from: number; to: number }> = {
  0: { from: 1, to: 0 }, // network unreachable -> no route to destination
  1: { from: 1, to: 3 }, // host unreachable -> address unreachable
  3: { from: 1, to: 4 }, // port unreachable
  4: { from: 2, to: 0 }, // fragmentation needed -> packet too big
  13: { from: 1, to: 1 }, // administratively prohibited
};

// ---- planning -------------------------------------------------------------------------------

interface Part { service: IrService; flows: string[] }
interface RuleAcc { peer: SgPeer; parts: Part[]; label?: string }

/** Merges services into ranges; each merged service keeps the flows of the parts it contains. */
function mergeWithOrigins(parts: Part[]): { service: IrService; origins: string[] }[] {
  return mergeServices(parts.map(p => p.service)).map(service => ({
    service,
    origins: [...new Set(parts.filter(p => serviceContains(service, p.service)).flatMap(p => p.flows))].sort(),
  }));
}

/**
 * Plans the AWS rendering of a compiled policy. Throws a `MicrosegError` listing every problem
 * (missing CIDRs, quotas) before anything is emitted.
 */
export function planAws(policy: IrPolicy, placed: PlacedRule[], opts: AwsPlanOptions): AwsPlan {
  const seg = policy.segmentation.name;
  const quotas = opts.quotas ?? DEFAULT_QUOTAS;
  const eph = opts.ephemeral ?? { from: 1024, to: 65535 };
  const egressMode = opts.egressTowardsZones ?? 'zone';
  const generated = opts.generatedDescriptions ?? false;
  const problems: MicrosegProblem[] = [];
  const warnings: MicrosegWarning[] = [];
  const acknowledged = new Set(policy.acknowledged.map(a => a.id));
  const warn = (w: MicrosegWarning) => { if (!acknowledged.has(w.id)) warnings.push(w); };

  const localZones = new Set(opts.zones ?? policy.zones.map(z => z.name));
  const zoneByName = new Map(policy.zones.map(z => [z.name, z]));
  const flowByPath = new Map(policy.flows.map(f => [f.path, f]));
  const localWorkloads = policy.workloads.filter(w => localZones.has(w.zone));
  const rank = groupRanks(policy);

  // Known zone ranges (tokens skipped), parsed.
  const zoneRanges: Cidr[] = [];
  const remoteZoneCidrs = new Set<string>();
  const remoteRanges: Cidr[] = [];
  for (const z of policy.zones) {
    for (const c of z.cidrs) {
      if (isToken(c)) continue;
      const p = parseCidr(c);
      if (isCidr(p)) zoneRanges.push(p);
      if (!localZones.has(z.name)) {
        remoteZoneCidrs.add(c);
        if (isCidr(p)) remoteRanges.push(p);
      }
    }
  }
  // A workload placed elsewhere with its own cidrs is named by them (placeRules): they are the
  // model's own addresses, never carved out of themselves like a Peer range.
  for (const w of policy.workloads) if (!localZones.has(w.zone)) for (const c of remoteWorkloadCidrs(w)) remoteZoneCidrs.add(c);
  const vpcCidr = opts.vpcCidr && !isToken(opts.vpcCidr) ? opts.vpcCidr : undefined;
  // Peer ingress is one rule per range; the destinations it exposes to the model's own workloads
  // keep their sources' side exact (see exposure.ts).
  const exposure = findExposure({ policy, placed, localZones, vpcCidr, remoteZoneCidrs });
  problems.push(...exposure.problems);
  const zoneBlocks = egressBlocks(policy, localZones, exposure.zones);

  // A rule's description: the first flow (by path) whose own ports cover the whole rule, else
  // the first flow. So a flow merged into a wider existing rule does not rewrite its description.
  const describe = (origins: string[], service?: IrService): string => {
    const list = [...origins].sort();
    const covering = service ? list.find(p => flowByPath.get(p)?.services.some(s => serviceContains(s, service))) : undefined;
    const chosen = covering ?? list[0];
    const f = flowByPath.get(chosen);
    // Generated descriptions (`<from> to <to> on <ports>`) cost about a third of a large
    // template: rendered only when asked for; a flow's own description always is.
    if (f && !generated && f.description === `${f.from.key} to ${f.to.key} on ${f.services.map(serviceKey).join(',')}`) return '';
    return ruleDescription(f?.description ?? chosen ?? '');
  };

  // Peer ranges in ingress rules: one rule per range. Only the ranges of zones placed on other
  // backends are left out (their egress is not rendered here, so it cannot be kept exact).
  const carvedCache = new Map<string, string[]>();
  const carve = (text: string, flows: string[]): string[] => {
    let out = carvedCache.get(text);
    if (!out) {
      out = carveOnce(text, flows, remoteRanges, 'zones placed on other backends');
      carvedCache.set(text, out);
    }
    return out;
  };
  // Peer ranges in egress rules: the exposed and MONITOR zones left out; in MONITOR's catch-all
  // egress, the exposed zones (a MONITOR source may reach MONITOR zones anyway).
  const egressCache = new Map<string, string[]>();
  const egressPeer = (text: string, flows: string[], catchall = false): string[] => {
    const key = `${catchall}|${text}`;
    let out = egressCache.get(key);
    if (!out) {
      out = catchall
        ? carveOnce(text, flows, exposure.carve, 'zones whose workloads are open to Peer ranges')
        : carveOnce(text, flows, exposure.peerCarve, 'zones whose workloads are open to Peer ranges, and MONITOR zones');
      egressCache.set(key, out);
    }
    return out;
  };
  const carveOnce = (text: string, flows: string[], ranges: readonly Cidr[], what: string): string[] => {
    if (isToken(text) && ranges.length > 0 && flows.length > 0) {
      // A range unknown at synth cannot leave anything out: rendering it could be more open than the model.
      problems.push({
        code: 'UnresolvedRange', path: flows[0], value: text,
        message: `this flow's Peer range is unknown at synth, and it must leave out the ranges of ${what} (${ranges.map(r => r.text).join(', ')}), so it cannot be rendered exactly (it could be more open than the model).`,
        hint: 'Use a concrete CIDR for the Peer (e.g. Peer.ipv4(\'203.0.113.0/24\')), or a CloudFormation parameter only where no zone must be left out.',
      });
      return [];
    }
    if (isToken(text) || remoteZoneCidrs.has(text) || ranges.length === 0) return [text];
    const p = parseCidr(text);
    if (!isCidr(p)) return [text];
    const pieces = subtractRanges(p, ranges);
    if (pieces.length === 0 && flows.length > 0) {
      warn({ id: AwsWarnings.PEER_INSIDE_ZONES, path: flows[0], message: `The Peer range ${text} lies inside the ranges of ${what}: a Peer stands for addresses outside the model, so no rule is rendered for it (flows: ${flows.join(', ')}).` });
    }
    return pieces.map(x => x.text);
  };

  // ---- security group rules ----
  const ingressAcc = new Map<string, Map<string, RuleAcc>>();
  const egressAcc = new Map<string, Map<string, RuleAcc>>();
  const vpcRangeUse = new Map<string, Set<string>>(); // zone -> flows
  const add = (acc: Map<string, Map<string, RuleAcc>>, group: string, peer: SgPeer, s: IrService, flows: string[], label?: string) => {
    let m = acc.get(group);
    if (!m) { m = new Map(); acc.set(group, m); }
    const k = peerKey(peer);
    let e = m.get(k);
    if (!e) { e = { peer, parts: [] }; m.set(k, e); }
    if (label !== undefined && s.protocol === 'all') e.label = label;
    e.parts.push({ service: s, flows });
  };

  // The flows a rule's service comes from (the IR lists every flow of the pair).
  const originsOf = (r: PlacedRule): string[] => {
    const own = r.flows.filter(f => flowByPath.get(f)?.services.some(s => serviceOverlaps(s, r.service)));
    return own.length ? own : r.flows;
  };
  // Zone compression: a flow whose source covers every workload of a local zone (a zone, or a
  // selector that selects the whole zone) becomes one reference to the zone's group, where the
  // IR rules confirm it exactly (every member, the destination itself included when it is a
  // member, is allowed the whole service: denies may have cut members out).
  const workloadZone = new Map(policy.workloads.map(w => [w.name, w.zone]));
  const pairServices = new Map<string, IrService[]>();
  for (const r of placed) {
    if (r.source.kind !== 'workload' || r.destination.kind !== 'workload' || !r.destinationLocal) continue;
    const k = `${r.source.workload}>${r.destination.workload}`;
    let l = pairServices.get(k);
    if (!l) { l = []; pairServices.set(k, l); }
    l.push(r.service);
  }
  const zoneCovered = new Map<string, { zone: string; dst: string; parts: Part[] }>();
  for (const f of policy.flows) {
    if (f.from.kind !== 'zone' && f.from.kind !== 'selector') continue;
    const sources = new Set(f.from.workloads);
    for (const zn of f.from.zones) {
      const z = zoneByName.get(zn);
      if (!z || !localZones.has(zn) || z.workloads.length === 0 || !z.workloads.every(w => sources.has(w))) continue;
      for (const dst of f.to.workloads) {
        if (!localZones.has(workloadZone.get(dst)!)) continue;
        for (const s of f.services) {
          if (!z.workloads.every(m => (pairServices.get(`${m}>${dst}`) ?? []).some(x => serviceContains(x, s)))) continue;
          const k = `${zn}>${dst}`;
          let e = zoneCovered.get(k);
          if (!e) { e = { zone: zn, dst, parts: [] }; zoneCovered.set(k, e); }
          e.parts.push({ service: s, flows: [f.path] });
        }
      }
    }
  }
  for (const e of zoneCovered.values()) {
    for (const p of e.parts) add(ingressAcc, e.dst, { kind: 'sg', group: zoneGroupName(e.zone) }, p.service, p.flows);
  }

  for (const rule of placed) {
    const r = { ...rule, flows: originsOf(rule) };
    // Ingress at the destination: exact.
    if (r.destinationLocal && r.destination.kind === 'workload') {
      const dst = r.destination.workload;
      if (r.source.kind === 'workload') {
        // What the source's zone group already allows is not repeated per member (unless the
        // difference cannot be expressed exactly: then the member keeps its whole rule).
        const covered = zoneCovered.get(`${r.source.zone}>${dst}`);
        const rest = covered ? subtractAll([r.service], covered.parts.map(p => p.service)) : undefined;
        for (const s of rest && !rest.narrowed ? rest.services : [r.service]) {
          add(ingressAcc, dst, { kind: 'sg', group: r.source.workload }, s, r.flows);
        }
      } else {
        for (const c of carve(r.source.cidr, r.flows)) add(ingressAcc, dst, { kind: 'cidr', cidr: c, family: familyOf(c) }, r.service, r.flows);
      }
    }
    // Egress at the source: address ranges towards the model, exact towards Peers.
    if (r.sourceLocal && r.source.kind === 'workload') {
      const src = r.source.workload;
      if (r.destination.kind === 'workload') {
        const z = zoneByName.get(r.destination.zone)!;
        const known = z.cidrs;
        // Towards a zone placed here (exact ingress at every member), one all-traffic rule per
        // block is as exact as the flows' ports, and does not change when flows are added.
        const zoneWide = egressMode === 'zone' && r.destinationLocal;
        const monitorZone = z.mode === 'MONITOR';
        if (r.destinationLocal && (exposure.zones.has(z.name) || monitorZone || (known.length === 0 && exposure.workloads.size > 0))) {
          // The zone holds a workload open to a Peer range that covers the model (or its range
          // is the VPC's), or it is a MONITOR zone (its catch-all admits the model's workloads):
          // name the destination by its source group; the flows' ports towards an exposed or
          // MONITOR destination (its ingress would let other ports through).
          const dst = r.destination.workload;
          const wide = zoneWide && !exposure.workloads.has(dst) && !monitorZone;
          add(egressAcc, src, { kind: 'sg', group: sourceGroupName(dst) }, wide ? ALL_SERVICE : r.service, r.flows, wide ? (generated ? `to workload ${dst}` : '') : undefined);
        } else if (known.length > 0) {
          // Zone-wide: the blocks of the model's address space that hold the zone (see
          // egressBlocks), so one rule serves every zone of its block, whatever the flows.
          const targets = zoneWide ? zoneBlocks.get(z.name) ?? known : known;
          for (const c of targets) add(egressAcc, src, { kind: 'cidr', cidr: c, family: familyOf(c) }, zoneWide ? ALL_SERVICE : r.service, r.flows, zoneWide ? (generated ? 'to segmented zones' : '') : undefined);
        } else {
          let set = vpcRangeUse.get(z.name);
          if (!set) { set = new Set(); vpcRangeUse.set(z.name, set); }
          r.flows.forEach(f => set!.add(f));
          add(egressAcc, src, vpcCidr ? { kind: 'cidr', cidr: vpcCidr, family: 'ipv4' } : { kind: 'vpc' }, r.service, r.flows);
        }
      } else {
        for (const c of egressPeer(r.destination.cidr, r.flows)) add(egressAcc, src, { kind: 'cidr', cidr: c, family: familyOf(c) }, r.service, r.flows);
      }
    }
  }
  for (const [zone, flows] of [...vpcRangeUse.entries()].sort(([a], [b]) => cmp(a, b))) {
    const list = [...flows].sort();
    warn({
      id: AwsWarnings.EGRESS_TO_VPC_RANGE, path: list[0],
      message: `Zone "${zone}" has no cidrs, so egress towards its workloads uses the VPC range${vpcCidr ? ` ${vpcCidr}` : ''}: it also opens those ports towards unsegmented hosts and MONITOR workloads in the VPC (flows: ${list.join(', ')}). Give zone "${zone}" its cidrs to narrow it.`,
    });
  }

  const ipv6Used = policy.zones.some(z => z.cidrs.some(c => familyOf(c) === 'ipv6'))
    || placed.some(r => (r.source.kind === 'cidr' && r.source.family === 'ipv6') || (r.destination.kind === 'cidr' && r.destination.family === 'ipv6'));

  // MONITOR zones whose addresses the catch-all egress leaves out (exposed, or inside a carved
  // range): a MONITOR source reaches them through their zone group instead (every member of a
  // MONITOR zone is MONITOR, so its catch-all ingress admits the model's workloads anyway).
  const monitorZonesCarved: SgPeer[] = exposure.carve.length === 0 ? [] : policy.zones
    .filter(z => localZones.has(z.name) && z.workloads.length > 0 && z.mode === 'MONITOR')
    .filter(z => z.cidrs.length === 0 || exposure.zones.has(z.name) || z.cidrs.some(c => {
      const p = isToken(c) ? undefined : parseCidr(c);
      return !p || !isCidr(p) || exposure.carve.some(k => k.family === p.family && cidrOverlaps(k, p));
    }))
    .map(z => ({ kind: 'sg', group: zoneGroupName(z.name) }) as SgPeer);

  const groups: SgGroupPlan[] = [];
  const groupsOf: Record<string, string[]> = {};
  // Zone groups: one per local zone with workloads, carried by every member whether or not a
  // flow uses it (stable). A source identity only: no ingress, and the match-nothing egress so
  // AWS's default allow-all egress never applies to its members.
  for (const z of policy.zones) {
    if (!localZones.has(z.name) || z.workloads.length === 0) continue;
    const name = zoneGroupName(z.name);
    groups.push({
      name, kind: 'zone', workload: '', zone: z.name, workloadPath: z.path, logicalId: groupLogicalId(seg, name), monitor: false,
      description: `microseg ${seg} zone ${z.name}`,
      tags: { 'microseg:group': name, 'microseg:segmentation': seg, 'microseg:zone': z.name },
      ingress: [],
      egress: [matchNothing()],
    });
  }
  for (const w of localWorkloads) {
    const src = sourceGroupName(w.name);
    groups.push({
      name: src, kind: 'source', workload: w.name, zone: w.zone, workloadPath: w.path, logicalId: groupLogicalId(seg, src), monitor: false,
      description: `microseg ${seg} source ${w.name}`,
      tags: { 'microseg:group': src, 'microseg:segmentation': seg },
      ingress: [],
      egress: [matchNothing()],
    });
  }
  for (const w of localWorkloads) {
    const name = w.name;
    const logicalId = groupLogicalId(seg, name);
    const zone = zoneByName.get(w.zone)!;
    const monitor = zone.mode === 'MONITOR';
    const toRules = (direction: 'ingress' | 'egress', acc: Map<string, RuleAcc> | undefined): SgRulePlan[] => {
      const out: SgRulePlan[] = [];
      for (const e of acc?.values() ?? []) {
        const family = e.peer.kind === 'cidr' ? e.peer.family : 'ipv4';
        for (const { service: s, origins } of mergeWithOrigins(e.parts)) {
          const protocol = protocolFor(s, family);
          // Every reference is inline and points to an earlier group in the canonical order, so
          // there is no cycle: a source that sorts before the destination is referenced by its
          // own group; a self reference or a source that sorts at or after the destination by its
          // source group (which holds no rules and sorts first). The choice depends on names and
          // zone ranges only, never on other flows.
          const peer: SgPeer = e.peer.kind === 'sg' && !(rank.get(e.peer.group)! < rank.get(name)!) ? { kind: 'sg', group: sourceGroupName(e.peer.group) } : e.peer;
          // A zone-wide egress rule has a fixed description (flows added later do not change it).
          const description = e.label !== undefined && s.protocol === 'all' ? e.label : describe(origins, s);
          for (const { from, to } of portsFor(s, protocol)) out.push({ direction, protocol, from, to, peer, description, origins, kind: 'flow' });
        }
      }
      return out;
    };
    const ingress = toRules('ingress', ingressAcc.get(name));
    const egress = toRules('egress', egressAcc.get(name));
    if (monitor) {
      // MONITOR's catch-all: ingress from the VPC range (the internet only when asked for),
      // egress everywhere but the ranges of zones open to Peer ranges (see exposure.ts).
      const catchall = (direction: 'ingress' | 'egress', list: SgRulePlan[], peers: SgPeer[]) => {
        for (const peer of peers) {
          if (list.some(r => r.protocol === 'all' && canonicalPeer(r.peer) === canonicalPeer(peer))) continue;
          list.push({ direction, protocol: 'all', from: -1, to: -1, peer, description: `${seg}-monitor-catchall`, origins: [], kind: 'catchall' });
        }
      };
      const anywhere = ipv6Used ? ['0.0.0.0/0', '::/0'] : ['0.0.0.0/0'];
      const cidrPeer = (c: string): SgPeer => ({ kind: 'cidr', cidr: c, family: familyOf(c) });
      const monitorIngress: SgPeer[] = opts.monitorIngressFromInternet
        ? anywhere.map(cidrPeer)
        : [vpcCidr ? cidrPeer(vpcCidr) : { kind: 'vpc' }];
      catchall('ingress', ingress, monitorIngress);
      catchall('egress', egress, [...anywhere.flatMap(c => egressPeer(c, [], true)).map(cidrPeer), ...monitorZonesCarved]);
    }
    if (egress.length === 0) egress.push(matchNothing());
    const sortRules = (list: SgRulePlan[]) => list.sort((a, b) => cmp(ruleSortKey(a), ruleSortKey(b)));
    sortRules(ingress); sortRules(egress);
    const tags: Record<string, string> = {
      'microseg:group': name,
      'microseg:segmentation': seg,
      'microseg:workload': name,
      'microseg:zone': w.zone,
      ...(monitor ? { 'microseg:monitor': 'catchall' } : {}),
    };
    groups.push({ name, kind: 'workload', workload: name, zone: w.zone, workloadPath: w.path, logicalId, monitor, description: `microseg ${seg} workload ${name}`, tags, ingress, egress });
    groupsOf[name] = [name, zoneGroupName(w.zone), sourceGroupName(name)];

    // Quotas per direction, IPv4 and IPv6 counted separately (an SG reference counts for both).
    for (const [dir, list] of [['ingress', ingress], ['egress', egress]] as const) {
      const v4 = list.filter(r => r.peer.kind !== 'cidr' || r.peer.family === 'ipv4').length;
      const v6 = list.filter(r => r.peer.kind !== 'cidr' || r.peer.family === 'ipv6').length;
      for (const [fam, n] of [['IPv4', v4], ['IPv6', v6]] as const) {
        if (n > quotas.rulesPerSecurityGroup) {
          problems.push({
            code: 'QuotaExceeded', path: w.path, value: n,
            message: `the security group of workload "${name}" needs ${n} ${dir} ${fam} rules, more than the limit of ${quotas.rulesPerSecurityGroup} rules per security group per direction.`,
            hint: dir === 'egress'
              ? 'Give the destination zones `cidrs` (egress then uses one rule per block of zone ranges), merge ports into ranges, or raise `maxRulesPerSecurityGroup` to your account\'s raised quota.'
              : 'Merge ports into ranges, use fewer distinct Peer ranges, or raise `maxRulesPerSecurityGroup` to your account\'s raised quota.',
          });
        }
      }
    }
    if (groupsOf[name].length > quotas.securityGroupsPerInterface) {
      problems.push({
        code: 'QuotaExceeded', path: w.path, value: groupsOf[name].length,
        message: `workload "${name}" must carry ${groupsOf[name].length} security groups, more than the limit of ${quotas.securityGroupsPerInterface} per network interface.`,
        hint: 'Raise `maxSecurityGroupsPerInterface` (AWS allows up to 16) to your account\'s raised quota.',
      });
    }
  }

  // ---- network ACLs ----
  const nacls: NaclPlan[] = [];
  const naclSubnets = opts.naclSubnets ?? {};
  for (const zoneName of Object.keys(naclSubnets).sort()) {
    const zone = zoneByName.get(zoneName);
    if (!zone) {
      problems.push({ code: 'UnknownZone', path: opts.backendPath, value: zoneName, message: 'has subnets but is not a zone of the segmentation.', hint: `Zones are: ${policy.zones.map(z => z.name).join(', ')}.` });
      continue;
    }
    if (!localZones.has(zoneName)) {
      problems.push({ code: 'InvalidProp', path: opts.backendPath, value: zoneName, message: 'has subnets but is not placed on this backend (`zones`).', hint: `Add "${zoneName}" to \`zones\` or remove its subnets.` });
      continue;
    }
    if (zone.cidrs.length === 0) {
      problems.push({ code: 'MissingCidrs', path: zone.path, value: zoneName, message: `zone "${zoneName}" has subnets, so it gets a network ACL, but it has no cidrs: a network ACL can only name address ranges.`, hint: `Give zone "${zoneName}" its address ranges: { cidrs: ['10.0.1.0/24'] }.` });
      continue;
    }
    nacls.push(planNacl(policy, zoneName, naclSubnets[zoneName], { seg, eph, quotas, problems, warn, zoneRanges, ipv6Used, vpcCidr, monitorFromInternet: opts.monitorIngressFromInternet ?? false }));
  }

  // Guardrails towards MONITOR workloads (or from them towards Peers): security groups only
  // allow, so the catch-all lets such traffic pass; a network ACL blocks it only between zones.
  const monitorWorkloads = new Set(policy.zones.filter(z => localZones.has(z.name) && z.mode === 'MONITOR').flatMap(z => z.workloads));
  for (const d of policy.denies) {
    const hit = d.to.kind === 'cidr' ? d.from.workloads.filter(w => monitorWorkloads.has(w)) : d.to.workloads.filter(w => monitorWorkloads.has(w));
    if (hit.length === 0) continue;
    warn({
      id: AwsWarnings.MONITOR_DENY_NOT_ENFORCED, path: d.path,
      message: `This DenyFlow reaches MONITOR workloads (${hit.join(', ')}): security groups cannot deny, so MONITOR's catch-all lets its traffic pass (a network ACL blocks it only between zones with subnets). Flow logs show it; enforce the zone (EnforcementMode.ENFORCE) to block it, or acknowledge this warning.`,
    });
  }

  const monitored = groups.filter(g => g.monitor).map(g => g.workload);
  if (opts.monitorIngressFromInternet && monitored.length > 0) {
    warn({
      id: AwsWarnings.MONITOR_OPEN_TO_INTERNET, path: opts.backendPath,
      message: `MONITOR's catch-all lets the internet (0.0.0.0/0${ipv6Used ? ', ::/0' : ''}) reach every port of ${monitored.join(', ')} (monitorIngressFromInternet: true). Acknowledge it with a reason, or drop the prop: the catch-all then admits the VPC range only.`,
    });
  }

  const resourceCount = groups.length
    + nacls.reduce((n, a) => n + 1 + a.entries.length + a.associations.length, 0);
  const total = resourceCount + (opts.otherResources ?? 0);
  const limits = opts.stackLimits ?? DEFAULT_STACK_LIMITS;
  const templateBytes = 2000 + groups.reduce((n, g) => n + groupBytes(g, false, opts.pathMetadata), 0) + nacls.reduce((n, a) => n + 500 + a.entries.length * 420 + a.associations.length * 260, 0);
  const mode = opts.sharding ?? 'auto';
  const fits = total <= quotas.resourcesPerStack && templateBytes <= limits.templateBytes;
  let shards: ShardPlan[] | undefined;
  if (mode === 'always' || (mode === 'auto' && !fits)) {
    shards = planShards(groups, nacls, {
      quotas, limits, backendPath: opts.backendPath, rank, pathMetadata: opts.pathMetadata,
      zonePaths: new Map(policy.zones.map(z => [z.name, z.path])),
    }, problems);
    const parent = shards.length + (opts.otherResources ?? 0);
    if (parent > quotas.resourcesPerStack) {
      problems.push({
        code: 'QuotaExceeded', path: opts.backendPath, value: parent,
        message: `the stack would hold ${parent} resources (${shards.length} nested stacks of microseg), more than the limit of ${quotas.resourcesPerStack} resources per CloudFormation stack.`,
        hint: 'Move other resources to another stack, or raise `maxResourcesPerStack` if CloudFormation raised your limit.',
      });
    }
  } else if (total > quotas.resourcesPerStack) {
    problems.push({
      code: 'QuotaExceeded', path: opts.backendPath, value: total,
      message: `the stack would hold ${total} resources (${resourceCount} from microseg), more than the limit of ${quotas.resourcesPerStack} resources per CloudFormation stack.`,
      hint: 'Move other resources to another stack, let the backend shard into nested stacks (`sharding: AwsSharding.AUTO`), or raise `maxResourcesPerStack` if CloudFormation raised your limit.',
    });
  } else if (templateBytes > limits.templateBytes) {
    problems.push({
      code: 'QuotaExceeded', path: opts.backendPath, value: templateBytes,
      message: `the stack template would be about ${templateBytes} bytes, more than CloudFormation's limit of ${limits.templateBytes} bytes.`,
      hint: 'Let the backend shard into nested stacks (`sharding: AwsSharding.AUTO`).',
    });
  }

  if (problems.length > 0) throw MicrosegError.fromProblems(problems);

  return { segmentation: seg, groups, nacls, warnings, resourceCount, expected: expectedRules(groups, nacls), groupsOf, shards, templateBytes };
}

/**
 * The blocks zone-wide egress names, per local zone: the fewest CIDRs covering exactly the
 * ranges of every local ENFORCE zone that has workloads and none open to a Peer range covering
 * the model (see exposure.ts; a MONITOR zone's catch-all admits the model's workloads, so egress
 * towards it names each destination's source group with the flows' ports). Every address of a block belongs to such a zone, whose members all
 * have exact ingress, so an all-traffic egress rule towards a block allows exactly what the
 * destinations' ingress allows. The blocks depend on the zones and on which zones are exposed,
 * never on other flows: a flow towards a zone whose block a source already reaches adds nothing,
 * and a source reaches at most as many blocks as the model has (a monitoring server scraping
 * 35 zones of three scattered /24 subnets needs 9 rules instead of 105). Token ranges stay as
 * they are.
 */
export function egressBlocks(policy: IrPolicy, localZones: ReadonlySet<string>, exposed: ReadonlySet<string>): Map<string, string[]> {
  const eligible = policy.zones.filter(z => localZones.has(z.name) && z.workloads.length > 0 && !exposed.has(z.name) && z.mode !== 'MONITOR');
  const blocks = aggregate(eligible.flatMap(z => z.cidrs.filter(c => !isToken(c)))).map(c => parseCidr(c)).filter(isCidr);
  const out = new Map<string, string[]>();
  for (const z of eligible) {
    const mine = new Set<string>();
    for (const c of z.cidrs) {
      const p = isToken(c) ? undefined : parseCidr(c);
      const block = p && isCidr(p) ? blocks.find(b => b.family === p.family && cidrOverlaps(b, p)) : undefined;
      mine.add(block ? block.text : c);
    }
    out.set(z.name, [...mine].sort());
  }
  return out;
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

function matchNothing(): SgRulePlan {
  return {
    direction: 'egress', protocol: 'icmp', from: MATCH_NOTHING.type, to: MATCH_NOTHING.code,
    peer: { kind: 'cidr', cidr: MATCH_NOTHING.cidr, family: 'ipv4' }, description: MATCH_NOTHING.description,
    origins: [], kind: 'matchnothing',
  };
}

function ruleSortKey(r: SgRulePlan): string {
  return `${canonicalPeer(r.peer)}|${r.protocol}|${String(r.from + 1).padStart(6, '0')}|${String(r.to + 1).padStart(6, '0')}`;
}

interface NaclCtx {
  seg: string;
  eph: { from: number; to: number };
  quotas: AwsQuotas;
  problems: MicrosegProblem[];
  warn: (w: MicrosegWarning) => void;
  zoneRanges: Cidr[];
  ipv6Used: boolean;
  /** The VPC's primary IPv4 range when known at synth. */
  vpcCidr?: string;
  /** MONITOR's catch-all ingress from the internet (`monitorIngressFromInternet`). */
  monitorFromInternet: boolean;
}

interface EntryAcc { egress: boolean; action: 'allow' | 'deny'; band: NaclEntryPlan['band']; cidr: string; parts: Part[] }

function planNacl(policy: IrPolicy, zoneName: string, subnets: string[], ctx: NaclCtx): NaclPlan {
  const zoneByName = new Map(policy.zones.map(z => [z.name, z]));
  const zone = zoneByName.get(zoneName)!;
  const acc = new Map<string, EntryAcc>();
  const missing = new Map<string, string>();
  const put = (egress: boolean, action: 'allow' | 'deny', band: EntryAcc['band'], cidr: string, services: IrService[], origin: string) => {
    const k = `${band}|${egress ? 'e' : 'i'}|${cidr}`;
    let e = acc.get(k);
    if (!e) { e = { egress, action, band, cidr, parts: [] }; acc.set(k, e); }
    for (const service of services) e.parts.push({ service, flows: [origin] });
  };
  const ranges = (ref: IrEndpointRef, origin: string): string[] => {
    if (ref.kind === 'cidr') return [ref.cidr!];
    const out: string[] = [];
    for (const zn of ref.zones) {
      const z = zoneByName.get(zn)!;
      if (z.cidrs.length === 0) { if (!missing.has(zn)) missing.set(zn, origin); continue; }
      out.push(...z.cidrs);
    }
    return out;
  };
  const returnOf = (s: IrService): IrService => {
    if (s.protocol === 'tcp' || s.protocol === 'udp') return { protocol: s.protocol, from: ctx.eph.from, to: ctx.eph.to };
    if (s.protocol === 'icmp') return { protocol: 'icmp', from: -1, to: -1 };
    return s;
  };

  // Allows (requests) and their stateless return traffic, at zone granularity (a superset of the
  // model: the security groups keep it exact).
  for (const f of policy.flows) {
    const fromHere = f.from.kind !== 'cidr' && f.from.zones.includes(zoneName);
    const toHere = f.to.kind !== 'cidr' && f.to.zones.includes(zoneName);
    if (fromHere) {
      for (const c of ranges(f.to, f.path)) {
        put(true, 'allow', 'allow', c, f.services, f.path);
        put(false, 'allow', 'return', c, f.services.map(returnOf), f.path);
      }
    }
    if (toHere) {
      for (const c of ranges(f.from, f.path)) {
        put(false, 'allow', 'allow', c, f.services, f.path);
        put(true, 'allow', 'return', c, f.services.map(returnOf), f.path);
      }
    }
  }

  // Guardrails: where a DenyFlow covers this whole zone on one side and whole zones (with
  // cidrs) or a Peer range outside every zone on the other.
  const covers = (ref: IrEndpointRef, zn: string) => {
    if (ref.kind === 'cidr') return false;
    const z = zoneByName.get(zn)!;
    return z.workloads.length > 0 && z.workloads.every(w => ref.workloads.includes(w));
  };
  // `far`: what sits at the other end of the deny (a MONITOR or ENFORCE zone, or addresses
  // outside the model).
  const denyRanges = (ref: IrEndpointRef): { cidr: string; far: 'monitor' | 'enforce' | 'outside' }[] => {
    if (ref.kind === 'cidr') {
      const c = ref.cidr!;
      if (isToken(c)) return [];
      const p = parseCidr(c);
      if (!isCidr(p) || ctx.zoneRanges.some(z => cidrOverlaps(z, p))) return [];
      return [{ cidr: c, far: 'outside' }];
    }
    return policy.zones.filter(z => covers(ref, z.name) && z.cidrs.length > 0)
      .flatMap(z => z.cidrs.map(cidr => ({ cidr, far: z.mode === 'MONITOR' ? 'monitor' as const : 'enforce' as const })));
  };
  // A MONITOR zone's catch-all passes connections no flow declares (declared flows have their
  // return entries above). A stateless deny in the opposite direction would drop their replies:
  // where the far end can open such a connection, the replies the deny covers pass first, in the
  // return band (TCP and UDP to the ephemeral ports, ICMP echo replies). The far end can: a
  // MONITOR zone (both catch-alls), and addresses outside the model (no security group) that
  // this zone's catch-all reaches: everything outbound; inbound the VPC range, or the internet
  // with monitorIngressFromInternet.
  const monitorZone = zone.mode === 'MONITOR';
  const vpc = ctx.vpcCidr ? parseCidr(ctx.vpcCidr) : undefined;
  const opensTowardsUs = (egress: boolean, far: 'monitor' | 'enforce' | 'outside', cidr: string): boolean => {
    if (!monitorZone || far === 'enforce') return false;
    if (far === 'monitor' || !egress || ctx.monitorFromInternet || !vpc || !isCidr(vpc)) return true;
    const p = parseCidr(cidr);
    return isCidr(p) && cidrOverlaps(vpc, p);
  };
  const repliesCovered = (services: IrService[], family: 'ipv4' | 'ipv6'): IrService[] => services.flatMap((s): IrService[] => {
    const eph = (protocol: 'tcp' | 'udp', from: number, to: number): IrService[] => {
      const lo = Math.max(from, ctx.eph.from); const hi = Math.min(to, ctx.eph.to);
      return lo <= hi ? [{ protocol, from: lo, to: hi }] : [];
    };
    if (s.protocol === 'all') return [...eph('tcp', 0, 65535), ...eph('udp', 0, 65535), { protocol: 'icmp', from: 0, to: -1 }];
    if (s.protocol === 'tcp' || s.protocol === 'udp') return eph(s.protocol, s.from, s.to);
    // ICMP echo reply: type 0 (rendered as ICMPv6 129 towards IPv6 ranges, where 129 may be given as is)
    if (s.protocol === 'icmp' && (s.from === -1 || s.from === 0 || (family === 'ipv6' && s.from === 129))) return [{ protocol: 'icmp', from: s.from === -1 ? 0 : s.from, to: s.to }];
    return [];
  });
  for (const d of policy.denies) {
    for (const egress of [true, false]) {
      if (!covers(egress ? d.from : d.to, zoneName)) continue;
      for (const { cidr, far } of denyRanges(egress ? d.to : d.from)) {
        put(egress, 'deny', 'deny', cidr, d.services, d.path);
        const replies = opensTowardsUs(egress, far, cidr) ? repliesCovered(d.services, familyOf(cidr)) : [];
        if (replies.length > 0) put(egress, 'allow', 'return', cidr, replies, d.path);
      }
    }
  }

  if (missing.size > 0) {
    for (const [zn, origin] of [...missing.entries()].sort()) {
      ctx.problems.push({
        code: 'MissingCidrs', path: origin, value: zn,
        message: `zone "${zoneName}" gets a network ACL, and this flow connects it with zone "${zn}", which has no cidrs: a network ACL can only name address ranges.`,
        hint: `Give zone "${zn}" its address ranges: { cidrs: ['10.0.2.0/24'] }.`,
      });
    }
  }

  // Entries, then rule numbers: a hash slot in the band, probing upwards (wrapping) in canonical
  // order, so adding an entry leaves the others where they are unless it takes their slot.
  const naclId = naclLogicalId(ctx.seg, zoneName);
  const raw: Omit<NaclEntryPlan, 'ruleNumber' | 'logicalId'>[] = [];
  for (const e of acc.values()) {
    const family = familyOf(e.cidr);
    for (const { service: s, origins } of mergeWithOrigins(e.parts)) {
      const protocol = protocolFor(s, family);
      for (const { from, to } of portsFor(s, protocol)) raw.push({ egress: e.egress, action: e.action, protocol, protocolNumber: PROTOCOL_NUMBERS[protocol], from, to, cidr: e.cidr, family, band: e.band, origins });
    }
  }
  const keyOf = (e: Omit<NaclEntryPlan, 'ruleNumber' | 'logicalId'>) => `${e.egress ? 'egress' : 'ingress'}|${e.action}|${e.band}|${e.protocol}|${canonicalPorts(e.protocol, e.from, e.to)}|${e.cidr}`;
  raw.sort((a, b) => cmp(keyOf(a), keyOf(b)));
  const used = { true: new Set<number>(), false: new Set<number>() } as Record<string, Set<number>>;
  const entries: NaclEntryPlan[] = [];
  for (const e of raw) {
    if (e.band === 'monitor') continue;
    const band = NACL_BANDS[e.band];
    const size = band.to - band.from + 1;
    const key = keyOf(e);
    let slot = parseInt(shortHash(key), 16) % size;
    const taken = used[String(e.egress)];
    while (taken.has(band.from + slot)) slot = (slot + 1) % size;
    const ruleNumber = band.from + slot;
    taken.add(ruleNumber);
    entries.push({ ...e, ruleNumber, logicalId: `${naclId}${e.egress ? 'E' : 'I'}${shortHash(key)}` });
  }
  const monitor = monitorZone;
  if (monitor) {
    // Like the security groups' catch-all: ingress from the model's own network (the VPC range;
    // the internet only with monitorIngressFromInternet), egress everywhere, and the return
    // traffic of that egress (TCP and UDP to the ephemeral ports, ICMP). The security groups stay
    // the exact, stateful filter: they admit the internet only where the model does.
    const families = ctx.ipv6Used ? ['ipv4', 'ipv6'] as const : ['ipv4'] as const;
    const anywhere = { ipv4: '0.0.0.0/0', ipv6: '::/0' } as const;
    const monitorEntry = (egress: boolean, family: 'ipv4' | 'ipv6', cidr: string, protocol: 'all' | 'tcp' | 'udp' | 'icmp' | 'icmpv6', ruleNumber: number, suffix: string) => entries.push({
      egress, action: 'allow', protocol, protocolNumber: PROTOCOL_NUMBERS[protocol],
      from: protocol === 'tcp' || protocol === 'udp' ? ctx.eph.from : -1, to: protocol === 'tcp' || protocol === 'udp' ? ctx.eph.to : -1,
      cidr, family, band: 'monitor', ruleNumber, logicalId: `${naclId}${egress ? 'E' : 'I'}Monitor${suffix}`, origins: [],
    });
    for (const family of families) monitorEntry(true, family, anywhere[family], 'all', NACL_MONITOR_NUMBERS[family], family === 'ipv4' ? '4' : '6');
    if (ctx.monitorFromInternet) {
      for (const family of families) monitorEntry(false, family, anywhere[family], 'all', NACL_MONITOR_NUMBERS[family], family === 'ipv4' ? '4' : '6');
    } else {
      monitorEntry(false, 'ipv4', ctx.vpcCidr ?? VPC_CIDR_TOKEN, 'all', NACL_MONITOR_NUMBERS.ipv4, '4');
      for (const family of families) {
        const v4 = family === 'ipv4';
        monitorEntry(false, family, anywhere[family], 'tcp', v4 ? NACL_MONITOR_NUMBERS.returnTcp4 : NACL_MONITOR_NUMBERS.returnTcp6, v4 ? 'ReturnTcp4' : 'ReturnTcp6');
        monitorEntry(false, family, anywhere[family], 'udp', v4 ? NACL_MONITOR_NUMBERS.returnUdp4 : NACL_MONITOR_NUMBERS.returnUdp6, v4 ? 'ReturnUdp4' : 'ReturnUdp6');
        monitorEntry(false, family, anywhere[family], v4 ? 'icmp' : 'icmpv6', v4 ? NACL_MONITOR_NUMBERS.returnIcmp4 : NACL_MONITOR_NUMBERS.returnIcmp6, v4 ? 'ReturnIcmp4' : 'ReturnIcmp6');
      }
    }
  }
  entries.sort((a, b) => Number(a.egress) - Number(b.egress) || a.ruleNumber - b.ruleNumber);

  for (const egress of [false, true]) {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const n = entries.filter(e => e.egress === egress && e.family === family).length;
      if (n > ctx.quotas.naclEntriesPerDirection) {
        ctx.problems.push({
          code: 'QuotaExceeded', path: zone.path, value: n,
          message: `the network ACL of zone "${zoneName}" needs ${n} ${egress ? 'outbound' : 'inbound'} ${family === 'ipv4' ? 'IPv4' : 'IPv6'} entries, more than the limit of ${ctx.quotas.naclEntriesPerDirection} per direction.`,
          hint: 'Raise `maxNaclEntriesPerDirection` (AWS allows up to 40) to your account\'s raised quota, merge ports into ranges, give fewer distinct peer ranges, or leave this zone\'s subnets out (security groups still enforce the model).',
        });
      }
    }
  }

  return {
    zone: zoneName,
    logicalId: naclId,
    monitor,
    tags: { 'microseg:segmentation': ctx.seg, 'microseg:zone': zoneName, ...(monitor ? { 'microseg:monitor': 'catchall' } : {}) },
    entries,
    associations: [...new Set(subnets)].sort().map(s => ({ subnet: s, logicalId: `${naclId}Assoc${shortHash(s)}` })),
  };
}

const PROTOCOL_NUMBERS: Record<NaclEntryPlan['protocol'], number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, all: -1 };

/** The canonical rules of a plan (what the manifest records and the audit compares). */
export function expectedRules(groups: SgGroupPlan[], nacls: NaclPlan[]): CanonicalRule[] {
  const out: CanonicalRule[] = [];
  for (const g of groups) {
    for (const r of [...g.ingress, ...g.egress]) {
      out.push({
        container: `sg:${g.name}`, direction: r.direction as RuleDirection, action: RuleAction.ALLOW, protocol: r.protocol,
        ports: canonicalPorts(r.protocol, r.from, r.to), peer: canonicalPeer(r.peer),
        ...(r.origins.length ? { origin: r.origins[0] } : {}),
      });
    }
  }
  for (const n of nacls) {
    for (const e of n.entries) {
      out.push({
        container: `nacl:${n.zone}`, direction: e.egress ? RuleDirection.EGRESS : RuleDirection.INGRESS, action: e.action as RuleAction, protocol: e.protocol,
        ports: canonicalPorts(e.protocol, e.from, e.to), peer: e.cidr === VPC_CIDR_TOKEN ? VPC_CIDR_TOKEN : `cidr:${e.cidr}`, priority: e.ruleNumber,
        ...(e.origins.length ? { origin: e.origins[0] } : {}),
      });
    }
  }
  return sortCanonical(out);
}

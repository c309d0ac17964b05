/**
 * Azure planning: IR -> plain Terraform resource specs (azurerm) and the manifest section.
 * Pure: no cdktf import. Both the cdktf construct and the plain Terraform JSON writer render
 * exactly these specs.
 *
 * - one application security group (ASG) per workload on this cloud, one network security
 *   group (NSG) per zone on this cloud, associated with the zone's subnet when given, or with
 *   nsgScope WORKLOAD one NSG per workload (for its NICs; an "NSG unit" below is a zone or a
 *   workload);
 * - an allow becomes an inbound rule on the destination's NSG and an outbound rule on the
 *   source's NSG, one ASG per side; peers and remote zones are address prefixes;
 * - a guardrail (DenyFlow) becomes deny rules in the deny band (priorities 100-599), allows use
 *   the allow band (600-4094); MONITOR adds a catch-all allow at 4095; deny-all at 4096;
 * - priorities: each rule's home slot is a hash of its content inside its band; collisions
 *   probe forward in a deterministic order (see `assignPriorities`).
 */
import { CanonicalRule, portsText } from '../ir/canonical';
import { ManifestCloudSection } from '../ir/manifest';
import { IrService } from '../ir/services';
import { IrDeny, IrPolicy, IrZone } from '../ir/types';
import { MicrosegProblem, MicrosegWarning } from '../model/errors';
import { isUnresolved, placeForTerraform, placementWarnings, RangesSide, Side, SideRule, throwProblems, WorkloadSide } from '../terraform/sides';
import { clip, cmp, hash32, shortHash, TfResourceSpec, tfIdentifier, tfRef } from '../terraform/util';

/** Terraform resource types rendered by the Azure backend. */
export const AZURE_TYPES = {
  asg: 'azurerm_application_security_group',
  nsg: 'azurerm_network_security_group',
  rule: 'azurerm_network_security_rule',
  association: 'azurerm_subnet_network_security_group_association',
} as const;

/** Priority bands (inclusive). */
export const AZURE_PRIORITIES = {
  denyBand: [100, 599] as const,
  allowBand: [600, 4094] as const,
  monitorCatchAll: 4095,
  denyAll: 4096,
};

/** Azure's hard limits checked at synth. */
export const AZURE_LIMITS = {
  rulesPerNsg: 1000,
  asgsPerNsg: 100,
  ruleNameLength: 80,
  descriptionLength: 140,
};

/** Input of {@link planAzure}. */
export interface AzurePlanOptions {
  readonly backendPath: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly zones?: string[];
  readonly subnetIds?: Record<string, string>;
  readonly tags?: Record<string, string>;
  /** Recorded in the manifest for the audit. */
  readonly subscriptionId?: string;
  /** ASGs one NSG may reference (Azure: 100; lower only to exercise the switching in tests). */
  readonly maxAsgsPerNsg?: number;
  /** One NSG per zone (default) or one per workload. */
  readonly nsgScope?: 'ZONE' | 'WORKLOAD';
  /**
   * Keep port-exact outbound rules towards zones on Azure (default false: a source whose flows
   * into a zone are all checked exactly by the zone's inbound rules gets one all-traffic
   * outbound rule listing every such zone's ranges).
   */
  readonly exactEgressPorts?: boolean;
  /** The MONITOR catch-all admits the internet inbound (default: the virtual network only). */
  readonly monitorOpenToInternet?: boolean;
  /** The network's own address ranges: peers reaching beyond them are rendered without them. */
  readonly networkRanges?: string[];
}

/** The result of planning. */
export interface AzurePlan {
  /** Resources, sorted by type and name. */
  readonly resources: TfResourceSpec[];
  readonly section: ManifestCloudSection;
  readonly warnings: MicrosegWarning[];
}

/** An Azure resource name of at most 80 characters (hash-shortened when longer). */
function azureName(full: string): string {
  return full.length <= 80 ? full : `${full.slice(0, 71).replace(/-+$/, '')}-${shortHash(full)}`;
}

/** The ASG name of a workload. */
export function azureAsgName(segmentation: string, workload: string): string {
  return azureName(`${segmentation}-${workload}`);
}

/** The NSG name of a zone. */
export function azureNsgName(segmentation: string, zone: string): string {
  return azureName(`${segmentation}-${zone}`);
}

/** The Terraform name of a workload's ASG. */
export function azureAsgTfName(segmentation: string, workload: string): string {
  return tfIdentifier(`${segmentation}_${workload}`);
}

/** The Terraform name of a zone's NSG (and of its subnet association). */
export function azureNsgTfName(segmentation: string, zone: string): string {
  return tfIdentifier(`${segmentation}_${zone}`);
}

/** One NSG of the plan: a zone's, or (nsgScope WORKLOAD) a workload's. */
interface NsgUnit {
  /** The zone name, or the workload name. */
  readonly key: string;
  readonly zone: string;
  readonly workload?: string;
  /** Construct path of the zone or workload (for errors). */
  readonly path: string;
  readonly name: string;
  readonly tf: string;
}

type Direction = 'Inbound' | 'Outbound';
/** A rule end: a side, any address, or Azure's `VirtualNetwork` service tag. */
type End = Side | '*' | 'VirtualNetwork';
type Access = 'Allow' | 'Deny';

interface RuleAcc {
  /** The NSG the rule belongs to: its zone (ZONE scope) or its workload (WORKLOAD scope). */
  unit: string;
  direction: Direction;
  access: Access;
  source: End;
  destination: End;
  protocol: string;
  ports: Set<string>;
  origins: Set<string>;
  what: string;
  fixedPriority?: number;
  fixedName?: string;
}

const PROTOCOL: Record<IrService['protocol'], string> = { tcp: 'Tcp', udp: 'Udp', icmp: 'Icmp', all: '*' };

/** Azure port text of a service (ICMP types cannot be expressed: every ICMP). */
function azurePorts(s: IrService): string {
  if (s.protocol === 'tcp' || s.protocol === 'udp') return s.from === 0 && s.to === 65535 ? '*' : s.from === s.to ? `${s.from}` : `${s.from}-${s.to}`;
  return '*';
}

function sideLabel(s: End): string {
  if (s === '*') return 'any';
  if (s === 'VirtualNetwork') return 'vnet';
  if (s.kind === 'workload') return s.workload;
  const v6 = s.family === 'ipv6' ? '.v6' : '';
  if (s.key.startsWith('zones:')) return `azure-zones${v6}`;
  if (s.origin === 'zone') return `zone.${s.label}${v6}`;
  if (s.origin === 'workload') return `addr.${s.label}${v6}`;
  return `cidr.${s.label.replace(/\//g, '_').replace(/:/g, '-')}`;
}

function ruleName(a: RuleAcc): string {
  if (a.fixedName) return a.fixedName;
  const proto = a.protocol === '*' ? 'all' : a.protocol.toLowerCase();
  const full = `${a.access.toLowerCase()}-${a.direction === 'Inbound' ? 'in' : 'out'}-${sideLabel(a.source)}-to-${sideLabel(a.destination)}-${proto}`;
  if (full.length <= AZURE_LIMITS.ruleNameLength) return full;
  return `${full.slice(0, AZURE_LIMITS.ruleNameLength - 9).replace(/[-.]+$/, '')}-${shortHash(full)}`;
}

function portSort(a: string, b: string): number {
  const n = (x: string) => (x === '*' ? -1 : Number(x.split('-')[0]));
  return n(a) - n(b) || cmp(a, b);
}

/**
 * Assigns priorities in `[lo, hi]` to keys: home slot = lo + hash(key) mod size; keys are placed
 * in (home, key) order and probe forward (wrapping) to the next free slot. A rule keeps its
 * priority when others are added or removed unless one of them lands in its probe run.
 * Returns undefined when the band is too small.
 */
export function assignPriorities(keys: string[], lo: number, hi: number): Map<string, number> | undefined {
  const size = hi - lo + 1;
  if (keys.length > size) return undefined;
  const items = keys.map(k => ({ k, home: hash32(k) % size })).sort((a, b) => a.home - b.home || cmp(a.k, b.k));
  const used = new Uint8Array(size);
  const out = new Map<string, number>();
  for (const it of items) {
    let p = it.home;
    while (used[p]) p = (p + 1) % size;
    used[p] = 1;
    out.set(it.k, lo + p);
  }
  return out;
}

/** Plans the Azure resources of a compiled policy. Throws `MicrosegError` before anything is rendered. */
export function planAzure(policy: IrPolicy, opts: AzurePlanOptions): AzurePlan {
  const seg = policy.segmentation.name;
  const problems: MicrosegProblem[] = [];
  const placement = placeForTerraform(policy, opts.zones, opts.backendPath, { networkRanges: opts.networkRanges });
  const localZones = new Set(placement.zones);
  for (const z of Object.keys(opts.subnetIds ?? {}).sort()) {
    if (!localZones.has(z)) {
      problems.push({ code: 'UnknownZone', path: opts.backendPath, value: z, message: 'subnetIds names a zone that is not placed on Azure by this backend.', hint: `Zones on this backend: ${placement.zones.join(', ') || '(none)'}.` });
    }
  }
  const scope = opts.nsgScope ?? 'ZONE';
  if (scope === 'WORKLOAD' && Object.keys(opts.subnetIds ?? {}).length > 0) {
    problems.push({
      code: 'InvalidProp', path: opts.backendPath, value: 'subnetIds',
      message: 'cannot be combined with nsgScope WORKLOAD: each workload has its own NSG, attached to its network interfaces.',
      hint: 'Associate networkSecurityGroupForWorkload(workload).id with each NIC of the workload (azurerm_network_interface_security_group_association), or use nsgScope ZONE with subnetIds.',
    });
  }
  throwProblems(problems);

  const warnings = placementWarnings(policy, placement, opts.backendPath, 'Azure');
  const acknowledged = new Set(policy.acknowledged.map(a => a.id));
  const warn = (id: string, path: string, message: string) => { if (!acknowledged.has(id)) warnings.push({ id, path, message }); };

  const zoneInfo = new Map(policy.zones.map(z => [z.name, z]));
  /** The NSGs of this backend: per zone, or per workload of the local zones (sorted by name). */
  const units: NsgUnit[] = scope === 'ZONE'
    ? placement.zones.map(z => ({ key: z, zone: z, path: zoneInfo.get(z)!.path, name: azureNsgName(seg, z), tf: azureNsgTfName(seg, z) }))
    : policy.workloads.filter(w => localZones.has(w.zone)).map(w => ({ key: w.name, zone: w.zone, workload: w.name, path: w.path, name: azureNsgName(seg, w.name), tf: azureNsgTfName(seg, w.name) }))
      .sort((x, y) => cmp(x.key, y.key));
  const unitInfo = new Map(units.map(u => [u.key, u]));
  const unitOf = (side: WorkloadSide): string => (scope === 'ZONE' ? side.zone : side.workload);
  const rangeCache = new Map<string, RangesSide[]>();
  /** A local zone's own ranges as rule sides (one per address family); empty without cidrs. */
  const zoneRanges = (zone: string): RangesSide[] => {
    let r = rangeCache.get(zone);
    if (!r) {
      const cidrs = zoneInfo.get(zone)!.cidrs;
      r = cidrs.some(isUnresolved) ? [] : (['ipv4', 'ipv6'] as const)
        .map(family => ({ family, prefixes: cidrs.filter(c => (c.includes(':') ? 'ipv6' : 'ipv4') === family) }))
        .filter(x => x.prefixes.length > 0)
        .map(x => ({ kind: 'ranges' as const, key: `z:${zone}:${x.family}`, origin: 'zone' as const, label: zone, family: x.family, prefixes: x.prefixes }));
      rangeCache.set(zone, r);
    }
    return r;
  };

  const accs = new Map<string, RuleAcc>();
  const add = (unit: string, direction: Direction, access: Access, source: Side, destination: Side, s: IrService, origin: string) => {
    const protocol = PROTOCOL[s.protocol];
    const key = `${unit}|${direction}|${access}|${source.key}|${destination.key}|${protocol}`;
    let a = accs.get(key);
    if (!a) { a = { unit, direction, access, source, destination, protocol, ports: new Set(), origins: new Set(), what: `${access.toLowerCase()} ${sideText(source)} -> ${sideText(destination)}` }; accs.set(key, a); }
    a.ports.add(azurePorts(s));
    a.origins.add(origin);
  };

  // Between two workloads on Azure a packet must pass the source NSG (outbound) and the
  // destination NSG (inbound), so one exact side (ASG to ASG) suffices: the other side names the
  // zone's ranges. That keeps the ASGs an NSG references (quota 100) and its rules (quota 1000)
  // low. By default the exact side is outbound (mode A: the source NSG references the
  // destination's ASG); only when an NSG would reference too many ASGs are whole zone pairs
  // switched to an exact inbound side (mode B: the destination NSG references the source's ASG),
  // largest relief first. Small models therefore never switch, which keeps rules stable.
  //
  // Egress towards the model (unless exactEgressPorts): where the exact side of a pair is
  // inbound, the source's outbound side need not repeat the ports. A source whose flows into an
  // ENFORCE zone on Azure are all checked exactly there (no inbound rule of that zone names the
  // source's zone by its ranges) gets ONE all-traffic outbound rule per address family listing
  // every such zone's ranges; the destination's inbound rules (source ASG to destination ASG,
  // ports) decide. Exact sides are therefore inbound by default where the ASG budget allows.
  // Egress to zones elsewhere, to peers and towards MONITOR zones (whose catch-all lets
  // everything in) keeps its ports; guardrails stay exact on both sides.
  const maxAsgs = opts.maxAsgsPerNsg ?? AZURE_LIMITS.asgsPerNsg;
  const compress = !opts.exactEgressPorts;
  const hasRanges = (z: string) => zoneRanges(z).length > 0;
  const enforced = (z: string) => zoneInfo.get(z)!.mode !== 'MONITOR';
  const preferInbound = (zs: string, zd: string) => compress && enforced(zd) && hasRanges(zs) && hasRanges(zd);
  // A MONITOR zone's catch-all lets every member out, so an ENFORCE destination's inbound rule
  // must name the source's ASG, never its zone's ranges: such pairs are exact inbound, always.
  // Likewise a MONITOR destination's catch-all lets everything in, so an ENFORCE source's
  // outbound rule must name the destination's ASG: such pairs are exact outbound, always.
  const forcedInbound = (zs: string, zd: string) => !enforced(zs) && enforced(zd);
  const forcedOutbound = (zs: string, zd: string) => enforced(zs) && !enforced(zd);
  const inboundExact = scope === 'ZONE'
    ? chooseExactSides(placement.rules, zoneInfo, hasRanges, maxAsgs, preferInbound, forcedInbound, forcedOutbound)
    : chooseWorkloadExactSides(placement.rules, hasRanges, maxAsgs, preferInbound, forcedInbound, forcedOutbound);
  const widened = new Set<string>();
  const decided = placement.rules.map(r => {
    let inboundSources: Side[] = [r.source];
    let outboundDestinations: Side[] = [r.destination];
    let exactIn = false;
    if (r.source.kind === 'workload' && r.destination.kind === 'workload') {
      const srcRanges = zoneRanges(r.source.zone);
      const dstRanges = zoneRanges(r.destination.zone);
      if (forcedInbound(r.source.zone, r.destination.zone)) { if (dstRanges.length) outboundDestinations = dstRanges; exactIn = true; } else if (forcedOutbound(r.source.zone, r.destination.zone)) { if (srcRanges.length) inboundSources = srcRanges; } else if (inboundExact.has(`${unitOf(r.source)}>${unitOf(r.destination)}`)) { outboundDestinations = dstRanges; exactIn = true; } else if (srcRanges.length) inboundSources = srcRanges;
      else if (dstRanges.length) { outboundDestinations = dstRanges; exactIn = true; }
    }
    return { r, inboundSources, outboundDestinations, exactIn };
  });
  /** `srcZone>dstZone` where some inbound allow names the source zone by its ranges. */
  const looseIn = new Set<string>();
  for (const d of decided) {
    if (d.r.source.kind === 'workload' && d.r.destination.kind === 'workload' && !d.exactIn && d.inboundSources[0] !== d.r.source) looseIn.add(`${d.r.source.zone}>${d.r.destination.zone}`);
  }
  /** Per source workload: the zones its all-traffic outbound rule lists, and the flows behind it. */
  const towardsZones = new Map<string, { side: WorkloadSide; zones: Set<string>; origins: Set<string> }>();
  for (const { r, inboundSources, outboundDestinations, exactIn } of decided) {
    if (r.service.protocol === 'icmp' && r.service.from !== -1) r.flows.forEach(f => widened.add(f));
    if (r.destination.kind === 'workload') for (const src of inboundSources) add(unitOf(r.destination), 'Inbound', 'Allow', src, r.destination, r.service, r.flows[0]);
    if (r.source.kind !== 'workload') continue;
    if (compress && exactIn && r.destination.kind === 'workload' && enforced(r.destination.zone) && hasRanges(r.destination.zone) && !looseIn.has(`${r.source.zone}>${r.destination.zone}`)) {
      let t = towardsZones.get(r.source.workload);
      if (!t) { t = { side: r.source, zones: new Set(), origins: new Set() }; towardsZones.set(r.source.workload, t); }
      t.zones.add(r.destination.zone);
      t.origins.add(r.flows[0]);
      continue;
    }
    // An outbound rule naming the destination zone's ranges is exact only if no inbound rule into
    // that zone names the source zone's ranges (with workload NSGs, other pairs of the same zones
    // may have their exact side outbound): then both sides of this pair are exact.
    const loose = exactIn && r.destination.kind === 'workload' && outboundDestinations[0] !== r.destination && looseIn.has(`${r.source.zone}>${r.destination.zone}`);
    for (const dst of loose ? [r.destination] : outboundDestinations) add(unitOf(r.source), 'Outbound', 'Allow', r.source, dst, r.service, r.flows[0]);
  }
  for (const w of [...towardsZones.keys()].sort()) {
    const t = towardsZones.get(w)!;
    const zones = [...t.zones].sort();
    for (const family of ['ipv4', 'ipv6'] as const) {
      const prefixes = zones.flatMap(z => zoneRanges(z).filter(x => x.family === family).flatMap(x => x.prefixes));
      if (prefixes.length === 0) continue;
      const side: RangesSide = { kind: 'ranges', key: `zones:${family}`, origin: 'zone', label: 'azure-zones', family, prefixes };
      for (const o of [...t.origins].sort()) add(unitOf(t.side), 'Outbound', 'Allow', t.side, side, { protocol: 'all', from: -1, to: -1 }, o);
    }
  }
  // Guardrails stay exact on both sides; a side that covers a whole local zone with cidrs is
  // named by the zone's ranges.
  const covers = new Map<string, boolean>();
  const wholeZone = (d: IrDeny, end: 'from' | 'to', side: Side): Side[] => {
    if (side.kind !== 'workload') return [side];
    const key = `${d.path}|${end}|${side.zone}`;
    let c = covers.get(key);
    if (c === undefined) {
      const set = new Set(d[end].workloads);
      c = zoneInfo.get(side.zone)!.workloads.every(w => set.has(w)) && zoneRanges(side.zone).length > 0;
      covers.set(key, c);
    }
    return c ? zoneRanges(side.zone) : [side];
  };
  for (const d of placement.denies) {
    for (const s of d.services) {
      if (d.destination.kind === 'workload') for (const src of wholeZone(d.deny, 'from', d.source)) add(unitOf(d.destination), 'Inbound', 'Deny', src, d.destination, s, d.deny.path);
      if (d.source.kind === 'workload') for (const dst of wholeZone(d.deny, 'to', d.destination)) add(unitOf(d.source), 'Outbound', 'Deny', d.source, dst, s, d.deny.path);
    }
  }
  for (const f of [...widened].sort()) {
    warn('microseg:IcmpTypeWidened', f, 'Azure NSG rules cannot match ICMP types or codes: the flow is rendered as every ICMP type.');
  }

  // fixed rules per NSG
  for (const u of units) {
    const z = u.zone;
    for (const direction of ['Inbound', 'Outbound'] as Direction[]) {
      const short = direction === 'Inbound' ? 'in' : 'out';
      accs.set(`${u.key}|${direction}|fixed|deny-all`, {
        unit: u.key, direction, access: 'Deny', source: '*', destination: '*', protocol: '*', ports: new Set(['*']), origins: new Set([policy.segmentation.path]),
        what: 'default deny', fixedPriority: AZURE_PRIORITIES.denyAll, fixedName: `${seg}-${short}-deny-all`,
      });
      if (zoneInfo.get(z)!.mode === 'MONITOR') {
        // inbound from the virtual network only, unless opened to the internet on purpose
        const from = direction === 'Inbound' && !opts.monitorOpenToInternet ? 'VirtualNetwork' : '*';
        accs.set(`${u.key}|${direction}|fixed|monitor`, {
          unit: u.key, direction, access: 'Allow', source: from, destination: '*', protocol: '*', ports: new Set(['*']), origins: new Set([zoneInfo.get(z)!.path]),
          what: 'MONITOR mode catch-all (traffic enforcement would block)', fixedPriority: AZURE_PRIORITIES.monitorCatchAll, fixedName: `${seg}-${short}-monitor-catchall`,
        });
      }
    }
  }

  const monitored = [...new Set(units.filter(u => zoneInfo.get(u.zone)!.mode === 'MONITOR').map(u => u.zone))];
  if (opts.monitorOpenToInternet && monitored.length) {
    warn('microseg:MonitorOpenToInternet', opts.backendPath, `monitorOpenToInternet: the MONITOR catch-all of zone${monitored.length === 1 ? '' : 's'} ${monitored.join(', ')} admits every address inbound (source "*"), the internet included, until the zone is enforced.`);
  }

  // group per NSG, check quotas, assign priorities
  const byNsg = new Map<string, RuleAcc[]>();
  for (const a of accs.values()) {
    const l = byNsg.get(a.unit) ?? [];
    l.push(a);
    byNsg.set(a.unit, l);
  }
  const priorities = new Map<RuleAcc, number>();
  for (const u of units) {
    const { zone, path: unitPath } = u;
    const list = byNsg.get(u.key) ?? [];
    const nsg = u.name;
    const of = u.workload ? `workload "${u.workload}"` : `zone "${zone}"`;
    if (list.length > AZURE_LIMITS.rulesPerNsg) {
      problems.push({
        code: 'QuotaExceeded', path: unitPath, value: nsg,
        message: `NSG "${nsg}" of ${of} would hold ${list.length} rules; Azure allows at most ${AZURE_LIMITS.rulesPerNsg} per NSG.`,
        hint: u.workload
          ? 'Declare the workload\'s flows with shared ports (fewer protocol/peer combinations), or split it into several workloads.'
          : 'Use nsgScope: AzureNsgScope.WORKLOAD (one NSG per workload, attached to its NICs), split the zone into smaller zones, or declare flows between zones or selectors with shared ports so fewer workload pairs need rules.',
      });
      continue;
    }
    const asgs = new Set<string>();
    for (const a of list) for (const s of [a.source, a.destination]) if (typeof s !== 'string' && s.kind === 'workload') asgs.add(s.workload);
    if (asgs.size > maxAsgs) {
      problems.push({
        code: 'QuotaExceeded', path: unitPath, value: nsg,
        message: `the rules of NSG "${nsg}" of ${of} reference ${asgs.size} application security groups; Azure allows at most ${maxAsgs} per NSG.`,
        hint: u.workload
          ? `Exact rules need the ASG of one end of every workload pair; workload "${u.workload}" talks to too many workloads that also talk to many others: give it fewer peers, or declare flows to whole zones whose cidrs name them.`
          : `Use nsgScope: AzureNsgScope.WORKLOAD (one NSG per workload, attached to its NICs: each NSG then references only its workload's peers). Exact rules need one ASG per workload on one side of every workload pair, and ${zoneInfo.get(zone)!.workloads.length} of the ${maxAsgs} are zone "${zone}"'s own: otherwise split busy zones into smaller ones.`,
      });
      continue;
    }
    for (const direction of ['Inbound', 'Outbound'] as Direction[]) {
      for (const access of ['Deny', 'Allow'] as Access[]) {
        const band = access === 'Deny' ? AZURE_PRIORITIES.denyBand : AZURE_PRIORITIES.allowBand;
        const items = list.filter(a => a.direction === direction && a.access === access && a.fixedPriority === undefined);
        const keyed = new Map(items.map(a => [`${a.access}|${sideKey(a.source)}|${sideKey(a.destination)}|${a.protocol}`, a]));
        const assigned = assignPriorities([...keyed.keys()], band[0], band[1]);
        if (!assigned) {
          problems.push({
            code: 'PriorityExhausted', path: unitPath, value: nsg,
            message: `NSG "${nsg}" needs ${items.length} ${access.toLowerCase()} ${direction.toLowerCase()} rules but the ${access.toLowerCase()} band (priorities ${band[0]}-${band[1]}) has ${band[1] - band[0] + 1} slots.`,
            hint: access === 'Deny' ? 'Merge DenyFlow guardrails (deny between zones rather than workloads) so fewer deny rules are needed.' : u.workload ? 'Split the workload.' : 'Split the zone into smaller zones, or use nsgScope: AzureNsgScope.WORKLOAD.',
          });
          continue;
        }
        for (const [k, a] of keyed) priorities.set(a, assigned.get(k)!);
      }
      for (const a of list) if (a.fixedPriority !== undefined) priorities.set(a, a.fixedPriority);
    }
  }
  throwProblems(problems);

  // resources
  const resources: TfResourceSpec[] = [];
  const baseTags = (extra: Record<string, string>) => ({ ...(opts.tags ?? {}), 'microseg:segmentation': seg, ...extra });
  const identities: Record<string, Record<string, string>> = {};
  const containers: Record<string, Record<string, string>> = {};
  const localWorkloads = policy.workloads.filter(w => localZones.has(w.zone));
  for (const w of localWorkloads) {
    const tf = azureAsgTfName(seg, w.name);
    const name = azureAsgName(seg, w.name);
    resources.push({
      type: AZURE_TYPES.asg, name: tf,
      attributes: { name, location: opts.location, resource_group_name: opts.resourceGroupName, tags: baseTags({ 'microseg:workload': w.name, 'microseg:zone': w.zone }) },
    });
    identities[w.name] = { asgName: name, asgTerraformAddress: `${AZURE_TYPES.asg}.${tf}`, nsgName: unitInfo.get(unitOf({ kind: 'workload', key: `w:${w.name}`, workload: w.name, zone: w.zone }))!.name, zone: w.zone };
  }
  for (const u of units) {
    const { tf, name, zone } = u;
    const workloadTag: Record<string, string> = u.workload ? { 'microseg:workload': u.workload } : {};
    resources.push({
      type: AZURE_TYPES.nsg, name: tf,
      attributes: { name, location: opts.location, resource_group_name: opts.resourceGroupName, tags: baseTags({ ...workloadTag, 'microseg:zone': zone, 'microseg:mode': zoneInfo.get(zone)!.mode }) },
    });
    const subnet = u.workload ? undefined : opts.subnetIds?.[zone];
    containers[`nsg:${name}`] = { zone, ...(u.workload ? { workload: u.workload } : {}), terraformAddress: `${AZURE_TYPES.nsg}.${tf}`, ...(subnet ? { subnetId: subnet } : {}) };
    if (subnet) {
      resources.push({
        type: AZURE_TYPES.association, name: tf,
        attributes: { subnet_id: subnet, network_security_group_id: tfRef(AZURE_TYPES.nsg, tf, 'id') },
      });
    }
  }

  const expected: CanonicalRule[] = [];
  const ruleNames = new Map<string, string>();
  const collisions: MicrosegProblem[] = [];
  for (const a of accs.values()) {
    const name = ruleName(a);
    const nsgTf = unitInfo.get(a.unit)!.tf;
    const nsgName = unitInfo.get(a.unit)!.name;
    const tf = tfIdentifier(`${nsgTf}_${name}`);
    const dup = ruleNames.get(`${a.unit}|${name}`);
    if (dup) {
      // Valid model names can meet after rendering (a workload named "azure-zones").
      collisions.push({
        code: 'DuplicateName', path: opts.backendPath, value: name,
        message: `two rules of NSG "${nsgName}" would get this name (from ${[...a.origins].sort()[0] ?? 'the model'}): the names of workloads and zones meet in the rendered rule names.`,
        hint: 'Rename the workload or zone involved (the `name` prop); "azure-zones" and names with "-to-" are best avoided.',
      });
      continue;
    }
    ruleNames.set(`${a.unit}|${name}`, tf);
    const priority = priorities.get(a)!;
    const ports = [...a.ports].sort(portSort);
    const portList = ports.includes('*') ? ['*'] : ports;
    const origins = [...a.origins].sort();
    const attributes: Record<string, unknown> = {
      name,
      priority,
      direction: a.direction,
      access: a.access,
      protocol: a.protocol,
      resource_group_name: opts.resourceGroupName,
      network_security_group_name: tfRef(AZURE_TYPES.nsg, nsgTf, 'name'),
      source_port_range: '*',
      // the all-traffic rule towards zones names no flow: more flows into the same zones leave it unchanged
      description: clip(typeof a.destination !== 'string' && a.destination.key.startsWith('zones:') ? `microseg ${seg}: ${a.what}; the destination NSGs check each flow` : `microseg ${seg}: ${a.what} (${origins[0]}${origins.length > 1 ? ` +${origins.length - 1}` : ''})`, AZURE_LIMITS.descriptionLength),
      ...(portList.length === 1 ? { destination_port_range: portList[0] } : { destination_port_ranges: portList }),
      ...endAttributes('source', a.source, seg),
      ...endAttributes('destination', a.destination, seg),
    };
    resources.push({ type: AZURE_TYPES.rule, name: tf, attributes });

    const peerSide = a.direction === 'Inbound' ? a.source : a.destination;
    const targetSide = a.direction === 'Inbound' ? a.destination : a.source;
    const proto = a.protocol === '*' ? 'all' : a.protocol.toLowerCase();
    for (const peer of canonicalEnds(peerSide, seg)) {
      for (const target of canonicalEnds(targetSide, seg)) {
        for (const p of portList) {
          expected.push({
            container: `nsg:${nsgName}`, direction: a.direction === 'Inbound' ? 'ingress' : 'egress', action: a.access === 'Allow' ? 'allow' : 'deny',
            protocol: proto, ports: canonicalPorts(p), peer, target, priority, name, origin: origins[0],
          });
        }
      }
    }
  }
  throwProblems(collisions);
  resources.sort((x, y) => cmp(x.type, y.type) || cmp(x.name, y.name));
  return {
    resources,
    section: {
      backendPath: opts.backendPath,
      zones: placement.zones,
      settings: { resourceGroupName: opts.resourceGroupName, location: opts.location, ...(opts.subscriptionId ? { subscriptionId: opts.subscriptionId } : {}), ...(scope === 'WORKLOAD' ? { nsgScope: scope } : {}) },
      identities,
      containers,
      expected,
    },
    warnings,
  };
}

function sideKey(s: End): string {
  return typeof s === 'string' ? s : s.key;
}

function sideText(s: Side): string {
  if (s.kind === 'workload') return s.workload;
  if (s.key.startsWith('zones:')) return `zones on Azure it reaches (${s.family === 'ipv6' ? 'IPv6' : 'IPv4'})`;
  return s.origin === 'peer' ? s.label : `${s.origin} ${s.label} (${s.family})`;
}

function endAttributes(end: 'source' | 'destination', s: End, seg: string): Record<string, unknown> {
  if (typeof s === 'string') return { [`${end}_address_prefix`]: s };
  if (s.kind === 'workload') return { [`${end}_application_security_group_ids`]: [tfRef(AZURE_TYPES.asg, azureAsgTfName(seg, s.workload), 'id')] };
  return { [`${end}_address_prefixes`]: (s as RangesSide).prefixes };
}

function canonicalEnds(s: End, seg: string): string[] {
  if (s === '*') return ['*'];
  if (s === 'VirtualNetwork') return ['tag:VirtualNetwork'];
  if (s.kind === 'workload') return [`asg:${azureAsgName(seg, s.workload)}`];
  return s.prefixes.map(p => `cidr:${p}`);
}

function canonicalPorts(p: string): string {
  if (p === '*') return '*';
  const [a, b] = p.split('-').map(Number);
  return portsText(a, b ?? a);
}

/**
 * Chooses, per ordered pair of zones on Azure, whether the exact (ASG to ASG) rule sits on the
 * inbound side (returned set, key `src>dst`) instead of the default outbound side, so that no
 * NSG references more than 100 ASGs where switching can avoid it. Greedy and deterministic:
 * while some NSG is over its budget, apply the switch that most reduces the total excess
 * (ties by key); stop when no switch helps.
 */
function chooseExactSides(rules: SideRule[], zoneInfo: Map<string, IrZone>, hasRanges: (zone: string) => boolean, maxAsgs: number, preferInbound: (zs: string, zd: string) => boolean, forced: (zs: string, zd: string) => boolean, forcedOut: (zs: string, zd: string) => boolean): Set<string> {
  // First every preferred pair inbound (the outbound sides then name whole zones); when the
  // greedy cannot bring every NSG within budget from there, start from exact outbound sides
  // instead and then move preferred pairs inbound, in key order, while they fit.
  const first = chooseExactSidesFrom(rules, zoneInfo, hasRanges, maxAsgs, preferInbound, forced, forcedOut, false);
  if (first.over === 0) return first.inbound;
  const second = chooseExactSidesFrom(rules, zoneInfo, hasRanges, maxAsgs, () => false, forced, forcedOut, true, preferInbound);
  return second.over <= first.over ? second.inbound : first.inbound;
}

function chooseExactSidesFrom(rules: SideRule[], zoneInfo: Map<string, IrZone>, hasRanges: (zone: string) => boolean, maxAsgs: number, preferInbound: (zs: string, zd: string) => boolean, forced: (zs: string, zd: string) => boolean, forcedOut: (zs: string, zd: string) => boolean, fill: boolean, fillPrefer?: (zs: string, zd: string) => boolean): { inbound: Set<string>; over: number } {
  const pairs = new Map<string, { zs: string; zd: string; dset: Set<string>; sset: Set<string> }>();
  for (const r of rules) {
    if (r.source.kind !== 'workload' || r.destination.kind !== 'workload' || r.source.zone === r.destination.zone) continue;
    const key = `${r.source.zone}>${r.destination.zone}`;
    let p = pairs.get(key);
    if (!p) { p = { zs: r.source.zone, zd: r.destination.zone, dset: new Set(), sset: new Set() }; pairs.set(key, p); }
    p.dset.add(r.destination.workload);
    p.sset.add(r.source.workload);
  }
  const inbound = new Set<string>();
  for (const [k, p] of pairs) if (!forcedOut(p.zs, p.zd) && ((!hasRanges(p.zs) && hasRanges(p.zd)) || preferInbound(p.zs, p.zd) || forced(p.zs, p.zd))) inbound.add(k);
  // foreign ASG reference counts per zone NSG
  const refs = new Map<string, Map<string, number>>();
  const bump = (z: string, ws: Set<string>, by: number) => {
    let m = refs.get(z);
    if (!m) { m = new Map(); refs.set(z, m); }
    for (const w of ws) {
      const n = (m.get(w) ?? 0) + by;
      if (n === 0) m.delete(w); else m.set(w, n);
    }
  };
  const place = (k: string, by: number) => {
    const p = pairs.get(k)!;
    const both = !hasRanges(p.zs) && !hasRanges(p.zd);
    if (both || !inbound.has(k)) bump(p.zs, p.dset, by);
    if (both || inbound.has(k)) bump(p.zd, p.sset, by);
  };
  for (const k of pairs.keys()) place(k, 1);
  const budget = (z: string) => maxAsgs - zoneInfo.get(z)!.workloads.length;
  const excess = (z: string) => Math.max(0, (refs.get(z)?.size ?? 0) - budget(z));
  const switchable = [...pairs.entries()].filter(([, p]) => hasRanges(p.zs) && hasRanges(p.zd) && !forced(p.zs, p.zd) && !forcedOut(p.zs, p.zd)).map(([k]) => k).sort();
  for (let guard = 0; guard <= switchable.length; guard++) {
    const overZones = new Set([...refs.keys()].filter(z => excess(z) > 0));
    if (overZones.size === 0) break;
    let best: { k: string; gain: number } | undefined;
    for (const k of switchable) {
      const p = pairs.get(k)!;
      if (!overZones.has(p.zs) && !overZones.has(p.zd)) continue;
      const before = excess(p.zs) + excess(p.zd);
      place(k, -1); toggle(inbound, k); place(k, 1);
      const gain = before - (excess(p.zs) + excess(p.zd));
      place(k, -1); toggle(inbound, k); place(k, 1);
      if (gain > 0 && (!best || gain > best.gain)) best = { k, gain };
    }
    if (!best) break;
    place(best.k, -1); toggle(inbound, best.k); place(best.k, 1);
  }
  if (fill && fillPrefer && [...refs.keys()].every(z => excess(z) === 0)) {
    for (const k of switchable) {
      const p = pairs.get(k)!;
      if (inbound.has(k) || !fillPrefer(p.zs, p.zd)) continue;
      place(k, -1); toggle(inbound, k); place(k, 1);
      if (excess(p.zs) + excess(p.zd) > 0) { place(k, -1); toggle(inbound, k); place(k, 1); }
    }
  }
  return { inbound, over: [...refs.keys()].reduce((n, z) => n + excess(z), 0) };
}

/**
 * nsgScope WORKLOAD: chooses, per ordered pair of workloads, whether the exact (ASG to ASG) rule
 * sits on the destination's NSG (inbound; returned set, key `src>dst`) instead of the source's
 * (outbound, the default). A workload's NSG references its own ASG plus one ASG per peer on its
 * exact side, so a source whose NSG would exceed the budget with every pair exact outbound (a
 * monitoring server that scrapes everything) has all its switchable pairs (both zones with
 * cidrs) moved to the inbound side: each destination's NSG then references that source's ASG,
 * and the source's NSG names the destination zones by their cidrs. The decision depends only on
 * the source's own default reference count, not on any order.
 */
function chooseWorkloadExactSides(rules: SideRule[], hasRanges: (zone: string) => boolean, maxAsgs: number, preferInbound: (zs: string, zd: string) => boolean, forced: (zs: string, zd: string) => boolean, forcedOut: (zs: string, zd: string) => boolean): Set<string> {
  const refs = new Map<string, Set<string>>();
  const ref = (w: string, other: string) => {
    let s = refs.get(w);
    if (!s) { s = new Set([w]); refs.set(w, s); }
    s.add(other);
  };
  const switchable = new Map<string, string[]>();
  const pairs: { key: string; src: string; dst: string; zs: string; sr: boolean; dr: boolean; prefer: boolean }[] = [];
  const seen = new Set<string>();
  const inbound = new Set<string>();
  for (const r of rules) {
    if (r.source.kind !== 'workload' || r.destination.kind !== 'workload') continue;
    const src = r.source.workload;
    const dst = r.destination.workload;
    const key = `${src}>${dst}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const sr = hasRanges(r.source.zone);
    const dr = hasRanges(r.destination.zone);
    pairs.push({ key, src, dst, zs: r.source.zone, sr, dr, prefer: preferInbound(r.source.zone, r.destination.zone) });
    const fin = forced(r.source.zone, r.destination.zone);
    const fout = forcedOut(r.source.zone, r.destination.zone);
    if (sr || !dr || fout) ref(src, dst);
    if (!sr || fin) ref(dst, src);
    if (fout) continue;
    if ((!sr && dr) || fin) inbound.add(key);
    else if (sr && dr) switchable.set(src, [...(switchable.get(src) ?? []), key]);
  }
  for (const [src, keys] of switchable) {
    if ((refs.get(src)?.size ?? 0) > maxAsgs) for (const k of keys) inbound.add(k);
  }
  // Exact inbound by default (so the source's outbound side can name whole zones): a receiver
  // takes all its preferred pairs inbound when its NSG then still references at most maxAsgs
  // ASGs, counted against what it references with exact outbound sides (an upper bound, so the
  // decision depends on the receiver's own pairs only, not on any order).
  const final = new Map<string, Set<string>>();
  const fref = (w: string, other: string) => {
    let s = final.get(w);
    if (!s) { s = new Set([w]); final.set(w, s); }
    s.add(other);
  };
  for (const p of pairs) {
    const both = !p.sr && !p.dr;
    if (both || !inbound.has(p.key)) fref(p.src, p.dst);
    if (both || inbound.has(p.key)) fref(p.dst, p.src);
  }
  // per receiver and source zone (a source zone is named by its ranges on the receiver's NSG
  // unless all its pairs into the receiver are exact inbound): whole source zones, in name order
  const candidates = new Map<string, Map<string, { keys: string[]; srcs: string[] }>>();
  for (const p of pairs) {
    if (!p.prefer || !p.sr || !p.dr || inbound.has(p.key)) continue;
    const byZone = candidates.get(p.dst) ?? new Map<string, { keys: string[]; srcs: string[] }>();
    const c = byZone.get(p.zs) ?? { keys: [], srcs: [] };
    c.keys.push(p.key); c.srcs.push(p.src);
    byZone.set(p.zs, c);
    candidates.set(p.dst, byZone);
  }
  for (const [dst, byZone] of candidates) {
    const would = new Set(final.get(dst) ?? [dst]);
    for (const zs of [...byZone.keys()].sort()) {
      const c = byZone.get(zs)!;
      const more = c.srcs.filter(x => !would.has(x));
      if (would.size + new Set(more).size > maxAsgs) continue;
      more.forEach(x => would.add(x));
      c.keys.forEach(k => inbound.add(k));
    }
  }
  return inbound;
}

function toggle(set: Set<string>, k: string): void {
  if (set.has(k)) set.delete(k); else set.add(k);
}

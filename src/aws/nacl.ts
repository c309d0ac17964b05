/**
 * The network ACL of a zone given subnets: allows (requests) and their stateless return traffic
 * at zone granularity (a superset of the model: the security groups keep it exact), guardrails
 * as deny entries, hash-slot rule numbers in bands, MONITOR's catch-all entries, the quota per
 * direction and family.
 *
 * @internal
 */
import { cidrOverlaps, IrEndpointRef, IrService, isCidr, parseCidr } from '../ir';
import { assignPriorities, cmp, familyOf, RuleAccumulator } from '../plan';
import { AWS_NETWORK_ACLS } from './capabilities';
import { AwsContext } from './context';
import { canonicalPorts, isToken, naclLogicalId, shortHash } from './names';
import { mergeWithOrigins, Part, portsFor, PROTOCOL_NUMBERS, protocolFor } from './services';
import { AwsProtocol, NACL_BANDS, NACL_MONITOR_NUMBERS, NaclEntryPlan, NaclPlan, VPC_CIDR_TOKEN } from './types';

/** The network ACLs of every zone given subnets (zones sorted); problems go to the sink. */
export function planNacls(ctx: AwsContext): NaclPlan[] {
  const nacls: NaclPlan[] = [];
  const naclSubnets = ctx.opts.naclSubnets ?? {};
  for (const zoneName of Object.keys(naclSubnets).sort()) {
    if (naclZoneProblem(ctx, zoneName)) continue;
    nacls.push(planNacl(ctx, zoneName, naclSubnets[zoneName]));
  }
  return nacls;
}

/** Whether a zone given subnets cannot have a network ACL (reported). */
function naclZoneProblem(ctx: AwsContext, zoneName: string): boolean {
  const { policy, opts, sink } = ctx;
  const zone = ctx.index.zones.get(zoneName);
  if (!zone) {
    sink.error({ code: 'UnknownZone', path: opts.backendPath, value: zoneName, message: 'has subnets but is not a zone of the segmentation.', hint: `Zones are: ${policy.zones.map(z => z.name).join(', ')}.` });
  } else if (!ctx.localZones.has(zoneName)) {
    sink.error({ code: 'InvalidProp', path: opts.backendPath, value: zoneName, message: 'has subnets but is not placed on this backend (`zones`).', hint: `Add "${zoneName}" to \`zones\` or remove its subnets.` });
  } else if (zone.cidrs.length === 0) {
    sink.error({ code: 'MissingCidrs', path: zone.path, value: zoneName, message: `zone "${zoneName}" has subnets, so it gets a network ACL, but it has no cidrs: a network ACL can only name address ranges.`, hint: `Give zone "${zoneName}" its address ranges: { cidrs: ['10.0.1.0/24'] }.` });
  } else {
    return false;
  }
  return true;
}

type Band = NaclEntryPlan['band'];
interface EntryAcc { egress: boolean; action: 'allow' | 'deny'; band: Band; cidr: string; parts: Part[]; origins: Set<string> }
type Entry = Omit<NaclEntryPlan, 'ruleNumber' | 'logicalId'>;

/** The entries of one zone's network ACL, accumulated per band, direction and range. */
class NaclEntries {
  public readonly acc = new RuleAccumulator<EntryAcc>();
  /** Zones without cidrs a flow connects this zone with -> the first such flow. */
  public readonly missing = new Map<string, string>();

  public put(egress: boolean, action: 'allow' | 'deny', band: Band, cidr: string, services: IrService[], origin: string): void {
    const e = this.acc.add(`${band}|${egress ? 'e' : 'i'}|${cidr}`, () => ({ egress, action, band, cidr, parts: [], origins: new Set() }));
    for (const service of services) e.parts.push({ service, flows: [origin] });
  }
}

function planNacl(ctx: AwsContext, zoneName: string, subnets: string[]): NaclPlan {
  const zone = ctx.index.zone(zoneName);
  const entries = new NaclEntries();
  const monitor = zone.mode === 'MONITOR';
  allows(ctx, zoneName, entries);
  guardrails(ctx, zoneName, monitor, entries);
  reportMissingCidrs(ctx, zoneName, entries.missing);
  const naclId = naclLogicalId(ctx.seg, zoneName);
  const numbered = numberEntries(naclId, entries);
  if (monitor) numbered.push(...monitorEntries(ctx, naclId));
  numbered.sort((a, b) => Number(a.egress) - Number(b.egress) || a.ruleNumber - b.ruleNumber);
  checkNaclQuota(ctx, zoneName, zone.path, numbered);
  return {
    zone: zoneName,
    logicalId: naclId,
    monitor,
    tags: { 'microseg:segmentation': ctx.seg, 'microseg:zone': zoneName, ...(monitor ? { 'microseg:monitor': 'catchall' } : {}) },
    entries: numbered,
    associations: [...new Set(subnets)].sort().map(s => ({ subnet: s, logicalId: `${naclId}Assoc${shortHash(s)}` })),
  };
}

/** The ranges of an end (a zone without cidrs is remembered as missing). */
function endRanges(ctx: AwsContext, ref: IrEndpointRef, origin: string, missing: Map<string, string>): string[] {
  if (ref.kind === 'cidr') return [ref.cidr!];
  const out: string[] = [];
  for (const zn of ref.zones) {
    const z = ctx.index.zone(zn);
    if (z.cidrs.length === 0) { if (!missing.has(zn)) missing.set(zn, origin); continue; }
    out.push(...z.cidrs);
  }
  return out;
}

/** The return traffic of a service: TCP and UDP to the ephemeral ports, every ICMP type. */
function returnOf(ctx: AwsContext, s: IrService): IrService {
  if (s.protocol === 'tcp' || s.protocol === 'udp') return { protocol: s.protocol, from: ctx.eph.from, to: ctx.eph.to };
  if (s.protocol === 'icmp') return { protocol: 'icmp', from: -1, to: -1 };
  return s;
}

/** Allows (requests) and their stateless return traffic, at zone granularity. */
function allows(ctx: AwsContext, zoneName: string, entries: NaclEntries): void {
  for (const f of ctx.policy.flows) {
    const fromHere = f.from.kind !== 'cidr' && f.from.zones.includes(zoneName);
    const toHere = f.to.kind !== 'cidr' && f.to.zones.includes(zoneName);
    if (fromHere) {
      for (const c of endRanges(ctx, f.to, f.path, entries.missing)) {
        entries.put(true, 'allow', 'allow', c, f.services, f.path);
        entries.put(false, 'allow', 'return', c, f.services.map(s => returnOf(ctx, s)), f.path);
      }
    }
    if (toHere) {
      for (const c of endRanges(ctx, f.from, f.path, entries.missing)) {
        entries.put(false, 'allow', 'allow', c, f.services, f.path);
        entries.put(true, 'allow', 'return', c, f.services.map(s => returnOf(ctx, s)), f.path);
      }
    }
  }
}

/** Whether a guardrail end covers every workload of a zone (with workloads). */
function coversZone(ctx: AwsContext, ref: IrEndpointRef, zn: string): boolean {
  if (ref.kind === 'cidr') return false;
  const z = ctx.index.zone(zn);
  return z.workloads.length > 0 && z.workloads.every(w => ref.workloads.includes(w));
}

type Far = 'monitor' | 'enforce' | 'outside';

/**
 * The ranges a guardrail end names in this zone's ACL: whole zones (with cidrs) it covers, or a
 * Peer range outside every zone; each with what sits there (`far`: a MONITOR or ENFORCE zone, or
 * addresses outside the model).
 */
function denyRanges(ctx: AwsContext, ref: IrEndpointRef): { cidr: string; far: Far }[] {
  if (ref.kind === 'cidr') {
    const c = ref.cidr ?? '';
    if (isToken(c)) return [];
    const p = parseCidr(c);
    if (!isCidr(p) || ctx.zoneRanges.some(z => cidrOverlaps(z, p))) return [];
    return [{ cidr: c, far: 'outside' }];
  }
  return ctx.policy.zones.filter(z => coversZone(ctx, ref, z.name) && z.cidrs.length > 0)
    .flatMap(z => z.cidrs.map(cidr => ({ cidr, far: z.mode === 'MONITOR' ? 'monitor' as const : 'enforce' as const })));
}

/**
 * Whether the far end of a deny can open connections towards this MONITOR zone that its
 * catch-all passes. A MONITOR zone's catch-all passes connections no flow declares (declared
 * flows have their return entries); a stateless deny in the opposite direction would drop their
 * replies. The far end can: a MONITOR zone (both catch-alls), and addresses outside the model
 * (no security group) that this zone's catch-all reaches: everything outbound; inbound the VPC
 * range, or the internet with monitorIngressFromInternet.
 */
function opensTowardsUs(ctx: AwsContext, monitorZone: boolean, egress: boolean, far: Far, cidr: string): boolean {
  if (!monitorZone || far === 'enforce') return false;
  const vpc = ctx.vpcCidr ? parseCidr(ctx.vpcCidr) : undefined;
  if (far === 'monitor' || !egress || ctx.opts.monitorIngressFromInternet || !vpc || !isCidr(vpc)) return true;
  const p = parseCidr(cidr);
  return isCidr(p) && cidrOverlaps(vpc, p);
}

/** The replies a deny's services cover: TCP and UDP to the ephemeral ports, ICMP echo replies. */
function repliesCovered(ctx: AwsContext, services: IrService[], family: 'ipv4' | 'ipv6'): IrService[] {
  const eph = (protocol: 'tcp' | 'udp', from: number, to: number): IrService[] => {
    const lo = Math.max(from, ctx.eph.from); const hi = Math.min(to, ctx.eph.to);
    return lo <= hi ? [{ protocol, from: lo, to: hi }] : [];
  };
  return services.flatMap((s): IrService[] => {
    if (s.protocol === 'all') return [...eph('tcp', 0, 65535), ...eph('udp', 0, 65535), { protocol: 'icmp', from: 0, to: -1 }];
    if (s.protocol === 'tcp' || s.protocol === 'udp') return eph(s.protocol, s.from, s.to);
    // ICMP echo reply: type 0 (rendered as ICMPv6 129 towards IPv6 ranges, where 129 may be given as is)
    if (s.protocol === 'icmp' && (s.from === -1 || s.from === 0 || (family === 'ipv6' && s.from === 129))) return [{ protocol: 'icmp', from: s.from === -1 ? 0 : s.from, to: s.to }];
    return [];
  });
}

/**
 * Guardrails: where a DenyFlow covers this whole zone on one side and whole zones or a Peer range
 * outside every zone on the other; in a MONITOR zone, the replies the deny covers of connections
 * the far end can open pass first, in the return band.
 */
function guardrails(ctx: AwsContext, zoneName: string, monitorZone: boolean, entries: NaclEntries): void {
  for (const d of ctx.policy.denies) {
    for (const egress of [true, false]) {
      if (!coversZone(ctx, egress ? d.from : d.to, zoneName)) continue;
      for (const { cidr, far } of denyRanges(ctx, egress ? d.to : d.from)) {
        entries.put(egress, 'deny', 'deny', cidr, d.services, d.path);
        const replies = opensTowardsUs(ctx, monitorZone, egress, far, cidr) ? repliesCovered(ctx, d.services, familyOf(cidr)) : [];
        if (replies.length > 0) entries.put(egress, 'allow', 'return', cidr, replies, d.path);
      }
    }
  }
}

function reportMissingCidrs(ctx: AwsContext, zoneName: string, missing: ReadonlyMap<string, string>): void {
  for (const [zn, origin] of [...missing.entries()].sort()) {
    ctx.sink.error({
      code: 'MissingCidrs', path: origin, value: zn,
      message: `zone "${zoneName}" gets a network ACL, and this flow connects it with zone "${zn}", which has no cidrs: a network ACL can only name address ranges.`,
      hint: `Give zone "${zn}" its address ranges: { cidrs: ['10.0.2.0/24'] }.`,
    });
  }
}

function entryKey(e: Entry): string {
  return `${e.egress ? 'egress' : 'ingress'}|${e.action}|${e.band}|${e.protocol}|${canonicalPorts(e.protocol, e.from, e.to)}|${e.cidr}`;
}

/**
 * Entries, then rule numbers: a hash slot in the band, probing upwards (wrapping) in canonical
 * order, so adding an entry leaves the others where they are unless it takes their slot.
 */
function numberEntries(naclId: string, entries: NaclEntries): NaclEntryPlan[] {
  const raw: Entry[] = [];
  for (const e of entries.acc.values()) {
    const family = familyOf(e.cidr);
    for (const { service: s, origins } of mergeWithOrigins(e.parts)) {
      const protocol = protocolFor(s, family);
      for (const { from, to } of portsFor(s, protocol)) raw.push({ egress: e.egress, action: e.action, protocol, protocolNumber: PROTOCOL_NUMBERS[protocol], from, to, cidr: e.cidr, family, band: e.band, origins });
    }
  }
  raw.sort((a, b) => cmp(entryKey(a), entryKey(b)));
  const out: NaclEntryPlan[] = [];
  for (const egress of [false, true]) {
    for (const band of ['deny', 'allow', 'return'] as const) {
      const list = raw.filter(e => e.egress === egress && e.band === band);
      const numbers = assignPriorities(list.map(entryKey), NACL_BANDS[band].from, NACL_BANDS[band].to, { order: 'key' });
      for (const e of list) {
        const key = entryKey(e);
        out.push({ ...e, ruleNumber: numbers?.get(key) ?? NACL_BANDS[band].from, logicalId: `${naclId}${e.egress ? 'E' : 'I'}${shortHash(key)}` });
      }
    }
  }
  return out;
}

/**
 * MONITOR's entries, like the security groups' catch-all: ingress from the model's own network
 * (the VPC range; the internet only with monitorIngressFromInternet), egress everywhere, and the
 * return traffic of that egress (TCP and UDP to the ephemeral ports, ICMP). The security groups
 * stay the exact, stateful filter: they admit the internet only where the model does.
 */
function monitorEntries(ctx: AwsContext, naclId: string): NaclEntryPlan[] {
  const out: NaclEntryPlan[] = [];
  const families = ctx.ipv6Used ? ['ipv4', 'ipv6'] as const : ['ipv4'] as const;
  const anywhere = { ipv4: '0.0.0.0/0', ipv6: '::/0' } as const;
  const entry = (egress: boolean, family: 'ipv4' | 'ipv6', cidr: string, protocol: AwsProtocol, ruleNumber: number, suffix: string) => out.push({
    egress, action: 'allow', protocol, protocolNumber: PROTOCOL_NUMBERS[protocol],
    from: protocol === 'tcp' || protocol === 'udp' ? ctx.eph.from : -1, to: protocol === 'tcp' || protocol === 'udp' ? ctx.eph.to : -1,
    cidr, family, band: 'monitor', ruleNumber, logicalId: `${naclId}${egress ? 'E' : 'I'}Monitor${suffix}`, origins: [],
  });
  const catchAll = AWS_NETWORK_ACLS.priorities!.monitorCatchAll;
  const allNumber = (family: 'ipv4' | 'ipv6') => (family === 'ipv4' ? catchAll : NACL_MONITOR_NUMBERS.ipv6);
  for (const family of families) entry(true, family, anywhere[family], 'all', allNumber(family), family === 'ipv4' ? '4' : '6');
  if (ctx.opts.monitorIngressFromInternet) {
    for (const family of families) entry(false, family, anywhere[family], 'all', allNumber(family), family === 'ipv4' ? '4' : '6');
    return out;
  }
  entry(false, 'ipv4', ctx.vpcCidr ?? VPC_CIDR_TOKEN, 'all', catchAll, '4');
  for (const family of families) {
    const v4 = family === 'ipv4';
    entry(false, family, anywhere[family], 'tcp', v4 ? NACL_MONITOR_NUMBERS.returnTcp4 : NACL_MONITOR_NUMBERS.returnTcp6, v4 ? 'ReturnTcp4' : 'ReturnTcp6');
    entry(false, family, anywhere[family], 'udp', v4 ? NACL_MONITOR_NUMBERS.returnUdp4 : NACL_MONITOR_NUMBERS.returnUdp6, v4 ? 'ReturnUdp4' : 'ReturnUdp6');
    entry(false, family, anywhere[family], v4 ? 'icmp' : 'icmpv6', v4 ? NACL_MONITOR_NUMBERS.returnIcmp4 : NACL_MONITOR_NUMBERS.returnIcmp6, v4 ? 'ReturnIcmp4' : 'ReturnIcmp6');
  }
  return out;
}

/** Entries per direction and family within the quota. */
function checkNaclQuota(ctx: AwsContext, zoneName: string, zonePath: string, entries: NaclEntryPlan[]): void {
  const limit = ctx.quotas.naclEntriesPerDirection;
  for (const egress of [false, true]) {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const n = entries.filter(e => e.egress === egress && e.family === family).length;
      if (n <= limit) continue;
      ctx.sink.error({
        code: 'QuotaExceeded', path: zonePath, value: n,
        message: `the network ACL of zone "${zoneName}" needs ${n} ${egress ? 'outbound' : 'inbound'} ${family === 'ipv4' ? 'IPv4' : 'IPv6'} entries, more than the limit of ${limit} per direction.`,
        hint: 'Raise `maxNaclEntriesPerDirection` (AWS allows up to 40) to your account\'s raised quota, merge ports into ranges, give fewer distinct peer ranges, or leave this zone\'s subnets out (security groups still enforce the model).',
      });
    }
  }
}

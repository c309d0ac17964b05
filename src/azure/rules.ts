/**
 * The Azure rules of a placement, accumulated per NSG, direction, access, ends and protocol
 * (ports gather): allows with one exact side per workload pair (`exact-sides.ts`), the
 * all-traffic outbound rule towards zones whose inbound side is exact, guardrails (exact on
 * both sides), and the fixed rules of every NSG (deny-all, MONITOR catch-all).
 */
import { IrService } from '../ir/services';
import { IrDeny } from '../ir/types';
import { Accumulated, RuleAccumulator } from '../plan/accumulator';
import { SideRule } from '../plan/placement';
import { portRangeText } from '../plan/ports';
import { RangesSide, Side, WorkloadSide } from '../plan/sides';
import { AZURE_PRIORITIES } from './capabilities';
import { Access, AzureContext, Direction, End, unitOf } from './context';
import { chooseInboundExact, pairPolicy, PairPolicy } from './exact-sides';

/** One planned NSG rule. */
export interface RuleAcc extends Accumulated {
  /** The NSG the rule belongs to: its zone (ZONE scope) or its workload (WORKLOAD scope). */
  readonly unit: string;
  readonly direction: Direction;
  readonly access: Access;
  readonly source: End;
  readonly destination: End;
  readonly protocol: string;
  readonly ports: Set<string>;
  readonly what: string;
  readonly fixedPriority?: number;
  readonly fixedName?: string;
  /** The rule's position in its group (`grouping.ts`): 0 for the first 10 members. */
  readonly chunk?: number;
}

/** The Azure protocol of an IR service. */
export const AZURE_PROTOCOL: Record<IrService['protocol'], string> = { tcp: 'Tcp', udp: 'Udp', icmp: 'Icmp', all: '*' };

/** Azure port text of a service (ICMP types cannot be expressed: every ICMP). */
function azurePorts(s: IrService): string {
  return s.protocol === 'tcp' || s.protocol === 'udp' ? portRangeText(s.from, s.to, true) : '*';
}

/** The rules of an Azure plan, by key. */
export class AzureRules extends RuleAccumulator<RuleAcc> {
  /** Adds a service between two sides to the rule of its NSG, direction, access, ends and protocol. */
  public addService(unit: string, direction: Direction, access: Access, source: Side, destination: Side, s: IrService, origin: string): void {
    const protocol = AZURE_PROTOCOL[s.protocol];
    const key = `${unit}|${direction}|${access}|${source.key}|${destination.key}|${protocol}`;
    const what = () => `${access.toLowerCase()} ${sideText(source)} -> ${sideText(destination)}`;
    this.add(key, () => ({ unit, direction, access, source, destination, protocol, ports: new Set(), origins: new Set(), what: what() }), origin).ports.add(azurePorts(s));
  }
}

/** Readable text of a side, for descriptions. */
export function sideText(s: Side): string {
  if (s.kind === 'workload') return s.workload;
  if (s.key.startsWith('zones:')) return `zones on Azure it reaches (${s.family === 'ipv6' ? 'IPv6' : 'IPv4'})`;
  return s.origin === 'peer' ? s.label : `${s.origin} ${s.label} (${s.family})`;
}

/** An allow as decided: the inbound rule's sources and the outbound rule's destinations. */
interface Decided {
  readonly r: SideRule;
  readonly inboundSources: Side[];
  readonly outboundDestinations: Side[];
  /** The pair's exact side is inbound (its outbound side names the destination zone's ranges). */
  readonly exactIn: boolean;
}

/** Every rule of the plan, in the order they are rendered and recorded. */
export function planRules(ctx: AzureContext): AzureRules {
  const rules = new AzureRules();
  const policy = pairPolicy(ctx);
  const decided = decideSides(ctx, policy, chooseInboundExact(ctx, policy));
  addAllows(ctx, rules, decided, policy);
  addGuardrails(ctx, rules);
  addFixedRules(ctx, rules);
  return rules;
}

/** Per allow between two workloads: which side names the ASG and which the zone's ranges. */
function decideSides(ctx: AzureContext, policy: PairPolicy, inboundExact: Set<string>): Decided[] {
  return ctx.placement.rules.map(r => {
    let inboundSources: Side[] = [r.source];
    let outboundDestinations: Side[] = [r.destination];
    let exactIn = false;
    if (r.source.kind === 'workload' && r.destination.kind === 'workload') {
      const zs = r.source.zone; const zd = r.destination.zone;
      const srcRanges = ctx.index.zoneRanges(zs);
      const dstRanges = ctx.index.zoneRanges(zd);
      if (policy.forcedInbound(zs, zd)) {
        if (dstRanges.length) outboundDestinations = dstRanges;
        exactIn = true;
      } else if (policy.forcedOutbound(zs, zd)) {
        if (srcRanges.length) inboundSources = srcRanges;
      } else if (inboundExact.has(`${unitOf(ctx, r.source)}>${unitOf(ctx, r.destination)}`)) {
        outboundDestinations = dstRanges;
        exactIn = true;
      } else if (srcRanges.length) {
        inboundSources = srcRanges;
      } else if (dstRanges.length) {
        outboundDestinations = dstRanges;
        exactIn = true;
      }
    }
    return { r, inboundSources, outboundDestinations, exactIn };
  });
}

/**
 * Allows. Egress towards the model (unless exactEgressPorts): where the exact side of a pair is
 * inbound, the source's outbound side need not repeat the ports. A source whose flows into an
 * ENFORCE zone on Azure are all checked exactly there (no inbound rule of that zone names the
 * source's zone by its ranges) gets ONE all-traffic outbound rule per address family listing
 * every such zone's ranges; the destination's inbound rules (source ASG to destination ASG,
 * ports) decide. Egress to zones elsewhere, to peers and towards MONITOR zones (whose
 * catch-all lets everything in) keeps its ports.
 */
function addAllows(ctx: AzureContext, rules: AzureRules, decided: Decided[], policy: PairPolicy): void {
  /** `srcZone>dstZone` where some inbound allow names the source zone by its ranges. */
  const looseIn = new Set<string>();
  for (const d of decided) {
    if (d.r.source.kind === 'workload' && d.r.destination.kind === 'workload' && !d.exactIn && d.inboundSources[0] !== d.r.source) looseIn.add(`${d.r.source.zone}>${d.r.destination.zone}`);
  }
  const towards = new TowardsZones();
  for (const { r, inboundSources, outboundDestinations, exactIn } of decided) {
    if (r.destination.kind === 'workload') for (const src of inboundSources) rules.addService(unitOf(ctx, r.destination), 'Inbound', 'Allow', src, r.destination, r.service, r.flows[0]);
    if (r.source.kind !== 'workload') continue;
    const pair = r.destination.kind === 'workload' ? `${r.source.zone}>${r.destination.zone}` : undefined;
    if (ctx.compress && exactIn && r.destination.kind === 'workload' && ctx.index.enforced(r.destination.zone) && policy.hasRanges(r.destination.zone) && !looseIn.has(pair ?? '')) {
      towards.add(r.source, r.destination.zone, r.flows[0]);
      continue;
    }
    // An outbound rule naming the destination zone's ranges is exact only if no inbound rule into
    // that zone names the source zone's ranges (with workload NSGs, other pairs of the same zones
    // may have their exact side outbound): then both sides of this pair are exact.
    const loose = exactIn && r.destination.kind === 'workload' && outboundDestinations[0] !== r.destination && looseIn.has(pair ?? '');
    for (const dst of loose ? [r.destination] : outboundDestinations) rules.addService(unitOf(ctx, r.source), 'Outbound', 'Allow', r.source, dst, r.service, r.flows[0]);
  }
  towards.addRules(ctx, rules);
}

/** Per source workload: the zones its all-traffic outbound rule lists, and the flows behind it. */
class TowardsZones {
  private readonly bySource = new Map<string, { side: WorkloadSide; zones: Set<string>; origins: Set<string> }>();

  public add(side: WorkloadSide, zone: string, origin: string): void {
    let t = this.bySource.get(side.workload);
    if (!t) { t = { side, zones: new Set(), origins: new Set() }; this.bySource.set(side.workload, t); }
    t.zones.add(zone);
    t.origins.add(origin);
  }

  /** One all-traffic outbound rule per source and family, naming every zone range it reaches. */
  public addRules(ctx: AzureContext, rules: AzureRules): void {
    for (const [, t] of [...this.bySource.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const zones = [...t.zones].sort();
      for (const family of ['ipv4', 'ipv6'] as const) {
        const prefixes = zones.flatMap(z => ctx.index.zoneRanges(z).filter(x => x.family === family).flatMap(x => x.prefixes));
        if (prefixes.length === 0) continue;
        const side: RangesSide = { kind: 'ranges', key: `zones:${family}`, origin: 'zone', label: 'azure-zones', family, prefixes };
        for (const o of [...t.origins].sort()) rules.addService(unitOf(ctx, t.side), 'Outbound', 'Allow', t.side, side, { protocol: 'all', from: -1, to: -1 }, o);
      }
    }
  }
}

/**
 * Guardrails stay exact on both sides; a side that covers a whole local zone with cidrs is
 * named by the zone's ranges.
 */
function addGuardrails(ctx: AzureContext, rules: AzureRules): void {
  const covers = new Map<string, boolean>();
  const wholeZone = (d: IrDeny, end: 'from' | 'to', side: Side): Side[] => {
    if (side.kind !== 'workload') return [side];
    const key = `${d.path}|${end}|${side.zone}`;
    let c = covers.get(key);
    if (c === undefined) {
      c = ctx.index.coversZone(side.zone, d[end].workloads) && ctx.index.zoneRanges(side.zone).length > 0;
      covers.set(key, c);
    }
    return c ? ctx.index.zoneRanges(side.zone) : [side];
  };
  for (const d of ctx.placement.denies) {
    for (const s of d.services) {
      if (d.destination.kind === 'workload') for (const src of wholeZone(d.deny, 'from', d.source)) rules.addService(unitOf(ctx, d.destination), 'Inbound', 'Deny', src, d.destination, s, d.deny.path);
      if (d.source.kind === 'workload') for (const dst of wholeZone(d.deny, 'to', d.destination)) rules.addService(unitOf(ctx, d.source), 'Outbound', 'Deny', d.source, dst, s, d.deny.path);
    }
  }
}

/** Per NSG and direction: deny-all at 4096 and, in MONITOR zones, the catch-all allow at 4095. */
function addFixedRules(ctx: AzureContext, rules: AzureRules): void {
  for (const u of ctx.units) {
    const zone = ctx.index.zone(u.zone);
    for (const direction of ['Inbound', 'Outbound'] as Direction[]) {
      const short = direction === 'Inbound' ? 'in' : 'out';
      rules.set(`${u.key}|${direction}|fixed|deny-all`, {
        unit: u.key, direction, access: 'Deny', source: '*', destination: '*', protocol: '*', ports: new Set(['*']), origins: new Set([ctx.policy.segmentation.path]),
        what: 'default deny', fixedPriority: AZURE_PRIORITIES.denyAll, fixedName: `${ctx.seg}-${short}-deny-all`,
      });
      if (zone.mode === 'MONITOR') {
        // inbound from the virtual network only, unless opened to the internet on purpose
        const from = direction === 'Inbound' && !ctx.opts.monitorOpenToInternet ? 'VirtualNetwork' : '*';
        rules.set(`${u.key}|${direction}|fixed|monitor`, {
          unit: u.key, direction, access: 'Allow', source: from, destination: '*', protocol: '*', ports: new Set(['*']), origins: new Set([zone.path]),
          what: 'MONITOR mode catch-all (traffic enforcement would block)', fixedPriority: AZURE_PRIORITIES.monitorCatchAll, fixedName: `${ctx.seg}-${short}-monitor-catchall`,
        });
      }
    }
  }
}

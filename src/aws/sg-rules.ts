/**
 * The security group rules of a placement, accumulated per group and peer (each with its
 * services and their flows): exact ingress at the destination (zone compression: a flow from a
 * whole local zone is one reference to the zone group), egress at the source by address ranges
 * towards the model (zone blocks, zone ranges, the VPC range) or by source group towards exposed
 * and MONITOR destinations, and exact egress towards Peers.
 *
 * @internal
 */
import { ALL_SERVICE, IrService, PlacedRule, serviceContains, serviceOverlaps, subtractAll } from '../ir';
import { Accumulated, cmp, familyOf, RuleAccumulator } from '../plan';
import { AwsContext } from './context';
import { AwsWarnings } from './warnings';
import { canonicalPeer, sourceGroupName, zoneGroupName } from './names';
import { Part } from './services';
import { SgPeer } from './types';

/** The rules of one group towards one peer. */
export interface PeerRules extends Accumulated {
  readonly group: string;
  readonly peer: SgPeer;
  readonly parts: Part[];
  /** The fixed description of a zone-wide (all-traffic) egress rule. */
  label?: string;
}

/** The accumulated rules of every group, per direction. */
export interface GroupRules {
  readonly ingress: ReadonlyMap<string, PeerRules[]>;
  readonly egress: ReadonlyMap<string, PeerRules[]>;
}

type Covered = Map<string, { zone: string; dst: string; parts: Part[] }>;

class SgRuleSet {
  public readonly ingress = new RuleAccumulator<PeerRules>();
  public readonly egress = new RuleAccumulator<PeerRules>();
  /** zone -> flows whose egress towards it uses the VPC range. */
  public readonly vpcRangeUse = new Map<string, Set<string>>();

  public add(acc: RuleAccumulator<PeerRules>, group: string, peer: SgPeer, s: IrService, flows: string[], label?: string): void {
    const e = acc.add(`${group}\n${canonicalPeer(peer)}`, () => ({ group, peer, parts: [], origins: new Set() }));
    if (label !== undefined && s.protocol === 'all') e.label = label;
    e.parts.push({ service: s, flows });
  }
}

/** Accumulates the security group rules of the placement, and warns where egress uses the VPC range. */
export function accumulateRules(ctx: AwsContext): GroupRules {
  const set = new SgRuleSet();
  const covered = zoneCoverage(ctx);
  for (const e of covered.values()) {
    for (const p of e.parts) set.add(set.ingress, e.dst, { kind: 'sg', group: zoneGroupName(e.zone) }, p.service, p.flows);
  }
  for (const rule of ctx.placed) {
    const r = { ...rule, flows: originsOf(ctx, rule) };
    if (r.destinationLocal && r.destination.kind === 'workload') addIngress(ctx, set, covered, r);
    if (r.sourceLocal && r.source.kind === 'workload') addEgress(ctx, set, r);
  }
  warnVpcRangeUse(ctx, set.vpcRangeUse);
  return { ingress: set.ingress.groupBy(e => e.group), egress: set.egress.groupBy(e => e.group) };
}

/** The flows a rule's service comes from (the IR lists every flow of the pair). */
function originsOf(ctx: AwsContext, r: PlacedRule): string[] {
  const own = r.flows.filter(f => ctx.index.flows.get(f)?.services.some(s => serviceOverlaps(s, r.service)));
  return own.length ? own : r.flows;
}

/**
 * Zone compression: a flow whose source covers every workload of a local zone (a zone, or a
 * selector that selects the whole zone) becomes one reference to the zone's group, where the
 * IR rules confirm it exactly (every member, the destination itself included when it is a
 * member, is allowed the whole service: denies may have cut members out).
 */
function zoneCoverage(ctx: AwsContext): Covered {
  const pairServices = new Map<string, IrService[]>();
  for (const r of ctx.placed) {
    if (r.source.kind !== 'workload' || r.destination.kind !== 'workload' || !r.destinationLocal) continue;
    const k = `${r.source.workload}>${r.destination.workload}`;
    let l = pairServices.get(k);
    if (!l) { l = []; pairServices.set(k, l); }
    l.push(r.service);
  }
  const covered: Covered = new Map();
  for (const f of ctx.policy.flows) {
    if (f.from.kind !== 'zone' && f.from.kind !== 'selector') continue;
    const sources = new Set(f.from.workloads);
    for (const zn of f.from.zones) {
      const z = ctx.index.zones.get(zn);
      if (!z || !ctx.localZones.has(zn) || z.workloads.length === 0 || !z.workloads.every(w => sources.has(w))) continue;
      for (const dst of f.to.workloads) {
        if (!ctx.localZones.has(ctx.index.workload(dst).zone)) continue;
        for (const s of f.services) {
          if (!z.workloads.every(m => (pairServices.get(`${m}>${dst}`) ?? []).some(x => serviceContains(x, s)))) continue;
          const k = `${zn}>${dst}`;
          let e = covered.get(k);
          if (!e) { e = { zone: zn, dst, parts: [] }; covered.set(k, e); }
          e.parts.push({ service: s, flows: [f.path] });
        }
      }
    }
  }
  return covered;
}

/** Ingress at the destination: exact. */
function addIngress(ctx: AwsContext, set: SgRuleSet, covered: Covered, r: PlacedRule): void {
  if (r.destination.kind !== 'workload') return;
  const dst = r.destination.workload;
  if (r.source.kind === 'workload') {
    // What the source's zone group already allows is not repeated per member (unless the
    // difference cannot be expressed exactly: then the member keeps its whole rule).
    const zone = covered.get(`${r.source.zone}>${dst}`);
    const rest = zone ? subtractAll([r.service], zone.parts.map(p => p.service)) : undefined;
    for (const s of rest && !rest.narrowed ? rest.services : [r.service]) {
      set.add(set.ingress, dst, { kind: 'sg', group: r.source.workload }, s, r.flows);
    }
  } else {
    for (const c of ctx.carving.ingress(r.source.cidr, r.flows)) set.add(set.ingress, dst, { kind: 'cidr', cidr: c, family: familyOf(c) }, r.service, r.flows);
  }
}

/** Egress at the source: address ranges towards the model, exact towards Peers. */
function addEgress(ctx: AwsContext, set: SgRuleSet, r: PlacedRule): void {
  if (r.source.kind !== 'workload') return;
  const src = r.source.workload;
  if (r.destination.kind !== 'workload') {
    for (const c of ctx.carving.egress(r.destination.cidr, r.flows)) set.add(set.egress, src, { kind: 'cidr', cidr: c, family: familyOf(c) }, r.service, r.flows);
    return;
  }
  const z = ctx.index.zone(r.destination.zone);
  const known = z.cidrs;
  // Towards a zone placed here (exact ingress at every member), one all-traffic rule per
  // block is as exact as the flows' ports, and does not change when flows are added.
  const zoneWide = ctx.egressMode === 'zone' && r.destinationLocal;
  const monitorZone = z.mode === 'MONITOR';
  if (r.destinationLocal && (ctx.exposure.zones.has(z.name) || monitorZone || (known.length === 0 && ctx.exposure.workloads.size > 0))) {
    // The zone holds a workload open to a Peer range that covers the model (or its range
    // is the VPC's), or it is a MONITOR zone (its catch-all admits the model's workloads):
    // name the destination by its source group; the flows' ports towards an exposed or
    // MONITOR destination (its ingress would let other ports through).
    const dst = r.destination.workload;
    const wide = zoneWide && !ctx.exposure.workloads.has(dst) && !monitorZone;
    set.add(set.egress, src, { kind: 'sg', group: sourceGroupName(dst) }, wide ? ALL_SERVICE : r.service, r.flows, wide ? (ctx.generated ? `to workload ${dst}` : '') : undefined);
  } else if (known.length > 0) {
    // Zone-wide: the blocks of the model's address space that hold the zone (see
    // egressBlocks), so one rule serves every zone of its block, whatever the flows.
    const targets = zoneWide ? ctx.zoneBlocks.get(z.name) ?? known : known;
    for (const c of targets) set.add(set.egress, src, { kind: 'cidr', cidr: c, family: familyOf(c) }, zoneWide ? ALL_SERVICE : r.service, r.flows, zoneWide ? (ctx.generated ? 'to segmented zones' : '') : undefined);
  } else {
    let flows = set.vpcRangeUse.get(z.name);
    if (!flows) { flows = new Set(); set.vpcRangeUse.set(z.name, flows); }
    for (const f of r.flows) flows.add(f);
    set.add(set.egress, src, ctx.vpcCidr ? { kind: 'cidr', cidr: ctx.vpcCidr, family: 'ipv4' } : { kind: 'vpc' }, r.service, r.flows);
  }
}

function warnVpcRangeUse(ctx: AwsContext, use: ReadonlyMap<string, Set<string>>): void {
  for (const [zone, flows] of [...use.entries()].sort(([a], [b]) => cmp(a, b))) {
    const list = [...flows].sort();
    ctx.sink.warn(AwsWarnings.EGRESS_TO_VPC_RANGE, list[0], `Zone "${zone}" has no cidrs, so egress towards its workloads uses the VPC range${ctx.vpcCidr ? ` ${ctx.vpcCidr}` : ''}: it also opens those ports towards unsegmented hosts and MONITOR workloads in the VPC (flows: ${list.join(', ')}). Give zone "${zone}" its cidrs to narrow it.`);
  }
}

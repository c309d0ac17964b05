/**
 * Which side of a workload pair carries the exact (ASG to ASG) rule on Azure.
 *
 * Between two workloads on Azure a packet must pass the source NSG (outbound) and the
 * destination NSG (inbound), so one exact side (ASG to ASG) suffices: the other side names the
 * zone's ranges. That keeps the ASGs an NSG references (quota 100) and its rules (quota 1000)
 * low. The exact side is inbound where the source's outbound rule may then name whole zones
 * (see `rules.ts`), and switched back outbound, whole zone pairs at a time, largest relief
 * first, where an NSG would reference too many ASGs. Deterministic: decisions depend on the
 * model, never on declaration order.
 */
import { IrZone } from '../ir/types';
import { SideRule } from '../plan/placement';
import { AzureContext } from './context';

/** The pair-level rules of the choice. */
export interface PairPolicy {
  /** The zone has literal cidrs (its ranges can name it). */
  hasRanges(zone: string): boolean;
  /** The pair would rather have its exact side inbound (the outbound side can then drop ports). */
  preferInbound(zs: string, zd: string): boolean;
  /**
   * A MONITOR zone's catch-all lets every member out, so an ENFORCE destination's inbound rule
   * must name the source's ASG, never its zone's ranges: such pairs are exact inbound, always.
   */
  forcedInbound(zs: string, zd: string): boolean;
  /**
   * A MONITOR destination's catch-all lets everything in, so an ENFORCE source's outbound rule
   * must name the destination's ASG: such pairs are exact outbound, always.
   */
  forcedOutbound(zs: string, zd: string): boolean;
}

/** The pair policy of a planning run. */
export function pairPolicy(ctx: AzureContext): PairPolicy {
  const hasRanges = (z: string) => ctx.index.zoneRanges(z).length > 0;
  const enforced = (z: string) => ctx.index.enforced(z);
  return {
    hasRanges,
    preferInbound: (zs, zd) => ctx.compress && enforced(zd) && hasRanges(zs) && hasRanges(zd),
    forcedInbound: (zs, zd) => !enforced(zs) && enforced(zd),
    forcedOutbound: (zs, zd) => enforced(zs) && !enforced(zd),
  };
}

/** The pairs (`src>dst`, by NSG unit) whose exact side is inbound. */
export function chooseInboundExact(ctx: AzureContext, policy: PairPolicy): Set<string> {
  return ctx.scope === 'ZONE'
    ? chooseExactSides(ctx.placement.rules, ctx.index.zones, policy, ctx.maxAsgs)
    : chooseWorkloadExactSides(ctx.placement.rules, policy, ctx.maxAsgs);
}

/**
 * Chooses, per ordered pair of zones on Azure, whether the exact (ASG to ASG) rule sits on the
 * inbound side (returned set, key `src>dst`) instead of the default outbound side, so that no
 * NSG references more than its budget of ASGs where switching can avoid it.
 */
function chooseExactSides(rules: SideRule[], zones: ReadonlyMap<string, IrZone>, policy: PairPolicy, maxAsgs: number): Set<string> {
  // First every preferred pair inbound (the outbound sides then name whole zones); when the
  // greedy cannot bring every NSG within budget from there, start from exact outbound sides
  // instead and then move preferred pairs inbound, in key order, while they fit.
  const first = new ZoneAsgBudget(rules, zones, policy, maxAsgs, true);
  first.relieve();
  if (first.over() === 0) return first.inbound;
  const second = new ZoneAsgBudget(rules, zones, policy, maxAsgs, false);
  second.relieve();
  second.fill();
  return second.over() <= first.over() ? second.inbound : first.inbound;
}

interface ZonePair { readonly key: string; readonly zs: string; readonly zd: string; readonly dset: Set<string>; readonly sset: Set<string> }

/** The foreign ASGs each zone NSG references for a choice of exact sides, and the greedy that relieves them. */
class ZoneAsgBudget {
  public readonly inbound = new Set<string>();
  private readonly pairs: ZonePair[];
  private readonly refs = new Map<string, Map<string, number>>();
  private readonly switchable: ZonePair[];

  constructor(rules: SideRule[], private readonly zones: ReadonlyMap<string, IrZone>, private readonly policy: PairPolicy, private readonly maxAsgs: number, preferred: boolean) {
    this.pairs = zonePairs(rules);
    for (const p of this.pairs) {
      if (!policy.forcedOutbound(p.zs, p.zd) && ((!policy.hasRanges(p.zs) && policy.hasRanges(p.zd)) || (preferred && policy.preferInbound(p.zs, p.zd)) || policy.forcedInbound(p.zs, p.zd))) this.inbound.add(p.key);
    }
    for (const p of this.pairs) this.place(p, 1);
    this.switchable = this.pairs.filter(p => policy.hasRanges(p.zs) && policy.hasRanges(p.zd) && !policy.forcedInbound(p.zs, p.zd) && !policy.forcedOutbound(p.zs, p.zd))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The total excess over every zone's budget. */
  public over(): number {
    return [...this.refs.keys()].reduce((n, z) => n + this.excess(z), 0);
  }

  /** While some NSG is over its budget, applies the switch that most reduces the total excess (ties by key). */
  public relieve(): void {
    for (let guard = 0; guard <= this.switchable.length; guard++) {
      const overZones = new Set([...this.refs.keys()].filter(z => this.excess(z) > 0));
      if (overZones.size === 0) break;
      let best: { p: ZonePair; gain: number } | undefined;
      for (const p of this.switchable) {
        if (!overZones.has(p.zs) && !overZones.has(p.zd)) continue;
        const before = this.excess(p.zs) + this.excess(p.zd);
        this.flip(p);
        const gain = before - (this.excess(p.zs) + this.excess(p.zd));
        this.flip(p);
        if (gain > 0 && (!best || gain > best.gain)) best = { p, gain };
      }
      if (!best) break;
      this.flip(best.p);
    }
  }

  /** When every NSG fits: moves preferred pairs inbound, in key order, while they fit. */
  public fill(): void {
    if (![...this.refs.keys()].every(z => this.excess(z) === 0)) return;
    for (const p of this.switchable) {
      if (this.inbound.has(p.key) || !this.policy.preferInbound(p.zs, p.zd)) continue;
      this.flip(p);
      if (this.excess(p.zs) + this.excess(p.zd) > 0) this.flip(p);
    }
  }

  private flip(p: ZonePair): void {
    this.place(p, -1);
    if (this.inbound.has(p.key)) this.inbound.delete(p.key); else this.inbound.add(p.key);
    this.place(p, 1);
  }

  private place(p: ZonePair, by: number): void {
    const both = !this.policy.hasRanges(p.zs) && !this.policy.hasRanges(p.zd);
    if (both || !this.inbound.has(p.key)) this.bump(p.zs, p.dset, by);
    if (both || this.inbound.has(p.key)) this.bump(p.zd, p.sset, by);
  }

  private bump(z: string, ws: Set<string>, by: number): void {
    let m = this.refs.get(z);
    if (!m) { m = new Map(); this.refs.set(z, m); }
    for (const w of ws) {
      const n = (m.get(w) ?? 0) + by;
      if (n === 0) m.delete(w); else m.set(w, n);
    }
  }

  private excess(z: string): number {
    const own = this.zones.get(z)?.workloads.length ?? 0;
    return Math.max(0, (this.refs.get(z)?.size ?? 0) - (this.maxAsgs - own));
  }
}

/** Ordered pairs of distinct zones with workload-to-workload rules, with the workloads on each end. */
function zonePairs(rules: SideRule[]): ZonePair[] {
  const pairs = new Map<string, ZonePair>();
  for (const r of rules) {
    if (r.source.kind !== 'workload' || r.destination.kind !== 'workload' || r.source.zone === r.destination.zone) continue;
    const key = `${r.source.zone}>${r.destination.zone}`;
    let p = pairs.get(key);
    if (!p) { p = { key, zs: r.source.zone, zd: r.destination.zone, dset: new Set(), sset: new Set() }; pairs.set(key, p); }
    p.dset.add(r.destination.workload);
    p.sset.add(r.source.workload);
  }
  return [...pairs.values()];
}

interface WorkloadPair { key: string; src: string; dst: string; zs: string; sr: boolean; dr: boolean; prefer: boolean }

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
function chooseWorkloadExactSides(rules: SideRule[], policy: PairPolicy, maxAsgs: number): Set<string> {
  const refs = new RefSets();
  const switchable = new Map<string, string[]>();
  const pairs: WorkloadPair[] = [];
  const seen = new Set<string>();
  const inbound = new Set<string>();
  for (const r of rules) {
    if (r.source.kind !== 'workload' || r.destination.kind !== 'workload') continue;
    const src = r.source.workload;
    const dst = r.destination.workload;
    const key = `${src}>${dst}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const zs = r.source.zone; const zd = r.destination.zone;
    const sr = policy.hasRanges(zs);
    const dr = policy.hasRanges(zd);
    pairs.push({ key, src, dst, zs, sr, dr, prefer: policy.preferInbound(zs, zd) });
    const fin = policy.forcedInbound(zs, zd);
    const fout = policy.forcedOutbound(zs, zd);
    if (sr || !dr || fout) refs.add(src, dst);
    if (!sr || fin) refs.add(dst, src);
    if (fout) continue;
    if ((!sr && dr) || fin) inbound.add(key);
    else if (sr && dr) switchable.set(src, [...(switchable.get(src) ?? []), key]);
  }
  for (const [src, keys] of switchable) {
    if (refs.size(src) > maxAsgs) for (const k of keys) inbound.add(k);
  }
  preferInboundWithinBudget(pairs, inbound, maxAsgs);
  return inbound;
}

/**
 * Exact inbound by default (so the source's outbound side can name whole zones): a receiver
 * takes all its preferred pairs inbound, whole source zones in name order, when its NSG then
 * still references at most maxAsgs ASGs, counted against what it references with the current
 * sides (an upper bound, so the decision depends on the receiver's own pairs only, not on any
 * order). A source zone is named by its ranges on the receiver's NSG unless all its pairs into
 * the receiver are exact inbound.
 */
function preferInboundWithinBudget(pairs: WorkloadPair[], inbound: Set<string>, maxAsgs: number): void {
  const current = new RefSets();
  for (const p of pairs) {
    const both = !p.sr && !p.dr;
    if (both || !inbound.has(p.key)) current.add(p.src, p.dst);
    if (both || inbound.has(p.key)) current.add(p.dst, p.src);
  }
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
    const would = current.copy(dst);
    for (const [, c] of [...byZone.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const more = c.srcs.filter(x => !would.has(x));
      if (would.size + new Set(more).size > maxAsgs) continue;
      more.forEach(x => would.add(x));
      c.keys.forEach(k => inbound.add(k));
    }
  }
}

/** The ASGs each workload NSG references (its own first). */
class RefSets {
  private readonly sets = new Map<string, Set<string>>();

  public add(w: string, other: string): void {
    let s = this.sets.get(w);
    if (!s) { s = new Set([w]); this.sets.set(w, s); }
    s.add(other);
  }

  public size(w: string): number {
    return this.sets.get(w)?.size ?? 0;
  }

  public copy(w: string): Set<string> {
    return new Set(this.sets.get(w) ?? [w]);
  }
}

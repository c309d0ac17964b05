/**
 * The GCP rule groups of a placement: ingress rules per (target, service) gathering sources;
 * egress rules per (source, destination side) gathering services — egress can only name
 * destination ranges — and, towards ENFORCE workloads on this backend (whose ingress is exact),
 * one all-traffic egress rule per source and family naming every destination range (unless
 * `exactEgressPorts`); guardrails as deny rules on both sides.
 */
import { IrService, serviceKey } from '../ir/services';
import { SideDeny, SideRule } from '../plan/placement';
import { Accumulated, RuleAccumulator } from '../plan/accumulator';
import { RangesSide, rangeSides, Side, sideText } from '../plan/sides';
import { GcpContext } from './context';

/**
 * One planned rule group: a direction and action, the target workload, the kind of the other side
 * (identities, or ranges of one family) and ONE service; the other sides accumulate.
 */
export interface Acc extends Accumulated {
  readonly direction: 'INGRESS' | 'EGRESS';
  readonly action: 'allow' | 'deny';
  /** The target workload. */
  readonly target: string;
  readonly kind: 'identity' | 'ranges';
  readonly family: 'ipv4' | 'ipv6';
  /** Ingress: exactly one service; egress: every service towards `egressTo`. */
  readonly services: IrService[];
  /** Egress: the destination ranges side (one rule per source and destination side). */
  readonly egressTo?: RangesSide;
  /**
   * Egress allow towards workloads of zones on this backend (not `exactEgressPorts`): one
   * all-traffic rule per source and family naming every such destination range.
   */
  readonly coarse?: boolean;
  /** Workload names (identities) or CIDRs (ranges). */
  readonly peers: Set<string>;
  /** Readable names of the other sides, for the description. */
  readonly labels: Set<string>;
}

/** Every protocol. */
export const ALL: IrService = { protocol: 'all', from: -1, to: -1 };

/** The key of a rule group (its identity, and its rendering order). */
export function accKey(a: Acc): string {
  if (a.coarse) return `${a.direction}|${a.action}|${a.target}|local|${a.family}`;
  return a.egressTo ? `${a.direction}|${a.action}|${a.target}|${a.egressTo.key}` : `${a.direction}|${a.action}|${a.target}|${a.kind}|${a.family}|${serviceKey(a.services[0])}`;
}

/** The rule groups of a GCP plan, with what planning found to warn or refuse. */
export class GcpRules extends RuleAccumulator<Acc> {
  /** Zones without ranges that egress had to name, with the first flow that needed them. */
  public readonly missingRanges = new Map<string, string>();
  /** ENFORCE sources whose egress towards a MONITOR destination names its zone's ranges. */
  public readonly monitorWidened = new Set<string>();

  /** Adds services between a target and a peer side (ingress: one group per service; egress: one per destination side). */
  public addServices(direction: Acc['direction'], action: Acc['action'], target: string, peer: Side, services: IrService[], origin: string): void {
    const kind = peer.kind === 'workload' ? 'identity' : 'ranges';
    const family = peer.kind === 'ranges' ? peer.family : 'ipv4';
    const groups = direction === 'INGRESS' ? services.map(sv => [sv]) : [services];
    for (const group of groups) {
      const key = direction === 'INGRESS' ? `${direction}|${action}|${target}|${kind}|${family}|${serviceKey(group[0])}` : `${direction}|${action}|${target}|${peer.key}`;
      const a = this.add(key, () => ({ direction, action, target, kind, family, services: [], peers: new Set(), labels: new Set(), origins: new Set(), egressTo: direction === 'EGRESS' && peer.kind === 'ranges' ? peer : undefined }), origin);
      a.services.push(...group);
      if (peer.kind === 'workload') a.peers.add(peer.workload); else peer.prefixes.forEach(c => a.peers.add(c));
      a.labels.add(sideText(peer));
    }
  }

  /** Egress towards a workload on this backend: its ingress is exact, so all traffic to its ranges. */
  public addCoarse(source: string, d: RangesSide, origin: string): void {
    const key = `EGRESS|allow|${source}|local|${d.family}`;
    const a = this.add(key, () => ({ direction: 'EGRESS', action: 'allow', target: source, kind: 'ranges', family: d.family, services: [ALL], peers: new Set(), labels: new Set(), origins: new Set(), coarse: true }), origin);
    d.prefixes.forEach(c => a.peers.add(c));
    a.labels.add(d.origin === 'zone' ? `zone ${d.label}` : `workload ${d.label}`);
  }
}

/** The rule groups of every allow and guardrail of the placement. */
export function planRules(ctx: GcpContext): GcpRules {
  const rules = new GcpRules();
  for (const r of ctx.placement.rules) addAllow(ctx, rules, r);
  for (const d of ctx.placement.denies) addGuardrail(ctx, rules, d);
  return rules;
}

/** Destination ranges of a local workload for egress: its zone's cidrs (else its own). */
function rangesOfLocal(ctx: GcpContext, rules: GcpRules, workload: string, zone: string, origin: string): RangesSide[] {
  const z = ctx.index.zone(zone);
  const r = z.cidrs.length ? rangeSides('zone', zone, z.cidrs) : rangeSides('workload', workload, ctx.index.workload(workload).cidrs);
  if (r.length === 0 && !rules.missingRanges.has(zone)) rules.missingRanges.set(zone, origin);
  return r;
}

function addAllow(ctx: GcpContext, rules: GcpRules, r: SideRule): void {
  const origin = r.flows[0];
  if (r.destination.kind === 'workload') rules.addServices('INGRESS', 'allow', r.destination.workload, r.source, [r.service], origin);
  if (r.source.kind !== 'workload') return;
  if (r.destination.kind !== 'workload') {
    rules.addServices('EGRESS', 'allow', r.source.workload, r.destination, [r.service], origin);
    return;
  }
  // a MONITOR destination's catch-all lets everything in: an ENFORCE source's egress names
  // the destination workload's own cidrs (exact), else its zone's (warned)
  const monitorDst = !ctx.index.enforced(r.destination.zone);
  const exactNeeded = monitorDst && ctx.index.enforced(r.source.zone);
  const own = exactNeeded ? ctx.index.ownRanges(r.destination.workload) : [];
  if (exactNeeded && own.length === 0) rules.monitorWidened.add(`${r.source.workload} -> zone ${r.destination.zone}`);
  for (const d of own.length ? own : rangesOfLocal(ctx, rules, r.destination.workload, r.destination.zone, origin)) {
    // a MONITOR zone's catch-all ingress is not exact: keep the ports at the sender
    if (ctx.opts.exactEgressPorts || monitorDst) rules.addServices('EGRESS', 'allow', r.source.workload, d, [r.service], origin);
    else rules.addCoarse(r.source.workload, d, origin);
  }
}

function addGuardrail(ctx: GcpContext, rules: GcpRules, d: SideDeny): void {
  if (d.destination.kind === 'workload') rules.addServices('INGRESS', 'deny', d.destination.workload, d.source, d.services, d.deny.path);
  if (d.source.kind !== 'workload') return;
  let dests: RangesSide[];
  if (d.destination.kind === 'ranges') {
    dests = [d.destination];
  } else {
    // a local destination is guarded exactly by the ingress deny; egress only where ranges are exact
    const w = ctx.index.workload(d.destination.workload);
    const z = ctx.index.zone(w.zone);
    const covers = z.cidrs.length > 0 && ctx.index.coversZone(z.name, d.deny.to.workloads);
    dests = covers ? rangeSides('zone', z.name, z.cidrs) : rangeSides('workload', w.name, w.cidrs);
  }
  for (const t of dests) rules.addServices('EGRESS', 'deny', d.source.workload, t, d.services, d.deny.path);
}

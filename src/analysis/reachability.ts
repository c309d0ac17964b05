/**
 * The reachability matrix of a compiled policy: which workload or outside range may reach which,
 * on which services. A pure function over the IR (no constructs, no cloud types).
 */
import { mergeServices, serviceKey } from '../ir/services';
import { atomKey, IrAtom, IrPolicy } from '../ir/types';
import { AnalysisEndpointKind, ReachabilityEntry } from './types';

/** The name an analysis shows for an atom: the workload name or the canonical CIDR. */
export function atomName(a: IrAtom): string {
  return a.kind === 'workload' ? a.workload : a.cidr;
}

/** The analysis kind of an atom. */
export function atomKind(a: IrAtom): AnalysisEndpointKind {
  return a.kind === 'workload' ? AnalysisEndpointKind.WORKLOAD : AnalysisEndpointKind.CIDR;
}

/**
 * One entry per (source, destination) pair that has at least one rule, with the merged services
 * and the flows behind them, in the IR's canonical order (source key, then destination key).
 * Because rules are compiled after deny subtraction, a pair is listed exactly when the model
 * allows some packet between the two.
 */
export function reachabilityOf(policy: IrPolicy): ReachabilityEntry[] {
  const byPair = new Map<string, { source: IrAtom; destination: IrAtom; services: IrPolicy['rules'][number]['service'][]; flows: Set<string> }>();
  for (const r of policy.rules) {
    const key = `${atomKey(r.source)}|${atomKey(r.destination)}`;
    let e = byPair.get(key);
    if (!e) { e = { source: r.source, destination: r.destination, services: [], flows: new Set() }; byPair.set(key, e); }
    e.services.push(r.service);
    r.flows.forEach(f => e!.flows.add(f));
  }
  const out: ReachabilityEntry[] = [];
  for (const [, e] of [...byPair.entries()].sort(([a], [b]) => cmp(a, b))) {
    out.push({
      source: atomName(e.source),
      sourceKind: atomKind(e.source),
      sourceZone: e.source.kind === 'workload' ? e.source.zone : undefined,
      destination: atomName(e.destination),
      destinationKind: atomKind(e.destination),
      destinationZone: e.destination.kind === 'workload' ? e.destination.zone : undefined,
      services: mergeServices(e.services).map(serviceKey),
      flows: [...e.flows].sort(),
    });
  }
  return out;
}

/** Plain string order (not locale-dependent), for determinism. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

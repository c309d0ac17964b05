/**
 * Placement: which part of the IR a backend renders when only some zones live on its cloud.
 * A rule between a zone on this cloud and one elsewhere is rendered with the other side's zone
 * CIDRs; when they are missing, synth fails naming the zone.
 */
import { MicrosegError, MicrosegProblem } from '../model/errors';
import { IrAtom, IrPolicy, IrRule } from './types';

/** A rule as one cloud sees it: remote workloads replaced by their zone's CIDRs. */
export interface PlacedRule extends IrRule {
  /** True when the source is local (rendered as egress here). */
  readonly sourceLocal: boolean;
  /** True when the destination is local (rendered as ingress here). */
  readonly destinationLocal: boolean;
}

/**
 * The rules one backend must render. `zones` are the zones on this cloud (default: all).
 * Rules with no local end are dropped; remote workload ends become CIDR atoms of their zone.
 */
export function placeRules(policy: IrPolicy, zones: string[] | undefined, backendPath: string): PlacedRule[] {
  const all = policy.zones.map(z => z.name);
  const local = new Set(zones ?? all);
  const problems: MicrosegProblem[] = [];
  for (const z of zones ?? []) {
    if (!all.includes(z)) {
      problems.push({ code: 'UnknownZone', path: backendPath, value: z, message: 'is not a zone of the segmentation.', hint: `Zones are: ${all.join(', ')}.` });
    }
  }
  if (problems.length) throw MicrosegError.fromProblems(problems);
  const zoneCidrs = new Map(policy.zones.map(z => [z.name, z.cidrs]));
  const missing = new Map<string, string>();
  const out: PlacedRule[] = [];
  const isLocal = (a: IrAtom) => a.kind === 'workload' && local.has(a.zone);
  const remote = (a: IrAtom, rule: IrRule): IrAtom[] => {
    if (a.kind === 'cidr') return [a];
    const cidrs = zoneCidrs.get(a.zone) ?? [];
    if (cidrs.length === 0) { missing.set(a.zone, rule.flows[0]); return []; }
    return cidrs.map(c => ({ kind: 'cidr', cidr: c, family: c.includes(':') ? 'ipv6' : 'ipv4' }));
  };
  for (const r of policy.rules) {
    const sl = isLocal(r.source); const dl = isLocal(r.destination);
    if (!sl && !dl) continue;
    const srcs = sl ? [r.source] : remote(r.source, r);
    const dsts = dl ? [r.destination] : remote(r.destination, r);
    for (const s of srcs) for (const d of dsts) out.push({ ...r, source: s, destination: d, sourceLocal: sl, destinationLocal: dl });
  }
  if (missing.size > 0) {
    throw MicrosegError.fromProblems([...missing.entries()].sort().map(([zone, flow]) => ({
      code: 'MissingCidrs' as const, path: flow, value: zone,
      message: `zone "${zone}" is not on this cloud (${backendPath}) and has no cidrs, so the flow cannot be rendered here.`,
      hint: `Give zone "${zone}" its address ranges: new Zone(seg, '...', { cidrs: ['10.1.0.0/16'] }).`,
    })));
  }
  return out;
}

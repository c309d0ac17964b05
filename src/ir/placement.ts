/**
 * Placement: which part of the IR a backend renders when only some zones live on its cloud.
 * A rule between a zone on this cloud and one elsewhere is rendered with the other side's
 * addresses: the remote workload's own `cidrs` when it has them (exact), else its zone's `cidrs`
 * (every workload of that zone is then admitted: `crossCloudWarnings` lists the pairs this
 * widens); when both are missing, synth fails naming the zone.
 */
import { MicrosegError, MicrosegProblem, MicrosegWarning } from '../model/errors';
import { isUnresolved } from '../model/tokens';
import { serviceContains, serviceKey } from './services';
import { IrAtom, IrPolicy, IrRule, IrWorkload } from './types';

/** A rule as one cloud sees it: remote workloads replaced by their addresses. */
export interface PlacedRule extends IrRule {
  /** True when the source is local (rendered as egress here). */
  readonly sourceLocal: boolean;
  /** True when the destination is local (rendered as ingress here). */
  readonly destinationLocal: boolean;
}

/** The concrete addresses of a remote workload: its own cidrs when it has them (all concrete), else none. */
export function remoteWorkloadCidrs(w: IrWorkload | undefined): string[] {
  if (!w || w.cidrs.length === 0 || w.cidrs.some(isUnresolved)) return [];
  return w.cidrs;
}

/**
 * The rules one backend must render. `zones` are the zones on this cloud (default: all).
 * Rules with no local end are dropped; remote workload ends become CIDR atoms (the workload's
 * own cidrs, else its zone's).
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
  const workloads = new Map(policy.workloads.map(w => [w.name, w]));
  const missing = new Map<string, string>();
  const out: PlacedRule[] = [];
  const isLocal = (a: IrAtom) => a.kind === 'workload' && local.has(a.zone);
  const remote = (a: IrAtom, rule: IrRule): IrAtom[] => {
    if (a.kind === 'cidr') return [a];
    const own = remoteWorkloadCidrs(workloads.get(a.workload));
    const cidrs = own.length ? own : zoneCidrs.get(a.zone) ?? [];
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
      message: `zone "${zone}" is not on this cloud (${backendPath}) and neither it nor its workloads have cidrs, so the flow cannot be rendered here.`,
      hint: `Give zone "${zone}" its address ranges: new Zone(seg, '...', { cidrs: ['10.1.0.0/16'] }), or its workloads theirs (exact across clouds): new Workload(zone, '...', { cidrs: ['10.1.2.0/24'] }).`,
    })));
  }
  return out;
}

/**
 * The pairs a backend admits beyond the model because a remote source workload has no `cidrs`
 * and is named by its zone's ranges: every other workload of that zone reaches the local
 * destination on that service too, wherever its own cloud lets it out (always from a MONITOR
 * zone, whose catch-all lets everything out). One warning `microseg:CrossCloudWidened` per
 * backend listing the pairs (unless acknowledged); none when every remote source has cidrs.
 */
export function crossCloudWarnings(policy: IrPolicy, zones: string[] | undefined, backendPath: string): MicrosegWarning[] {
  if (zones === undefined || policy.acknowledged.some(a => a.id === 'microseg:CrossCloudWidened')) return [];
  const local = new Set(zones);
  const workloads = new Map(policy.workloads.map(w => [w.name, w]));
  const zoneByName = new Map(policy.zones.map(z => [z.name, z]));
  const declared = new Map<string, IrRule[]>();
  for (const r of policy.rules) {
    if (r.source.kind !== 'workload' || r.destination.kind !== 'workload') continue;
    const k = `${r.source.workload}>${r.destination.workload}`;
    declared.set(k, [...(declared.get(k) ?? []), r]);
  }
  const widened = new Set<string>();
  const zonesInvolved = new Set<string>();
  for (const r of policy.rules) {
    if (r.source.kind !== 'workload' || r.destination.kind !== 'workload') continue;
    if (local.has(r.source.zone) || !local.has(r.destination.zone)) continue;
    if (remoteWorkloadCidrs(workloads.get(r.source.workload)).length) continue;
    const z = zoneByName.get(r.source.zone)!;
    for (const other of z.workloads) {
      if (other === r.source.workload) continue;
      const covered = (declared.get(`${other}>${r.destination.workload}`) ?? []).some(x => serviceContains(x.service, r.service));
      if (covered) continue;
      widened.add(`${other} -> ${r.destination.workload} on ${serviceKey(r.service)}`);
      zonesInvolved.add(`${z.name}${z.mode === 'MONITOR' ? ' (MONITOR)' : ''}`);
    }
  }
  // a local ENFORCE source towards a remote MONITOR zone named by its ranges: the zone's
  // catch-all admits every member
  for (const r of policy.rules) {
    if (r.source.kind !== 'workload' || r.destination.kind !== 'workload') continue;
    if (!local.has(r.source.zone) || local.has(r.destination.zone)) continue;
    const z = zoneByName.get(r.destination.zone)!;
    if (z.mode !== 'MONITOR' || zoneByName.get(r.source.zone)!.mode === 'MONITOR' || remoteWorkloadCidrs(workloads.get(r.destination.workload)).length) continue;
    for (const other of z.workloads) {
      if (other === r.destination.workload) continue;
      if ((declared.get(`${r.source.workload}>${other}`) ?? []).some(x => serviceContains(x.service, r.service))) continue;
      widened.add(`${r.source.workload} -> ${other} on ${serviceKey(r.service)}`);
      zonesInvolved.add(`${z.name} (MONITOR)`);
    }
  }
  if (widened.size === 0) return [];
  const list = [...widened].sort();
  const shown = list.slice(0, 10).join('; ') + (list.length > 10 ? `; and ${list.length - 10} more` : '');
  return [{
    id: 'microseg:CrossCloudWidened', path: backendPath,
    message: `Workloads of zone${zonesInvolved.size === 1 ? '' : 's'} ${[...zonesInvolved].sort().join(', ')} on another cloud have no cidrs, so the rules naming them name their zone's ranges, which also admits ${list.length} pair${list.length === 1 ? '' : 's'} the model does not declare: ${shown}. Give those workloads their cidrs to render them exactly.`,
  }];
}

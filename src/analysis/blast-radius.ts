/**
 * Blast radius: what an attacker who controls one workload can reach, directly and by pivoting
 * through every workload it reaches. A breadth-first search over the compiled rules, so hop
 * counts are minimal. Pure function over the IR.
 */
import { MicrosegError } from '../model/errors';
import { IrService, mergeServices, serviceKey } from '../ir/services';
import { atomKey, IrAtom, IrPolicy } from '../ir/types';
import { atomKind, atomName, cmp } from './reachability';
import { AnalysisEndpointKind, BlastRadius, BlastRadiusTarget } from './types';

interface Edge { readonly to: IrAtom; readonly services: IrService[] }

/**
 * The blast radius of workload `name` in `policy`.
 *
 * @throws `microseg:UnknownWorkload` when the policy has no workload of that name
 */
export function blastRadiusOf(policy: IrPolicy, name: string): BlastRadius {
  if (!policy.workloads.some(w => w.name === name)) {
    throw new MicrosegError({
      code: 'UnknownWorkload', path: policy.segmentation.path, value: name,
      message: 'is not a workload of the segmentation.',
      hint: `Workloads are: ${policy.workloads.map(w => w.name).slice(0, 20).join(', ') || '(none)'}.`,
    });
  }

  // Adjacency: workload -> destination atom -> services.
  const edges = new Map<string, Map<string, Edge>>();
  for (const r of policy.rules) {
    if (r.source.kind !== 'workload') continue;
    let out = edges.get(r.source.workload);
    if (!out) { out = new Map(); edges.set(r.source.workload, out); }
    const k = atomKey(r.destination);
    const e = out.get(k);
    if (e) e.services.push(r.service);
    else out.set(k, { to: r.destination, services: [r.service] });
  }

  const seen = new Set<string>([`w:${name}`]);
  const found: BlastRadiusTarget[] = [];
  const pathOf = new Map<string, string[]>([[name, [name]]]);
  let frontier = [name];
  let hops = 0;
  while (frontier.length > 0) {
    hops++;
    // Every new target of this layer, with all its predecessors in the previous layer.
    const layer = new Map<string, { atom: IrAtom; via: string[]; services: IrService[]; path?: string[] }>();
    for (const u of frontier) {
      for (const [k, e] of edges.get(u) ?? []) {
        if (seen.has(k)) continue;
        let t = layer.get(k);
        if (!t) { t = { atom: e.to, via: [], services: [] }; layer.set(k, t); }
        t.via.push(u);
        t.services.push(...e.services);
        const candidate = [...pathOf.get(u)!, atomName(e.to)];
        if (!t.path || comparePaths(candidate, t.path) < 0) t.path = candidate;
      }
    }
    const next: string[] = [];
    for (const [k, t] of layer) {
      seen.add(k);
      found.push({
        target: atomName(t.atom),
        kind: atomKind(t.atom),
        zone: t.atom.kind === 'workload' ? t.atom.zone : undefined,
        hops,
        via: [...new Set(t.via)].sort(),
        services: mergeServices(t.services).map(serviceKey),
        path: t.path!,
      });
      if (t.atom.kind === 'workload') {
        pathOf.set(t.atom.workload, t.path!);
        next.push(t.atom.workload);
      }
    }
    frontier = next.sort();
  }

  const order = (a: BlastRadiusTarget, b: BlastRadiusTarget) =>
    a.hops - b.hops || kindRank(a.kind) - kindRank(b.kind) || cmp(a.target, b.target);
  const reachable = found.sort(order);
  const workloads = reachable.filter(t => t.kind === AnalysisEndpointKind.WORKLOAD);
  return {
    workload: name,
    direct: reachable.filter(t => t.hops === 1),
    reachable,
    reachableWorkloads: workloads.length,
    reachableZones: [...new Set(workloads.map(t => t.zone!))].sort(),
    maxHops: reachable.reduce((m, t) => Math.max(m, t.hops), 0),
  };
}

function kindRank(k: AnalysisEndpointKind): number {
  return k === AnalysisEndpointKind.WORKLOAD ? 0 : 1;
}

function comparePaths(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = cmp(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * Quota math any backend can use: how many IR rules each workload carries per direction, before
 * a backend's own compression. Pure functions over the IR.
 */
import { IrRule } from '../ir/types';

/** Rule counts of one workload. */
export interface WorkloadRuleCount {
  readonly workload: string;
  /** Rules whose destination is the workload (rendered as its ingress). */
  readonly ingress: number;
  /** Rules whose source is the workload (rendered as its egress). */
  readonly egress: number;
}

/**
 * Counts IR rules per workload and direction; every workload named in `workloads` is listed
 * (with zeros when it has no rules), sorted by name. A rule from a workload to itself counts
 * once in each direction.
 */
export function ruleCountsOf(rules: IrRule[], workloads: string[]): WorkloadRuleCount[] {
  const counts = new Map<string, { ingress: number; egress: number }>(workloads.map(w => [w, { ingress: 0, egress: 0 }]));
  const get = (w: string) => {
    let c = counts.get(w);
    if (!c) { c = { ingress: 0, egress: 0 }; counts.set(w, c); }
    return c;
  };
  for (const r of rules) {
    if (r.source.kind === 'workload') get(r.source.workload).egress++;
    if (r.destination.kind === 'workload') get(r.destination.workload).ingress++;
  }
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([workload, c]) => ({ workload, ...c }));
}

/** The workloads whose count in `direction` exceeds `limit`, largest first (then by name). */
export function overQuota(counts: WorkloadRuleCount[], direction: 'ingress' | 'egress', limit: number): WorkloadRuleCount[] {
  return counts.filter(c => c[direction] > limit).sort((a, b) => b[direction] - a[direction] || (a.workload < b.workload ? -1 : 1));
}

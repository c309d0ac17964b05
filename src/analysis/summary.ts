/**
 * Summary figures of a compiled policy, and their short text form (printed by the main job for
 * every example). Pure functions over the IR.
 */
import { cidr, cidrContains, isCidr, parseCidr } from '../ir/cidr';
import { IrPolicy } from '../ir/types';
import { EnforcementMode } from '../model/segmentation';
import { cmp } from './reachability';
import { subsumedRules } from './subsumption';
import { SegmentationSummary } from './types';

/** Ranges that are not the internet: RFC 1918, RFC 6598, loopback, link-local, IPv6 ULA/link-local/loopback. */
const NON_INTERNET = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16',
  'fc00::/7', 'fe80::/10', '::1/128',
].map(cidr);

/**
 * Whether a CIDR holds any address outside the private and special-purpose ranges. A CIDR that
 * cannot be parsed (an unresolved token) counts as internet: exposure is never under-reported.
 */
export function isInternetCidr(text: string): boolean {
  const c = parseCidr(text);
  if (!isCidr(c)) return true;
  return !NON_INTERNET.some(p => cidrContains(p, c));
}

/** The summary figures of a compiled policy. */
export function summaryOf(policy: IrPolicy): SegmentationSummary {
  const pairs = new Set<string>();
  const exposed = new Set<string>();
  for (const r of policy.rules) {
    if (r.source.kind === 'workload' && r.destination.kind === 'workload' && r.source.workload !== r.destination.workload) {
      pairs.add(`${r.source.workload}|${r.destination.workload}`);
    }
    if (r.source.kind === 'cidr' && r.destination.kind === 'workload' && isInternetCidr(r.source.cidr)) {
      exposed.add(r.destination.workload);
    }
  }
  const n = policy.workloads.length;
  const totalPairs = n * (n - 1);
  return {
    name: policy.segmentation.name,
    mode: policy.segmentation.mode as EnforcementMode,
    zones: policy.zones.length,
    workloads: n,
    flows: policy.flows.length,
    denies: policy.denies.length,
    rules: policy.rules.length,
    subsumedRules: subsumedRules(policy.rules).length,
    allowedPairs: pairs.size,
    totalPairs,
    allowedPairRatio: totalPairs === 0 ? 0 : pairs.size / totalPairs,
    internetExposed: [...exposed].sort(cmp),
    monitorZones: policy.zones.filter(z => z.mode === 'MONITOR').map(z => z.name).sort(cmp),
    warnings: policy.warnings.length,
  };
}

/**
 * A short human-readable block, e.g.
 * ```
 * segmentation shop (ENFORCE)
 *   zones 3, workloads 6, flows 7, denies 1, IR rules 12
 *   allowed workload pairs 5 of 30 (16.7%)
 *   internet-exposed workloads 2: web-a, web-b
 *   warnings 0
 * ```
 */
export function formatSummaryText(s: SegmentationSummary): string {
  const pct = (s.allowedPairRatio * 100).toFixed(1);
  const exposed = s.internetExposed.length === 0 ? 'none' : `${s.internetExposed.length}: ${s.internetExposed.join(', ')}`;
  return [
    `segmentation ${s.name} (${s.mode})`,
    `  zones ${s.zones}, workloads ${s.workloads}, flows ${s.flows}, denies ${s.denies}, IR rules ${s.rules}${s.subsumedRules ? ` (${s.subsumedRules} covered by wider rules)` : ''}`,
    `  allowed workload pairs ${s.allowedPairs} of ${s.totalPairs} (${pct}%)`,
    `  internet-exposed workloads ${exposed}`,
    ...(s.monitorZones.length ? [`  MONITOR zones (everything passes, figures show enforcement) ${s.monitorZones.length}: ${s.monitorZones.join(', ')}`] : []),
    `  warnings ${s.warnings}`,
  ].join('\n');
}

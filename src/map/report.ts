/**
 * The segmentation report: the figures a security team tracks over time (coverage, attack
 * surface, ownership, expiry, unused flows, invariants), as markdown for a pull request or JSON for
 * a dashboard. Pure functions over the loaded source.
 */
import { summaryOf } from '../analysis/summary';
import { invariantsOf } from './invariants';
import { Source } from './source';
import { ReportExpiringFlow, ReportFormat, ReportOwner, ReportTraffic, SegmentationReportData } from './types';

const NO_OWNER = '(no owner)';
const DAY = 86_400_000;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Builds the report of a source. */
export function buildReport(source: Source, expiringWithinDays: number): SegmentationReportData {
  const { policy, traffic, now } = source;
  const s = summaryOf(policy);
  const unused = new Set((traffic?.unused ?? []).map(u => u.flow));
  const named = new Set(policy.flows.flatMap(f => [...f.from.workloads, ...f.to.workloads]));

  const byOwner = new Map<string, { flows: number; unused: number }>();
  for (const f of policy.flows) {
    const o = f.owner || NO_OWNER;
    const e = byOwner.get(o) ?? { flows: 0, unused: 0 };
    e.flows++;
    if (unused.has(f.path)) e.unused++;
    byOwner.set(o, e);
  }
  const owners: ReportOwner[] = [...byOwner.entries()]
    .sort((a, b) => b[1].flows - a[1].flows || cmp(a[0], b[0]))
    .map(([owner, e]) => ({ owner, flows: e.flows, ...(traffic ? { unused: e.unused } : {}) }));

  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const expiring: ReportExpiringFlow[] = policy.flows
    .filter(f => f.expires && !Number.isNaN(Date.parse(f.expires)))
    .map(f => ({ f, days: Math.floor((Date.parse(f.expires!) - today) / DAY) }))
    .filter(x => x.days <= expiringWithinDays)
    .sort((a, b) => a.days - b.days || cmp(a.f.path, b.f.path))
    .map(({ f, days }) => ({ flow: f.path, from: f.from.key, to: f.to.key, expires: f.expires!, days, ...(f.owner ? { owner: f.owner } : {}) }));

  let trafficPart: ReportTraffic | undefined;
  if (traffic) {
    const ownerOf = new Map(policy.flows.map(f => [f.path, f.owner]));
    trafficPart = {
      ...(traffic.window?.start ? { windowStart: traffic.window.start } : {}),
      ...(traffic.window?.end ? { windowEnd: traffic.window.end } : {}),
      conversationCoverage: traffic.coverage.conversations,
      observedOfAllowed: traffic.coverage.observedOfAllowed,
      wouldBlock: traffic.conversations.filter(c => c.verdict === 'wouldBlock').length,
      unknownAddresses: traffic.unknown.length,
      unused: [...traffic.unused].sort((a, b) => cmp(a.flow, b.flow)).map(u => ({ flow: u.flow, from: u.from, to: u.to, ports: u.ports, ...(ownerOf.get(u.flow) ? { owner: ownerOf.get(u.flow)! } : {}) })),
    };
  }

  return {
    schemaVersion: 1,
    segmentation: policy.segmentation.name,
    mode: policy.segmentation.mode,
    generatedAt: now.toISOString(),
    zones: s.zones,
    workloads: s.workloads,
    workloadsWithFlows: policy.workloads.filter(w => named.has(w.name)).length,
    flows: s.flows,
    denies: s.denies,
    allowedPairs: s.allowedPairs,
    totalPairs: s.totalPairs,
    allowedPairRatio: s.allowedPairRatio,
    internetExposed: s.internetExposed,
    owners,
    expiring,
    expiringWithinDays,
    invariants: invariantsOf(source),
    ...(trafficPart ? { traffic: trafficPart } : {}),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const cell = (s: unknown) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
function mdTable(head: string[], rows: unknown[][], limit = 50): string[] {
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.slice(0, limit).map(r => `| ${r.map(cell).join(' | ')} |`)];
  if (rows.length > limit) out.push('', `… and ${rows.length - limit} more (see the JSON report).`);
  return out;
}

/** Markdown for a pull-request comment. */
export function renderMarkdown(r: SegmentationReportData): string {
  const lines: string[] = [
    `## Segmentation report: ${r.segmentation} (${r.mode})`,
    '',
    '| figure | value |',
    '|---|---|',
    `| workloads covered by the model | ${r.workloads} in ${r.zones} zones (${r.workloadsWithFlows} named by a flow) |`,
    `| allowed workload pairs (surface) | ${r.allowedPairs} of ${r.totalPairs} (${pct(r.allowedPairRatio)}) |`,
    `| declared flows / denies | ${r.flows} / ${r.denies} |`,
    `| internet-exposed workloads | ${r.internetExposed.length ? `${r.internetExposed.length}: ${r.internetExposed.join(', ')}` : 'none'} |`,
    `| flows expiring within ${r.expiringWithinDays} days | ${r.expiring.length} |`,
    `| invariants | ${r.invariants.length === 0 ? 'no invariants declared' : `${r.invariants.filter(i => i.holds).length} of ${r.invariants.length} hold`} |`,
  ];
  if (r.traffic) {
    lines.push(
      `| conversations the model allows | ${pct(r.traffic.conversationCoverage)} |`,
      `| allowed pairs observed | ${pct(r.traffic.observedOfAllowed)} |`,
      `| conversations that would be blocked | ${r.traffic.wouldBlock} |`,
      `| unused flows | ${r.traffic.unused.length} |`,
      `| addresses outside the model | ${r.traffic.unknownAddresses} |`,
    );
  }
  lines.push('', '### Flows per owner', '', ...mdTable(['owner', 'flows', ...(r.traffic ? ['unused'] : [])], r.owners.map(o => [o.owner, o.flows, ...(r.traffic ? [o.unused] : [])])));
  lines.push('', `### Expiring flows (within ${r.expiringWithinDays} days)`, '');
  if (r.expiring.length === 0) lines.push('None.');
  else lines.push(...mdTable(['flow', 'from', 'to', 'expires', 'days', 'owner'], r.expiring.map(e => [e.flow, e.from, e.to, e.expires, e.days < 0 ? `expired ${-e.days} days ago` : e.days, e.owner])));
  if (r.traffic) {
    const window = r.traffic.windowStart ? ` (${r.traffic.windowStart} to ${r.traffic.windowEnd ?? '?'})` : '';
    lines.push('', `### Unused flows${window}`, '');
    if (r.traffic.unused.length === 0) lines.push('None: every declared flow was observed.');
    else lines.push(...mdTable(['flow', 'from', 'to', 'ports', 'owner'], r.traffic.unused.map(u => [u.flow, u.from, u.to, u.ports, u.owner])));
  }
  lines.push('', '### Invariants', '');
  if (r.invariants.length === 0) lines.push('No invariants declared.');
  else lines.push(...mdTable(['invariant', 'kind', 'verdict', 'owner', 'detail'], r.invariants.map(i => [i.name, i.kind, i.holds ? 'holds' : '**broken**', i.owner, i.detail ?? i.description])));
  return lines.join('\n') + '\n';
}

/** Renders a report. */
export function renderReport(r: SegmentationReportData, format: ReportFormat): string {
  if (format === ReportFormat.JSON) return JSON.stringify(r, null, 2) + '\n';
  return renderMarkdown(r);
}

/** One line for a terminal: the headline figures. */
export function reportHeadline(r: SegmentationReportData): string {
  const inv = r.invariants.length === 0 ? 'no invariants declared' : `invariants ${r.invariants.filter(i => i.holds).length}/${r.invariants.length} hold`;
  const t = r.traffic ? `, ${r.traffic.unused.length} unused flows, ${r.traffic.wouldBlock} conversations would be blocked` : '';
  return `${r.segmentation}: ${r.workloads} workloads, ${r.allowedPairs}/${r.totalPairs} pairs allowed (${pct(r.allowedPairRatio)}), ${r.flows} flows of ${r.owners.length} owners, ${r.expiring.length} expiring${t}, ${inv}.`;
}

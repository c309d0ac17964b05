/** One line per figure: microseg against the baseline, with the limits each output keeps or breaks. */
import type { Limit } from './aws-metrics';
import type { CaseResult, SizeName } from './harness';

export interface Figure {
  readonly id: string;
  readonly cloud: 'aws' | 'azure' | 'gcp' | 'audit';
  readonly size: SizeName;
  readonly title: string;
  /** Environment of every child of this figure. */
  readonly env?: Record<string, string>;
  /** A preparation case run first (its result's `metrics` become the measurements' options). */
  readonly prep?: string;
  readonly measurements: { role: string; caseName: string; options?: Record<string, unknown>; label?: string }[];
}

export interface FigureResult {
  readonly id: string;
  readonly title: string;
  readonly cloud: string;
  readonly size: SizeName;
  readonly measuredAt: string;
  /** 1-minute load average when the figure finished (other processes on the machine skew times). */
  readonly loadAverage?: number;
  readonly runs: Record<string, CaseResult>;
  /** microseg time / baseline time. */
  ratio?: number;
  /** microseg CPU time / baseline CPU time. */
  cpuRatio?: number;
  /** The printed line. */
  line?: string;
}

type Json = any;

const n = (x: number) => x.toLocaleString('en-US');
const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const mem = (b?: number) => (b === undefined ? '? MB' : b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(2)} GB` : `${Math.round(b / 1024 ** 2)} MB`);
const kb = (b: number) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MB` : `${Math.round(b / 1024)} KB`);
const over = (l: Limit) => (l.ok ? '' : ` (${l.factor}x over${l.over && l.over > 1 ? `, ${n(l.over)} over` : ''})`);
const lim = (l: Limit, fmt: (x: number) => string = n) => `${fmt(l.value)}/${fmt(l.limit)}${over(l)}`;

function head(r: CaseResult | undefined): string {
  if (!r) return 'not run';
  switch (r.status) {
    case 'ok': return `${secs(r.totalMs ?? 0)}, ${mem(r.peakRssBytes)}`;
    case 'timeout': return `${r.reason}`;
    case 'unavailable': return `unavailable (${r.reason})`;
    default: return `FAILED (${firstLine(r.reason)})`;
  }
}

/** The first line of an error, and its first item when the first line only introduces a list. */
function firstLine(s?: string): string {
  const lines = (s ?? '').split('\n').map(l => l.trim()).filter(Boolean);
  const text = lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1]}` : lines[0] ?? '';
  return text.slice(0, 400);
}

function ratio(f: FigureResult): string {
  const m = f.runs.microseg;
  const b = f.runs.baseline;
  if (m?.status !== 'ok' || !b || (b.status !== 'ok' && b.status !== 'timeout')) return 'ratio n/a';
  const r = (m.totalMs ?? 0) / Math.max(1, b.totalMs ?? 1);
  f.ratio = Math.round(r * 100) / 100;
  let cpu = '';
  if (b.status === 'ok' && m.cpuMs && b.cpuMs) {
    f.cpuRatio = Math.round((m.cpuMs / b.cpuMs) * 100) / 100;
    cpu = ` (CPU ${f.cpuRatio.toFixed(2)})`;
  }
  return `ratio ${b.status === 'timeout' ? '< ' : ''}${f.ratio.toFixed(2)}${cpu}`;
}

function awsOutput(o: Json, sgsPerWorkload: Json, baseline: boolean): string {
  if (!o) return '';
  const rules = `rules/SG in ${o.ingressIpv4PerSgMax.value}/${o.ingressIpv6PerSgMax.value} out ${o.egressIpv4PerSgMax.value}/${o.egressIpv6PerSgMax.value} (v4/v6, limit 60)`;
  const worstRules = [o.ingressIpv4PerSgMax, o.ingressIpv6PerSgMax, o.egressIpv4PerSgMax, o.egressIpv6PerSgMax].sort((a: Limit, b: Limit) => b.value - a.value)[0] as Limit;
  if (baseline) {
    const parts = [`${n(o.resourcesTotal)} resources in ${o.stacks} stack${o.stacks > 1 ? 's' : ''}${over(o.resourcesPerStackMax)}`];
    parts.push(`template ${kb(o.templateBytesMax.value)}${over(o.templateBytesMax)}`);
    parts.push(`max rules/SG ${worstRules.value}/60${worstRules.ok ? '' : ` (${worstRules.factor}x over, ${n(worstRules.over ?? 0)} SG-directions over)`}`);
    if (o.templatesWithCycles) parts.push('dependency cycle');
    return `baseline ${parts.join(', ')}: ${o.withinLimits ? 'OK' : `breaks ${o.broken.length} limit(s)`}`;
  }
  const parts = [
    `stacks ${o.stacks}${o.nestedStacks ? ` (${o.nestedStacks} nested)` : ''}`,
    `max resources ${lim(o.resourcesPerStackMax)}`,
    `params ${lim(o.parametersPerStackMax)}`,
    `outputs ${lim(o.outputsPerStackMax)}`,
    `template ${kb(o.templateBytesMax.value)}/1 MB${over(o.templateBytesMax)}`,
    rules,
    `SGs/workload ${sgsPerWorkload}/5`,
  ];
  if (o.naclEntriesPerDirectionMax) parts.push(`NACL entries ${lim(o.naclEntriesPerDirectionMax)}`);
  if (o.duplicateRules) parts.push(`${o.duplicateRules} duplicate rules`);
  if (o.templatesWithCycles) parts.push(`dependency cycle (${(o.cycleExample ?? []).slice(0, 3).join(' -> ')})`);
  const sgOk = typeof sgsPerWorkload !== 'number' || sgsPerWorkload <= 5;
  return `${parts.join(', ')} ${o.withinLimits && sgOk ? 'OK' : `NOT OK (${[...o.broken, ...(sgOk ? [] : ['sgsPerEni'])].join(', ')})`}`;
}

function azureOutput(o: Json, baseline: boolean): string {
  const a = o?.azure;
  if (!a) return '';
  const body = `${n(a.rules)} rules in ${a.nsgs} NSGs, ${n(o.resourcesTotal)} Terraform resources (one API call each at apply), max ${lim(a.rulesPerNsgMax)} rules/NSG, max ${lim(a.asgsPerNsgMax)} ASGs/NSG, max ${lim(a.asgsPerRuleSideMax)} ASGs/rule side${a.prioritiesOutOfRange ? `, ${n(a.prioritiesOutOfRange)} priorities out of 100-4096` : ''}${a.duplicatePriorities ? `, ${n(a.duplicatePriorities)} duplicate priorities` : ''}`;
  return `${baseline ? 'baseline ' : ''}${body} ${o.withinLimits ? 'OK' : `NOT OK (${o.broken.join(', ')})`}`;
}

function gcpOutput(o: Json, baseline: boolean): string {
  const g = o?.gcp;
  if (!g) return '';
  const body = `${n(g.firewallRules)} firewall rules (${n(g.ingress)} ingress, ${n(g.egress)} egress; ${n(g.deny)} deny), ${n(o.resourcesTotal)} Terraform resources (one API call each at apply), max tags/rule src ${g.sourceTagsPerRuleMax.value}/30 target ${g.targetTagsPerRuleMax.value}/70, max name ${g.nameLengthMax.value}/63`;
  return `${baseline ? 'baseline ' : ''}${body} ${o.withinLimits ? 'OK' : `NOT OK (${o.broken.join(', ')})`}`;
}

export function formatFigure(f: Figure, r: FigureResult): string {
  const m = r.runs.microseg;
  const b = r.runs.baseline;
  const mm = m?.metrics as Json;
  const bm = b?.metrics as Json;
  if (f.cloud === 'audit') {
    if (m?.status !== 'ok') return `${f.title}: ${head(m)}`;
    const extra = mm.exitCode === 0 ? 'exit 0 (no drift)' : `exit ${mm.exitCode}, ${mm.findings} finding(s)${mm.errors?.length ? `, errors: ${firstLine(JSON.stringify(mm.errors))}` : ''}${mm.findingKinds?.length ? `: ${mm.findingKinds.slice(0, 2).join('; ')}` : ''}`;
    const note = mm.prepNote ? ' | expected state synthesized with raised quotas (the backend refused the defaults)' : '';
    const split = mm.serverMs !== undefined ? ` (reader ${secs(mm.readerMs)}, local server ${secs(mm.serverMs)})` : '';
    return `${f.title}: ${secs(m.timings.audit ?? m.totalMs ?? 0)}${split}, ${mem(m.peakRssBytes)} | API calls ${n(mm.apiCalls)} (reader pages ${n(mm.readerPages)}, minimum ${n(mm.minimumPages)}) | ${n(mm.securityGroups)} SGs, ${n(mm.liveRules)} rules, ${n(mm.networkInterfaces)} ENIs | ${extra}${note}`;
  }
  const parts = [`${f.title}: microseg ${head(m)}`, `baseline ${head(b)}`, ratio(r)];
  if (f.cloud === 'aws') {
    if (m?.status === 'ok') parts.push(awsOutput(mm.output, mm.sgsPerWorkloadMax, false));
    if (b?.status === 'ok') parts.push(awsOutput(bm.output, 1, true));
  } else if (f.cloud === 'azure') {
    if (m?.status === 'ok') parts.push(azureOutput(mm.output, false));
    if (b?.status === 'ok') parts.push(azureOutput(bm.output, true));
  } else {
    if (m?.status === 'ok') parts.push(gcpOutput(mm.output, false));
    if (b?.status === 'ok') parts.push(gcpOutput(bm.output, true));
  }
  const t = r.runs['microseg-tfjson'];
  if (t) parts.push(`tf.json writer ${head(t)}`);
  const w = r.runs['microseg-nsg-workload'];
  if (w) {
    const wo = (w.metrics as Json)?.output;
    const b2 = r.runs.baseline;
    const wr = w.status === 'ok' && b2?.status === 'ok' ? ` (ratio ${((w.totalMs ?? 0) / Math.max(1, b2.totalMs ?? 1)).toFixed(2)})` : '';
    parts.push(`nsgScope WORKLOAD ${head(w)}${wr}${w.status === 'ok' ? `: ${azureOutput(wo, false)}` : ''}`);
  }
  return parts.filter(Boolean).join(' | ');
}

/** The design targets (docs/architecture.md, performance targets) judged from the figures at hand: one line each. */
export function targets(figures: FigureResult[]): string[] {
  const by = new Map(figures.map(f => [f.id, f]));
  const out: string[] = [];
  const okRun = (f?: FigureResult, role = 'microseg') => f?.runs[role]?.status === 'ok';
  const o = (f?: FigureResult) => (f?.runs.microseg?.metrics as Json)?.output;
  for (const size of ['M', 'L'] as const) {
    const f = by.get(`aws:${size}`) ?? by.get(`aws-novalidation:${size}`);
    if (!f) continue;
    if (!okRun(f)) { out.push(`aws ${size}: NOT MET (microseg ${f.runs.microseg?.status}: ${firstLine(f.runs.microseg?.reason)})`); continue; }
    const out1 = o(f);
    const sgs = (f.runs.microseg.metrics as Json).sgsPerWorkloadMax;
    const shape = size === 'M' ? out1.stacks === 1 : true;
    const within = out1.withinLimits && (typeof sgs !== 'number' || sgs <= 5);
    const fast = [by.get(`aws:${size}`), by.get(`aws-novalidation:${size}`)].filter(x => x && x.ratio !== undefined).map(x => `${x!.ratio!.toFixed(2)}`);
    const faster = [by.get(`aws:${size}`), by.get(`aws-novalidation:${size}`)].every(x => !x || x.ratio === undefined || x.ratio <= 1);
    out.push(`aws ${size}: ${shape && within && faster ? 'met' : 'NOT MET'} (${size === 'M' ? `one stack: ${out1.stacks === 1 ? 'yes' : `no, ${out1.stacks}`}` : `${out1.stacks} stacks`}, limits ${within ? 'held' : `broken: ${out1.broken.join(', ')}`}, time ratio ${fast.join(' / ') || 'n/a'})`);
  }
  for (const size of ['M', 'L'] as const) {
    // The scattered layout (one /24 per zone per AZ): M in one stack, L within every limit.
    const f = by.get(`aws-scattered:${size}`);
    if (!f) continue;
    if (!okRun(f)) { out.push(`aws ${size} scattered: NOT MET (microseg ${f.runs.microseg?.status}: ${firstLine(f.runs.microseg?.reason)})`); continue; }
    const out1 = o(f);
    const shape = size === 'M' ? out1.stacks === 1 : true;
    // M: no slower than hand-written aws-cdk-lib; L: sharded within every limit.
    const faster = size === 'L' || (f.ratio !== undefined && f.ratio <= 1);
    out.push(`aws ${size} scattered: ${shape && out1.withinLimits && faster ? 'met' : 'NOT MET'} (${size === 'M' ? `one stack: ${out1.stacks === 1 ? 'yes' : `no, ${out1.stacks}`}` : `${out1.stacks} stacks`}, limits ${out1.withinLimits ? 'held' : `broken: ${out1.broken.join(', ')}`}, time ratio ${f.ratio?.toFixed(2) ?? 'n/a'})`);
  }
  for (const cloud of ['azure', 'gcp'] as const) {
    for (const size of ['M', 'L'] as const) {
      const f = by.get(`${cloud}:${size}`);
      if (!f) continue;
      const alt = f.runs['microseg-nsg-workload'];
      if (cloud === 'azure' && alt?.status === 'ok') {
        const b = f.runs.baseline;
        const altRatio = b?.status === 'ok' ? (alt.totalMs ?? 0) / Math.max(1, b.totalMs ?? 1) : undefined;
        const altWithin = (alt.metrics as Json)?.output?.withinLimits;
        out.push(`azure ${size} with nsgScope WORKLOAD: ${altWithin && altRatio !== undefined && altRatio <= 1 ? 'met' : 'NOT MET'} (limits ${altWithin ? 'held' : `broken: ${(alt.metrics as Json).output.broken.join(', ')}`}, time ratio ${altRatio?.toFixed(2) ?? 'n/a'})`);
      }
      if (!okRun(f)) { out.push(`${cloud} ${size}: NOT MET (microseg ${f.runs.microseg?.status}: ${firstLine(f.runs.microseg?.reason)})`); continue; }
      const within = o(f).withinLimits;
      const faster = f.ratio !== undefined && f.ratio <= 1;
      out.push(`${cloud} ${size}: ${within && faster ? 'met' : 'NOT MET'} (limits ${within ? 'held' : `broken: ${o(f).broken.join(', ')}`}, time ratio ${f.ratio?.toFixed(2) ?? 'n/a'})`);
    }
  }
  const a = by.get('audit:L');
  if (a) {
    const m = a.runs.microseg?.metrics as Json;
    if (!okRun(a)) out.push(`audit L: NOT MET (${a.runs.microseg?.status}: ${firstLine(a.runs.microseg?.reason)})`);
    else out.push(`audit L: ${m.apiCalls <= m.minimumPages && m.exitCode === 0 && (m.auditMs ?? 0) < 60_000 ? 'met' : 'NOT MET'} (${(m.auditMs / 1000).toFixed(1)} s, ${m.apiCalls} API calls for a minimum of ${m.minimumPages} pages, exit ${m.exitCode})`);
  }
  return out;
}

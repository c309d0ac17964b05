/**
 * Reports of an audit outcome: table (default, for a terminal), JSON, SARIF 2.1.0 (code scanning),
 * JUnit XML (CI test reports) and Markdown (a pull-request comment).
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as sarif from 'sarif';
import { CanonicalRule } from '../ir/canonical';
import { describeRule } from './drift';
import { AuditResult, DriftFinding, DriftKind, DriftReachability, DriftSeverity } from './types';
import { jsonLineIndex } from './json-lines';

/** Report formats. */
export type FormatText = 'table' | 'json' | 'sarif' | 'junit' | 'markdown';
export const FORMATS: FormatText[] = ['table', 'json', 'sarif', 'junit', 'markdown'];

/** Rendering options. */
export interface RenderOptions {
  /** Colours in the table (default false). */
  readonly color?: boolean;
  /** The tool version printed in reports. */
  readonly version?: string;
  /** Base folder for relative artifact paths in SARIF (default: the working directory). */
  readonly baseDir?: string;
  /** Most findings listed in Markdown (default 100). */
  readonly markdownLimit?: number;
}

/** Renders an outcome in a format. */
export function render(outcome: AuditResult, format: FormatText, options: RenderOptions = {}): string {
  switch (format) {
    case 'json': return JSON.stringify(toJson(outcome, options), null, 2) + '\n';
    case 'sarif': return JSON.stringify(toSarif(outcome, options), null, 2) + '\n';
    case 'junit': return toJunit(outcome);
    case 'markdown': return toMarkdown(outcome, options);
    default: return toTable(outcome, options);
  }
}

/** The one-line verdict. */
export function verdict(o: AuditResult): string {
  if (!o.complete) return `AUDIT INCOMPLETE: ${o.errors.length} read error(s); drift cannot be ruled out (exit 2).`;
  if (o.findings.length === 0) return `No drift: ${o.liveRules} live rule(s) match the ${o.expectedRules} declared${o.accepted.length ? ` (${o.accepted.length} accepted finding(s))` : ''}.`;
  const counts = `${o.findings.length} finding(s) (${countBy(o.findings, f => f.severity, ['critical', 'high', 'medium', 'low'])})`;
  return o.exitCode === 0 ? `Drift below the --fail-on severity: ${counts}; exit 0.` : `DRIFT: ${counts}.`;
}

function countBy<T>(items: T[], key: (t: T) => string, order: string[]): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  return order.filter(k => counts.get(k)).map(k => `${counts.get(k)} ${k}`).join(', ');
}

function ruleText(r: CanonicalRule | undefined): string {
  return r ? describeRule(r) : '';
}

function findingRule(f: DriftFinding): string {
  if (f.kind === 'modified') return `declared: ${ruleText(f.expected)}\nlive:     ${ruleText(f.live)}`;
  if (f.reachability) return reachabilityText(f.reachability);
  if (f.kind === 'unmanaged' && f.unmanaged) return `${f.unmanaged.name} on ${f.unmanaged.attachedTo}${f.unmanaged.workloads.length ? ` (with ${f.unmanaged.workloads.join(', ')})` : ''}`;
  if (!f.live && !f.expected) return f.message;
  return ruleText(f.live ?? f.expected);
}

/** `workload:a -> workload:b tcp 22: live allows, declared blocks, model forbids`. */
export function reachabilityText(r: DriftReachability): string {
  const end = (id: string, sample: string) => (sample && sample !== '-' ? `${id} (${sample})` : id);
  const yes = (b: boolean, y: string, n: string) => (b ? y : n);
  return `${end(r.from, r.sampleAddresses[0])} -> ${end(r.to, r.sampleAddresses[1])} ${r.protocol} ${r.ports}: `
    + `live ${yes(r.liveAllows, 'allows', 'blocks')}, declared ${yes(r.declaredAllows, 'allow', 'block')}, model ${yes(r.modelAllows, 'allows', 'forbids')}`;
}

// ---- JSON -------------------------------------------------------------------------------------

function toJson(o: AuditResult, options: RenderOptions): unknown {
  return {
    tool: 'microseg', version: options.version ?? '0.0.0',
    segmentation: o.segmentation, cloud: o.cloud, manifest: o.manifestFile,
    complete: o.complete, exitCode: o.exitCode, verdict: verdict(o),
    summary: {
      findings: o.findings.length, accepted: o.accepted.length,
      bySeverity: Object.fromEntries(Object.values(DriftSeverity).map(s => [s, o.findings.filter(f => f.severity === s).length])),
      byKind: Object.fromEntries(Object.values(DriftKind).map(k => [k, o.findings.filter(f => f.kind === k).length])),
      expectedRules: o.expectedRules, liveRules: o.liveRules, packetsEvaluated: o.packetsEvaluated, requests: o.requests, pages: o.pages, durationMs: o.durationMs,
    },
    errors: o.errors, notes: o.notes,
    findings: o.findings,
    accepted: o.accepted.map(a => ({ ...a.finding, acceptedBecause: a.reason, acceptedUntil: a.expires, acceptedBy: a.selector })),
    expiredAcceptances: o.expiredAcceptances, unusedAcceptances: o.unusedAcceptances,
    containers: o.containers,
  };
}

// ---- SARIF ------------------------------------------------------------------------------------

const SARIF_RULES: Record<DriftKind, { id: string; name: string; short: string; full: string; level: sarif.ReportingConfiguration.level; security: string }> = {
  unexpected: { id: 'microseg/unexpected-rule', name: 'UnexpectedRule', short: 'A live rule is not declared in the segmentation model.', full: 'A rule exists in the cloud that the model does not declare: it may allow traffic the segmentation forbids. Remove it, or declare the flow.', level: 'error', security: '8.0' },
  missing: { id: 'microseg/missing-rule', name: 'MissingRule', short: 'A declared rule is not live.', full: 'A rule the model declares is missing in the cloud: declared traffic may be blocked, or a guardrail (deny) is gone. Re-deploy the segmentation.', level: 'warning', security: '5.0' },
  modified: { id: 'microseg/modified-rule', name: 'ModifiedRule', short: 'A declared rule is live with other ports, action or priority.', full: 'A rule was changed in the cloud (ports, protocol, action or priority) and no longer matches the model. Re-deploy, or change the model.', level: 'error', security: '6.5' },
  opened: { id: 'microseg/opened-path', name: 'OpenedPath', short: 'The live rules let through packets the declared rules block.', full: 'Semantic drift: a source reaches a destination on a protocol and ports through the live rules, but not through the declared ones; when the model forbids it, the segmentation is broken. Find the live rule that opens it (the rule findings of the same container), remove it or declare the flow.', level: 'error', security: '9.0' },
  blocked: { id: 'microseg/blocked-path', name: 'BlockedPath', short: 'The live rules block packets the declared rules allow.', full: 'Semantic drift: a declared flow (or part of it) no longer passes the live rules: an outage of that flow. Re-deploy the segmentation.', level: 'warning', security: '5.0' },
  unmanaged: { id: 'microseg/unmanaged-attachment', name: 'UnmanagedAttachment', short: 'A group microseg did not create is attached to a segmented workload.', full: 'A security group / NSG / ASG that is not part of the model is attached to a segmented workload: its rules bypass the segmentation. Detach it, or model its flows.', level: 'error', security: '7.5' },
  invariant: { id: 'microseg/invariant-broken', name: 'InvariantBroken', short: 'The live rules break an invariant of the segmentation model.', full: 'An Isolation, NeverReach or MustReach of the model does not hold on the live rules: a path it forbids is open (hop by hop in the message), or traffic it requires is blocked. Re-deploy the segmentation, or remove the rules that open the path.', level: 'error', security: '9.5' },
};

const LEVEL: Record<DriftSeverity, sarif.Result.level> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };
const SECURITY_SEVERITY: Record<DriftSeverity, string> = { critical: '9.5', high: '7.5', medium: '5.0', low: '2.0' };

function toSarif(o: AuditResult, options: RenderOptions): sarif.Log {
  const kinds = Object.keys(SARIF_RULES) as DriftKind[];
  const base = options.baseDir ?? process.cwd();
  const uri = path.relative(base, path.resolve(o.manifestFile)).split(path.sep).join('/');
  let lines = new Map<string, number>();
  try { lines = jsonLineIndex(fs.readFileSync(o.manifestFile, 'utf8')); } catch { /* no line numbers */ }
  const result = (f: DriftFinding, accepted?: { reason: string; expires: string }): sarif.Result => ({
    ruleId: SARIF_RULES[f.kind].id,
    ruleIndex: kinds.indexOf(f.kind),
    level: LEVEL[f.severity],
    message: { text: `[${f.severity}] ${f.message}` },
    locations: [{
      physicalLocation: { artifactLocation: { uri, uriBaseId: '%SRCROOT%' }, region: { startLine: lines.get(f.manifestEntry) ?? lines.get(`clouds.${o.cloud}`) ?? 1 } },
      logicalLocations: f.constructPath.split(', ').map(p => ({ fullyQualifiedName: p, kind: 'resource' })),
      message: { text: `manifest entry ${f.manifestEntry}` },
    }],
    partialFingerprints: { 'microsegFinding/v1': f.fingerprint },
    properties: {
      severity: f.severity, 'security-severity': SECURITY_SEVERITY[f.severity], kind: f.kind, cloud: f.cloud, container: f.container, key: f.key,
      ...(f.expected ? { expected: f.expected } : {}), ...(f.live ? { live: f.live } : {}), ...(f.unmanaged ? { unmanaged: f.unmanaged } : {}),
      ...(f.reachability ? { reachability: f.reachability } : {}),
    },
    ...(accepted ? { suppressions: [{ kind: 'external', status: 'accepted', justification: `${accepted.reason} (until ${accepted.expires})` }] } : {}),
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'microseg', semanticVersion: options.version ?? '0.0.0', informationUri: 'https://github.com/microseg/microseg',
          rules: kinds.map(k => ({
            id: SARIF_RULES[k].id, name: SARIF_RULES[k].name,
            shortDescription: { text: SARIF_RULES[k].short }, fullDescription: { text: SARIF_RULES[k].full },
            help: { text: SARIF_RULES[k].full },
            defaultConfiguration: { level: SARIF_RULES[k].level },
            properties: { tags: ['security', 'network', 'drift'], 'security-severity': SARIF_RULES[k].security },
          })),
        },
      },
      automationDetails: { id: `microseg-audit/${o.segmentation}/${o.cloud}/` },
      invocations: [{
        executionSuccessful: o.complete,
        exitCode: o.exitCode,
        toolExecutionNotifications: [
          ...o.errors.map(e => ({ level: 'error' as const, message: { text: e } })),
          ...o.expiredAcceptances.map(a => ({ level: 'warning' as const, message: { text: `acceptance "${a.selector}" (${a.source}) expired on ${a.expires}: it no longer applies.` } })),
        ],
      }],
      results: [...o.findings.map(f => result(f)), ...o.accepted.map(a => result(a.finding, a))],
    }],
  };
}

// ---- JUnit ------------------------------------------------------------------------------------

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function toJunit(o: AuditResult): string {
  const containers = [...new Set([...o.containers.map(c => c.container), ...o.findings.map(f => f.container), ...o.accepted.map(a => a.finding.container)])].sort();
  const cases: string[] = [];
  const cls = `microseg.${o.segmentation}.${o.cloud}`;
  if (!o.complete) {
    cases.push(`    <testcase classname="${xml(cls)}" name="read live rules"><error message="audit incomplete" type="AuditIncomplete">${xml(o.errors.join('\n'))}</error></testcase>`);
  } else {
    cases.push(`    <testcase classname="${xml(cls)}" name="read live rules"/>`);
  }
  for (const c of containers) {
    const fs_ = o.findings.filter(f => f.container === c);
    if (fs_.length === 0) { cases.push(`    <testcase classname="${xml(cls)}" name="${xml(c)}"/>`); continue; }
    const body = fs_.map(f => `[${f.severity}] ${f.kind} ${f.fingerprint}: ${f.message} (at ${f.constructPath})`).join('\n');
    cases.push(`    <testcase classname="${xml(cls)}" name="${xml(c)}"><failure message="${xml(`${fs_.length} drift finding(s)`)}" type="Drift">${xml(body)}</failure></testcase>`);
  }
  for (const a of o.accepted) {
    cases.push(`    <testcase classname="${xml(cls)}.accepted" name="${xml(`${a.finding.kind} ${a.finding.fingerprint}`)}"><skipped message="${xml(`accepted until ${a.expires}: ${a.reason}`)}"/></testcase>`);
  }
  const failures = containers.filter(c => o.findings.some(f => f.container === c)).length;
  const errors = o.complete ? 0 : 1;
  const tests = cases.length;
  const time = (o.durationMs / 1000).toFixed(3);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="microseg audit" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${o.accepted.length}" time="${time}">
  <testsuite name="${xml(`microseg audit ${o.segmentation} (${o.cloud})`)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${o.accepted.length}" time="${time}">
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}

// ---- Markdown ---------------------------------------------------------------------------------

function md(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, '<br>');
}

const SEVERITY_BADGE: Record<DriftSeverity, string> = { critical: '🟥 critical', high: '🟧 high', medium: '🟨 medium', low: '⬜ low' };

function toMarkdown(o: AuditResult, options: RenderOptions): string {
  const limit = options.markdownLimit ?? 100;
  const head = !o.complete ? '⛔ **Audit incomplete**' : o.findings.length ? '❌ **Drift found**' : '✅ **No drift**';
  const out: string[] = [];
  out.push(`### microseg audit: \`${o.segmentation}\` on ${o.cloud}`, '', `${head}: ${verdict(o)}`, '');
  if (o.errors.length) out.push('**Read errors** (drift cannot be ruled out):', '', ...o.errors.map(e => `- ${md(e)}`), '');
  if (o.findings.length) {
    out.push('| Severity | Kind | Container | Rule | Location | Id |', '|---|---|---|---|---|---|');
    for (const f of o.findings.slice(0, limit)) {
      out.push(`| ${SEVERITY_BADGE[f.severity]} | ${f.kind} | \`${md(f.container)}\` | ${md(findingRule(f))} | \`${md(f.constructPath)}\` | \`${f.fingerprint}\` |`);
    }
    if (o.findings.length > limit) out.push('', `… and ${o.findings.length - limit} more (see the JSON or SARIF report).`);
    out.push('');
  }
  if (o.accepted.length) {
    out.push(`<details><summary>${o.accepted.length} accepted finding(s)</summary>`, '', '| Kind | Rule | Until | Reason |', '|---|---|---|---|');
    for (const a of o.accepted) out.push(`| ${a.finding.kind} | ${md(findingRule(a.finding))} | ${a.expires} | ${md(a.reason)} |`);
    out.push('', '</details>', '');
  }
  if (o.expiredAcceptances.length) out.push('**Expired acceptances** (no longer applied):', '', ...o.expiredAcceptances.map(a => `- \`${md(a.selector)}\` expired ${a.expires} (${md(a.source)}): ${md(a.reason)}`), '');
  out.push(`<sub>${o.liveRules} live / ${o.expectedRules} declared rules, ${o.packetsEvaluated} packet(s) evaluated, ${o.requests} API request(s), ${(o.durationMs / 1000).toFixed(1)} s. Accept known drift with a \`.microsegignore\` line: \`<id> ; <YYYY-MM-DD> ; <reason>\`.</sub>`, '');
  return out.join('\n');
}

// ---- table ------------------------------------------------------------------------------------

function toTable(o: AuditResult, options: RenderOptions): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pc = (require('picocolors') as typeof import('picocolors')).createColors(options.color ?? false);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Table = require('cli-table3') as typeof import('cli-table3');
  const sev: Record<DriftSeverity, (s: string) => string> = { critical: s => pc.bold(pc.red(s)), high: pc.red, medium: pc.yellow, low: pc.dim };
  const lines: string[] = [];
  lines.push(pc.bold(`microseg audit: ${o.segmentation} on ${o.cloud}`) + pc.dim(` (${o.manifestFile})`));
  for (const e of o.errors) lines.push(pc.red(`error: ${e}`));
  if (o.findings.length) {
    const table = new Table({ head: ['Severity', 'Kind', 'Container', 'Rule', 'Location', 'Id'], style: { head: options.color ? ['cyan'] : [], border: options.color ? ['grey'] : [] }, wordWrap: true, colWidths: [10, 12, 18, 58, 40, 18] });
    for (const f of o.findings) table.push([sev[f.severity](f.severity), f.kind, f.container, findingRule(f), f.constructPath, f.fingerprint]);
    lines.push(table.toString());
  }
  if (o.accepted.length) {
    lines.push(pc.dim(`${o.accepted.length} accepted finding(s):`));
    for (const a of o.accepted) lines.push(pc.dim(`  ${a.finding.fingerprint} ${a.finding.kind}: ${findingRule(a.finding).replace(/\n/g, ' / ')} (until ${a.expires}: ${a.reason})`));
  }
  for (const a of o.expiredAcceptances) lines.push(pc.yellow(`expired acceptance: "${a.selector}" (${a.source}) expired on ${a.expires}; it no longer applies.`));
  for (const a of o.unusedAcceptances) lines.push(pc.dim(`unused acceptance: "${a.selector}" (${a.source}) matched no finding.`));
  for (const n of o.notes) lines.push(pc.dim(`note: ${n}`));
  const v = verdict(o);
  lines.push(!o.complete ? pc.bold(pc.red(v)) : o.findings.length ? pc.bold(pc.red(v)) : pc.bold(pc.green(v)));
  return lines.join('\n') + '\n';
}

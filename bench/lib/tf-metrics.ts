/**
 * Figures of synthesized Terraform JSON (cdktf `cdk.tf.json` or plain `*.tf.json`), computed
 * from the files on disk and judged against `AZURE_LIMITS` / `GCP_LIMITS`:
 * Azure: rules per NSG (separate `azurerm_network_security_rule` resources plus inline
 * `security_rule` blocks), priorities (range, uniqueness per direction), ASGs referenced per NSG
 * and per rule side, prefixes per rule side; GCP: firewall rules in total, per direction and
 * action, names (length, RFC 1035, uniqueness), tags and service accounts per rule, priorities.
 */
import { readFileSync, statSync } from 'node:fs';
import { limit, Limit } from './aws-metrics';
import { AZURE_LIMITS, GCP_LIMITS } from './limits';

type Json = any;

export interface AzureFigures {
  readonly nsgs: number;
  readonly asgs: number;
  readonly rules: number;
  readonly allowRules: number;
  readonly denyRules: number;
  readonly rulesPerNsgMax: Limit;
  readonly asgsPerNsgMax: Limit;
  readonly asgsPerRuleSideMax: Limit;
  readonly prefixesPerRuleSideMax: Limit;
  /** Rules whose priority is outside 100-4096. */
  readonly prioritiesOutOfRange: number;
  /** Rules sharing a priority with another rule of the same NSG and direction. */
  readonly duplicatePriorities: number;
}

export interface GcpFigures {
  readonly firewallRules: number;
  readonly ingress: number;
  readonly egress: number;
  readonly allow: number;
  readonly deny: number;
  readonly sourceTagsPerRuleMax: Limit;
  readonly targetTagsPerRuleMax: Limit;
  readonly serviceAccountsPerRuleMax: Limit;
  readonly nameLengthMax: Limit;
  readonly invalidNames: number;
  readonly duplicateNames: number;
  readonly prioritiesOutOfRange: number;
}

export interface TfMetrics {
  readonly files: number;
  readonly bytesMax: number;
  readonly bytesTotal: number;
  readonly resourcesTotal: number;
  readonly resourceTypes: Record<string, number>;
  readonly azure?: AzureFigures;
  readonly gcp?: GcpFigures;
  readonly broken: string[];
  readonly withinLimits: boolean;
}

const arr = (x: Json): Json[] => (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]);

export function analyzeTerraform(files: string[]): TfMetrics {
  const resources: { type: string; name: string; body: Json }[] = [];
  const sizes: number[] = [];
  for (const f of files) {
    sizes.push(statSync(f).size);
    const doc = JSON.parse(readFileSync(f, 'utf8'));
    for (const [type, byName] of Object.entries<Json>(doc.resource ?? {})) {
      for (const [name, body] of Object.entries<Json>(byName)) resources.push({ type, name, body });
    }
  }
  const resourceTypes: Record<string, number> = {};
  for (const r of resources) resourceTypes[r.type] = (resourceTypes[r.type] ?? 0) + 1;
  const broken: string[] = [];
  const azure = resources.some(r => r.type.startsWith('azurerm_')) ? analyzeAzure(resources, broken) : undefined;
  const gcp = resources.some(r => r.type.startsWith('google_')) ? analyzeGcp(resources, broken) : undefined;
  return {
    files: files.length,
    bytesMax: Math.max(0, ...sizes),
    bytesTotal: sizes.reduce((s, x) => s + x, 0),
    resourcesTotal: resources.length,
    resourceTypes,
    ...(azure ? { azure } : {}),
    ...(gcp ? { gcp } : {}),
    broken,
    withinLimits: broken.length === 0,
  };
}

function analyzeAzure(resources: { type: string; name: string; body: Json }[], broken: string[]): AzureFigures {
  const nsgByName = new Map<string, string>();
  for (const r of resources.filter(x => x.type === 'azurerm_network_security_group')) {
    if (typeof r.body.name === 'string') nsgByName.set(r.body.name, r.name);
  }
  const nsgKey = (v: Json): string => {
    const s = String(v);
    const m = /^\$\{azurerm_network_security_group\.([^.}]+)\.name\}$/.exec(s);
    if (m) return m[1];
    return nsgByName.get(s) ?? `name:${s}`;
  };
  interface R { nsg: string; direction: string; priority: number; access: string; srcAsgs: string[]; dstAsgs: string[]; srcPrefixes: number; dstPrefixes: number }
  const rules: R[] = [];
  const fromBody = (nsg: string, b: Json): R => ({
    nsg,
    direction: String(b.direction),
    priority: Number(b.priority),
    access: String(b.access),
    srcAsgs: arr(b.source_application_security_group_ids).map(String),
    dstAsgs: arr(b.destination_application_security_group_ids).map(String),
    srcPrefixes: arr(b.source_address_prefixes).length + (b.source_address_prefix ? 1 : 0),
    dstPrefixes: arr(b.destination_address_prefixes).length + (b.destination_address_prefix ? 1 : 0),
  });
  for (const r of resources) {
    if (r.type === 'azurerm_network_security_rule') rules.push(fromBody(nsgKey(r.body.network_security_group_name), r.body));
    if (r.type === 'azurerm_network_security_group') for (const b of arr(r.body.security_rule)) rules.push(fromBody(r.name, b));
  }
  const perNsg = new Map<string, number>();
  const asgsPerNsg = new Map<string, Set<string>>();
  const prio = new Map<string, number>();
  let outOfRange = 0;
  let asgSideMax = 0;
  let prefixSideMax = 0;
  for (const r of rules) {
    perNsg.set(r.nsg, (perNsg.get(r.nsg) ?? 0) + 1);
    const s = asgsPerNsg.get(r.nsg) ?? new Set<string>();
    for (const a of [...r.srcAsgs, ...r.dstAsgs]) s.add(a);
    asgsPerNsg.set(r.nsg, s);
    const k = `${r.nsg}|${r.direction}|${r.priority}`;
    prio.set(k, (prio.get(k) ?? 0) + 1);
    if (!(r.priority >= AZURE_LIMITS.priorityMin && r.priority <= AZURE_LIMITS.priorityMax)) outOfRange++;
    asgSideMax = Math.max(asgSideMax, r.srcAsgs.length, r.dstAsgs.length);
    prefixSideMax = Math.max(prefixSideMax, r.srcPrefixes, r.dstPrefixes);
  }
  const dupPrio = [...prio.values()].filter(v => v > 1).reduce((s, v) => s + v, 0);
  const counts = [...perNsg.values()];
  const asgCounts = [...asgsPerNsg.values()].map(s => s.size);
  const f: AzureFigures = {
    nsgs: resources.filter(r => r.type === 'azurerm_network_security_group').length,
    asgs: resources.filter(r => r.type === 'azurerm_application_security_group').length,
    rules: rules.length,
    allowRules: rules.filter(r => r.access === 'Allow').length,
    denyRules: rules.filter(r => r.access === 'Deny').length,
    rulesPerNsgMax: limit(Math.max(0, ...counts), AZURE_LIMITS.rulesPerNsg, counts.filter(c => c > AZURE_LIMITS.rulesPerNsg).length),
    asgsPerNsgMax: limit(Math.max(0, ...asgCounts), AZURE_LIMITS.asgsPerNsg, asgCounts.filter(c => c > AZURE_LIMITS.asgsPerNsg).length),
    asgsPerRuleSideMax: limit(asgSideMax, AZURE_LIMITS.asgsPerRuleSide),
    prefixesPerRuleSideMax: limit(prefixSideMax, AZURE_LIMITS.prefixesPerRuleSide),
    prioritiesOutOfRange: outOfRange,
    duplicatePriorities: dupPrio,
  };
  for (const k of ['rulesPerNsgMax', 'asgsPerNsgMax', 'asgsPerRuleSideMax', 'prefixesPerRuleSideMax'] as const) if (!f[k].ok) broken.push(`azure.${k}`);
  if (outOfRange > 0) broken.push('azure.prioritiesOutOfRange');
  if (dupPrio > 0) broken.push('azure.duplicatePriorities');
  return f;
}

function analyzeGcp(resources: { type: string; name: string; body: Json }[], broken: string[]): GcpFigures {
  const fws = resources.filter(r => r.type === 'google_compute_firewall').map(r => r.body);
  const names = new Map<string, number>();
  let invalid = 0;
  let outOfRange = 0;
  let srcTags = 0, tgtTags = 0, sas = 0, nameLen = 0;
  for (const b of fws) {
    const name = String(b.name);
    names.set(name, (names.get(name) ?? 0) + 1);
    if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > GCP_LIMITS.nameLength) invalid++;
    nameLen = Math.max(nameLen, name.length);
    const p = b.priority === undefined ? 1000 : Number(b.priority);
    if (!(p >= GCP_LIMITS.priorityMin && p <= GCP_LIMITS.priorityMax)) outOfRange++;
    srcTags = Math.max(srcTags, arr(b.source_tags).length);
    tgtTags = Math.max(tgtTags, arr(b.target_tags).length);
    sas = Math.max(sas, arr(b.source_service_accounts).length, arr(b.target_service_accounts).length);
  }
  const dup = [...names.values()].filter(v => v > 1).reduce((s, v) => s + v, 0);
  const f: GcpFigures = {
    firewallRules: fws.length,
    ingress: fws.filter(b => (b.direction ?? 'INGRESS') === 'INGRESS').length,
    egress: fws.filter(b => b.direction === 'EGRESS').length,
    allow: fws.filter(b => arr(b.allow).length > 0).length,
    deny: fws.filter(b => arr(b.deny).length > 0).length,
    sourceTagsPerRuleMax: limit(srcTags, GCP_LIMITS.sourceTagsPerRule),
    targetTagsPerRuleMax: limit(tgtTags, GCP_LIMITS.targetTagsPerRule),
    serviceAccountsPerRuleMax: limit(sas, GCP_LIMITS.serviceAccountsPerRule),
    nameLengthMax: limit(nameLen, GCP_LIMITS.nameLength),
    invalidNames: invalid,
    duplicateNames: dup,
    prioritiesOutOfRange: outOfRange,
  };
  for (const k of ['sourceTagsPerRuleMax', 'targetTagsPerRuleMax', 'serviceAccountsPerRuleMax', 'nameLengthMax'] as const) if (!f[k].ok) broken.push(`gcp.${k}`);
  if (invalid > 0) broken.push('gcp.invalidNames');
  if (dup > 0) broken.push('gcp.duplicateNames');
  if (outOfRange > 0) broken.push('gcp.prioritiesOutOfRange');
  return f;
}

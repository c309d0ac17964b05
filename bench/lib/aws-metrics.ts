/**
 * Figures of a synthesized CDK cloud assembly, computed from the real templates on disk:
 * stacks (nested included), resources / parameters / outputs / bytes per template, security
 * group rules per group per direction and address family (inline entries plus separate
 * `AWS::EC2::SecurityGroupIngress/Egress` resources, following `Ref`s to nested-stack
 * parameters, nested-stack outputs and exports back to the group they name), duplicate rules,
 * network ACL entries, and resource dependency cycles inside each template, each judged against
 * `AWS_LIMITS`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_LIMITS } from './limits';

type Json = any;

interface TemplateInfo {
  readonly file: string;
  readonly artifact?: string;
  readonly nested: boolean;
  readonly template: Json;
  readonly bytes: number;
  /** Parent template file and the logical id of the AWS::CloudFormation::Stack resource. */
  parent?: { file: string; logicalId: string };
  /** Logical id of a nested stack resource in this template -> the nested template file. */
  readonly children: Map<string, string>;
}

export interface Limit {
  readonly value: number;
  readonly limit: number;
  readonly ok: boolean;
  /** value / limit (how far over, when not ok). */
  readonly factor: number;
  /** How many items (stacks, groups) break this limit. */
  readonly over?: number;
}

export interface AwsMetrics {
  readonly stacks: number;
  readonly nestedStacks: number;
  readonly resourcesTotal: number;
  readonly resourcesPerStackMax: Limit;
  readonly parametersPerStackMax: Limit;
  readonly outputsPerStackMax: Limit;
  readonly templateBytesMax: Limit;
  readonly templateBytesTotal: number;
  readonly securityGroups: number;
  readonly sgRules: number;
  readonly sgRuleResources: number;
  readonly inlineSgRules: number;
  readonly ingressIpv4PerSgMax: Limit;
  readonly ingressIpv6PerSgMax: Limit;
  readonly egressIpv4PerSgMax: Limit;
  readonly egressIpv6PerSgMax: Limit;
  readonly duplicateRules: number;
  readonly unresolvedGroupRefs: number;
  readonly naclEntriesPerDirectionMax?: Limit;
  readonly templatesWithCycles: number;
  readonly cycleExample?: string[];
  readonly resourceTypes: Record<string, number>;
  /** Findings of CDK's built-in CloudFormation validation (validation-report.json), by rule. */
  readonly cfnValidate?: Record<string, { count: number; severity: string; example: string }>;
  readonly limitBytesNote: string;
  /** Every limit held (and no duplicates, no cycles). */
  readonly withinLimits: boolean;
  readonly broken: string[];
}

export function limit(value: number, lim: number, over?: number): Limit {
  return { value, limit: lim, ok: value <= lim, factor: Math.round((value / lim) * 100) / 100, ...(over !== undefined ? { over } : {}) };
}

/** Reads every template of the assembly in `outdir` and links nested stacks to their parents. */
export function loadAssembly(outdir: string): TemplateInfo[] {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  const infos = new Map<string, TemplateInfo>();
  const read = (file: string, nested: boolean, artifact?: string): TemplateInfo => {
    const path = join(outdir, file);
    const text = readFileSync(path, 'utf8');
    const info: TemplateInfo = { file, artifact, nested, template: JSON.parse(text), bytes: statSync(path).size, children: new Map() };
    infos.set(file, info);
    return info;
  };
  // Asset hash -> file, for nested templates referenced through TemplateURL.
  const assetPaths = new Map<string, string>();
  for (const f of readdirSync(outdir).filter(n => n.endsWith('.assets.json'))) {
    const assets = JSON.parse(readFileSync(join(outdir, f), 'utf8'));
    for (const [hash, a] of Object.entries<Json>(assets.files ?? {})) {
      if (a?.source?.path) assetPaths.set(hash, a.source.path);
    }
  }
  const queue: TemplateInfo[] = [];
  for (const [id, art] of Object.entries<Json>(manifest.artifacts ?? {})) {
    if (art.type === 'aws:cloudformation:stack') queue.push(read(art.properties.templateFile, false, id));
  }
  while (queue.length > 0) {
    const info = queue.shift()!;
    for (const [lid, r] of Object.entries<Json>(info.template.Resources ?? {})) {
      if (r?.Type !== 'AWS::CloudFormation::Stack') continue;
      let file: string | undefined = r.Metadata?.['aws:asset:path'];
      if (!file) {
        const m = /([0-9a-f]{64})\.json/.exec(JSON.stringify(r.Properties?.TemplateURL ?? ''));
        if (m) file = assetPaths.get(m[1]);
      }
      if (!file) continue;
      info.children.set(lid, file);
      const child = infos.get(file) ?? read(file, true);
      child.parent = { file: info.file, logicalId: lid };
      queue.push(child);
    }
  }
  return [...infos.values()];
}

type Family = 'ipv4' | 'ipv6' | 'ref';

interface Rule { sg: string; direction: 'ingress' | 'egress'; family: Family; key: string }

/** Analyses the assembly in `outdir`. */
export function analyzeAssembly(outdir: string): AwsMetrics {
  const infos = loadAssembly(outdir);
  const byFile = new Map(infos.map(i => [i.file, i]));
  const exportsByName = new Map<string, { file: string; value: Json }>();
  for (const i of infos) {
    for (const o of Object.values<Json>(i.template.Outputs ?? {})) {
      const name = o?.Export?.Name;
      if (typeof name === 'string') exportsByName.set(name, { file: i.file, value: o.Value });
    }
  }

  /** Resolves an expression that names a resource (SG, NACL) to `<file>#<logicalId>`. */
  const resolve = (file: string, expr: Json, depth = 0): string => {
    if (depth > 20) return 'unresolved:depth';
    const info = byFile.get(file)!;
    const res = info.template.Resources ?? {};
    if (typeof expr === 'string') return `external:${expr}`;
    if (expr && typeof expr === 'object') {
      if ('Ref' in expr) {
        const name = expr.Ref;
        if (res[name]) return `${file}#${name}`;
        if (info.template.Parameters?.[name] && info.parent) {
          const parent = byFile.get(info.parent.file)!;
          const passed = parent.template.Resources?.[info.parent.logicalId]?.Properties?.Parameters?.[name];
          if (passed !== undefined) return resolve(parent.file, passed, depth + 1);
        }
        return `unresolved:Ref:${name}`;
      }
      if ('Fn::GetAtt' in expr) {
        const ga = expr['Fn::GetAtt'];
        const [lid, attr] = Array.isArray(ga) ? ga : String(ga).split(/\.(.*)/s);
        if (typeof attr === 'string' && attr.startsWith('Outputs.') && info.children.has(lid)) {
          const child = byFile.get(info.children.get(lid)!)!;
          const out = child.template.Outputs?.[attr.slice('Outputs.'.length)];
          if (out) return resolve(child.file, out.Value, depth + 1);
          return `unresolved:Output:${attr}`;
        }
        if (res[lid]) return `${file}#${lid}`;
        return `unresolved:GetAtt:${lid}`;
      }
      if ('Fn::ImportValue' in expr) {
        const name = expr['Fn::ImportValue'];
        const exp = typeof name === 'string' ? exportsByName.get(name) : undefined;
        if (exp) return resolve(exp.file, exp.value, depth + 1);
        return `unresolved:Import:${JSON.stringify(name)}`;
      }
      if ('Fn::Select' in expr) {
        const [index, listExpr] = expr['Fn::Select'];
        const items = resolveList(file, listExpr, depth + 1);
        const item = items?.[Number(index)];
        if (item) return resolve(item.file, item.expr, depth + 1);
        return `unresolved:Select:${JSON.stringify(expr).slice(0, 80)}`;
      }
    }
    return `unresolved:${JSON.stringify(expr).slice(0, 80)}`;
  };

  /**
   * Resolves a list-valued expression (a CommaDelimitedList parameter, a nested-stack output or
   * export holding `Fn::Join [',', [...]]`, `Fn::Split`, a literal array) to its items, each with
   * the template it must be resolved in.
   */
  const resolveList = (file: string, expr: Json, depth: number): { file: string; expr: Json }[] | undefined => {
    if (depth > 20) return undefined;
    const info = byFile.get(file)!;
    if (Array.isArray(expr)) return expr.map(e => ({ file, expr: e }));
    if (typeof expr === 'string') return expr.split(',').map(e => ({ file, expr: e }));
    if (!expr || typeof expr !== 'object') return undefined;
    if ('Fn::Join' in expr) {
      const [sep, parts] = expr['Fn::Join'];
      if (sep !== ',' || !Array.isArray(parts)) return undefined;
      return parts.flatMap((e: Json) => resolveList(file, e, depth + 1) ?? [{ file, expr: e }]).filter(x => x.expr !== '');
    }
    if ('Fn::Split' in expr) {
      const [sep, inner] = expr['Fn::Split'];
      return sep === ',' ? resolveList(file, inner, depth + 1) : undefined;
    }
    if ('Ref' in expr) {
      const name = expr.Ref;
      if (info.template.Parameters?.[name] && info.parent) {
        const parent = byFile.get(info.parent.file)!;
        const passed = parent.template.Resources?.[info.parent.logicalId]?.Properties?.Parameters?.[name];
        if (passed !== undefined) return resolveList(parent.file, passed, depth + 1);
      }
      return undefined;
    }
    if ('Fn::GetAtt' in expr) {
      const ga = expr['Fn::GetAtt'];
      const [lid, attr] = Array.isArray(ga) ? ga : String(ga).split(/\.(.*)/s);
      if (typeof attr === 'string' && attr.startsWith('Outputs.') && info.children.has(lid)) {
        const child = byFile.get(info.children.get(lid)!)!;
        const out = child.template.Outputs?.[attr.slice('Outputs.'.length)];
        if (out) return resolveList(child.file, out.Value, depth + 1);
      }
      return undefined;
    }
    if ('Fn::ImportValue' in expr) {
      const name = expr['Fn::ImportValue'];
      const exp = typeof name === 'string' ? exportsByName.get(name) : undefined;
      return exp ? resolveList(exp.file, exp.value, depth + 1) : undefined;
    }
    return undefined;
  };

  const rules: Rule[] = [];
  const sgs = new Set<string>();
  const resourceTypes: Record<string, number> = {};
  const nacl: { acl: string; egress: boolean }[] = [];
  let sgRuleResources = 0;
  let inlineSgRules = 0;
  let unresolved = 0;
  const peerOf = (file: string, p: Json, direction: 'ingress' | 'egress'): { family: Family; peer: string } => {
    if (p.CidrIp !== undefined) return { family: 'ipv4', peer: `cidr:${p.CidrIp}` };
    if (p.CidrIpv6 !== undefined) return { family: 'ipv6', peer: `cidr:${p.CidrIpv6}` };
    const ref = direction === 'ingress' ? (p.SourceSecurityGroupId ?? p.SourcePrefixListId) : (p.DestinationSecurityGroupId ?? p.DestinationPrefixListId);
    if (ref !== undefined) {
      const r = resolve(file, ref);
      if (r.startsWith('unresolved:')) unresolved++;
      return { family: 'ref', peer: `ref:${r}` };
    }
    if (p.SourceSecurityGroupName !== undefined) return { family: 'ref', peer: `name:${p.SourceSecurityGroupName}` };
    return { family: 'ipv4', peer: 'unknown' };
  };
  const ruleKey = (p: Json, peer: string) => `${p.IpProtocol}|${p.FromPort}|${p.ToPort}|${peer}`;

  for (const info of infos) {
    for (const [lid, r] of Object.entries<Json>(info.template.Resources ?? {})) {
      resourceTypes[r.Type] = (resourceTypes[r.Type] ?? 0) + 1;
      const props = r.Properties ?? {};
      switch (r.Type) {
        case 'AWS::EC2::SecurityGroup': {
          const sg = `${info.file}#${lid}`;
          sgs.add(sg);
          for (const [list, direction] of [[props.SecurityGroupIngress, 'ingress'], [props.SecurityGroupEgress, 'egress']] as const) {
            for (const p of (Array.isArray(list) ? list : [])) {
              const { family, peer } = peerOf(info.file, p, direction);
              rules.push({ sg, direction, family, key: ruleKey(p, peer) });
              inlineSgRules++;
            }
          }
          break;
        }
        case 'AWS::EC2::SecurityGroupIngress':
        case 'AWS::EC2::SecurityGroupEgress': {
          const direction = r.Type.endsWith('Ingress') ? 'ingress' : 'egress';
          const sg = resolve(info.file, props.GroupId);
          if (sg.startsWith('unresolved:')) unresolved++;
          const { family, peer } = peerOf(info.file, props, direction);
          rules.push({ sg, direction, family, key: ruleKey(props, peer) });
          sgRuleResources++;
          break;
        }
        case 'AWS::EC2::NetworkAclEntry':
          nacl.push({ acl: resolve(info.file, props.NetworkAclId), egress: props.Egress === true || props.Egress === 'true' });
          break;
      }
    }
  }

  // Rules per group per direction per family (a group reference counts for IPv4 and IPv6).
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  let duplicateRules = 0;
  for (const r of rules) {
    const dupKey = `${r.sg}|${r.direction}|${r.key}`;
    if (seen.has(dupKey)) duplicateRules++;
    seen.add(dupKey);
    const fams = r.family === 'ref' ? ['ipv4', 'ipv6'] : [r.family];
    for (const f of fams) counts.set(`${r.direction}|${f}|${r.sg}`, (counts.get(`${r.direction}|${f}|${r.sg}`) ?? 0) + 1);
  }
  const perSg = (direction: string, family: string): Limit => {
    let max = 0;
    let over = 0;
    for (const [k, v] of counts) {
      if (!k.startsWith(`${direction}|${family}|`)) continue;
      max = Math.max(max, v);
      if (v > AWS_LIMITS.rulesPerSgPerDirection) over++;
    }
    return limit(max, AWS_LIMITS.rulesPerSgPerDirection, over);
  };

  const perStack = (f: (i: TemplateInfo) => number, lim: number): Limit => {
    const values = infos.map(f);
    return limit(Math.max(0, ...values), lim, values.filter(v => v > lim).length);
  };

  let naclMax: Limit | undefined;
  if (nacl.length > 0) {
    const c = new Map<string, number>();
    for (const e of nacl) c.set(`${e.acl}|${e.egress}`, (c.get(`${e.acl}|${e.egress}`) ?? 0) + 1);
    const vals = [...c.values()];
    naclMax = limit(Math.max(...vals), AWS_LIMITS.naclEntriesPerDirection, vals.filter(v => v > AWS_LIMITS.naclEntriesPerDirection).length);
  }

  const cycles = infos.map(i => findCycle(i.template)).filter((c): c is string[] => c !== undefined);

  const m = {
    stacks: infos.length,
    nestedStacks: infos.filter(i => i.nested).length,
    resourcesTotal: infos.reduce((s, i) => s + Object.keys(i.template.Resources ?? {}).length, 0),
    resourcesPerStackMax: perStack(i => Object.keys(i.template.Resources ?? {}).length, AWS_LIMITS.resourcesPerStack),
    parametersPerStackMax: perStack(i => Object.keys(i.template.Parameters ?? {}).length, AWS_LIMITS.parametersPerStack),
    outputsPerStackMax: perStack(i => Object.keys(i.template.Outputs ?? {}).length, AWS_LIMITS.outputsPerStack),
    templateBytesMax: perStack(i => i.bytes, AWS_LIMITS.templateBytes),
    templateBytesTotal: infos.reduce((s, i) => s + i.bytes, 0),
    securityGroups: sgs.size,
    sgRules: rules.length,
    sgRuleResources,
    inlineSgRules,
    ingressIpv4PerSgMax: perSg('ingress', 'ipv4'),
    ingressIpv6PerSgMax: perSg('ingress', 'ipv6'),
    egressIpv4PerSgMax: perSg('egress', 'ipv4'),
    egressIpv6PerSgMax: perSg('egress', 'ipv6'),
    duplicateRules,
    unresolvedGroupRefs: unresolved,
    ...(naclMax ? { naclEntriesPerDirectionMax: naclMax } : {}),
    templatesWithCycles: cycles.length,
    ...(cycles.length > 0 ? { cycleExample: cycles[0].slice(0, 12) } : {}),
    resourceTypes,
    ...readValidationReport(outdir),
    limitBytesNote: 'template size judged against 1,048,576 bytes (S3-uploaded TemplateURL), size of the file CDK wrote',
  };
  const broken: string[] = [];
  for (const [k, v] of Object.entries(m)) {
    if (v && typeof v === 'object' && 'ok' in v && !(v as Limit).ok) broken.push(k);
  }
  if (duplicateRules > 0) broken.push('duplicateRules');
  if (cycles.length > 0) broken.push('dependencyCycle');
  return { ...m, broken, withinLimits: broken.length === 0 };
}

function readValidationReport(outdir: string): { cfnValidate?: Record<string, { count: number; severity: string; example: string }> } {
  const path = join(outdir, 'validation-report.json');
  let report: Json;
  try { report = JSON.parse(readFileSync(path, 'utf8')); } catch { return {}; }
  const out: Record<string, { count: number; severity: string; example: string }> = {};
  for (const p of report.pluginReports ?? []) {
    for (const v of p.violations ?? []) {
      const e = out[v.ruleName] ??= { count: 0, severity: v.severity, example: String(v.description).slice(0, 200) };
      e.count += Math.max(1, (v.violatingConstructs ?? v.violatingResources ?? []).length);
    }
  }
  return { cfnValidate: out };
}

/** Finds a dependency cycle between resources of one template (Ref, GetAtt, Sub, DependsOn). */
export function findCycle(template: Json): string[] | undefined {
  const res = template.Resources ?? {};
  const ids = Object.keys(res);
  const idSet = new Set(ids);
  const deps = new Map<string, string[]>();
  for (const id of ids) {
    const out = new Set<string>();
    const r = res[id];
    const dependsOn = r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
    for (const d of dependsOn) if (idSet.has(d)) out.add(d);
    walkRefs(r.Properties, name => { if (idSet.has(name) && name !== id) out.add(name); });
    deps.set(id, [...out]);
  }
  // Iterative DFS with colours.
  const colour = new Map<string, 0 | 1 | 2>();
  for (const start of ids) {
    if (colour.get(start)) continue;
    const stack: { id: string; i: number }[] = [{ id: start, i: 0 }];
    colour.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const next = deps.get(top.id)!;
      if (top.i < next.length) {
        const n = next[top.i++];
        const c = colour.get(n) ?? 0;
        if (c === 1) {
          const from = stack.findIndex(s => s.id === n);
          return [...stack.slice(from).map(s => s.id), n];
        }
        if (c === 0) { colour.set(n, 1); stack.push({ id: n, i: 0 }); }
      } else {
        colour.set(top.id, 2);
        stack.pop();
      }
    }
  }
  return undefined;
}

function walkRefs(x: Json, visit: (name: string) => void): void {
  if (Array.isArray(x)) { for (const e of x) walkRefs(e, visit); return; }
  if (!x || typeof x !== 'object') return;
  for (const [k, v] of Object.entries<Json>(x)) {
    if (k === 'Ref' && typeof v === 'string') visit(v);
    else if (k === 'Fn::GetAtt') visit(Array.isArray(v) ? v[0] : String(v).split('.')[0]);
    else if (k === 'Fn::Sub') {
      const s = Array.isArray(v) ? v[0] : v;
      if (typeof s === 'string') for (const m of s.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}/g)) visit(m[1]);
      if (Array.isArray(v)) walkRefs(v[1], visit);
    } else walkRefs(v, visit);
  }
}

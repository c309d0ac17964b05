/**
 * The Azure resources of a plan (ASGs, NSGs, subnet associations, rules) and the canonical
 * rules the audit expects, from the accumulated rules and their priorities.
 */
import { CanonicalRule } from '../ir/canonical';
import { MicrosegProblem } from '../model/errors';
import { isUnresolved } from '../model/tokens';
import { throwProblems } from '../plan/problems';
import { canonicalRules, PlannedRule } from '../semantics/rules';
import { clip, shortHash, shortened } from '../plan/text';
import { TfResourceSpec, tfIdentifier, tfRef } from '../terraform/util';
import { AZURE_LIMITS, AZURE_TYPES } from './capabilities';
import { AzureContext, End, unitByKey, unitOf } from './context';
import { azureAsgName, azureAsgTfName } from './names';
import { portsOf } from './grouping';
import { RuleAcc } from './rules';

/** What the emitted resources record in the manifest. */
export interface AzureEmitted {
  readonly resources: TfResourceSpec[];
  readonly identities: Record<string, Record<string, string>>;
  readonly containers: Record<string, Record<string, string>>;
  readonly expected: CanonicalRule[];
}

/** Every resource of the plan, sorted by type and name, with the manifest's identities, containers and expected rules. */
export function emitAzure(ctx: AzureContext, rules: RuleAcc[], priorities: Map<RuleAcc, number>): AzureEmitted {
  const out: AzureEmitted = { resources: [], identities: {}, containers: {}, expected: [] };
  emitGroups(ctx, out);
  emitRules(ctx, rules, priorities, out);
  out.resources.sort((x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return out;
}

function baseTags(ctx: AzureContext, extra: Record<string, string>): Record<string, string> {
  return { ...(ctx.opts.tags ?? {}), 'microseg:segmentation': ctx.seg, ...extra };
}

/** ASGs (one per local workload), NSGs (one per unit) and their subnet associations. */
function emitGroups(ctx: AzureContext, out: AzureEmitted): void {
  const { seg, opts } = ctx;
  const local = new Set(ctx.placement.zones);
  for (const w of ctx.policy.workloads.filter(x => local.has(x.zone))) {
    const tf = azureAsgTfName(seg, w.name);
    const name = azureAsgName(seg, w.name);
    out.resources.push({
      type: AZURE_TYPES.asg, name: tf,
      attributes: { name, location: opts.location, resource_group_name: opts.resourceGroupName, tags: baseTags(ctx, { 'microseg:workload': w.name, 'microseg:zone': w.zone }) },
    });
    out.identities[w.name] = { asgName: name, asgTerraformAddress: `${AZURE_TYPES.asg}.${tf}`, nsgName: unitByKey(ctx, unitOf(ctx, { workload: w.name, zone: w.zone })).name, zone: w.zone };
  }
  for (const u of ctx.units) {
    const { tf, name, zone } = u;
    const workloadTag: Record<string, string> = u.workload ? { 'microseg:workload': u.workload } : {};
    out.resources.push({
      type: AZURE_TYPES.nsg, name: tf,
      attributes: { name, location: opts.location, resource_group_name: opts.resourceGroupName, tags: baseTags(ctx, { ...workloadTag, 'microseg:zone': zone, 'microseg:mode': ctx.index.zone(zone).mode }) },
    });
    const subnet = u.workload ? undefined : opts.subnetIds?.[zone];
    out.containers[`nsg:${name}`] = { zone, ...(u.workload ? { workload: u.workload } : {}), terraformAddress: `${AZURE_TYPES.nsg}.${tf}`, ...(subnet ? { subnetId: subnet } : {}) };
    if (subnet) {
      out.resources.push({
        type: AZURE_TYPES.association, name: tf,
        attributes: { subnet_id: subnet, network_security_group_id: tfRef(AZURE_TYPES.nsg, tf, 'id') },
      });
    }
  }
}

/** One `azurerm_network_security_rule` per planned rule, and its canonical rules. */
function emitRules(ctx: AzureContext, rules: RuleAcc[], priorities: Map<RuleAcc, number>, out: AzureEmitted): void {
  const ruleNames = new Set<string>();
  const collisions: MicrosegProblem[] = [];
  const planned: PlannedRule[] = [];
  for (const a of rules) {
    const name = ruleName(a);
    const unit = unitByKey(ctx, a.unit);
    if (ruleNames.has(`${a.unit}|${name}`)) {
      // Valid model names can meet after rendering (workloads named "asgs" and "azure-zones").
      collisions.push({
        code: 'DuplicateName', path: ctx.opts.backendPath, value: name,
        message: `two rules of NSG "${unit.name}" would get this name (from ${[...a.origins].sort()[0] ?? 'the model'}): the names of workloads and zones meet in the rendered rule names.`,
        hint: 'Rename the workload or zone involved (the `name` prop); "asgs", "azure-zones" and names with "-to-" are best avoided.',
      });
      continue;
    }
    ruleNames.add(`${a.unit}|${name}`);
    const priority = priorities.get(a);
    if (priority === undefined) throw new Error(`microseg internal error: no priority for rule ${name}`);
    const portList = portsOf(a);
    const origins = [...a.origins].sort();
    const attributes: Record<string, unknown> = {
      name,
      priority,
      direction: a.direction,
      access: a.access,
      protocol: a.protocol,
      resource_group_name: ctx.opts.resourceGroupName,
      network_security_group_name: tfRef(AZURE_TYPES.nsg, unit.tf, 'name'),
      source_port_range: '*',
      description: ruleDescription(ctx.seg, a, origins),
      ...(portList.length === 1 ? { destination_port_range: portList[0] } : { destination_port_ranges: portList }),
      ...endAttributes('source', a.source, ctx.seg),
      ...endAttributes('destination', a.destination, ctx.seg),
    };
    out.resources.push({ type: AZURE_TYPES.rule, name: tfIdentifier(`${unit.tf}_${name}`), attributes });
    planned.push(plannedRule(ctx, a, `nsg:${unit.name}`, { name, priority, portList, origins }));
  }
  throwProblems(collisions);
  out.expected.push(...canonicalRules(planned));
}

function ruleDescription(seg: string, a: RuleAcc, origins: string[]): string {
  // the all-traffic rule towards zones names no flow: more flows into the same zones leave it unchanged
  const towardsZones = typeof a.destination !== 'string' && a.destination.kind === 'ranges' && a.destination.key.startsWith('zones:');
  return clip(towardsZones ? `microseg ${seg}: ${a.what}; the destination NSGs check each flow` : `microseg ${seg}: ${a.what} (${origins[0]}${origins.length > 1 ? ` +${origins.length - 1}` : ''})`, AZURE_LIMITS.descriptionLength);
}

/** An NSG rule as planned: the one source of its canonical rules (one per peer, target and port). */
function plannedRule(ctx: AzureContext, a: RuleAcc, container: string, r: { name: string; priority: number; portList: string[]; origins: string[] }): PlannedRule {
  const inbound = a.direction === 'Inbound';
  return {
    container, direction: inbound ? 'ingress' : 'egress', action: a.access === 'Allow' ? 'allow' : 'deny',
    services: [{ protocol: a.protocol === '*' ? 'all' : a.protocol, ports: r.portList }],
    peers: canonicalEnds(inbound ? a.source : a.destination, ctx.seg),
    targets: canonicalEnds(inbound ? a.destination : a.source, ctx.seg),
    priority: r.priority, name: r.name, origins: r.origins,
  };
}

function sideLabel(s: End): string {
  if (s === '*') return 'any';
  if (s === 'VirtualNetwork') return 'vnet';
  if (s.kind === 'asgs') return 'asgs';
  if (s.kind === 'workload') return s.workload;
  const v6 = s.family === 'ipv6' ? '.v6' : '';
  if (s.key.startsWith('zones:')) return `azure-zones${v6}`;
  if (s.origin === 'zone') return `zone.${s.label}${v6}`;
  if (s.origin === 'workload') return `addr.${s.label}${v6}`;
  // a range unknown at synth: named by a hash of its token, never by the token (it resolves to a
  // text with '/', which Azure refuses in a rule name)
  if (isUnresolved(s.label)) return `cidr.unresolved-${shortHash(s.label)}`;
  return `cidr.${s.label.replace(/\//g, '_').replace(/:/g, '-')}`;
}

/** The rule's name: from its access, direction, ends and protocol (hash-shortened to 80 characters). */
function ruleName(a: RuleAcc): string {
  if (a.fixedName) return a.fixedName;
  const proto = a.protocol === '*' ? 'all' : a.protocol.toLowerCase();
  // a group's rule (`grouping.ts`): named by its fixed end, protocol, ports and position, never by its members
  const grouped = a.chunk !== undefined;
  const ports = grouped && !a.ports.has('*') ? `-${portsOf(a).join('.')}` : '';
  const part = grouped && a.chunk ? `-${a.chunk + 1}` : '';
  const full = `${a.access.toLowerCase()}-${a.direction === 'Inbound' ? 'in' : 'out'}-${sideLabel(a.source)}-to-${sideLabel(a.destination)}-${proto}${ports}${part}`;
  return full.length <= AZURE_LIMITS.ruleNameLength ? full : shortened(full, full, AZURE_LIMITS.ruleNameLength, /[-.]+$/);
}

function endAttributes(end: 'source' | 'destination', s: End, seg: string): Record<string, unknown> {
  if (typeof s === 'string') return { [`${end}_address_prefix`]: s };
  if (s.kind === 'asgs') return { [`${end}_application_security_group_ids`]: s.workloads.map(w => tfRef(AZURE_TYPES.asg, azureAsgTfName(seg, w), 'id')) };
  if (s.kind === 'workload') return { [`${end}_application_security_group_ids`]: [tfRef(AZURE_TYPES.asg, azureAsgTfName(seg, s.workload), 'id')] };
  return { [`${end}_address_prefixes`]: s.prefixes };
}

function canonicalEnds(s: End, seg: string): string[] {
  if (s === '*') return ['*'];
  if (s === 'VirtualNetwork') return ['tag:VirtualNetwork'];
  if (s.kind === 'asgs') return s.workloads.map(w => `asg:${azureAsgName(seg, w)}`);
  if (s.kind === 'workload') return [`asg:${azureAsgName(seg, s.workload)}`];
  return s.prefixes.map(p => `cidr:${p}`);
}

/**
 * Quotas and priorities of every NSG: at most 1,000 rules and the ASG budget per NSG, then
 * hash-slot priorities per direction and access in the cloud's bands (`plan/priorities.ts`).
 */
import { assignPriorities } from '../plan/priorities';
import { AZURE_LIMITS, AZURE_PRIORITIES } from './capabilities';
import { Access, AzureContext, Direction, NsgUnit } from './context';
import { endKey } from './grouping';
import { RuleAcc } from './rules';

/** The priority of every rule (throws the quota and band problems of every NSG at once). */
export function assignAzurePriorities(ctx: AzureContext, rules: RuleAcc[]): Map<RuleAcc, number> {
  const byNsg = new Map<string, RuleAcc[]>();
  for (const a of rules) {
    const l = byNsg.get(a.unit);
    if (l) l.push(a); else byNsg.set(a.unit, [a]);
  }
  const priorities = new Map<RuleAcc, number>();
  for (const u of ctx.units) {
    const list = byNsg.get(u.key) ?? [];
    if (!withinQuotas(ctx, u, list)) continue;
    for (const direction of ['Inbound', 'Outbound'] as Direction[]) {
      for (const access of ['Deny', 'Allow'] as Access[]) assignBand(ctx, u, list.filter(a => a.direction === direction && a.access === access && a.fixedPriority === undefined), direction, access, priorities);
      for (const a of list) if (a.fixedPriority !== undefined) priorities.set(a, a.fixedPriority);
    }
  }
  ctx.sink.throwIfAny();
  return priorities;
}

function assignBand(ctx: AzureContext, u: NsgUnit, items: RuleAcc[], direction: Direction, access: Access, priorities: Map<RuleAcc, number>): void {
  const band = access === 'Deny' ? AZURE_PRIORITIES.denyBand : AZURE_PRIORITIES.allowBand;
  const keyed = new Map(items.map(a => [`${a.access}|${endKey(a.source)}|${endKey(a.destination)}|${a.protocol}`, a]));
  const assigned = assignPriorities([...keyed.keys()], band[0], band[1]);
  if (!assigned) {
    ctx.sink.error({
      code: 'PriorityExhausted', path: u.path, value: u.name,
      message: `NSG "${u.name}" needs ${items.length} ${access.toLowerCase()} ${direction.toLowerCase()} rules but the ${access.toLowerCase()} band (priorities ${band[0]}-${band[1]}) has ${band[1] - band[0] + 1} slots.`,
      hint: access === 'Deny' ? 'Merge DenyFlow guardrails (deny between zones rather than workloads) so fewer deny rules are needed.' : u.workload ? 'Split the workload.' : 'Split the zone into smaller zones, or use nsgScope: AzureNsgScope.WORKLOAD.',
    });
    return;
  }
  for (const [k, p] of assigned) {
    const a = keyed.get(k);
    if (a) priorities.set(a, p);
  }
}

/** Whether the NSG holds at most 1,000 rules and references at most its budget of ASGs (else a problem). */
function withinQuotas(ctx: AzureContext, u: NsgUnit, list: RuleAcc[]): boolean {
  const of = u.workload ? `workload "${u.workload}"` : `zone "${u.zone}"`;
  if (list.length > AZURE_LIMITS.rulesPerNsg) {
    ctx.sink.error({
      code: 'QuotaExceeded', path: u.path, value: u.name,
      message: `NSG "${u.name}" of ${of} would hold ${list.length} rules; Azure allows at most ${AZURE_LIMITS.rulesPerNsg} per NSG.`,
      hint: u.workload
        ? 'Declare the workload\'s flows with shared ports (fewer protocol/peer combinations), or split it into several workloads.'
        : 'Use nsgScope: AzureNsgScope.WORKLOAD (one NSG per workload, attached to its NICs), split the zone into smaller zones, or declare flows between zones or selectors with shared ports so fewer workload pairs need rules.',
    });
    return false;
  }
  const asgs = new Set<string>();
  for (const a of list) {
    for (const s of [a.source, a.destination]) {
      if (typeof s === 'string') continue;
      if (s.kind === 'workload') asgs.add(s.workload);
      else if (s.kind === 'asgs') s.workloads.forEach(w => asgs.add(w));
    }
  }
  if (asgs.size > ctx.maxAsgs) {
    ctx.sink.error({
      code: 'QuotaExceeded', path: u.path, value: u.name,
      message: `the rules of NSG "${u.name}" of ${of} reference ${asgs.size} application security groups; Azure allows at most ${ctx.maxAsgs} per NSG.`,
      hint: u.workload
        ? `Exact rules need the ASG of one end of every workload pair; workload "${u.workload}" talks to too many workloads that also talk to many others: give it fewer peers, or declare flows to whole zones whose cidrs name them.`
        : `Use nsgScope: AzureNsgScope.WORKLOAD (one NSG per workload, attached to its NICs: each NSG then references only its workload's peers). Exact rules need one ASG per workload on one side of every workload pair, and ${ctx.index.zone(u.zone).workloads.length} of the ${ctx.maxAsgs} are zone "${u.zone}"'s own: otherwise split busy zones into smaller ones.`,
    });
    return false;
  }
  return true;
}

/**
 * Fewer, fuller rules: Azure accepts up to 10 application security groups on each side of a
 * rule, so the per-pair rules of `rules.ts` that share everything but one workload end are
 * merged into one rule naming up to 10 ASGs on that side. Semantics are unchanged: the merged
 * rules have one NSG, direction, access, protocol and port list, and rules of one access are
 * never ordered against each other (every deny sits below every allow, in its own band).
 *
 * - A rule whose source is a workload joins the group of its destination (an ASG, a zone's or
 *   peer's ranges), its protocol and its ports: the group names the sources' ASGs.
 * - A rule whose source is ranges (a zone elsewhere, a peer) and whose destination is a
 *   workload joins the group of its source, protocol and ports: the group names the
 *   destinations' ASGs.
 * - The all-traffic outbound rule towards zones, fixed rules and ranges-to-ranges rules are
 *   kept as they are.
 *
 * A group's members are sorted by name and cut into rules of 10; each rule's name and priority
 * derive from the group (its fixed end, protocol, ports) and the rule's position in it, never
 * from its members. So one added flow changes only the rules of its own groups: the group of
 * its destination (or source) end, protocol and ports on each of its two NSGs gains a member
 * (an in-place update of that rule's ASG list, or of the following rules of the same group when
 * the sorted members shift, or one new rule when the group grows past a multiple of 10). No rule
 * of another group, and no fixed rule, changes.
 */
import { comparePortTexts } from '../plan/ports';
import { Side } from '../plan/sides';
import { chunks } from '../plan/text';
import { AZURE_CAPABILITIES } from './capabilities';
import { AsgGroup, End } from './context';
import { AzureRules, RuleAcc, sideText } from './rules';

/** Which end a rule's group merges (the other end is fixed), or undefined when it stays alone. */
function groupedEnd(a: RuleAcc): 'source' | 'destination' | undefined {
  if (a.fixedPriority !== undefined || isSide(a.destination) && a.destination.key.startsWith('zones:')) return undefined;
  if (isSide(a.source) && a.source.kind === 'workload') return 'source';
  if (isSide(a.destination) && a.destination.kind === 'workload') return 'destination';
  return undefined;
}

function isSide(e: End): e is Side {
  return typeof e !== 'string' && e.kind !== 'asgs';
}

interface Group { readonly end: 'source' | 'destination'; readonly first: RuleAcc; readonly port: string; readonly members: Map<string, RuleAcc> }

/** The rules with workload ends merged into rules of up to 10 ASGs per side, in the order of each group's first rule. */
export function groupRules(rules: AzureRules): RuleAcc[] {
  const perSide = AZURE_CAPABILITIES.identitiesPerSide;
  const slots: (RuleAcc | Group)[] = [];
  const groups = new Map<string, Group>();
  for (const a of rules.values()) {
    const end = groupedEnd(a);
    if (!end) { slots.push(a); continue; }
    const fixed = end === 'source' ? a.destination : a.source;
    const member = a[end];
    for (const port of portsOf(a)) {
      const key = `${a.unit}|${a.direction}|${a.access}|${end}|${endKey(fixed)}|${a.protocol}|${port}`;
      let g = groups.get(key);
      if (!g) { g = { end, first: a, port, members: new Map() }; groups.set(key, g); slots.push(g); }
      g.members.set(isSide(member) && member.kind === 'workload' ? member.workload : '', a);
    }
  }
  return slots.flatMap(x => ('members' in x ? groupRulesOf(x, perSide) : [x]));
}

/** The rules of one group: its members sorted and cut into rules of `perSide`. */
function groupRulesOf(g: Group, perSide: number): RuleAcc[] {
  const a = g.first;
  const ports = [g.port];
  const names = [...g.members.keys()].sort();
  return chunks(names, perSide).map((part, i) => {
    const side: AsgGroup = { kind: 'asgs', key: `asgs:${ports.join(',')}:${i}`, workloads: part };
    const origins = new Set(part.flatMap(w => [...(g.members.get(w)?.origins ?? [])]));
    const others = part.length === 1 ? part[0] : `${part.slice(0, 3).join(', ')}${part.length > 3 ? ` and ${part.length - 3} more` : ''}`;
    const fixed = g.end === 'source' ? a.destination : a.source;
    const fixedText = isSide(fixed) ? sideText(fixed) : String(fixed);
    return {
      unit: a.unit, direction: a.direction, access: a.access, protocol: a.protocol, ports: new Set(ports), origins,
      source: g.end === 'source' ? side : a.source,
      destination: g.end === 'destination' ? side : a.destination,
      what: g.end === 'source' ? `${a.access.toLowerCase()} ${others} -> ${fixedText}` : `${a.access.toLowerCase()} ${fixedText} -> ${others}`,
      chunk: i,
    };
  });
}

/** The rule's port texts as rendered (sorted; `*` alone when present). */
export function portsOf(a: Pick<RuleAcc, 'ports'>): string[] {
  const ports = [...a.ports].sort(comparePortTexts);
  return ports.includes('*') ? ['*'] : ports;
}

/** The key of a rule end. */
export function endKey(s: End): string {
  return typeof s === 'string' ? s : s.key;
}

/**
 * Rule subsumption over the IR: a rule is dominated by another when the other allows everything
 * it allows (its ends contain this rule's ends and its service contains this rule's service).
 * The compiler already merges services of one pair; across pairs, a rule from a narrower CIDR
 * can be dominated by one from a wider CIDR (e.g. 203.0.113.0/24 -> web and 0.0.0.0/0 -> web on
 * the same port). The compiler keeps such rules (each flow keeps its own rules, so adding or
 * removing a flow never touches another flow's rules); a backend that must compress for a quota
 * can drop them with `pruneSubsumed` without changing what is allowed. Pure functions.
 */
import { Cidr, cidrContains, isCidr, parseCidr } from '../ir/cidr';
import { compareRules } from '../ir/compile';
import { serviceContains } from '../ir/services';
import { atomKey, IrAtom, IrRule } from '../ir/types';

/** Whether `outer` covers `inner`: the same workload, or a CIDR containing the other (same family). */
export function atomContains(outer: IrAtom, inner: IrAtom): boolean {
  if (outer.kind === 'workload' || inner.kind === 'workload') {
    return outer.kind === 'workload' && inner.kind === 'workload' && outer.workload === inner.workload;
  }
  if (outer.cidr === inner.cidr) return true;
  const o = parsed(outer.cidr); const i = parsed(inner.cidr);
  return o !== undefined && i !== undefined && cidrContains(o, i);
}

/** Parsing is the costly part of containment; remember the last few thousand CIDRs. */
const parseCache = new Map<string, Cidr | undefined>();
function parsed(text: string): Cidr | undefined {
  if (parseCache.has(text)) return parseCache.get(text);
  if (parseCache.size > 10_000) parseCache.clear();
  const c = parseCidr(text);
  const value = isCidr(c) ? c : undefined;
  parseCache.set(text, value);
  return value;
}

/** Whether `rule` allows nothing that `other` does not allow (reflexive and transitive). */
export function isDominatedBy(rule: IrRule, other: IrRule): boolean {
  return atomContains(other.source, rule.source) && atomContains(other.destination, rule.destination) && serviceContains(other.service, rule.service);
}

/** The workload end of a rule (every IR rule has one), used to find the candidates that may dominate it. */
function anchor(r: IrRule): string {
  return r.source.kind === 'workload' ? `s|${atomKey(r.source)}` : `d|${atomKey(r.destination)}`;
}

/**
 * Each rule that another rule dominates, with the first (canonical order) rule dominating it.
 * Of two rules that dominate each other (equal), only the later one is reported.
 */
export function subsumedRules(rules: IrRule[]): { rule: IrRule; by: IrRule }[] {
  const sorted = rules.slice().sort(compareRules);
  const position = new Map(sorted.map((r, i) => [r, i]));
  // A rule can only be dominated by one with the same workload end in the same position (a
  // workload never contains a CIDR), so candidates are grouped by that end.
  const groups = new Map<string, IrRule[]>();
  for (const r of sorted) {
    const k = anchor(r);
    const g = groups.get(k);
    if (g) g.push(r); else groups.set(k, [r]);
  }
  const out: { rule: IrRule; by: IrRule }[] = [];
  sorted.forEach((r, i) => {
    const by = groups.get(anchor(r))!.find(o => o !== r && isDominatedBy(r, o) && !(isDominatedBy(o, r) && position.get(o)! > i));
    if (by) out.push({ rule: r, by });
  });
  return out;
}

/** The rules without the dominated ones, in canonical order. Allows exactly the same traffic. */
export function pruneSubsumed(rules: IrRule[]): IrRule[] {
  const dropped = new Set(subsumedRules(rules).map(x => x.rule));
  return rules.slice().sort(compareRules).filter(r => !dropped.has(r));
}

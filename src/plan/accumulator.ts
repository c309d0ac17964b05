/**
 * The rule accumulator: planned rules keyed by what makes them one rendered rule (their NSG or
 * target, direction, action, ends, protocol...), each remembering the flows or guardrails it
 * came from (its origins), in first-insertion order (the planners' output order follows it).
 */

/** What every accumulated rule carries. */
export interface Accumulated {
  /** Paths of the flows or guardrails behind the rule. */
  readonly origins: Set<string>;
}

/** Rules by key, created on first use, each with its origins. */
export class RuleAccumulator<T extends Accumulated> {
  private readonly byKey = new Map<string, T>();

  /** The rule of `key`, created with `make` when new; `origin` is added to its origins. */
  public add(key: string, make: () => T, origin?: string): T {
    let a = this.byKey.get(key);
    if (!a) { a = make(); this.byKey.set(key, a); }
    if (origin !== undefined) a.origins.add(origin);
    return a;
  }

  /** Sets (or replaces) the rule of `key`. */
  public set(key: string, rule: T): void {
    this.byKey.set(key, rule);
  }

  /** The rule of `key`, if any. */
  public get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  /** Every rule, in first-insertion order. */
  public values(): T[] {
    return [...this.byKey.values()];
  }

  /** Every (key, rule), in first-insertion order. */
  public entries(): [string, T][] {
    return [...this.byKey.entries()];
  }

  /** Rules grouped by `group(rule)`, groups and rules in first-insertion order. */
  public groupBy(group: (rule: T) => string): Map<string, T[]> {
    const out = new Map<string, T[]>();
    for (const a of this.byKey.values()) {
      const k = group(a);
      const l = out.get(k);
      if (l) l.push(a); else out.set(k, [a]);
    }
    return out;
  }
}

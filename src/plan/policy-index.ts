/**
 * An index of a compiled policy, built once per planning run: zones and workloads by name, the
 * zones a backend renders, and the ranges sides of zones and workloads (cached). Lookups by a
 * name the IR guarantees never fail silently: an unknown name is an internal error, not `!`.
 */
import { IrFlow, IrPolicy, IrWorkload, IrZone } from '../ir/types';
import { isUnresolved } from '../model/tokens';
import { RangesSide, rangeSides } from './sides';

/** Zones and workloads of a policy by name. */
export class PolicyIndex {
  public readonly zones: ReadonlyMap<string, IrZone>;
  public readonly workloads: ReadonlyMap<string, IrWorkload>;
  /** Allow flows by construct path. */
  public readonly flows: ReadonlyMap<string, IrFlow>;
  private readonly zoneRangeCache = new Map<string, RangesSide[]>();
  private readonly ownRangeCache = new Map<string, RangesSide[]>();

  constructor(public readonly policy: IrPolicy) {
    this.zones = new Map(policy.zones.map(z => [z.name, z]));
    this.workloads = new Map(policy.workloads.map(w => [w.name, w]));
    this.flows = new Map(policy.flows.map(f => [f.path, f]));
  }

  /** The zone of that name (the IR names only known zones). */
  public zone(name: string): IrZone {
    const z = this.zones.get(name);
    if (!z) throw new Error(`microseg internal error: no zone "${name}" in the compiled policy`);
    return z;
  }

  /** The workload of that name (the IR names only known workloads). */
  public workload(name: string): IrWorkload {
    const w = this.workloads.get(name);
    if (!w) throw new Error(`microseg internal error: no workload "${name}" in the compiled policy`);
    return w;
  }

  /** Whether the zone is enforced (not MONITOR). */
  public enforced(zone: string): boolean {
    return this.zone(zone).mode !== 'MONITOR';
  }

  /** A zone's own literal cidrs as ranges sides (one per family); empty without literal cidrs. */
  public zoneRanges(zone: string): RangesSide[] {
    return cached(this.zoneRangeCache, zone, () => {
      const cidrs = this.zone(zone).cidrs;
      return cidrs.some(isUnresolved) ? [] : rangeSides('zone', zone, cidrs);
    });
  }

  /** A workload's own literal cidrs as ranges sides (one per family); empty without literal cidrs. */
  public ownRanges(workload: string): RangesSide[] {
    return cached(this.ownRangeCache, workload, () => {
      const cidrs = this.workload(workload).cidrs;
      return cidrs.some(isUnresolved) ? [] : rangeSides('workload', workload, cidrs);
    });
  }

  /** Whether the guardrail end `workloads` covers every workload of the zone. */
  public coversZone(zone: string, workloads: readonly string[]): boolean {
    const set = new Set(workloads);
    return this.zone(zone).workloads.every(w => set.has(w));
  }
}

function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let v = cache.get(key);
  if (v === undefined) { v = make(); cache.set(key, v); }
  return v;
}

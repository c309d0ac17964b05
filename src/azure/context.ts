/**
 * The context of one Azure planning run: the policy and its index, the options, the problem
 * sink, the placement and the NSG units. Every planning step takes it; none closes over locals.
 */
import { IrPolicy } from '../ir/types';
import { Placement } from '../plan/placement';
import { PolicyIndex } from '../plan/policy-index';
import { ProblemSink } from '../plan/problems';
import { RangesSide, Side, WorkloadSide } from '../plan/sides';
import { cmp } from '../plan/text';
import type { AzurePlanOptions } from './plan';
import { azureNsgName, azureNsgTfName } from './names';

/** One NSG of the plan: a zone's, or (nsgScope WORKLOAD) a workload's. */
export interface NsgUnit {
  /** The zone name, or the workload name. */
  readonly key: string;
  readonly zone: string;
  readonly workload?: string;
  /** Construct path of the zone or workload (for errors). */
  readonly path: string;
  readonly name: string;
  readonly tf: string;
}

export type Direction = 'Inbound' | 'Outbound';
/**
 * Up to 10 workloads named by their application security groups on one rule side (Azure
 * accepts 10 ASGs per side): the workloads that share a rule's other end, NSG, direction,
 * access, protocol and ports (`grouping.ts`).
 */
export interface AsgGroup {
  readonly kind: 'asgs';
  /** `asgs:<ports>:<chunk>`: with the other end's key and the protocol, unique in its NSG, direction and access. */
  readonly key: string;
  /** Workload names, sorted. */
  readonly workloads: string[];
}

/** A rule end: a side, several workloads' ASGs, any address, or Azure's `VirtualNetwork` service tag. */
export type End = Side | AsgGroup | '*' | 'VirtualNetwork';
export type Access = 'Allow' | 'Deny';

/** One planning run. */
export interface AzureContext {
  readonly policy: IrPolicy;
  readonly opts: AzurePlanOptions;
  readonly seg: string;
  readonly index: PolicyIndex;
  readonly sink: ProblemSink;
  readonly placement: Placement;
  readonly scope: 'ZONE' | 'WORKLOAD';
  /** The NSGs of this backend: per zone, or per workload of the local zones (sorted by name). */
  readonly units: NsgUnit[];
  /** The units by key. */
  readonly unitIndex: ReadonlyMap<string, NsgUnit>;
  /** ASGs one NSG may reference. */
  readonly maxAsgs: number;
  /** Egress towards zones may drop its ports where the inbound side is exact (not `exactEgressPorts`). */
  readonly compress: boolean;
}

/** The NSG units of a placement. */
export function nsgUnits(policy: IrPolicy, index: PolicyIndex, placement: Placement, scope: 'ZONE' | 'WORKLOAD'): NsgUnit[] {
  const seg = policy.segmentation.name;
  const local = new Set(placement.zones);
  return scope === 'ZONE'
    ? placement.zones.map(z => ({ key: z, zone: z, path: index.zone(z).path, name: azureNsgName(seg, z), tf: azureNsgTfName(seg, z) }))
    : policy.workloads.filter(w => local.has(w.zone)).map(w => ({ key: w.name, zone: w.zone, workload: w.name, path: w.path, name: azureNsgName(seg, w.name), tf: azureNsgTfName(seg, w.name) }))
      .sort((x, y) => cmp(x.key, y.key));
}

/** The NSG unit key of a workload side: its zone (ZONE scope) or itself (WORKLOAD scope). */
export function unitOf(ctx: AzureContext, side: Pick<WorkloadSide, 'zone' | 'workload'>): string {
  return ctx.scope === 'ZONE' ? side.zone : side.workload;
}

/** The NSG unit of a key. */
export function unitByKey(ctx: AzureContext, key: string): NsgUnit {
  const u = ctx.unitIndex.get(key);
  if (!u) throw new Error(`microseg internal error: no NSG unit "${key}"`);
  return u;
}

/** A local zone's own ranges as rule sides (one per address family); empty without literal cidrs. */
export function zoneRanges(ctx: AzureContext, zone: string): RangesSide[] {
  return ctx.index.zoneRanges(zone);
}

/**
 * The policy IR: what the compiler produces from a model and what every backend renders. Audit
 * readers normalise live rules into the canonical rules of `canonical.ts`, which backends derive
 * from this IR. Plain data: no constructs, no cloud types.
 */
import type { MicrosegWarning } from '../model/errors';
import type { IrInvariant } from './invariants';
import type { IrService } from './services';

/** The enforcement mode as plain text. */
export type IrMode = 'ENFORCE' | 'MONITOR';

/** A resolved rule end: one workload, or one address range outside the model. */
export type IrAtom =
  | { readonly kind: 'workload'; readonly workload: string; readonly zone: string }
  | { readonly kind: 'cidr'; readonly cidr: string; readonly family: 'ipv4' | 'ipv6' };

/** How a flow end was declared, and what it resolved to. */
export interface IrEndpointRef {
  /** The declared endpoint's key (`workload:api`, `zone:web`, `selector:app=web`, `ipv4:0.0.0.0/0`). */
  readonly key: string;
  readonly kind: 'workload' | 'zone' | 'selector' | 'cidr';
  /** The workloads it resolved to (sorted); empty for a CIDR. */
  readonly workloads: string[];
  /** The zones of those workloads (sorted); the zone itself for a zone endpoint. */
  readonly zones: string[];
  /** The CIDR of a peer endpoint (canonical form). */
  readonly cidr?: string;
  readonly family?: 'ipv4' | 'ipv6';
}

/** A zone of the compiled model. */
export interface IrZone {
  readonly name: string;
  readonly path: string;
  readonly labels: Record<string, string>;
  /** Canonical CIDRs. */
  readonly cidrs: string[];
  readonly mode: IrMode;
  /** Workload names, sorted. */
  readonly workloads: string[];
}

/** A workload of the compiled model. */
export interface IrWorkload {
  readonly name: string;
  readonly path: string;
  readonly zone: string;
  /** Merged labels (zone's overlaid with the workload's). */
  readonly labels: Record<string, string>;
  readonly cidrs: string[];
}

/** A declared allow flow, resolved. */
export interface IrFlow {
  /** Construct path: the flow's stable identity. */
  readonly path: string;
  readonly from: IrEndpointRef;
  readonly to: IrEndpointRef;
  /** Declared services (merged). */
  readonly services: IrService[];
  readonly description: string;
  readonly owner?: string;
  readonly expires?: string;
}

/** A declared deny guardrail, resolved. */
export interface IrDeny {
  readonly path: string;
  readonly from: IrEndpointRef;
  readonly to: IrEndpointRef;
  readonly services: IrService[];
  readonly description: string;
}

/**
 * One canonical allow rule between two atoms, after denies were subtracted and ports merged.
 * A packet from `source` to `destination` matching `service` is allowed by the model.
 */
export interface IrRule {
  readonly source: IrAtom;
  readonly destination: IrAtom;
  readonly service: IrService;
  /** Paths of the flows this rule came from (sorted). */
  readonly flows: string[];
}

/** The compiled policy. Every list is in canonical order. */
export interface IrPolicy {
  readonly segmentation: { readonly name: string; readonly path: string; readonly mode: IrMode };
  readonly zones: IrZone[];
  readonly workloads: IrWorkload[];
  readonly flows: IrFlow[];
  readonly denies: IrDeny[];
  readonly rules: IrRule[];
  readonly warnings: MicrosegWarning[];
  /** Warnings acknowledged by the user, with their reasons. */
  readonly acknowledged: { readonly id: string; readonly reason: string }[];
  /** The invariants (`Isolation`, `NeverReach`, `MustReach`), by path; absent when there are none. */
  readonly invariants?: IrInvariant[];
}

/** Canonical key of an atom: `w:<workload>` or `c:<cidr>`. */
export function atomKey(a: IrAtom): string {
  return a.kind === 'workload' ? `w:${a.workload}` : `c:${a.cidr}`;
}

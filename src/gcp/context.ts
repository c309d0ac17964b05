/**
 * The context of one GCP planning run: the policy and its index, the options, the problem sink,
 * the placement, the priorities and the workloads' identities.
 */
import { IrPolicy } from '../ir/types';
import { Placement } from '../plan/placement';
import { PolicyIndex } from '../plan/policy-index';
import { ProblemSink } from '../plan/problems';
import { gcpNetworkTag } from './names';
import type { GcpPlanOptions } from './plan';

/** The priorities of a plan. */
export interface GcpPriorities {
  readonly allow: number;
  readonly deny: number;
  readonly defaultDeny: number;
  readonly monitor: number;
}

/** One planning run. */
export interface GcpContext {
  readonly policy: IrPolicy;
  readonly opts: GcpPlanOptions;
  readonly seg: string;
  readonly index: PolicyIndex;
  readonly sink: ProblemSink;
  readonly placement: Placement;
  readonly priorities: GcpPriorities;
  /** Identities are service accounts (else network tags). */
  readonly useSa: boolean;
}

/** The identity of a local workload: `tag:<network tag>` or `sa:<email>`. */
export function identityOf(ctx: GcpContext, workload: string): string {
  return ctx.useSa ? `sa:${ctx.opts.serviceAccounts?.[workload] ?? ''}` : `tag:${gcpNetworkTag(ctx.seg, workload)}`;
}

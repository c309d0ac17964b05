/**
 * Azure planning: IR -> plain Terraform resource specs (azurerm) and the manifest section.
 * Pure: no cdktf import. Both the cdktf construct and the plain Terraform JSON writer render
 * exactly these specs. A pipeline of named steps over one context (`context.ts`), on the shared
 * planning layer (`plan/`):
 *
 * - one application security group (ASG) per workload on this cloud, one network security
 *   group (NSG) per zone on this cloud, associated with the zone's subnet when given, or with
 *   nsgScope WORKLOAD one NSG per workload (for its NICs; an "NSG unit" below is a zone or a
 *   workload);
 * - an allow becomes an inbound rule on the destination's NSG and an outbound rule on the
 *   source's NSG, one exact (ASG) side per workload pair (`exact-sides.ts`, `rules.ts`); peers
 *   and remote zones are address prefixes;
 * - a guardrail (DenyFlow) becomes deny rules in the deny band (priorities 100-599), allows use
 *   the allow band (600-4094); MONITOR adds a catch-all allow at 4095; deny-all at 4096;
 * - priorities: each rule's home slot is a hash of its content inside its band; collisions
 *   probe forward in a deterministic order (`plan/priorities.ts`).
 */
import { ManifestCloudSection } from '../ir/manifest';
import { IrPolicy } from '../ir/types';
import { MicrosegWarning } from '../model/errors';
import { placeOnCloud } from '../plan/placement';
import { PolicyIndex } from '../plan/policy-index';
import { ProblemSink } from '../plan/problems';
import { TfResourceSpec } from '../terraform/util';
import { reportIcmpTypeWidening, reportPlacementWarnings } from '../plan/warnings';
import { AZURE_CAPABILITIES, AZURE_LIMITS } from './capabilities';
import { AzureContext, nsgUnits } from './context';
import { emitAzure } from './emit';
import { groupRules } from './grouping';
import { assignAzurePriorities } from './priorities';
import { planRules } from './rules';

export { AZURE_LIMITS, AZURE_PRIORITIES, AZURE_TYPES } from './capabilities';
export { azureAsgName, azureAsgTfName, azureNsgName, azureNsgTfName } from './names';
export { assignPriorities } from '../plan/priorities';

/** Input of {@link planAzure}. */
export interface AzurePlanOptions {
  readonly backendPath: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly zones?: string[];
  readonly subnetIds?: Record<string, string>;
  readonly tags?: Record<string, string>;
  /** Recorded in the manifest for the audit. */
  readonly subscriptionId?: string;
  /** ASGs one NSG may reference (Azure: 100; lower only to exercise the switching in tests). */
  readonly maxAsgsPerNsg?: number;
  /** One NSG per zone (default) or one per workload. */
  readonly nsgScope?: 'ZONE' | 'WORKLOAD';
  /**
   * Keep port-exact outbound rules towards zones on Azure (default false: a source whose flows
   * into a zone are all checked exactly by the zone's inbound rules gets one all-traffic
   * outbound rule listing every such zone's ranges).
   */
  readonly exactEgressPorts?: boolean;
  /** The MONITOR catch-all admits the internet inbound (default: the virtual network only). */
  readonly monitorOpenToInternet?: boolean;
  /** The network's own address ranges: peers reaching beyond them are rendered without them. */
  readonly networkRanges?: string[];
}

/** The result of planning. */
export interface AzurePlan {
  /** Resources, sorted by type and name. */
  readonly resources: TfResourceSpec[];
  readonly section: ManifestCloudSection;
  readonly warnings: MicrosegWarning[];
}

/** Plans the Azure resources of a compiled policy. Throws `MicrosegError` before anything is rendered. */
export function planAzure(policy: IrPolicy, opts: AzurePlanOptions): AzurePlan {
  const ctx = azureContext(policy, opts);
  const rules = planRules(ctx);
  reportIcmpTypeWidening(ctx.sink, ctx.placement.rules, AZURE_CAPABILITIES, 'NSG rules');
  const monitored = [...new Set(ctx.units.filter(u => !ctx.index.enforced(u.zone)).map(u => u.zone))];
  if (opts.monitorOpenToInternet && monitored.length) {
    ctx.sink.warn('microseg:MonitorOpenToInternet', opts.backendPath, `monitorOpenToInternet: the MONITOR catch-all of zone${monitored.length === 1 ? '' : 's'} ${monitored.join(', ')} admits every address inbound (source "*"), the internet included, until the zone is enforced.`);
  }
  const grouped = groupRules(rules);
  const priorities = assignAzurePriorities(ctx, grouped);
  const { resources, identities, containers, expected } = emitAzure(ctx, grouped, priorities);
  return {
    resources,
    section: {
      backendPath: opts.backendPath,
      zones: ctx.placement.zones,
      settings: { resourceGroupName: opts.resourceGroupName, location: opts.location, ...(opts.subscriptionId ? { subscriptionId: opts.subscriptionId } : {}), ...(ctx.scope === 'WORKLOAD' ? { nsgScope: ctx.scope } : {}) },
      identities,
      containers,
      expected,
    },
    warnings: ctx.sink.warnings,
  };
}

/** Validates the Azure options, places the policy and builds the planning context. */
function azureContext(policy: IrPolicy, opts: AzurePlanOptions): AzureContext {
  const index = new PolicyIndex(policy);
  const sink = new ProblemSink(policy);
  const placement = placeOnCloud(policy, opts.zones, opts.backendPath, { networkRanges: opts.networkRanges }, index);
  const local = new Set(placement.zones);
  for (const z of Object.keys(opts.subnetIds ?? {}).sort()) {
    if (!local.has(z)) {
      sink.error({ code: 'UnknownZone', path: opts.backendPath, value: z, message: 'subnetIds names a zone that is not placed on Azure by this backend.', hint: `Zones on this backend: ${placement.zones.join(', ') || '(none)'}.` });
    }
  }
  const scope = opts.nsgScope ?? 'ZONE';
  if (scope === 'WORKLOAD' && Object.keys(opts.subnetIds ?? {}).length > 0) {
    sink.error({
      code: 'InvalidProp', path: opts.backendPath, value: 'subnetIds',
      message: 'cannot be combined with nsgScope WORKLOAD: each workload has its own NSG, attached to its network interfaces.',
      hint: 'Associate networkSecurityGroupForWorkload(workload).id with each NIC of the workload (azurerm_network_interface_security_group_association), or use nsgScope ZONE with subnetIds.',
    });
  }
  sink.throwIfAny();
  reportPlacementWarnings(sink, policy, placement, opts.backendPath, AZURE_CAPABILITIES);
  const units = nsgUnits(policy, index, placement, scope);
  return {
    policy, opts, seg: policy.segmentation.name, index, sink, placement, scope, units,
    unitIndex: new Map(units.map(u => [u.key, u])),
    maxAsgs: opts.maxAsgsPerNsg ?? AZURE_LIMITS.asgsPerNsg,
    compress: !opts.exactEgressPorts,
  };
}

/**
 * The AWS rendering plan: every decision of the AWS backend (which groups exist, which rules
 * they carry, which group each reference points to, network ACL entries and
 * their rule numbers, quota checks, the manifest's canonical rules), as plain data computed by
 * pure functions. No constructs here: the construct layer (`segmentation.ts`) only emits what
 * the plan says, so other emitters (e.g. nested-stack sharding) can reuse the same plan.
 *
 * `planAws` is a pipeline of named steps on the shared planning layer (`src/plan`): the context
 * (context.ts: IR index, problem sink, exposure, peer carving), the rules per group
 * (sg-rules.ts), the groups (groups.ts), the network ACLs (nacl.ts), the warnings about MONITOR,
 * the fit into stacks (shard.ts), the expected rules.
 *
 * @internal (not exported from the submodule index)
 */
import { CanonicalRule, IrPolicy, PlacedRule, sortCanonical } from '../ir';
import { MicrosegWarning } from '../model/errors';
import { canonicalRules, PlannedRule } from '../semantics/rules';
import { AwsContext, awsContext } from './context';
import { planGroups } from './groups';
import { planNacls } from './nacl';
import { canonicalPeer, canonicalPorts } from './names';
import { accumulateRules } from './sg-rules';
import { groupBytes, planShards, ShardPlan } from './shard';
import { AwsPlanOptions, DEFAULT_STACK_LIMITS, NaclPlan, SgGroupPlan, VPC_CIDR_TOKEN } from './types';
import { AwsWarnings } from './warnings';

export * from './types';
export { egressBlocks } from './egress-blocks';
export { canonicalPeer, canonicalPorts, groupLogicalId, groupRanks, naclLogicalId, pascal, ruleDescription, shortHash, sourceGroupName, zoneGroupName } from './names';
export { portsFor } from './services';

/** The whole plan. */
export interface AwsPlan {
  readonly segmentation: string;
  readonly groups: SgGroupPlan[];
  readonly nacls: NaclPlan[];
  readonly warnings: MicrosegWarning[];
  /** Resources the backend renders. */
  readonly resourceCount: number;
  readonly expected: CanonicalRule[];
  /** Security groups each workload carries (group names). */
  readonly groupsOf: Record<string, string[]>;
  /** The nested stacks, when sharded (else undefined: everything in the backend's stack). */
  readonly shards?: ShardPlan[];
  /** Estimated template bytes of the segmentation in one stack. */
  readonly templateBytes: number;
}

/**
 * Plans the AWS rendering of a compiled policy. Throws a `MicrosegError` listing every problem
 * (missing CIDRs, quotas) before anything is emitted.
 */
export function planAws(policy: IrPolicy, placed: PlacedRule[], opts: AwsPlanOptions): AwsPlan {
  const ctx = awsContext(policy, placed, opts);
  const { groups, groupsOf } = planGroups(ctx, accumulateRules(ctx));
  const nacls = planNacls(ctx);
  warnMonitor(ctx, groups);
  const fit = fitStacks(ctx, groups, nacls);
  ctx.sink.throwIfAny();
  return { segmentation: ctx.seg, groups, nacls, warnings: ctx.sink.warnings, ...fit, expected: expectedRules(groups, nacls), groupsOf };
}

/**
 * Guardrails towards MONITOR workloads (or from them towards Peers): security groups only
 * allow, so the catch-all lets such traffic pass; a network ACL blocks it only between zones.
 * And MONITOR's catch-all open to the internet, when asked for.
 */
function warnMonitor(ctx: AwsContext, groups: SgGroupPlan[]): void {
  const monitorWorkloads = new Set(ctx.policy.zones.filter(z => ctx.localZones.has(z.name) && z.mode === 'MONITOR').flatMap(z => z.workloads));
  for (const d of ctx.policy.denies) {
    const hit = d.to.kind === 'cidr' ? d.from.workloads.filter(w => monitorWorkloads.has(w)) : d.to.workloads.filter(w => monitorWorkloads.has(w));
    if (hit.length === 0) continue;
    ctx.sink.warn(AwsWarnings.MONITOR_DENY_NOT_ENFORCED, d.path, `This DenyFlow reaches MONITOR workloads (${hit.join(', ')}): security groups cannot deny, so MONITOR's catch-all lets its traffic pass (a network ACL blocks it only between zones with subnets). Flow logs show it; enforce the zone (EnforcementMode.ENFORCE) to block it, or acknowledge this warning.`);
  }
  const monitored = groups.filter(g => g.monitor).map(g => g.workload);
  if (ctx.opts.monitorIngressFromInternet && monitored.length > 0) {
    ctx.sink.warn(AwsWarnings.MONITOR_OPEN_TO_INTERNET, ctx.opts.backendPath, `MONITOR's catch-all lets the internet (0.0.0.0/0${ctx.ipv6Used ? ', ::/0' : ''}) reach every port of ${monitored.join(', ')} (monitorIngressFromInternet: true). Acknowledge it with a reason, or drop the prop: the catch-all then admits the VPC range only.`);
  }
}

/**
 * Whether the plan fits one stack (resources, template bytes), else the nested stacks it is
 * spread over (`sharding`), each checked against CloudFormation's limits.
 */
function fitStacks(ctx: AwsContext, groups: SgGroupPlan[], nacls: NaclPlan[]): { resourceCount: number; templateBytes: number; shards?: ShardPlan[] } {
  const { opts, quotas, sink } = ctx;
  const resourceCount = groups.length + nacls.reduce((n, a) => n + 1 + a.entries.length + a.associations.length, 0);
  const total = resourceCount + (opts.otherResources ?? 0);
  const limits = opts.stackLimits ?? DEFAULT_STACK_LIMITS;
  const templateBytes = 2000 + groups.reduce((n, g) => n + groupBytes(g, false, opts.pathMetadata), 0) + nacls.reduce((n, a) => n + 500 + a.entries.length * 420 + a.associations.length * 260, 0);
  const mode = opts.sharding ?? 'auto';
  const fits = total <= quotas.resourcesPerStack && templateBytes <= limits.templateBytes;
  if (mode === 'always' || (mode === 'auto' && !fits)) {
    const shards = planShards(groups, nacls, {
      quotas, limits, backendPath: opts.backendPath, rank: ctx.rank, pathMetadata: opts.pathMetadata,
      zonePaths: new Map(ctx.policy.zones.map(z => [z.name, z.path])),
    }, sink);
    const parent = shards.length + (opts.otherResources ?? 0);
    if (parent > quotas.resourcesPerStack) {
      sink.error({
        code: 'QuotaExceeded', path: opts.backendPath, value: parent,
        message: `the stack would hold ${parent} resources (${shards.length} nested stacks of microseg), more than the limit of ${quotas.resourcesPerStack} resources per CloudFormation stack.`,
        hint: 'Move other resources to another stack, or raise `maxResourcesPerStack` if CloudFormation raised your limit.',
      });
    }
    return { resourceCount, templateBytes, shards };
  }
  if (total > quotas.resourcesPerStack) {
    sink.error({
      code: 'QuotaExceeded', path: opts.backendPath, value: total,
      message: `the stack would hold ${total} resources (${resourceCount} from microseg), more than the limit of ${quotas.resourcesPerStack} resources per CloudFormation stack.`,
      hint: 'Move other resources to another stack, let the backend shard into nested stacks (`sharding: AwsSharding.AUTO`), or raise `maxResourcesPerStack` if CloudFormation raised your limit.',
    });
  } else if (templateBytes > limits.templateBytes) {
    sink.error({
      code: 'QuotaExceeded', path: opts.backendPath, value: templateBytes,
      message: `the stack template would be about ${templateBytes} bytes, more than CloudFormation's limit of ${limits.templateBytes} bytes.`,
      hint: 'Let the backend shard into nested stacks (`sharding: AwsSharding.AUTO`).',
    });
  }
  return { resourceCount, templateBytes };
}

/** The plan's rules as the semantic layer's planned rules (one per security group rule and network ACL entry). */
export function plannedRules(groups: readonly SgGroupPlan[], nacls: readonly NaclPlan[]): PlannedRule[] {
  const out: PlannedRule[] = [];
  for (const g of groups) {
    for (const r of [...g.ingress, ...g.egress]) {
      out.push({
        container: `sg:${g.name}`, direction: r.direction, action: 'allow',
        services: [{ protocol: r.protocol, ports: [canonicalPorts(r.protocol, r.from, r.to)] }], peers: [canonicalPeer(r.peer)], origins: r.origins,
      });
    }
  }
  for (const n of nacls) {
    for (const e of n.entries) {
      out.push({
        container: `nacl:${n.zone}`, direction: e.egress ? 'egress' : 'ingress', action: e.action,
        services: [{ protocol: e.protocol, ports: [canonicalPorts(e.protocol, e.from, e.to)] }],
        peers: [e.cidr === VPC_CIDR_TOKEN ? VPC_CIDR_TOKEN : `cidr:${e.cidr}`], priority: e.ruleNumber, origins: e.origins,
      });
    }
  }
  return out;
}

/** The canonical rules of a plan (what the manifest records and the audit compares), through the semantic layer's `canonicalRules`. */
export function expectedRules(groups: readonly SgGroupPlan[], nacls: readonly NaclPlan[]): CanonicalRule[] {
  return sortCanonical(canonicalRules(plannedRules(groups, nacls)));
}

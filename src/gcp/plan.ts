/**
 * GCP planning: IR -> `google_compute_firewall` resource specs and the manifest section.
 * Pure: no cdktf import. A pipeline of named steps over one context (`context.ts`), on the
 * shared planning layer (`plan/`):
 *
 * - identity per workload: a network tag (default) or a service account;
 * - an allow becomes an ingress rule targeting the destination's identity, with the source's
 *   identity (or ranges for peers and remote zones), and an egress rule targeting the source's
 *   identity with destination ranges (the destination zone's `cidrs`, a peer's ranges); egress
 *   towards ENFORCE zones on this backend is one all-traffic rule per source and family naming
 *   every such zone range it reaches (their ingress is exact), unless `exactEgressPorts`
 *   (`rules.ts`);
 * - guardrails are deny rules (logged) at `denyPriority`, stronger than every allow;
 * - per zone: deny-all ingress and egress (IPv4 and IPv6) at `defaultDenyPriority`, logged,
 *   targeting the zone's workloads; MONITOR zones get a logged catch-all allow one step before
 *   (`emit.ts`).
 */
import { ManifestCloudSection } from '../ir/manifest';
import { IrPolicy } from '../ir/types';
import { MicrosegWarning } from '../model/errors';
import { isUnresolved } from '../model/tokens';
import { placeOnCloud } from '../plan/placement';
import { PolicyIndex } from '../plan/policy-index';
import { ProblemSink, throwProblems } from '../plan/problems';
import { reportIcmpTypeWidening, reportPlacementWarnings } from '../plan/warnings';
import { TfResourceSpec } from '../terraform/util';
import { GCP_CAPABILITIES } from './capabilities';
import { GcpContext, GcpPriorities } from './context';
import { emitRuleGroups, emitZoneDefaults, FirewallEmitter } from './emit';
import { gcpNetworkName, gcpNetworkTag } from './names';
import type { GcpSegmentationProps } from './props';
import { GcpRules, planRules } from './rules';

export { GCP_FIREWALL, GCP_LIMITS } from './capabilities';
export { gcpName, gcpNetworkName, gcpNetworkTag } from './names';

/** Input of {@link planGcp}: the backend's props (documented in `props.ts`) with the identity resolved. */
export interface GcpPlanOptions extends Pick<GcpSegmentationProps, 'project' | 'serviceAccounts' | 'zones' | 'allowPriority' | 'denyPriority'
| 'defaultDenyPriority' | 'exactEgressPorts' | 'monitorOpenToInternet' | 'networkRanges'> {
  readonly backendPath: string;
  readonly network: string;
  /** The network as recorded in canonical containers (default: from `network`). */
  readonly networkName?: string;
  readonly identity: 'NETWORK_TAG' | 'SERVICE_ACCOUNT';
}

/** The result of planning. */
export interface GcpPlan {
  readonly resources: TfResourceSpec[];
  readonly section: ManifestCloudSection;
  readonly warnings: MicrosegWarning[];
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Plans the GCP firewall rules of a compiled policy. Throws `MicrosegError` before anything is rendered. */
export function planGcp(policy: IrPolicy, opts: GcpPlanOptions): GcpPlan {
  const ctx = gcpContext(policy, opts);
  const rules = planRules(ctx);
  reportRuleProblems(ctx, rules);
  const out = new FirewallEmitter(ctx);
  emitRuleGroups(ctx, out, rules.values());
  const monitored = ctx.placement.zones.filter(z => !ctx.index.enforced(z));
  if (opts.monitorOpenToInternet && monitored.length) {
    ctx.sink.warn('microseg:MonitorOpenToInternet', opts.backendPath, `monitorOpenToInternet: the MONITOR catch-all of zone${monitored.length === 1 ? '' : 's'} ${monitored.join(', ')} admits every address inbound (0.0.0.0/0, ::/0), the internet included, until the zone is enforced.`);
  }
  emitZoneDefaults(ctx, out);
  const identities: Record<string, Record<string, string>> = {};
  const sas = opts.serviceAccounts ?? {};
  for (const w of localWorkloads(ctx)) {
    identities[w.name] = ctx.useSa ? { serviceAccount: sas[w.name], zone: w.zone } : { networkTag: gcpNetworkTag(ctx.seg, w.name), zone: w.zone };
  }
  const resources = out.finish();
  return {
    resources,
    section: {
      backendPath: opts.backendPath,
      zones: ctx.placement.zones,
      settings: { network: opts.network, ...(opts.project ? { project: opts.project } : {}), identity: opts.identity },
      identities,
      containers: { [`network:${gcpNetworkName(opts.networkName ?? opts.network)}`]: { network: opts.network, ...(opts.project ? { project: opts.project } : {}) } },
      expected: out.expected,
    },
    warnings: ctx.sink.warnings,
  };
}

function localWorkloads(ctx: GcpContext) {
  const local = new Set(ctx.placement.zones);
  return ctx.policy.workloads.filter(w => local.has(w.zone));
}

/** Egress towards zones without ranges is refused; typed ICMP and MONITOR widening are warned. */
function reportRuleProblems(ctx: GcpContext, rules: GcpRules): void {
  if (rules.missingRanges.size) {
    throwProblems([...rules.missingRanges.entries()].sort().map(([zone, flow]) => ({
      code: 'MissingCidrs' as const, path: flow, value: zone,
      message: `GCP egress rules can only name destination ranges, and zone "${zone}" (and its workloads) has no cidrs.`,
      hint: `Give zone "${zone}" its address ranges: new Zone(seg, '...', { cidrs: ['10.1.0.0/16'] }).`,
    })));
  }
  reportIcmpTypeWidening(ctx.sink, ctx.placement.rules, GCP_CAPABILITIES, 'firewall rules');
  if (rules.monitorWidened.size) {
    const list = [...rules.monitorWidened].sort();
    ctx.sink.warn('microseg:MonitorWidened', ctx.opts.backendPath, `GCP egress rules name destination ranges, and these destinations in MONITOR zones have no cidrs of their own, so the egress names their zone's ranges and the zone's catch-all admits every member: ${list.slice(0, 10).join('; ')}${list.length > 10 ? `; and ${list.length - 10} more` : ''}. Give those workloads their cidrs to keep the sources exact.`);
  }
}

/** Validates priorities and service accounts, places the policy and builds the planning context. */
function gcpContext(policy: IrPolicy, opts: GcpPlanOptions): GcpContext {
  const sink = new ProblemSink(policy);
  const priorities = checkPriorities(opts, sink);
  sink.throwIfAny();
  const index = new PolicyIndex(policy);
  const placement = placeOnCloud(policy, opts.zones, opts.backendPath, { networkRanges: opts.networkRanges }, index);
  const ctx: GcpContext = { policy, opts, seg: policy.segmentation.name, index, sink, placement, priorities, useSa: opts.identity === 'SERVICE_ACCOUNT' };
  checkServiceAccounts(ctx);
  sink.throwIfAny();
  reportPlacementWarnings(sink, policy, placement, opts.backendPath, GCP_CAPABILITIES);
  return ctx;
}

function checkPriorities(opts: GcpPlanOptions, sink: ProblemSink): GcpPriorities {
  const allow = opts.allowPriority ?? 1000;
  const deny = opts.denyPriority ?? 900;
  const defaultDeny = opts.defaultDenyPriority ?? 65000;
  const monitor = defaultDeny - 1;
  const check = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0 || v > 65534) sink.error({ code: 'InvalidProp', path: opts.backendPath, value: v, message: `${name} must be an integer from 0 to 65534.` });
  };
  check('allowPriority', allow); check('denyPriority', deny); check('defaultDenyPriority', defaultDeny);
  if (!(deny < allow)) sink.error({ code: 'InvalidProp', path: opts.backendPath, value: deny, message: `denyPriority (${deny}) must be lower (stronger) than allowPriority (${allow}) so guardrails win.` });
  if (!(allow < monitor)) sink.error({ code: 'InvalidProp', path: opts.backendPath, value: defaultDeny, message: `defaultDenyPriority (${defaultDeny}) must be higher than allowPriority + 1 (${allow + 1}).` });
  return { allow, deny, defaultDeny, monitor };
}

function checkServiceAccounts(ctx: GcpContext): void {
  const { opts, sink } = ctx;
  const sas = opts.serviceAccounts ?? {};
  const local = localWorkloads(ctx);
  const localZones = new Set(ctx.placement.zones);
  for (const w of Object.keys(sas).sort()) {
    const wl = ctx.index.workloads.get(w);
    if (!wl || !localZones.has(wl.zone)) {
      sink.error({ code: 'UnknownWorkload', path: opts.backendPath, value: w, message: 'serviceAccounts names a workload that is not placed on GCP by this backend.', hint: `Workloads on this backend: ${local.map(x => x.name).slice(0, 10).join(', ') || '(none)'}.` });
    } else if (!isUnresolved(sas[w]) && !EMAIL.test(sas[w])) {
      sink.error({ code: 'InvalidProp', path: opts.backendPath, value: sas[w], message: `is not a service account email (workload "${w}").`, hint: 'E.g. "api@my-project.iam.gserviceaccount.com".' });
    }
  }
  if (ctx.useSa) {
    const missing = local.filter(w => !sas[w.name]).map(w => w.name);
    if (missing.length) {
      sink.error({ code: 'InvalidProp', path: opts.backendPath, value: missing.join(', '), message: 'identity is SERVICE_ACCOUNT but these workloads have no service account in serviceAccounts.', hint: `Add serviceAccounts: { '${missing[0]}': '${missing[0]}@PROJECT.iam.gserviceaccount.com', ... }.` });
    }
  }
}

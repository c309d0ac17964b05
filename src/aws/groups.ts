/**
 * The security groups of the plan: a zone group per local zone with workloads and a source group
 * per local workload (source identities: no ingress, the match-nothing egress), and a workload
 * group per local workload holding its rules (merged services, references to earlier groups only,
 * MONITOR's catch-all), with the per-group quotas checked.
 *
 * @internal
 */
import { cidrOverlaps, IrService, IrWorkload, isCidr, parseCidr, serviceContains, serviceKey } from '../ir';
import { cmp, familyOf } from '../plan';
import { AwsContext } from './context';
import { canonicalPeer, groupLogicalId, isToken, ruleDescription, ruleSortKey, sourceGroupName, zoneGroupName } from './names';
import { PeerRules, GroupRules } from './sg-rules';
import { mergeWithOrigins, portsFor, protocolFor } from './services';
import { MATCH_NOTHING, SgGroupPlan, SgPeer, SgRulePlan } from './types';

/** Every group of the plan (zone groups, source groups, workload groups), and the groups each workload carries. */
export function planGroups(ctx: AwsContext, rules: GroupRules): { groups: SgGroupPlan[]; groupsOf: Record<string, string[]> } {
  const local = ctx.policy.workloads.filter(w => ctx.localZones.has(w.zone));
  const groups: SgGroupPlan[] = [...zoneGroups(ctx), ...local.map(w => sourceGroup(ctx, w))];
  const groupsOf: Record<string, string[]> = {};
  const carvedMonitorZones = monitorZonesCarved(ctx);
  for (const w of local) {
    const g = workloadGroup(ctx, w, rules, carvedMonitorZones);
    groups.push(g);
    groupsOf[w.name] = [w.name, zoneGroupName(w.zone), sourceGroupName(w.name)];
    checkGroupQuotas(ctx, w, g, groupsOf[w.name]);
  }
  return { groups, groupsOf };
}

/**
 * Zone groups: one per local zone with workloads, carried by every member whether or not a
 * flow uses it (stable). A source identity only: no ingress, and the match-nothing egress so
 * AWS's default allow-all egress never applies to its members.
 */
function zoneGroups(ctx: AwsContext): SgGroupPlan[] {
  return ctx.policy.zones.filter(z => ctx.localZones.has(z.name) && z.workloads.length > 0).map(z => {
    const name = zoneGroupName(z.name);
    return {
      name, kind: 'zone', workload: '', zone: z.name, workloadPath: z.path, logicalId: groupLogicalId(ctx.seg, name), monitor: false,
      description: `microseg ${ctx.seg} zone ${z.name}`,
      tags: { 'microseg:group': name, 'microseg:segmentation': ctx.seg, 'microseg:zone': z.name },
      ingress: [],
      egress: [matchNothing()],
    };
  });
}

/** A workload's source group: referenced by later-ranked groups, allows nothing. */
function sourceGroup(ctx: AwsContext, w: IrWorkload): SgGroupPlan {
  const src = sourceGroupName(w.name);
  return {
    name: src, kind: 'source', workload: w.name, zone: w.zone, workloadPath: w.path, logicalId: groupLogicalId(ctx.seg, src), monitor: false,
    description: `microseg ${ctx.seg} source ${w.name}`,
    tags: { 'microseg:group': src, 'microseg:segmentation': ctx.seg },
    ingress: [],
    egress: [matchNothing()],
  };
}

/** A workload's own group with its rules (MONITOR's catch-all in a MONITOR zone). */
function workloadGroup(ctx: AwsContext, w: IrWorkload, rules: GroupRules, carvedMonitorZones: SgPeer[]): SgGroupPlan {
  const name = w.name;
  const monitor = ctx.index.zone(w.zone).mode === 'MONITOR';
  const ingress = toRules(ctx, name, 'ingress', rules.ingress.get(name));
  const egress = toRules(ctx, name, 'egress', rules.egress.get(name));
  if (monitor) addCatchAll(ctx, ingress, egress, carvedMonitorZones);
  if (egress.length === 0) egress.push(matchNothing());
  ingress.sort((a, b) => cmp(ruleSortKey(a), ruleSortKey(b)));
  egress.sort((a, b) => cmp(ruleSortKey(a), ruleSortKey(b)));
  const tags: Record<string, string> = {
    'microseg:group': name,
    'microseg:segmentation': ctx.seg,
    'microseg:workload': name,
    'microseg:zone': w.zone,
    ...(monitor ? { 'microseg:monitor': 'catchall' } : {}),
  };
  return { name, kind: 'workload', workload: name, zone: w.zone, workloadPath: w.path, logicalId: groupLogicalId(ctx.seg, name), monitor, description: `microseg ${ctx.seg} workload ${name}`, tags, ingress, egress };
}

/** The rules of a group's accumulated peers: services merged, one rule per port range. */
function toRules(ctx: AwsContext, group: string, direction: 'ingress' | 'egress', acc: PeerRules[] | undefined): SgRulePlan[] {
  const out: SgRulePlan[] = [];
  for (const e of acc ?? []) {
    const family = e.peer.kind === 'cidr' ? e.peer.family : 'ipv4';
    const peer = referenced(ctx, group, e.peer);
    for (const { service: s, origins } of mergeWithOrigins(e.parts)) {
      const protocol = protocolFor(s, family);
      // A zone-wide egress rule has a fixed description (flows added later do not change it).
      const description = e.label !== undefined && s.protocol === 'all' ? e.label : describe(ctx, origins, s);
      for (const { from, to } of portsFor(s, protocol)) out.push({ direction, protocol, from, to, peer, description, origins, kind: 'flow' });
    }
  }
  return out;
}

/**
 * Every reference is inline and points to an earlier group in the canonical order, so there is
 * no cycle: a source that sorts before the destination is referenced by its own group; a self
 * reference or a source that sorts at or after the destination by its source group (which holds
 * no rules and sorts first). The choice depends on names and zone ranges only, never on other flows.
 */
function referenced(ctx: AwsContext, group: string, peer: SgPeer): SgPeer {
  if (peer.kind !== 'sg') return peer;
  const before = (ctx.rank.get(peer.group) ?? Infinity) < (ctx.rank.get(group) ?? Infinity);
  return before ? peer : { kind: 'sg', group: sourceGroupName(peer.group) };
}

/**
 * A rule's description: the first flow (by path) whose own ports cover the whole rule, else
 * the first flow. So a flow merged into a wider existing rule does not rewrite its description.
 */
function describe(ctx: AwsContext, origins: string[], service?: IrService): string {
  const list = [...origins].sort();
  const covering = service ? list.find(p => ctx.index.flows.get(p)?.services.some(s => serviceContains(s, service))) : undefined;
  const chosen = covering ?? list[0];
  const f = ctx.index.flows.get(chosen);
  // Generated descriptions (`<from> to <to> on <ports>`) cost about a third of a large
  // template: rendered only when asked for; a flow's own description always is.
  if (f && !ctx.generated && f.description === `${f.from.key} to ${f.to.key} on ${f.services.map(serviceKey).join(',')}`) return '';
  return ruleDescription(f?.description ?? chosen ?? '');
}

/**
 * MONITOR's catch-all: ingress from the VPC range (the internet only when asked for), egress
 * everywhere but the ranges of zones open to Peer ranges (see exposure.ts).
 */
function addCatchAll(ctx: AwsContext, ingress: SgRulePlan[], egress: SgRulePlan[], carvedMonitorZones: SgPeer[]): void {
  const add = (direction: 'ingress' | 'egress', list: SgRulePlan[], peers: SgPeer[]) => {
    for (const peer of peers) {
      if (list.some(r => r.protocol === 'all' && canonicalPeer(r.peer) === canonicalPeer(peer))) continue;
      list.push({ direction, protocol: 'all', from: -1, to: -1, peer, description: `${ctx.seg}-monitor-catchall`, origins: [], kind: 'catchall' });
    }
  };
  const anywhere = ctx.ipv6Used ? ['0.0.0.0/0', '::/0'] : ['0.0.0.0/0'];
  const cidrPeer = (c: string): SgPeer => ({ kind: 'cidr', cidr: c, family: familyOf(c) });
  const monitorIngress: SgPeer[] = ctx.opts.monitorIngressFromInternet
    ? anywhere.map(cidrPeer)
    : [ctx.vpcCidr ? cidrPeer(ctx.vpcCidr) : { kind: 'vpc' }];
  add('ingress', ingress, monitorIngress);
  add('egress', egress, [...anywhere.flatMap(c => ctx.carving.egress(c, [], true)).map(cidrPeer), ...carvedMonitorZones]);
}

/**
 * MONITOR zones whose addresses the catch-all egress leaves out (exposed, or inside a carved
 * range): a MONITOR source reaches them through their zone group instead (every member of a
 * MONITOR zone is MONITOR, so its catch-all ingress admits the model's workloads anyway).
 */
function monitorZonesCarved(ctx: AwsContext): SgPeer[] {
  const carve = ctx.exposure.carve;
  if (carve.length === 0) return [];
  return ctx.policy.zones
    .filter(z => ctx.localZones.has(z.name) && z.workloads.length > 0 && z.mode === 'MONITOR')
    .filter(z => z.cidrs.length === 0 || ctx.exposure.zones.has(z.name) || z.cidrs.some(c => {
      const p = isToken(c) ? undefined : parseCidr(c);
      return !p || !isCidr(p) || carve.some(k => k.family === p.family && cidrOverlaps(k, p));
    }))
    .map(z => ({ kind: 'sg', group: zoneGroupName(z.name) }));
}

/** Quotas per direction, IPv4 and IPv6 counted separately (an SG reference counts for both), and groups per interface. */
function checkGroupQuotas(ctx: AwsContext, w: IrWorkload, g: SgGroupPlan, carried: string[]): void {
  const q = ctx.quotas;
  for (const [dir, list] of [['ingress', g.ingress], ['egress', g.egress]] as const) {
    const v4 = list.filter(r => r.peer.kind !== 'cidr' || r.peer.family === 'ipv4').length;
    const v6 = list.filter(r => r.peer.kind !== 'cidr' || r.peer.family === 'ipv6').length;
    for (const [fam, n] of [['IPv4', v4], ['IPv6', v6]] as const) {
      if (n <= q.rulesPerSecurityGroup) continue;
      ctx.sink.error({
        code: 'QuotaExceeded', path: w.path, value: n,
        message: `the security group of workload "${w.name}" needs ${n} ${dir} ${fam} rules, more than the limit of ${q.rulesPerSecurityGroup} rules per security group per direction.`,
        hint: dir === 'egress'
          ? 'Give the destination zones `cidrs` (egress then uses one rule per block of zone ranges), merge ports into ranges, or raise `maxRulesPerSecurityGroup` to your account\'s raised quota.'
          : 'Merge ports into ranges, use fewer distinct Peer ranges, or raise `maxRulesPerSecurityGroup` to your account\'s raised quota.',
      });
    }
  }
  if (carried.length > q.securityGroupsPerInterface) {
    ctx.sink.error({
      code: 'QuotaExceeded', path: w.path, value: carried.length,
      message: `workload "${w.name}" must carry ${carried.length} security groups, more than the limit of ${q.securityGroupsPerInterface} per network interface.`,
      hint: 'Raise `maxSecurityGroupsPerInterface` (AWS allows up to 16) to your account\'s raised quota.',
    });
  }
}

/** The match-nothing egress rule. */
export function matchNothing(): SgRulePlan {
  return {
    direction: 'egress', protocol: 'icmp', from: MATCH_NOTHING.type, to: MATCH_NOTHING.code,
    peer: { kind: 'cidr', cidr: MATCH_NOTHING.cidr, family: 'ipv4' }, description: MATCH_NOTHING.description,
    origins: [], kind: 'matchnothing',
  };
}

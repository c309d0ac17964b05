/**
 * The `google_compute_firewall` resources of a plan and the canonical rules the audit expects:
 * one rule (or several, split at GCP's per-rule limits) per rule group, then per zone the
 * default deny and the MONITOR catch-all.
 */
import { CanonicalRule } from '../ir/canonical';
import { canonicalRules, PlannedRule } from '../semantics/rules';
import { IrService, serviceKey } from '../ir/services';
import { MicrosegProblem } from '../model/errors';
import { isUnresolved } from '../model/tokens';
import { mergePortRanges, portRangeText } from '../plan/ports';
import { throwProblems } from '../plan/problems';
import { cidr } from '../ir/cidr';
import { cidrOrder, Family, familyOf, RangesSide } from '../plan/sides';
import { chunks, clip, cmp } from '../plan/text';
import { TfResourceSpec, tfIdentifier } from '../terraform/util';
import { GCP_FIREWALL, GCP_LIMITS } from './capabilities';
import { GcpContext, identityOf } from './context';
import { gcpName, gcpNetworkName } from './names';
import { Acc, accKey } from './rules';

const LOG = { metadata: 'INCLUDE_ALL_METADATA' };

/**
 * A firewall rule as planned: the one source of its canonical rules. Peers and targets are
 * canonical (`tag:`, `sa:`, `cidr:`); no targets: every instance of the network.
 */
export interface FirewallRule {
  readonly direction: PlannedRule['direction'];
  readonly action: PlannedRule['action'];
  readonly priority: number;
  readonly services: PlannedRule['services'];
  readonly peers: readonly string[];
  readonly targets: readonly string[];
  /** Construct paths of the flows (or the zone) the rule comes from, sorted. */
  readonly origins: readonly string[];
}

/** Emits firewall rules, refusing names that two rules would share, and records their canonical rules. */
export class FirewallEmitter {
  public readonly resources: TfResourceSpec[] = [];
  private readonly planned: PlannedRule[] = [];
  private readonly names = new Map<string, string>();
  private readonly collisions: MicrosegProblem[] = [];
  private readonly container: string;
  private readonly parsedCidrs = new Map<string, ReturnType<typeof cidr>>();

  constructor(private readonly ctx: GcpContext) {
    this.container = `network:${gcpNetworkName(ctx.opts.networkName ?? ctx.opts.network)}`;
  }

  /** Orders CIDR texts by address; parsing is costly (ip-num), so once per text. */
  public readonly cidrCompare = (x: string, y: string): number => {
    if (isUnresolved(x) || isUnresolved(y)) return cmp(x, y);
    return cidrOrder(this.parsed(x), this.parsed(y));
  };

  /**
   * One firewall rule (a `DuplicateName` problem when its name is taken): its Terraform
   * attributes and, from the same plan, its canonical rules.
   */
  public emit(name: string, attrs: Record<string, unknown>, rule: FirewallRule): void {
    const origin = rule.origins[0];
    const prev = this.names.get(name);
    if (prev !== undefined) {
      // Valid model names can meet after rendering (workload "a-to-z-b" next to zone "b-to-zones").
      this.collisions.push({
        code: 'DuplicateName', path: this.ctx.opts.backendPath, value: name,
        message: `two firewall rules would get this name (from ${prev} and from ${origin}): the names of workloads and zones meet in the rendered rule names.`,
        hint: 'Rename one of the workloads or zones involved (the `name` prop), e.g. avoid "-to-" in names.',
      });
      return;
    }
    this.names.set(name, origin);
    const { opts } = this.ctx;
    const attributes = { name, network: opts.network, ...(opts.project ? { project: opts.project } : {}), ...attrs };
    this.resources.push({ type: GCP_FIREWALL, name: tfIdentifier(name), attributes });
    this.planned.push({ ...rule, container: this.container, name, targets: rule.targets.length ? rule.targets : ['*'] });
  }

  /** The canonical rules of every emitted firewall rule (the manifest's expected rules). */
  public get expected(): CanonicalRule[] {
    return canonicalRules(this.planned);
  }

  /** Throws the name collisions; the resources sorted by name. */
  public finish(): TfResourceSpec[] {
    throwProblems(this.collisions);
    return this.resources.sort((x, y) => cmp(x.name, y.name));
  }

  private parsed(text: string): ReturnType<typeof cidr> {
    let c = this.parsedCidrs.get(text);
    if (!c) { c = cidr(text); this.parsedCidrs.set(text, c); }
    return c;
  }
}

/** `source_tags` / `source_service_accounts` (or `target_...`) of identities. */
export function identityAttrs(prefix: 'source' | 'target', ids: string[]): Record<string, string[]> {
  const tags = ids.filter(i => i.startsWith('tag:')).map(i => i.slice(4));
  const accounts = ids.filter(i => i.startsWith('sa:')).map(i => i.slice(3));
  return { ...(tags.length ? { [`${prefix}_tags`]: tags } : {}), ...(accounts.length ? { [`${prefix}_service_accounts`]: accounts } : {}) };
}

/** The rules of every rule group, in key order. */
export function emitRuleGroups(ctx: GcpContext, out: FirewallEmitter, accs: Acc[]): void {
  for (const a of accs.slice().sort((x, y) => cmp(accKey(x), accKey(y)))) {
    const base = ruleBase(ctx.seg, a);
    const origins = [...a.origins].sort();
    const blocks = protocolBlocks(a.services, a.family);
    const rule = {
      direction: a.direction === 'INGRESS' ? 'ingress' as const : 'egress' as const, action: a.action, priority: a.action === 'allow' ? ctx.priorities.allow : ctx.priorities.deny,
      services: blocks.map(b => ({ protocol: b.protocol, ports: b.ports ?? ['*'] })), targets: [identityOf(ctx, a.target)], origins,
    };
    const common = {
      direction: a.direction, priority: a.action === 'allow' ? ctx.priorities.allow : ctx.priorities.deny, description: groupDescription(ctx.seg, a, origins),
      [a.action]: blocks, ...identityAttrs('target', [identityOf(ctx, a.target)]), ...(a.action === 'deny' ? { log_config: LOG } : {}),
    };
    if (a.kind === 'identity') {
      const ids = [...a.peers].map(w => identityOf(ctx, w)).sort();
      chunks(ids, ctx.useSa ? GCP_LIMITS.serviceAccountsPerRule : GCP_LIMITS.sourceTagsPerRule).forEach((part, i) => {
        out.emit(gcpName(i === 0 ? base : `${base}-${i + 1}`), { ...common, ...identityAttrs('source', part) }, { ...rule, peers: part });
      });
    } else {
      const prefixes = [...a.peers].sort(out.cidrCompare);
      chunks(prefixes, GCP_LIMITS.rangesPerRule).forEach((part, i) => {
        const ranges = a.direction === 'INGRESS' ? { source_ranges: part } : { destination_ranges: part };
        out.emit(gcpName(i === 0 ? base : `${base}-${i + 1}`), { ...common, ...ranges }, { ...rule, peers: part.map(c => `cidr:${c}`) });
      });
    }
  }
}

function ruleBase(seg: string, a: Acc): string {
  if (a.coarse) return `${seg}-allow-out-${a.target}-to-zones${a.family === 'ipv6' ? '-v6' : ''}`;
  if (a.egressTo) return `${seg}-${a.action}-out-${a.target}-to-${peerLabel(a.egressTo)}`;
  return `${seg}-${a.action}-in-${a.target}-${serviceLabel(a.services[0])}${a.kind === 'ranges' ? '-ranges' : ''}${a.family === 'ipv6' ? '-v6' : ''}`;
}

function groupDescription(seg: string, a: Acc, origins: string[]): string {
  const others = [...a.labels].sort();
  const what = a.direction === 'INGRESS' ? `${others.join(', ')} -> ${a.target}` : `${a.target} -> ${others.join(', ')}`;
  const on = a.egressTo || a.coarse ? '' : ` on ${serviceKey(a.services[0])}`;
  // the coarse egress rule names destinations only (no flow paths), so that a flow towards a
  // zone already reached leaves it unchanged
  return a.coarse
    ? clip(`microseg ${seg}: allow ${what} (all traffic; the destinations' ingress rules are exact)`, GCP_LIMITS.descriptionLength)
    : clip(`microseg ${seg}: ${a.action} ${what}${on} (${origins.join(', ')})`, GCP_LIMITS.descriptionLength);
}

/**
 * The model's own ranges (what a MONITOR catch-all admits inbound): the network's ranges, every
 * zone's cidrs, and the cidrs of workloads whose zone has none.
 */
export function modelRanges(ctx: GcpContext, out: FirewallEmitter): Record<Family, string[]> {
  const ranges: Record<Family, string[]> = { ipv4: [], ipv6: [] };
  const seen = new Set<string>();
  const add = (c: string) => { if (!seen.has(c)) { seen.add(c); ranges[familyOf(c)].push(c); } };
  const known = (c: string) => !isUnresolved(c);
  for (const c of ctx.opts.networkRanges ?? []) add(c);
  for (const z of ctx.policy.zones) {
    const own = z.cidrs.filter(known);
    const list = own.length ? own : z.workloads.flatMap(w => ctx.index.workload(w).cidrs.filter(known));
    for (const c of list) add(c);
  }
  for (const f of ['ipv4', 'ipv6'] as const) ranges[f].sort(out.cidrCompare);
  return ranges;
}

/** Per zone: deny-all ingress and egress (IPv4 and IPv6) and the MONITOR catch-all, targeting the zone's workloads. */
export function emitZoneDefaults(ctx: GcpContext, out: FirewallEmitter): void {
  const own = modelRanges(ctx, out);
  for (const zone of ctx.placement.zones) {
    const z = ctx.index.zone(zone);
    const ids = z.workloads.map(w => identityOf(ctx, w));
    if (ids.length === 0) continue;
    const groups = chunks(ids, ctx.useSa ? GCP_LIMITS.serviceAccountsPerRule : GCP_LIMITS.targetTagsPerRule);
    for (const direction of ['INGRESS', 'EGRESS'] as const) {
      for (const family of ['ipv4', 'ipv6'] as const) {
        const any = family === 'ipv4' ? ['0.0.0.0/0'] : ['::/0'];
        const ranges = direction === 'INGRESS' ? { source_ranges: any } : { destination_ranges: any };
        const stem = `${ctx.seg}-${zone}-${direction === 'INGRESS' ? 'in' : 'out'}-${family === 'ipv4' ? 'v4' : 'v6'}`;
        groups.forEach((g, i) => {
          const suffix = i === 0 ? '' : `-${i + 1}`;
          const targets = identityAttrs('target', g);
          const rule = { direction: direction === 'INGRESS' ? 'ingress' as const : 'egress' as const, services: [{ protocol: 'all', ports: ['*'] }], targets: g, origins: [z.path] };
          out.emit(gcpName(`${stem}-deny-all${suffix}`), {
            direction, priority: ctx.priorities.defaultDeny, description: `microseg ${ctx.seg}: default deny for zone ${zone}`,
            deny: [{ protocol: 'all' }], ...ranges, ...targets, log_config: LOG,
          }, { ...rule, action: 'deny', priority: ctx.priorities.defaultDeny, peers: any.map(c => `cidr:${c}`) });
          if (z.mode !== 'MONITOR') return;
          // inbound from the model's own ranges only, unless opened to the internet on purpose
          const from = direction === 'INGRESS' && !ctx.opts.monitorOpenToInternet ? own[family] : any;
          chunks(from, GCP_LIMITS.rangesPerRule).forEach((part, j) => {
            if (part.length === 0) return;
            out.emit(gcpName(`${stem}-monitor-catchall${suffix}${j === 0 ? '' : `-r${j + 1}`}`), {
              direction, priority: ctx.priorities.monitor, description: `microseg ${ctx.seg}: MONITOR mode catch-all for zone ${zone}: logs the traffic enforcement would block`,
              allow: [{ protocol: 'all' }], ...(direction === 'INGRESS' ? { source_ranges: part } : { destination_ranges: part }), ...targets, log_config: LOG,
            }, { ...rule, action: 'allow', priority: ctx.priorities.monitor, peers: part.map(c => `cidr:${c}`) });
          });
        });
      }
    }
  }
}

function peerLabel(s: RangesSide): string {
  const v6 = s.family === 'ipv6' ? '-v6' : '';
  if (s.origin === 'zone') return `z-${s.label}${v6}`;
  if (s.origin === 'workload') return `a-${s.label}${v6}`;
  return `c-${s.label.replace(/[./:]/g, '-')}`;
}

/** A service as a name part: `tcp-443`, `tcp-8000-8100`, `udp-all`, `icmp`, `icmp-8`, `all`. */
function serviceLabel(s: IrService): string {
  const k = serviceKey(s);
  if (k === 'icmp:*') return 'icmp';
  return k.replace(':*', '-all').replace(/[:/]/g, '-');
}

/** The allow/deny blocks of a service list: `all` alone, else tcp/udp port lists and ICMP. */
function protocolBlocks(services: IrService[], family: Family): { protocol: string; ports?: string[] }[] {
  if (services.some(s => s.protocol === 'all')) return [{ protocol: 'all' }];
  const out: { protocol: string; ports?: string[] }[] = [];
  for (const proto of ['tcp', 'udp'] as const) {
    const ranges = mergePortRanges(services.filter(s => s.protocol === proto).map(s => [s.from, s.to]));
    if (ranges.length === 0) continue;
    if (ranges.some(r => r[0] === 0 && r[1] === 65535)) out.push({ protocol: proto });
    else out.push({ protocol: proto, ports: ranges.map(([a, b]) => portRangeText(a, b)) });
  }
  if (services.some(s => s.protocol === 'icmp')) out.push({ protocol: family === 'ipv6' ? '58' : 'icmp' });
  return out;
}

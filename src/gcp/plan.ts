/**
 * GCP planning: IR -> `google_compute_firewall` resource specs and the manifest section.
 * Pure: no cdktf import.
 *
 * - identity per workload: a network tag (default) or a service account;
 * - an allow becomes an ingress rule targeting the destination's identity, with the source's
 *   identity (or ranges for peers and remote zones), and an egress rule targeting the source's
 *   identity with destination ranges (the destination zone's `cidrs`, a peer's ranges); egress
 *   towards ENFORCE zones on this backend is one all-traffic rule per source and family naming
 *   every such zone range it reaches (their ingress is exact), unless `exactEgressPorts`;
 * - guardrails are deny rules (logged) at `denyPriority`, stronger than every allow;
 * - per zone: deny-all ingress and egress (IPv4 and IPv6) at `defaultDenyPriority`, logged,
 *   targeting the zone's workloads; MONITOR zones get a logged catch-all allow one step before.
 */
import { CanonicalRule, portsText } from '../ir/canonical';
import { ManifestCloudSection } from '../ir/manifest';
import { IrService, serviceKey } from '../ir/services';
import { IrPolicy } from '../ir/types';
import { MicrosegProblem, MicrosegWarning } from '../model/errors';
import { cidr } from '../ir/cidr';
import { cidrOrder, isUnresolved, placeForTerraform, placementWarnings, RangesSide, Side, throwProblems } from '../terraform/sides';
import { chunks, clip, cmp, shortHash, TfResourceSpec, tfIdentifier } from '../terraform/util';

/** The Terraform resource type rendered by the GCP backend. */
export const GCP_FIREWALL = 'google_compute_firewall';

/** GCP limits applied at synth. */
export const GCP_LIMITS = {
  nameLength: 63,
  sourceTagsPerRule: 30,
  targetTagsPerRule: 70,
  serviceAccountsPerRule: 10,
  /** Conservative: ranges per rule are split into rules of at most this many. */
  rangesPerRule: 256,
  descriptionLength: 2048,
};

/** Input of {@link planGcp}. */
export interface GcpPlanOptions {
  readonly backendPath: string;
  readonly network: string;
  /** The network as recorded in canonical containers (default: from `network`). */
  readonly networkName?: string;
  readonly project?: string;
  readonly identity: 'NETWORK_TAG' | 'SERVICE_ACCOUNT';
  readonly serviceAccounts?: Record<string, string>;
  readonly zones?: string[];
  readonly allowPriority?: number;
  readonly denyPriority?: number;
  readonly defaultDenyPriority?: number;
  /** Egress towards zones on this backend names the flows' ports (default: one all-traffic rule per source). */
  readonly exactEgressPorts?: boolean;
  /** The MONITOR catch-all admits the internet inbound (default: the model's own ranges). */
  readonly monitorOpenToInternet?: boolean;
  /** The network's own address ranges: peers reaching beyond them are rendered without them. */
  readonly networkRanges?: string[];
}

/** The result of planning. */
export interface GcpPlan {
  readonly resources: TfResourceSpec[];
  readonly section: ManifestCloudSection;
  readonly warnings: MicrosegWarning[];
}

/** Shortens a name to GCP's 63 characters with a hash of the full name. */
export function gcpName(full: string): string {
  const clean = full.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (clean.length <= GCP_LIMITS.nameLength && clean === full) return full;
  return `${clean.slice(0, GCP_LIMITS.nameLength - 9).replace(/-+$/, '')}-${shortHash(full)}`;
}

/** The network tag of a workload. */
export function gcpNetworkTag(segmentation: string, workload: string): string {
  return gcpName(`${segmentation}-${workload}`);
}

/** The network name as used in canonical containers: the last segment of a self link. */
export function gcpNetworkName(network: string): string {
  return network.replace(/\/+$/, '').split('/').pop() ?? network;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const LOG = { metadata: 'INCLUDE_ALL_METADATA' };

/**
 * One planned rule group: a direction and action, the target workload, the kind of the other side
 * (identities, or ranges of one family) and ONE service; the other sides accumulate.
 */
interface Acc {
  direction: 'INGRESS' | 'EGRESS';
  action: 'allow' | 'deny';
  /** The target workload. */
  target: string;
  kind: 'identity' | 'ranges';
  family: 'ipv4' | 'ipv6';
  /** Ingress: exactly one service; egress: every service towards `egressTo`. */
  services: IrService[];
  /** Egress: the destination ranges side (one rule per source and destination side). */
  egressTo?: RangesSide;
  /**
   * Egress allow towards workloads of zones on this backend (not `exactEgressPorts`): one
   * all-traffic rule per source and family naming every such destination range.
   */
  coarse?: boolean;
  /** Workload names (identities) or CIDRs (ranges). */
  peers: Set<string>;
  /** Readable names of the other sides, for the description. */
  labels: Set<string>;
  origins: Set<string>;
}

/** Plans the GCP firewall rules of a compiled policy. Throws `MicrosegError` before anything is rendered. */
export function planGcp(policy: IrPolicy, opts: GcpPlanOptions): GcpPlan {
  const seg = policy.segmentation.name;
  const problems: MicrosegProblem[] = [];
  const allowPriority = opts.allowPriority ?? 1000;
  const denyPriority = opts.denyPriority ?? 900;
  const defaultDeny = opts.defaultDenyPriority ?? 65000;
  const monitorPriority = defaultDeny - 1;
  const prio = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0 || v > 65534) problems.push({ code: 'InvalidProp', path: opts.backendPath, value: v, message: `${name} must be an integer from 0 to 65534.` });
  };
  prio('allowPriority', allowPriority); prio('denyPriority', denyPriority); prio('defaultDenyPriority', defaultDeny);
  if (!(denyPriority < allowPriority)) problems.push({ code: 'InvalidProp', path: opts.backendPath, value: denyPriority, message: `denyPriority (${denyPriority}) must be lower (stronger) than allowPriority (${allowPriority}) so guardrails win.` });
  if (!(allowPriority < monitorPriority)) problems.push({ code: 'InvalidProp', path: opts.backendPath, value: defaultDeny, message: `defaultDenyPriority (${defaultDeny}) must be higher than allowPriority + 1 (${allowPriority + 1}).` });
  throwProblems(problems);

  const placement = placeForTerraform(policy, opts.zones, opts.backendPath, { networkRanges: opts.networkRanges });
  const localZones = new Set(placement.zones);
  const zoneInfo = new Map(policy.zones.map(z => [z.name, z]));
  const workloadInfo = new Map(policy.workloads.map(w => [w.name, w]));
  const localWorkloads = policy.workloads.filter(w => localZones.has(w.zone));
  const useSa = opts.identity === 'SERVICE_ACCOUNT';
  const sas = opts.serviceAccounts ?? {};
  for (const w of Object.keys(sas).sort()) {
    const wl = workloadInfo.get(w);
    if (!wl || !localZones.has(wl.zone)) {
      problems.push({ code: 'UnknownWorkload', path: opts.backendPath, value: w, message: 'serviceAccounts names a workload that is not placed on GCP by this backend.', hint: `Workloads on this backend: ${localWorkloads.map(x => x.name).slice(0, 10).join(', ') || '(none)'}.` });
    } else if (!isUnresolved(sas[w]) && !EMAIL.test(sas[w])) {
      problems.push({ code: 'InvalidProp', path: opts.backendPath, value: sas[w], message: `is not a service account email (workload "${w}").`, hint: 'E.g. "api@my-project.iam.gserviceaccount.com".' });
    }
  }
  if (useSa) {
    const missing = localWorkloads.filter(w => !sas[w.name]).map(w => w.name);
    if (missing.length) {
      problems.push({ code: 'InvalidProp', path: opts.backendPath, value: missing.join(', '), message: 'identity is SERVICE_ACCOUNT but these workloads have no service account in serviceAccounts.', hint: `Add serviceAccounts: { '${missing[0]}': '${missing[0]}@PROJECT.iam.gserviceaccount.com', ... }.` });
    }
  }
  throwProblems(problems);

  const identityOf = (w: string) => (useSa ? `sa:${sas[w]}` : `tag:${gcpNetworkTag(seg, w)}`);
  const warnings = placementWarnings(policy, placement, opts.backendPath, 'GCP');
  const acknowledged = new Set(policy.acknowledged.map(a => a.id));
  const warn = (id: string, path: string, message: string) => { if (!acknowledged.has(id)) warnings.push({ id, path, message }); };

  // destination ranges of a local workload for egress: its zone's cidrs (else its own)
  const localRanges = new Map<string, RangesSide[]>();
  const missingRanges = new Map<string, string>();
  const rangesOfLocal = (workload: string, zone: string, origin: string): RangesSide[] => {
    const key = `${zone}|${workload}`;
    let r = localRanges.get(key);
    if (!r) {
      const z = zoneInfo.get(zone)!;
      const w = workloadInfo.get(workload)!;
      const [kind, label, list] = z.cidrs.length ? ['zone', zone, z.cidrs] as const : ['workload', workload, w.cidrs] as const;
      r = ['ipv4', 'ipv6'].map(family => ({ family, prefixes: list.filter(c => (c.includes(':') ? 'ipv6' : 'ipv4') === family) }))
        .filter(x => x.prefixes.length > 0)
        .map(x => ({ kind: 'ranges' as const, key: `${kind === 'zone' ? 'z' : 'a'}:${label}:${x.family}`, origin: kind, label, family: x.family as 'ipv4' | 'ipv6', prefixes: x.prefixes }));
      if (r.length === 0 && !missingRanges.has(zone)) missingRanges.set(zone, origin);
      localRanges.set(key, r);
    }
    return r;
  };

  const accs = new Map<string, Acc>();
  const add = (direction: Acc['direction'], action: Acc['action'], target: string, peer: Side, services: IrService[], origin: string) => {
    const kind = peer.kind === 'workload' ? 'identity' : 'ranges';
    const family = peer.kind === 'ranges' ? peer.family : 'ipv4';
    // ingress: one rule per (target, service) gathering sources; egress: one rule per
    // (source, destination side) gathering services
    const groups = direction === 'INGRESS' ? services.map(sv => [sv]) : [services];
    for (const group of groups) {
      const key = direction === 'INGRESS' ? `${direction}|${action}|${target}|${kind}|${family}|${serviceKey(group[0])}` : `${direction}|${action}|${target}|${peer.key}`;
      let a = accs.get(key);
      if (!a) {
        a = { direction, action, target, kind, family, services: [], peers: new Set(), labels: new Set(), origins: new Set(), egressTo: direction === 'EGRESS' ? peer as RangesSide : undefined };
        accs.set(key, a);
      }
      a.services.push(...group);
      if (peer.kind === 'workload') a.peers.add(peer.workload); else peer.prefixes.forEach(c => a!.peers.add(c));
      a.labels.add(sideText(peer));
      a.origins.add(origin);
    }
  };
  // egress towards workloads on this backend: their ingress is exact (destination and source
  // identity), so the source's egress may name the destination ranges for all traffic
  const coarse = (source: string, d: RangesSide, origin: string) => {
    const key = `EGRESS|allow|${source}|local|${d.family}`;
    let a = accs.get(key);
    if (!a) {
      a = { direction: 'EGRESS', action: 'allow', target: source, kind: 'ranges', family: d.family, services: [ALL], peers: new Set(), labels: new Set(), origins: new Set(), coarse: true };
      accs.set(key, a);
    }
    d.prefixes.forEach(c => a!.peers.add(c));
    a.labels.add(d.origin === 'zone' ? `zone ${d.label}` : `workload ${d.label}`);
    a.origins.add(origin);
  };
  const exactEgress = opts.exactEgressPorts ?? false;
  const monitorWidened = new Set<string>();
  const ownCache = new Map<string, RangesSide[]>();
  const ownRanges = (workload: string): RangesSide[] => {
    let r = ownCache.get(workload);
    if (!r) {
      const list = workloadInfo.get(workload)!.cidrs;
      r = list.some(isUnresolved) ? [] : (['ipv4', 'ipv6'] as const).map(family => ({ family, prefixes: list.filter(c => (c.includes(':') ? 'ipv6' : 'ipv4') === family) }))
        .filter(x => x.prefixes.length > 0)
        .map(x => ({ kind: 'ranges' as const, key: `a:${workload}:${x.family}`, origin: 'workload' as const, label: workload, family: x.family, prefixes: x.prefixes }));
      ownCache.set(workload, r);
    }
    return r;
  };
  const widened = new Set<string>();
  for (const r of placement.rules) {
    if (r.service.protocol === 'icmp' && r.service.from !== -1) r.flows.forEach(f => widened.add(f));
    if (r.destination.kind === 'workload') add('INGRESS', 'allow', r.destination.workload, r.source, [r.service], r.flows[0]);
    if (r.source.kind === 'workload') {
      if (r.destination.kind === 'workload') {
        // a MONITOR destination's catch-all lets everything in: an ENFORCE source's egress names
        // the destination workload's own cidrs (exact), else its zone's (warned)
        const monitorDst = zoneInfo.get(r.destination.zone)!.mode === 'MONITOR';
        const own = monitorDst && zoneInfo.get(r.source.zone)!.mode !== 'MONITOR' ? ownRanges(r.destination.workload) : [];
        if (monitorDst && zoneInfo.get(r.source.zone)!.mode !== 'MONITOR' && own.length === 0) monitorWidened.add(`${r.source.workload} -> zone ${r.destination.zone}`);
        for (const d of own.length ? own : rangesOfLocal(r.destination.workload, r.destination.zone, r.flows[0])) {
          // a MONITOR zone's catch-all ingress is not exact: keep the ports at the sender
          if (exactEgress || zoneInfo.get(r.destination.zone)!.mode === 'MONITOR') add('EGRESS', 'allow', r.source.workload, d, [r.service], r.flows[0]);
          else coarse(r.source.workload, d, r.flows[0]);
        }
      } else {
        add('EGRESS', 'allow', r.source.workload, r.destination, [r.service], r.flows[0]);
      }
    }
  }
  for (const d of placement.denies) {
    if (d.destination.kind === 'workload') add('INGRESS', 'deny', d.destination.workload, d.source, d.services, d.deny.path);
    if (d.source.kind === 'workload') {
      let dests: RangesSide[] = [];
      if (d.destination.kind === 'ranges') {
        dests = [d.destination];
      } else {
        // a local destination is guarded exactly by the ingress deny; egress only where ranges are exact
        const w = workloadInfo.get(d.destination.workload)!;
        const z = zoneInfo.get(w.zone)!;
        const covers = z.cidrs.length > 0 && z.workloads.every(x => d.deny.to.workloads.includes(x));
        const list = covers ? z.cidrs : w.cidrs;
        const kind = covers ? 'z' : 'a';
        for (const family of ['ipv4', 'ipv6'] as const) {
          const prefixes = list.filter(c => (c.includes(':') ? 'ipv6' : 'ipv4') === family);
          if (prefixes.length) dests.push({ kind: 'ranges', key: `${kind}:${covers ? z.name : w.name}:${family}`, origin: covers ? 'zone' : 'workload', label: covers ? z.name : w.name, family, prefixes });
        }
      }
      for (const t of dests) add('EGRESS', 'deny', d.source.workload, t, d.services, d.deny.path);
    }
  }
  if (missingRanges.size) {
    throwProblems([...missingRanges.entries()].sort().map(([zone, flow]) => ({
      code: 'MissingCidrs' as const, path: flow, value: zone,
      message: `GCP egress rules can only name destination ranges, and zone "${zone}" (and its workloads) has no cidrs.`,
      hint: `Give zone "${zone}" its address ranges: new Zone(seg, '...', { cidrs: ['10.1.0.0/16'] }).`,
    })));
  }
  for (const f of [...widened].sort()) {
    warn('microseg:IcmpTypeWidened', f, 'GCP firewall rules cannot match ICMP types or codes: the flow is rendered as every ICMP type.');
  }
  if (monitorWidened.size) {
    const list = [...monitorWidened].sort();
    warn('microseg:MonitorWidened', opts.backendPath, `GCP egress rules name destination ranges, and these destinations in MONITOR zones have no cidrs of their own, so the egress names their zone's ranges and the zone's catch-all admits every member: ${list.slice(0, 10).join('; ')}${list.length > 10 ? `; and ${list.length - 10} more` : ''}. Give those workloads their cidrs to keep the sources exact.`);
  }

  const networkName = gcpNetworkName(opts.networkName ?? opts.network);
  const container = `network:${networkName}`;
  const resources: TfResourceSpec[] = [];
  const expected: CanonicalRule[] = [];
  const names = new Map<string, string>();
  const collisions: MicrosegProblem[] = [];
  const emit = (name: string, attrs: Record<string, unknown>, origin: string) => {
    const prev = names.get(name);
    if (prev !== undefined) {
      // Valid model names can meet after rendering (workload "a-to-z-b" next to zone "b-to-zones").
      collisions.push({
        code: 'DuplicateName', path: opts.backendPath, value: name,
        message: `two firewall rules would get this name (from ${prev} and from ${origin}): the names of workloads and zones meet in the rendered rule names.`,
        hint: 'Rename one of the workloads or zones involved (the `name` prop), e.g. avoid "-to-" in names.',
      });
      return;
    }
    names.set(name, origin);
    const attributes = { name, network: opts.network, ...(opts.project ? { project: opts.project } : {}), ...attrs };
    resources.push({ type: GCP_FIREWALL, name: tfIdentifier(name), attributes });
    // canonical
    const blocks = (attrs.allow ?? attrs.deny) as { protocol: string; ports?: string[] }[];
    const ingress = attrs.direction === 'INGRESS';
    const peers = ingress
      ? [...((attrs.source_tags as string[]) ?? []).map(t => `tag:${t}`), ...((attrs.source_service_accounts as string[]) ?? []).map(s => `sa:${s}`), ...((attrs.source_ranges as string[]) ?? []).map(c => `cidr:${c}`)]
      : ((attrs.destination_ranges as string[]) ?? []).map(c => `cidr:${c}`);
    const targets = [...((attrs.target_tags as string[]) ?? []).map(t => `tag:${t}`), ...((attrs.target_service_accounts as string[]) ?? []).map(s => `sa:${s}`)];
    for (const b of blocks) {
      const protocol = b.protocol === '58' ? 'icmpv6' : b.protocol;
      for (const ports of b.ports ?? ['*']) {
        for (const peer of peers) {
          for (const target of targets.length ? targets : ['*']) {
            expected.push({ container, direction: ingress ? 'ingress' : 'egress', action: attrs.allow ? 'allow' : 'deny', protocol, ports: canonicalPorts(ports), peer, target, priority: attrs.priority as number, name, origin });
          }
        }
      }
    }
  };
  // parsing a CIDR is costly (ip-num): once per text, not once per comparison
  const parsedCidrs = new Map<string, ReturnType<typeof cidr>>();
  const parsed = (text: string) => {
    let c = parsedCidrs.get(text);
    if (!c) { c = cidr(text); parsedCidrs.set(text, c); }
    return c;
  };
  const identityAttrs = (prefix: 'source' | 'target', ids: string[]): Record<string, string[]> => {
    const tags = ids.filter(i => i.startsWith('tag:')).map(i => i.slice(4));
    const accounts = ids.filter(i => i.startsWith('sa:')).map(i => i.slice(3));
    return { ...(tags.length ? { [`${prefix}_tags`]: tags } : {}), ...(accounts.length ? { [`${prefix}_service_accounts`]: accounts } : {}) };
  };

  for (const a of [...accs.values()].sort((x, y) => cmp(accKey(x), accKey(y)))) {
    const blocks = protocolBlocks(a.services, a.family);
    const base = a.coarse
      ? `${seg}-allow-out-${a.target}-to-zones${a.family === 'ipv6' ? '-v6' : ''}`
      : a.egressTo
        ? `${seg}-${a.action}-out-${a.target}-to-${peerLabel(a.egressTo)}`
        : `${seg}-${a.action}-in-${a.target}-${serviceLabel(a.services[0])}${a.kind === 'ranges' ? '-ranges' : ''}${a.family === 'ipv6' ? '-v6' : ''}`;
    const origins = [...a.origins].sort();
    const others = [...a.labels].sort();
    const what = a.direction === 'INGRESS' ? `${others.join(', ')} -> ${a.target}` : `${a.target} -> ${others.join(', ')}`;
    const on = a.egressTo || a.coarse ? '' : ` on ${serviceKey(a.services[0])}`;
    // the coarse egress rule names destinations only (no flow paths), so that a flow towards a
    // zone already reached leaves it unchanged
    const description = a.coarse
      ? clip(`microseg ${seg}: allow ${what} (all traffic; the destinations' ingress rules are exact)`, GCP_LIMITS.descriptionLength)
      : clip(`microseg ${seg}: ${a.action} ${what}${on} (${origins.join(', ')})`, GCP_LIMITS.descriptionLength);
    const common = {
      direction: a.direction, priority: a.action === 'allow' ? allowPriority : denyPriority, description,
      [a.action]: blocks, ...identityAttrs('target', [identityOf(a.target)]), ...(a.action === 'deny' ? { log_config: LOG } : {}),
    };
    if (a.kind === 'identity') {
      const ids = [...a.peers].map(identityOf).sort();
      chunks(ids, useSa ? GCP_LIMITS.serviceAccountsPerRule : GCP_LIMITS.sourceTagsPerRule).forEach((part, i) => {
        emit(gcpName(i === 0 ? base : `${base}-${i + 1}`), { ...common, ...identityAttrs('source', part) }, origins[0]);
      });
    } else {
      const prefixes = [...a.peers].sort((x, y) => (isUnresolved(x) || isUnresolved(y) ? cmp(x, y) : cidrOrder(parsed(x), parsed(y))));
      chunks(prefixes, GCP_LIMITS.rangesPerRule).forEach((part, i) => {
        const ranges = a.direction === 'INGRESS' ? { source_ranges: part } : { destination_ranges: part };
        emit(gcpName(i === 0 ? base : `${base}-${i + 1}`), { ...common, ...ranges }, origins[0]);
      });
    }
  }

  // The model's own ranges (what a MONITOR catch-all admits inbound): every zone's cidrs, and the
  // cidrs of workloads whose zone has none.
  const modelRanges: Record<'ipv4' | 'ipv6', string[]> = { ipv4: [], ipv6: [] };
  {
    const seen = new Set<string>();
    const known = (c: string) => !isUnresolved(c);
    for (const c of opts.networkRanges ?? []) if (!seen.has(c)) { seen.add(c); modelRanges[c.includes(':') ? 'ipv6' : 'ipv4'].push(c); }
    for (const z of policy.zones) {
      const own = z.cidrs.filter(known);
      const list = own.length ? own : z.workloads.flatMap(w => workloadInfo.get(w)!.cidrs.filter(known));
      for (const c of list) if (!seen.has(c)) { seen.add(c); modelRanges[c.includes(':') ? 'ipv6' : 'ipv4'].push(c); }
    }
    for (const f of ['ipv4', 'ipv6'] as const) modelRanges[f].sort((x, y) => cidrOrder(parsed(x), parsed(y)));
  }
  const monitoredZones = placement.zones.filter(z => zoneInfo.get(z)!.mode === 'MONITOR');
  if (opts.monitorOpenToInternet && monitoredZones.length) {
    warn('microseg:MonitorOpenToInternet', opts.backendPath, `monitorOpenToInternet: the MONITOR catch-all of zone${monitoredZones.length === 1 ? '' : 's'} ${monitoredZones.join(', ')} admits every address inbound (0.0.0.0/0, ::/0), the internet included, until the zone is enforced.`);
  }

  // per zone: deny-all (and MONITOR catch-all), targeting the zone's workloads
  for (const zone of placement.zones) {
    const z = zoneInfo.get(zone)!;
    const ids = z.workloads.map(identityOf);
    if (ids.length === 0) continue;
    const per = useSa ? GCP_LIMITS.serviceAccountsPerRule : GCP_LIMITS.targetTagsPerRule;
    const groups = chunks(ids, per);
    for (const direction of ['INGRESS', 'EGRESS'] as const) {
      for (const family of ['ipv4', 'ipv6'] as const) {
        const any = family === 'ipv4' ? ['0.0.0.0/0'] : ['::/0'];
        const ranges = direction === 'INGRESS' ? { source_ranges: any } : { destination_ranges: any };
        const stem = `${seg}-${zone}-${direction === 'INGRESS' ? 'in' : 'out'}-${family === 'ipv4' ? 'v4' : 'v6'}`;
        groups.forEach((g, i) => {
          const suffix = i === 0 ? '' : `-${i + 1}`;
          const targets = identityAttrs('target', g);
          emit(gcpName(`${stem}-deny-all${suffix}`), {
            direction, priority: defaultDeny, description: `microseg ${seg}: default deny for zone ${zone}`,
            deny: [{ protocol: 'all' }], ...ranges, ...targets, log_config: LOG,
          }, z.path);
          if (z.mode === 'MONITOR') {
            // inbound from the model's own ranges only, unless opened to the internet on purpose
            const from = direction === 'INGRESS' && !opts.monitorOpenToInternet ? modelRanges[family] : any;
            chunks(from, GCP_LIMITS.rangesPerRule).forEach((part, j) => {
              if (part.length === 0) return;
              emit(gcpName(`${stem}-monitor-catchall${suffix}${j === 0 ? '' : `-r${j + 1}`}`), {
                direction, priority: monitorPriority, description: `microseg ${seg}: MONITOR mode catch-all for zone ${zone}: logs the traffic enforcement would block`,
                allow: [{ protocol: 'all' }], ...(direction === 'INGRESS' ? { source_ranges: part } : { destination_ranges: part }), ...targets, log_config: LOG,
              }, z.path);
            });
          }
        });
      }
    }
  }

  const identities: Record<string, Record<string, string>> = {};
  for (const w of localWorkloads) {
    identities[w.name] = useSa ? { serviceAccount: sas[w.name], zone: w.zone } : { networkTag: gcpNetworkTag(seg, w.name), zone: w.zone };
  }
  throwProblems(collisions);
  resources.sort((x, y) => cmp(x.name, y.name));
  return {
    resources,
    section: {
      backendPath: opts.backendPath,
      zones: placement.zones,
      settings: { network: opts.network, ...(opts.project ? { project: opts.project } : {}), identity: opts.identity },
      identities,
      containers: { [container]: { network: opts.network, ...(opts.project ? { project: opts.project } : {}) } },
      expected,
    },
    warnings,
  };
}

const ALL: IrService = { protocol: 'all', from: -1, to: -1 };

function accKey(a: Acc): string {
  if (a.coarse) return `${a.direction}|${a.action}|${a.target}|local|${a.family}`;
  return a.egressTo ? `${a.direction}|${a.action}|${a.target}|${a.egressTo.key}` : `${a.direction}|${a.action}|${a.target}|${a.kind}|${a.family}|${serviceKey(a.services[0])}`;
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

function sideText(s: Side): string {
  if (s.kind === 'workload') return s.workload;
  return s.origin === 'peer' ? s.label : `${s.origin} ${s.label} (${s.family})`;
}

/** The allow/deny blocks of a service list: `all` alone, else tcp/udp port lists and ICMP. */
function protocolBlocks(services: IrService[], family: 'ipv4' | 'ipv6'): { protocol: string; ports?: string[] }[] {
  if (services.some(s => s.protocol === 'all')) return [{ protocol: 'all' }];
  const out: { protocol: string; ports?: string[] }[] = [];
  for (const proto of ['tcp', 'udp'] as const) {
    const ranges = mergeRanges(services.filter(s => s.protocol === proto));
    if (ranges.length === 0) continue;
    if (ranges.some(r => r[0] === 0 && r[1] === 65535)) out.push({ protocol: proto });
    else out.push({ protocol: proto, ports: ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)) });
  }
  if (services.some(s => s.protocol === 'icmp')) out.push({ protocol: family === 'ipv6' ? '58' : 'icmp' });
  return out;
}

function mergeRanges(services: IrService[]): [number, number][] {
  const sorted = services.map(s => [s.from, s.to] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

function canonicalPorts(p: string): string {
  if (p === '*') return '*';
  const [a, b] = p.split('-').map(Number);
  return portsText(a, b ?? a);
}

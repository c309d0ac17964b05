/**
 * Placement for the Terraform backends: the IR rules (and guardrails) one cloud renders, with
 * each end as a "side": a local workload (an identity of this cloud), or address ranges (a
 * remote zone's `cidrs`, a remote workload's own `cidrs`, or a `Peer`).
 *
 * Peers are addresses outside the model, so their ranges are rendered minus every zone's
 * `cidrs` (of the same family): an internet allow such as `Peer.anyIpv4() -> api` must not let
 * other workloads of the model reach `api`, which the model forbids. Pure functions.
 */
import { MicrosegError, MicrosegProblem, MicrosegWarning } from '../model/errors';
import { Cidr, cidr, cidrContains, cidrOverlaps, cidrSubtract, isCidr, parseCidr } from '../ir/cidr';
import { crossCloudWarnings, placeRules, remoteWorkloadCidrs } from '../ir/placement';
import { IrService, serviceContains, serviceKey } from '../ir/services';
import { IrDeny, IrEndpointRef, IrPolicy, IrRule, IrZone } from '../ir/types';
import { isUnresolved } from '../model/tokens';

/** A workload rendered on this cloud (by its identity). */
export interface WorkloadSide {
  readonly kind: 'workload';
  /** `w:<workload>`. */
  readonly key: string;
  readonly workload: string;
  readonly zone: string;
}

/** Address ranges of one family. */
export interface RangesSide {
  readonly kind: 'ranges';
  /** `z:<zone>:<family>` (remote zone), `a:<workload>:<family>` (remote workload's cidrs), `c:<cidr>` (peer). */
  readonly key: string;
  readonly origin: 'zone' | 'workload' | 'peer';
  /** The zone or workload name, or the peer's CIDR. */
  readonly label: string;
  readonly family: 'ipv4' | 'ipv6';
  /** Canonical CIDRs, sorted, never empty. */
  readonly prefixes: string[];
}

export type Side = WorkloadSide | RangesSide;

/** An allow rule as this cloud renders it. */
export interface SideRule {
  readonly source: Side;
  readonly destination: Side;
  readonly service: IrService;
  readonly flows: string[];
}

/** A guardrail as this cloud renders it. */
export interface SideDeny {
  readonly source: Side;
  readonly destination: Side;
  readonly services: IrService[];
  readonly deny: IrDeny;
}

/** The result of placement for one Terraform backend. */
export interface Placement {
  /** Zones placed on this cloud (sorted). */
  readonly zones: string[];
  readonly rules: SideRule[];
  readonly denies: SideDeny[];
  /** Peer CIDRs that overlap the model's zones and were trimmed (sorted). */
  readonly trimmedPeers: string[];
  /** Peer CIDRs that reach beyond the network (`networkRanges`) and were rendered without it (sorted). */
  readonly trimmedByNetwork: string[];
  /** Guardrail ends that could not be expressed as ranges (remote workloads without cidrs), by deny path. */
  readonly skippedDenyEnds: { readonly deny: string; readonly workload: string }[];
}

/** Options of {@link placeForTerraform}. */
export interface PlacementOptions {
  /**
   * The network's own address ranges (Azure VNet address space, GCP subnet ranges). A peer that
   * reaches beyond them is rendered without them (O(1) prefixes whatever the number of zone
   * ranges); zones whose addresses are unknown are taken to lie inside them.
   */
  readonly networkRanges?: string[];
}

/** Orders CIDRs by address, then prefix length. */
export function cidrOrder(a: Cidr, b: Cidr): number {
  return a.first < b.first ? -1 : a.first > b.first ? 1 : a.prefix - b.prefix;
}

/** A workload side. */
function workloadSide(workload: string, zone: string): WorkloadSide {
  return { kind: 'workload', key: `w:${workload}`, workload, zone };
}

function byFamily(prefixes: string[]): Map<'ipv4' | 'ipv6', string[]> {
  const m = new Map<'ipv4' | 'ipv6', string[]>();
  for (const p of prefixes) {
    const f = p.includes(':') ? 'ipv6' : 'ipv4';
    const l = m.get(f) ?? [];
    l.push(p);
    m.set(f, l);
  }
  for (const l of m.values()) l.sort((a, b) => (isUnresolved(a) || isUnresolved(b) ? (a < b ? -1 : 1) : cidrOrder(cidr(a), cidr(b))));
  return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Places the policy on one cloud. Throws `UnknownZone` and `MissingCidrs` (through the IR's
 * `placeRules`) before anything is rendered.
 */
export function placeForTerraform(policy: IrPolicy, zones: string[] | undefined, backendPath: string, options: PlacementOptions = {}): Placement {
  // Validation (unknown zones, missing cidrs of remote zones) is the IR's.
  placeRules(policy, zones, backendPath);
  const local = new Set(zones ?? policy.zones.map(z => z.name));
  const zoneByName = new Map(policy.zones.map(z => [z.name, z]));
  const workloadByName = new Map(policy.workloads.map(w => [w.name, w]));
  const problems: MicrosegProblem[] = [];

  // The network's own ranges (when given): peers that reach beyond the network are rendered
  // without it, a handful of prefixes whatever the number of zone ranges.
  const network: Cidr[] = [];
  for (const text of options.networkRanges ?? []) {
    const p = isUnresolved(text) ? undefined : parseCidr(text);
    if (p && isCidr(p)) network.push(p);
    else problems.push({ code: isUnresolved(text) ? 'UnresolvedRange' : 'InvalidCidr', path: backendPath, value: text, message: p && !isCidr(p) ? `networkRanges: ${p.message}` : 'networkRanges must be known at synth (a token cannot be carved out of peers).', hint: p && !isCidr(p) ? p.hint : 'Pass the network\'s address ranges as literals, e.g. networkRanges: [\'10.0.0.0/16\'].' });
  }
  // The model's addresses carved out of peers: each zone's cidrs, else (a zone without concrete
  // cidrs) its workloads' cidrs when all have them; zones whose addresses stay unknown cannot be
  // carved (see `unknown` below).
  const internal: Cidr[] = [];
  const unknown: { zone: IrZone; reason: 'MissingCidrs' | 'UnresolvedRange' }[] = [];
  for (const z of policy.zones) {
    const concrete = z.cidrs.length > 0 && !z.cidrs.some(isUnresolved);
    if (concrete) { for (const c of z.cidrs) internal.push(cidr(c)); continue; }
    const ws = z.workloads.map(w => workloadByName.get(w)!);
    if (ws.length > 0 && ws.every(w => w.cidrs.length > 0 && !w.cidrs.some(isUnresolved))) {
      for (const w of ws) for (const c of w.cidrs) internal.push(cidr(c));
      continue;
    }
    if (ws.length > 0) unknown.push({ zone: z, reason: z.cidrs.some(isUnresolved) ? 'UnresolvedRange' : 'MissingCidrs' });
  }
  const trimmed = new Set<string>();
  const trimmedNetwork = new Set<string>();
  const refused = new Set<string>();
  const peerCache = new Map<string, RangesSide | undefined>();
  const peerSide = (text: string, family: 'ipv4' | 'ipv6'): RangesSide | undefined => {
    if (peerCache.has(text)) return peerCache.get(text);
    let parts: string[];
    if (isUnresolved(text)) {
      parts = [text];
    } else {
      let list = [cidr(text)];
      // a peer reaching beyond the network: without the whole network (a peer inside it keeps
      // what lies outside the zones)
      for (const n of network) {
        if (n.family !== family || !list.some(c => cidrOverlaps(c, n)) || list.every(c => cidrContains(n, c))) continue;
        trimmedNetwork.add(text);
        list = list.flatMap(c => (cidrContains(n, c) ? [] : cidrSubtract(c, n)));
      }
      for (const inner of internal) {
        if (inner.family !== family) continue;
        if (!list.some(c => cidrOverlaps(c, inner))) continue;
        trimmed.add(text);
        list = list.flatMap(c => (cidrContains(inner, c) ? [] : cidrSubtract(c, inner)));
      }
      // what is left may hold workloads whose addresses are unknown: outside the network when
      // one is given (they lie inside it), else anywhere
      const couldHoldUnknown = network.length === 0 ? list.length > 0 : list.some(c => network.some(n => cidrOverlaps(n, c)));
      if (unknown.length && couldHoldUnknown) refused.add(text);
      parts = list.sort(cidrOrder).map(c => c.text);
    }
    const side: RangesSide | undefined = parts.length === 0 ? undefined : { kind: 'ranges', key: `c:${text}`, origin: 'peer', label: text, family, prefixes: parts };
    peerCache.set(text, side);
    return side;
  };
  const zoneSides = new Map<string, RangesSide[]>();
  const remoteZone = (zone: string): RangesSide[] => {
    let s = zoneSides.get(zone);
    if (!s) {
      s = [...byFamily(zoneByName.get(zone)?.cidrs ?? []).entries()].map(([family, prefixes]) => ({
        kind: 'ranges' as const, key: `z:${zone}:${family}`, origin: 'zone' as const, label: zone, family, prefixes,
      }));
      zoneSides.set(zone, s);
    }
    return s;
  };
  const workloadSides = new Map<string, RangesSide[]>();
  const workloadRanges = (w: string, cidrs: string[]): RangesSide[] => {
    let s = workloadSides.get(w);
    if (!s) {
      s = [...byFamily(cidrs).entries()].map(([family, prefixes]) => ({ kind: 'ranges' as const, key: `a:${w}:${family}`, origin: 'workload' as const, label: w, family, prefixes }));
      workloadSides.set(w, s);
    }
    return s;
  };
  const sidesOf = (a: IrRule['source']): Side[] => {
    if (a.kind === 'cidr') {
      const p = peerSide(a.cidr, a.family);
      return p ? [p] : [];
    }
    if (local.has(a.zone)) return [workloadSide(a.workload, a.zone)];
    // a remote workload: its own cidrs when it has them (exact), else its zone's (see crossCloudWarnings)
    const own = remoteWorkloadCidrs(workloadByName.get(a.workload));
    return own.length ? workloadRanges(a.workload, own) : remoteZone(a.zone);
  };

  const rules: SideRule[] = [];
  for (const r of policy.rules) {
    const sl = r.source.kind === 'workload' && local.has(r.source.zone);
    const dl = r.destination.kind === 'workload' && local.has(r.destination.zone);
    if (!sl && !dl) continue;
    for (const s of sidesOf(r.source)) {
      for (const d of sidesOf(r.destination)) {
        if (s.kind === 'ranges' && d.kind === 'ranges') continue;
        rules.push({ source: s, destination: d, service: r.service, flows: r.flows });
      }
    }
  }

  // Guardrails: remote workloads are expressed by their zone's ranges when the guardrail covers
  // the whole zone, else by their own cidrs, else skipped (the IR already removed them from allows).
  const skipped: { deny: string; workload: string }[] = [];
  const denySides = (ref: IrEndpointRef, deny: IrDeny): Side[] => {
    if (ref.kind === 'cidr') {
      const p = peerSide(ref.cidr!, ref.family!);
      return p ? [p] : [];
    }
    const out: Side[] = [];
    const covered = new Set(ref.workloads);
    const doneZones = new Set<string>();
    for (const w of ref.workloads) {
      const wl = workloadByName.get(w)!;
      if (local.has(wl.zone)) { out.push(workloadSide(w, wl.zone)); continue; }
      const z = zoneByName.get(wl.zone)!;
      if (z.cidrs.length > 0 && z.workloads.every(x => covered.has(x))) {
        if (!doneZones.has(z.name)) { doneZones.add(z.name); out.push(...remoteZone(z.name)); }
      } else if (wl.cidrs.length > 0) {
        for (const [family, prefixes] of byFamily(wl.cidrs)) out.push({ kind: 'ranges', key: `a:${w}:${family}`, origin: 'workload', label: w, family, prefixes });
      } else {
        skipped.push({ deny: deny.path, workload: w });
      }
    }
    return out;
  };
  const denies: SideDeny[] = [];
  for (const d of policy.denies) {
    const froms = denySides(d.from, d);
    const tos = denySides(d.to, d);
    for (const s of froms) {
      for (const t of tos) {
        if (s.kind === 'ranges' && t.kind === 'ranges') continue;
        denies.push({ source: s, destination: t, services: d.services, deny: d });
      }
    }
  }
  if (refused.size) {
    const peers = [...refused].sort();
    for (const { zone, reason } of unknown) {
      problems.push({
        code: reason, path: zone.path, value: peers.length === 1 ? peers[0] : peers,
        message: `zone "${zone.name}" has ${reason === 'UnresolvedRange' ? 'cidrs that are unresolved tokens' : 'no cidrs'} (nor cidrs on every workload), so its workloads cannot be excluded from the Peer range${peers.length === 1 ? '' : 's'} ${peers.join(', ')}: a Peer allow would admit them, and a DenyFlow towards the Peer would block them.`,
        hint: `Give zone "${zone.name}" ${reason === 'UnresolvedRange' ? 'literal cidrs' : 'its cidrs'} (or each of its workloads its cidrs), or give the backend the network's ranges (networkRanges: ['10.0.0.0/16']) so that peers are rendered without the whole network.`,
      });
    }
  }
  throwProblems(problems);
  return { zones: [...local].sort(), rules, denies, trimmedPeers: [...trimmed].sort(), trimmedByNetwork: [...trimmedNetwork].sort(), skippedDenyEnds: skipped };
}

/**
 * Guardrails with a typed ICMP service (`Port.icmp(8)`), which Azure and GCP render as every
 * ICMP type: the declared ICMP (of other types) they then block between their ends, by deny
 * path, as `flow path (icmp:3/4)` texts. The compiler's subtraction stays exact; this is what
 * the wider deny removes on these clouds.
 */
export function icmpDenyWidening(policy: IrPolicy): { deny: string; types: string[]; blocked: string[] }[] {
  const out: { deny: string; types: string[]; blocked: string[] }[] = [];
  const covers = (ref: IrEndpointRef, a: IrRule['source']): boolean => {
    if (a.kind === 'workload') return ref.workloads.includes(a.workload);
    if (ref.kind !== 'cidr' || !ref.cidr || isUnresolved(ref.cidr) || isUnresolved(a.cidr)) return ref.cidr === a.cidr;
    return cidrContains(cidr(ref.cidr), cidr(a.cidr));
  };
  for (const d of policy.denies) {
    const typed = d.services.filter(s => s.protocol === 'icmp' && s.from !== -1);
    if (typed.length === 0 || d.services.some(s => s.protocol === 'all' || (s.protocol === 'icmp' && s.from === -1))) continue;
    const blocked = new Set<string>();
    for (const r of policy.rules) {
      if (r.service.protocol !== 'icmp' || typed.some(t => serviceContains(t, r.service))) continue;
      if (!covers(d.from, r.source) || !covers(d.to, r.destination)) continue;
      for (const f of r.flows) blocked.add(`${f} (${serviceKey(r.service)})`);
    }
    if (blocked.size) out.push({ deny: d.path, types: typed.map(serviceKey), blocked: [...blocked].sort() });
  }
  return out;
}

/** Throws the problems, if any, as one error. */
export function throwProblems(problems: MicrosegProblem[]): void {
  if (problems.length > 0) throw MicrosegError.fromProblems(problems);
}

/** Whether a text is an unresolved token (re-exported for the backends). */
export { isUnresolved };

/**
 * The warnings every Terraform backend reports about a placement (unless acknowledged): peers
 * trimmed of zone ranges, and guardrail ends that cannot be rendered on this cloud.
 */
export function placementWarnings(policy: IrPolicy, placement: Placement, backendPath: string, cloudName: string): MicrosegWarning[] {
  const acknowledged = new Set(policy.acknowledged.map(a => a.id));
  const warnings: MicrosegWarning[] = [];
  const warn = (id: string, path: string, message: string) => { if (!acknowledged.has(id)) warnings.push({ id, path, message }); };
  for (const p of placement.trimmedPeers) {
    warn('microseg:PeerOverlapsZones', backendPath, `Peer ${p} overlaps zone cidrs of the model; it is rendered without them (peers are addresses outside the model).`);
  }
  for (const p of placement.trimmedByNetwork) {
    warn('microseg:PeerOverlapsNetwork', backendPath, `Peer ${p} reaches beyond the network's ranges (networkRanges); it is rendered without the whole network, so addresses of the network outside every zone are not part of it either.`);
  }
  for (const w of crossCloudWarnings(policy, placement.zones, backendPath)) warn(w.id, w.path, w.message);
  const rendered = new Set(placement.denies.map(d => d.deny.path));
  for (const x of icmpDenyWidening(policy).filter(y => rendered.has(y.deny))) {
    const shown = x.blocked.slice(0, 5).join('; ') + (x.blocked.length > 5 ? `; and ${x.blocked.length - 5} more` : '');
    warn('microseg:IcmpDenyWidened', x.deny, `${cloudName} rules cannot match ICMP types: this guardrail (${x.types.join(', ')}) is rendered as every ICMP type, which also blocks declared ICMP between its ends: ${shown}. Deny every ICMP type on purpose (Port.icmp()), or narrow the guardrail's ends so that it misses those flows.`);
  }
  for (const s of placement.skippedDenyEnds) {
    warn('microseg:GuardrailPartial', s.deny, `Workload "${s.workload}" is not on ${cloudName} and has no cidrs (and the guardrail does not cover its whole zone): no deny rule is rendered for it here.`);
  }
  return warnings;
}

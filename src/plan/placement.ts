/**
 * Placement: the IR rules (and guardrails) one cloud renders, with each end as a side (see
 * `sides.ts`): a local workload (an identity of this cloud), or address ranges (a remote zone's
 * `cidrs`, a remote workload's own `cidrs`, or a `Peer`).
 *
 * The peer/zone overlap is handled here, once, as a policy: peers are addresses outside the
 * model, so their ranges are rendered minus every zone's `cidrs` (of the same family) — an
 * internet allow such as `Peer.anyIpv4() -> api` must not let other workloads of the model
 * reach `api`, which the model forbids — and the peers so trimmed are reported for the cloud's
 * warning (`CloudCapabilities.peerOverlapWarning`). Pure functions.
 */
import { Cidr, cidr, cidrContains, cidrOverlaps, cidrSubtract, isCidr, parseCidr } from '../ir/cidr';
import { placeRules, remoteWorkloadCidrs } from '../ir/placement';
import { IrService } from '../ir/services';
import { IrDeny, IrEndpointRef, IrPolicy, IrRule, IrZone } from '../ir/types';
import { MicrosegProblem } from '../model/errors';
import { isUnresolved } from '../model/tokens';
import { PolicyIndex } from './policy-index';
import { throwProblems } from './problems';
import { byFamily, cidrOrder, Family, RangesSide, Side, workloadSide } from './sides';

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

/** The result of placement for one backend. */
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

/** Options of {@link placeOnCloud}. */
export interface PlacementOptions {
  /**
   * The network's own address ranges (Azure VNet address space, GCP subnet ranges). A peer that
   * reaches beyond them is rendered without them (O(1) prefixes whatever the number of zone
   * ranges); zones whose addresses are unknown are taken to lie inside them.
   */
  readonly networkRanges?: string[];
}

/** Zones whose addresses are unknown (no concrete cidrs on the zone nor on all its workloads). */
interface UnknownZone { readonly zone: IrZone; readonly reason: 'MissingCidrs' | 'UnresolvedRange' }

/**
 * Carves the model's addresses (and, given, the whole network) out of peers, remembering which
 * peers it trimmed and which could still hold workloads of unknown addresses.
 */
class PeerCarver {
  public readonly trimmed = new Set<string>();
  public readonly trimmedByNetwork = new Set<string>();
  public readonly refused = new Set<string>();
  private readonly cache = new Map<string, RangesSide | undefined>();

  constructor(private readonly network: Cidr[], private readonly internal: Cidr[], private readonly unknown: UnknownZone[]) {}

  /** The side of a peer (undefined when nothing of it is left). */
  public side(text: string, family: Family): RangesSide | undefined {
    if (this.cache.has(text)) return this.cache.get(text);
    const parts = isUnresolved(text) ? [text] : this.carve(text, family);
    const side: RangesSide | undefined = parts.length === 0 ? undefined : { kind: 'ranges', key: `c:${text}`, origin: 'peer', label: text, family, prefixes: parts };
    this.cache.set(text, side);
    return side;
  }

  private carve(text: string, family: Family): string[] {
    let list = [cidr(text)];
    // a peer reaching beyond the network: without the whole network (a peer inside it keeps
    // what lies outside the zones)
    for (const n of this.network) {
      if (n.family !== family || !list.some(c => cidrOverlaps(c, n)) || list.every(c => cidrContains(n, c))) continue;
      this.trimmedByNetwork.add(text);
      list = list.flatMap(c => (cidrContains(n, c) ? [] : cidrSubtract(c, n)));
    }
    for (const inner of this.internal) {
      if (inner.family !== family) continue;
      if (!list.some(c => cidrOverlaps(c, inner))) continue;
      this.trimmed.add(text);
      list = list.flatMap(c => (cidrContains(inner, c) ? [] : cidrSubtract(c, inner)));
    }
    // what is left may hold workloads whose addresses are unknown: outside the network when
    // one is given (they lie inside it), else anywhere
    const couldHoldUnknown = this.network.length === 0 ? list.length > 0 : list.some(c => this.network.some(n => cidrOverlaps(n, c)));
    if (this.unknown.length && couldHoldUnknown) this.refused.add(text);
    return list.sort(cidrOrder).map(c => c.text);
  }
}

/** The network's ranges (problems for tokens and invalid CIDRs). */
function networkCidrs(ranges: string[], backendPath: string, problems: MicrosegProblem[]): Cidr[] {
  const network: Cidr[] = [];
  for (const text of ranges) {
    const p = isUnresolved(text) ? undefined : parseCidr(text);
    if (p && isCidr(p)) network.push(p);
    else problems.push({ code: isUnresolved(text) ? 'UnresolvedRange' : 'InvalidCidr', path: backendPath, value: text, message: p && !isCidr(p) ? `networkRanges: ${p.message}` : 'networkRanges must be known at synth (a token cannot be carved out of peers).', hint: p && !isCidr(p) ? p.hint : 'Pass the network\'s address ranges as literals, e.g. networkRanges: [\'10.0.0.0/16\'].' });
  }
  return network;
}

/**
 * The model's addresses carved out of peers: each zone's cidrs, else (a zone without concrete
 * cidrs) its workloads' cidrs when all have them; zones whose addresses stay unknown cannot be
 * carved.
 */
function modelAddresses(policy: IrPolicy, index: PolicyIndex): { internal: Cidr[]; unknown: UnknownZone[] } {
  const internal: Cidr[] = [];
  const unknown: UnknownZone[] = [];
  for (const z of policy.zones) {
    const concrete = z.cidrs.length > 0 && !z.cidrs.some(isUnresolved);
    if (concrete) { for (const c of z.cidrs) internal.push(cidr(c)); continue; }
    const ws = z.workloads.map(w => index.workload(w));
    if (ws.length > 0 && ws.every(w => w.cidrs.length > 0 && !w.cidrs.some(isUnresolved))) {
      for (const w of ws) for (const c of w.cidrs) internal.push(cidr(c));
      continue;
    }
    if (ws.length > 0) unknown.push({ zone: z, reason: z.cidrs.some(isUnresolved) ? 'UnresolvedRange' : 'MissingCidrs' });
  }
  return { internal, unknown };
}

/** Builds the sides of IR ends on one cloud (remote zones and workloads by their ranges). */
class SideMaker {
  private readonly zoneSides = new Map<string, RangesSide[]>();
  private readonly workloadSides = new Map<string, RangesSide[]>();

  constructor(private readonly index: PolicyIndex, private readonly local: Set<string>, private readonly peers: PeerCarver) {}

  public isLocal(zone: string): boolean {
    return this.local.has(zone);
  }

  /** A remote zone's cidrs, by family (sorted). */
  public remoteZone(zone: string): RangesSide[] {
    return memo(this.zoneSides, zone, () => [...byFamily(this.index.zones.get(zone)?.cidrs ?? []).entries()].map(([family, prefixes]) => ({
      kind: 'ranges' as const, key: `z:${zone}:${family}`, origin: 'zone' as const, label: zone, family, prefixes,
    })));
  }

  /** A remote workload's own cidrs, by family (sorted). */
  public workloadRanges(w: string, cidrs: string[]): RangesSide[] {
    return memo(this.workloadSides, w, () => [...byFamily(cidrs).entries()].map(([family, prefixes]) => ({ kind: 'ranges' as const, key: `a:${w}:${family}`, origin: 'workload' as const, label: w, family, prefixes })));
  }

  public peer(text: string, family: Family): Side[] {
    const p = this.peers.side(text, family);
    return p ? [p] : [];
  }

  /** The sides of an allow rule's end. */
  public of(a: IrRule['source']): Side[] {
    if (a.kind === 'cidr') return this.peer(a.cidr, a.family);
    if (this.local.has(a.zone)) return [workloadSide(a.workload, a.zone)];
    // a remote workload: its own cidrs when it has them (exact), else its zone's (see crossCloudWarnings)
    const own = remoteWorkloadCidrs(this.index.workloads.get(a.workload));
    return own.length ? this.workloadRanges(a.workload, own) : this.remoteZone(a.zone);
  }
}

function memo<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let v = cache.get(key);
  if (v === undefined) { v = make(); cache.set(key, v); }
  return v;
}

/** The allow rules with a local end, one per pair of sides (never ranges to ranges). */
function placeAllows(policy: IrPolicy, sides: SideMaker, problems: MicrosegProblem[]): SideRule[] {
  const rules: SideRule[] = [];
  const refused = new Set<string>();
  for (const r of policy.rules) {
    const sl = r.source.kind === 'workload' && sides.isLocal(r.source.zone);
    const dl = r.destination.kind === 'workload' && sides.isLocal(r.destination.zone);
    if (!sl && !dl) continue;
    if (dl && r.source.kind === 'cidr' && isUnresolved(r.source.cidr)) {
      for (const flow of r.flows) if (!refused.has(flow)) { refused.add(flow); problems.push(unresolvedPeerProblem(flow, r.source.cidr)); }
      continue;
    }
    for (const s of sides.of(r.source)) {
      for (const d of sides.of(r.destination)) {
        if (s.kind === 'ranges' && d.kind === 'ranges') continue;
        rules.push({ source: s, destination: d, service: r.service, flows: r.flows });
      }
    }
  }
  return rules;
}

/**
 * Guardrails: remote workloads are expressed by their zone's ranges when the guardrail covers
 * the whole zone, else by their own cidrs, else skipped (the IR already removed them from allows).
 */
function placeDenies(policy: IrPolicy, index: PolicyIndex, sides: SideMaker): { denies: SideDeny[]; skipped: { deny: string; workload: string }[] } {
  const skipped: { deny: string; workload: string }[] = [];
  const endSides = (ref: IrEndpointRef, deny: IrDeny): Side[] => {
    if (ref.kind === 'cidr') return ref.cidr && ref.family ? sides.peer(ref.cidr, ref.family) : [];
    const out: Side[] = [];
    const doneZones = new Set<string>();
    for (const w of ref.workloads) {
      const wl = index.workload(w);
      if (sides.isLocal(wl.zone)) { out.push(workloadSide(w, wl.zone)); continue; }
      const z = index.zone(wl.zone);
      if (z.cidrs.length > 0 && index.coversZone(z.name, ref.workloads)) {
        if (!doneZones.has(z.name)) { doneZones.add(z.name); out.push(...sides.remoteZone(z.name)); }
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
    const froms = endSides(d.from, d);
    const tos = endSides(d.to, d);
    for (const s of froms) {
      for (const t of tos) {
        if (s.kind === 'ranges' && t.kind === 'ranges') continue;
        denies.push({ source: s, destination: t, services: d.services, deny: d });
      }
    }
  }
  return { denies, skipped };
}

/**
 * An inbound allow from a Peer range unknown at synth (a Terraform variable): its rule cannot
 * leave the model's zone ranges out, so it would admit the model's own workloads wherever the
 * range resolves over them, and every other cloud's egress towards the destination is not exact
 * by workload. Refused rather than rendered more open than the model.
 */
function unresolvedPeerProblem(flow: string, text: string): MicrosegProblem {
  return {
    code: 'UnresolvedRange', path: flow, value: text,
    message: 'an inbound allow from a Peer range unknown at synth cannot be rendered here: the range cannot be carved out of the model\'s zone ranges, so the rule would admit the model\'s own workloads wherever it resolves over them.',
    hint: 'Give the Peer a literal range (e.g. Peer.ipv4(\'203.0.113.0/24\')). Egress towards a Peer range unknown at synth is rendered as it is (the destinations\' inbound rules are exact).',
  };
}

/** Zones of unknown addresses next to peers that could hold them: refused. */
function unknownZoneProblems(unknown: UnknownZone[], refused: Set<string>): MicrosegProblem[] {
  if (!refused.size) return [];
  const peers = [...refused].sort();
  return unknown.map(({ zone, reason }) => ({
    code: reason, path: zone.path, value: peers.length === 1 ? peers[0] : peers,
    message: `zone "${zone.name}" has ${reason === 'UnresolvedRange' ? 'cidrs that are unresolved tokens' : 'no cidrs'} (nor cidrs on every workload), so its workloads cannot be excluded from the Peer range${peers.length === 1 ? '' : 's'} ${peers.join(', ')}: a Peer allow would admit them, and a DenyFlow towards the Peer would block them.`,
    hint: `Give zone "${zone.name}" ${reason === 'UnresolvedRange' ? 'literal cidrs' : 'its cidrs'} (or each of its workloads its cidrs), or give the backend the network's ranges (networkRanges: ['10.0.0.0/16']) so that peers are rendered without the whole network.`,
  }));
}

/**
 * Places the policy on one cloud. Throws `UnknownZone` and `MissingCidrs` (through the IR's
 * `placeRules`), invalid `networkRanges` and zones of unknown addresses next to peers, before
 * anything is rendered.
 */
export function placeOnCloud(policy: IrPolicy, zones: string[] | undefined, backendPath: string, options: PlacementOptions = {}, index = new PolicyIndex(policy)): Placement {
  // Validation (unknown zones, missing cidrs of remote zones) is the IR's.
  placeRules(policy, zones, backendPath);
  const local = new Set(zones ?? policy.zones.map(z => z.name));
  const problems: MicrosegProblem[] = [];
  const network = networkCidrs(options.networkRanges ?? [], backendPath, problems);
  const { internal, unknown } = modelAddresses(policy, index);
  const peers = new PeerCarver(network, internal, unknown);
  const sides = new SideMaker(index, local, peers);
  const rules = placeAllows(policy, sides, problems);
  const { denies, skipped } = placeDenies(policy, index, sides);
  problems.push(...unknownZoneProblems(unknown, peers.refused));
  throwProblems(problems);
  return { zones: [...local].sort(), rules, denies, trimmedPeers: [...peers.trimmed].sort(), trimmedByNetwork: [...peers.trimmedByNetwork].sort(), skippedDenyEnds: skipped };
}

/**
 * Which destinations a Peer ingress rule exposes to the model's own workloads, and what the
 * sources' side must leave out to stay exact. Pure functions over the compiled policy.
 *
 * A security group rule from `Peer.anyIpv4()` also matches the addresses of the model's
 * workloads. Instead of carving every zone range out of the Peer range (one rule per piece:
 * hundreds on a VPC of scattered subnets), the AWS backend renders the Peer range as ONE rule and
 * keeps the *source* side exact for the destinations such a rule exposes: egress towards their
 * zone names each destination's source group with the flows' ports, and egress towards Peers
 * (and MONITOR's catch-all egress) leaves out the exposed zones' ranges. A packet passes only if
 * the source's egress and the destination's ingress both allow it, so the pair allows exactly
 * what the model allows.
 *
 * @internal (not exported from the submodule index)
 */
import { MicrosegProblem } from '../model/errors';
import { Cidr, cidrOverlaps, cidrSubtract, IrPolicy, isCidr, parseCidr, PlacedRule } from '../ir';

/** The exposure of a placement. */
export interface Exposure {
  /** Local workloads with a Peer ingress rule whose range covers addresses of the model. */
  readonly workloads: ReadonlySet<string>;
  /** Local zones with at least one exposed workload. */
  readonly zones: ReadonlySet<string>;
  /** Ranges MONITOR's catch-all egress leaves out (the exposed zones' ranges, or the VPC range). */
  readonly carve: readonly Cidr[];
  /** Ranges egress towards Peers leaves out: `carve` and the MONITOR zones' ranges. */
  readonly peerCarve: readonly Cidr[];
  /** Ranges that cannot be known at synth where exactness needs them. */
  readonly problems: MicrosegProblem[];
  /**
   * The VPC range when it stands in `carve` or `peerCarve` for zones without cidrs: the exposed
   * ones (`carve` and `peerCarve`) and the MONITOR ones (`peerCarve` only).
   */
  readonly vpcStandIn?: { readonly range: Cidr; readonly exposed: readonly string[]; readonly monitor: readonly string[] };
}

/** What {@link findExposure} needs besides the policy. */
export interface ExposureInput {
  readonly policy: IrPolicy;
  readonly placed: readonly PlacedRule[];
  readonly localZones: ReadonlySet<string>;
  /** The VPC's primary IPv4 range when known at synth. */
  readonly vpcCidr?: string;
  /** Ranges of zones placed elsewhere: their Peer-range overlaps are carved on ingress. */
  readonly remoteZoneCidrs: ReadonlySet<string>;
}

export function isTokenText(text: string): boolean {
  return /\$\{Token\[/.test(text);
}

/**
 * Finds the exposed destinations. A Peer range is *in-model* when it overlaps a local zone's
 * range, the VPC range (when a local zone has no `cidrs`), or a range unknown at synth.
 */
export function findExposure(input: ExposureInput): Exposure {
  const problems: MicrosegProblem[] = [];
  const vpc = input.vpcCidr && !isTokenText(input.vpcCidr) ? parseCidr(input.vpcCidr) : undefined;
  const vpcRange = vpc && isCidr(vpc) ? vpc : undefined;
  const local = input.policy.zones.filter(z => input.localZones.has(z.name) && z.workloads.length > 0);
  const { workloads, zones } = exposedDestinations(input, inModelTest(local, vpcRange));
  const carve = exposedZoneRanges(input.policy, zones, vpcRange, problems);
  const monitorCarve = monitorZoneRanges(input, local, zones, vpcRange, problems);
  const noCidrs = (z: Zone) => z.cidrs.length === 0;
  const exposedWithout = input.policy.zones.filter(z => zones.has(z.name) && noCidrs(z)).map(z => z.name);
  const monitorWithout = local.filter(z => z.mode === 'MONITOR' && !zones.has(z.name) && noCidrs(z)).map(z => z.name);
  const vpcStandIn = vpcRange && (exposedWithout.length || monitorWithout.length) ? { range: vpcRange, exposed: exposedWithout, monitor: monitorWithout } : undefined;
  return { workloads, zones, carve: dedupe(carve), peerCarve: dedupe([...carve, ...monitorCarve]), problems, vpcStandIn };
}

type Zone = IrPolicy['zones'][number];

/** Whether a Peer range covers addresses of the model's local zones (or the VPC's, or unknown ones). */
function inModelTest(local: Zone[], vpcRange: Cidr | undefined): (text: string) => boolean {
  const known: Cidr[] = [];
  let unknownIpv4 = false;
  for (const z of local) {
    if (z.cidrs.length === 0) {
      if (vpcRange) known.push(vpcRange); else unknownIpv4 = true;
    }
    for (const c of z.cidrs) {
      if (isTokenText(c)) { unknownIpv4 = true; continue; }
      const p = parseCidr(c);
      if (isCidr(p)) known.push(p);
    }
  }
  return (text: string): boolean => {
    if (isTokenText(text)) return true;
    const p = parseCidr(text);
    if (!isCidr(p)) return false;
    return known.some(k => k.family === p.family && cidrOverlaps(k, p)) || (unknownIpv4 && p.family === 'ipv4');
  };
}

/** Local workloads with a Peer ingress rule whose range covers the model, and their zones. */
function exposedDestinations(input: ExposureInput, inModel: (text: string) => boolean): { workloads: Set<string>; zones: Set<string> } {
  const workloads = new Set<string>();
  const zones = new Set<string>();
  for (const r of input.placed) {
    if (!r.destinationLocal || r.destination.kind !== 'workload' || r.source.kind !== 'cidr') continue;
    if (input.remoteZoneCidrs.has(r.source.cidr)) continue;
    if (!inModel(r.source.cidr)) continue;
    workloads.add(r.destination.workload);
    zones.add(r.destination.zone);
  }
  return { workloads, zones };
}

/** The ranges of the exposed zones (the VPC range for a zone without cidrs); unknown ones are problems. */
function exposedZoneRanges(policy: IrPolicy, zones: ReadonlySet<string>, vpcRange: Cidr | undefined, problems: MicrosegProblem[]): Cidr[] {
  const carve: Cidr[] = [];
  for (const z of policy.zones.filter(x => zones.has(x.name))) {
    const path = z.path;
    if (z.cidrs.length === 0) {
      if (vpcRange) carve.push(vpcRange);
      else {
        problems.push({
          code: 'UnresolvedRange', path, value: z.name,
          message: `zone "${z.name}" has a workload open to a Peer range that covers the model's addresses, and neither the zone's cidrs nor the VPC range is known at synth, so egress towards Peers cannot leave the zone out (it would be more open than the model).`,
          hint: `Give zone "${z.name}" concrete cidrs or subnets, or a VPC whose range is known at synth (ec2.Vpc, or Vpc.fromLookup / fromVpcAttributes with vpcCidrBlock).`,
        });
      }
    }
    for (const c of z.cidrs) {
      if (isTokenText(c)) {
        problems.push({
          code: 'UnresolvedRange', path, value: c,
          message: `zone "${z.name}" has a workload open to a Peer range that covers the model's addresses, and this range is unknown at synth, so egress towards Peers cannot leave it out (it would be more open than the model).`,
          hint: 'Use a concrete CIDR (or subnets whose CIDRs CDK knows) for this zone.',
        });
        continue;
      }
      const p = parseCidr(c);
      if (isCidr(p)) carve.push(p);
    }
  }
  return carve;
}

/**
 * MONITOR zones: their catch-all admits the model's workloads, so egress of ENFORCE sources
 * towards Peers leaves them out too (it depends on the zones only, never on flows).
 */
function monitorZoneRanges(input: ExposureInput, local: Zone[], exposed: ReadonlySet<string>, vpcRange: Cidr | undefined, problems: MicrosegProblem[]): Cidr[] {
  const monitorCarve: Cidr[] = [];
  const peerEgress = input.placed.some(r => r.sourceLocal && r.source.kind === 'workload' && r.destination.kind === 'cidr');
  for (const z of local.filter(x => x.mode === 'MONITOR' && !exposed.has(x.name))) {
    if (z.cidrs.length === 0) {
      if (vpcRange) monitorCarve.push(vpcRange);
      else if (peerEgress) {
        problems.push({
          code: 'UnresolvedRange', path: z.path, value: z.name,
          message: `zone "${z.name}" is in MONITOR mode (its catch-all admits the model's workloads) and has no cidrs, and the VPC range is unknown at synth, so egress towards Peers cannot leave the zone out (it would be more open than the model).`,
          hint: `Give zone "${z.name}" concrete cidrs or subnets, or a VPC whose range is known at synth.`,
        });
      }
    }
    for (const c of z.cidrs) {
      const p = isTokenText(c) ? undefined : parseCidr(c);
      if (p && isCidr(p)) monitorCarve.push(p);
      else if (peerEgress) {
        problems.push({
          code: 'UnresolvedRange', path: z.path, value: c,
          message: `zone "${z.name}" is in MONITOR mode (its catch-all admits the model's workloads), and this range is unknown at synth, so egress towards Peers cannot leave it out (it would be more open than the model).`,
          hint: 'Use a concrete CIDR (or subnets whose CIDRs CDK knows) for this zone.',
        });
      }
    }
  }
  return monitorCarve;
}

function dedupe(list: Cidr[]): Cidr[] {
  const seen = new Set<string>();
  return list.filter(c => (seen.has(c.text) ? false : (seen.add(c.text), true)));
}

/** `range` minus every carve range of its family (canonical pieces, in address order). */
export function subtractRanges(range: Cidr, carve: readonly Cidr[]): Cidr[] {
  let pieces: Cidr[] = [range];
  for (const c of carve) {
    if (c.family !== range.family) continue;
    pieces = pieces.flatMap(x => cidrSubtract(x, c));
  }
  return pieces;
}

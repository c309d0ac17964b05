/**
 * What every step of the AWS plan reads, built once per run: the options resolved, the IR index,
 * the problem sink, the zones placed here and the known ranges, the exposure of Peer ingress,
 * the blocks of zone-wide egress, the peer carving and the canonical group order.
 *
 * @internal
 */
import { Cidr, IrPolicy, isCidr, parseCidr, PlacedRule, remoteWorkloadCidrs } from '../ir';
import { PolicyIndex, ProblemSink } from '../plan';
import { PeerCarving } from './carving';
import { egressBlocks } from './egress-blocks';
import { Exposure, findExposure } from './exposure';
import { groupRanks, isToken } from './names';
import { AwsPlanOptions, AwsQuotas, DEFAULT_QUOTAS } from './types';

/** The resolved state of one planning run. */
export interface AwsContext {
  readonly policy: IrPolicy;
  readonly placed: readonly PlacedRule[];
  readonly opts: AwsPlanOptions;
  readonly index: PolicyIndex;
  readonly sink: ProblemSink;
  /** The segmentation's name. */
  readonly seg: string;
  readonly quotas: AwsQuotas;
  /** The ephemeral port range of stateless return traffic. */
  readonly eph: { readonly from: number; readonly to: number };
  readonly egressMode: 'zone' | 'flow';
  readonly generated: boolean;
  readonly localZones: ReadonlySet<string>;
  /** The VPC's primary IPv4 range when known at synth. */
  readonly vpcCidr?: string;
  /** Concrete ranges of every zone. */
  readonly zoneRanges: readonly Cidr[];
  /** Whether the model names IPv6 ranges. */
  readonly ipv6Used: boolean;
  readonly exposure: Exposure;
  /** Per local zone, the blocks zone-wide egress names. */
  readonly zoneBlocks: ReadonlyMap<string, string[]>;
  readonly carving: PeerCarving;
  /** The canonical rank of every group. */
  readonly rank: ReadonlyMap<string, number>;
}

/** Builds the context of a run (exposure problems go to the sink). */
export function awsContext(policy: IrPolicy, placed: readonly PlacedRule[], opts: AwsPlanOptions): AwsContext {
  const sink = new ProblemSink(policy);
  const localZones = new Set(opts.zones ?? policy.zones.map(z => z.name));
  const { zoneRanges, remoteZoneCidrs, remoteRanges } = knownRanges(policy, localZones);
  const vpcCidr = opts.vpcCidr && !isToken(opts.vpcCidr) ? opts.vpcCidr : undefined;
  // Peer ingress is one rule per range; the destinations it exposes to the model's own workloads
  // keep their sources' side exact (see exposure.ts).
  const exposure = findExposure({ policy, placed, localZones, vpcCidr, remoteZoneCidrs });
  exposure.problems.forEach(p => sink.error(p));
  const ipv6Used = policy.zones.some(z => z.cidrs.some(c => c.includes(':')))
    || placed.some(r => (r.source.kind === 'cidr' && r.source.family === 'ipv6') || (r.destination.kind === 'cidr' && r.destination.family === 'ipv6'));
  return {
    policy, placed, opts, index: new PolicyIndex(policy), sink,
    seg: policy.segmentation.name,
    quotas: opts.quotas ?? DEFAULT_QUOTAS,
    eph: opts.ephemeral ?? { from: 1024, to: 65535 },
    egressMode: opts.egressTowardsZones ?? 'zone',
    generated: opts.generatedDescriptions ?? false,
    localZones, vpcCidr, zoneRanges, ipv6Used, exposure,
    zoneBlocks: egressBlocks(policy, localZones, exposure.zones),
    carving: new PeerCarving(sink, exposure, remoteRanges, remoteZoneCidrs),
    rank: groupRanks(policy),
  };
}

/** The concrete ranges of every zone, and of the zones (and workloads' own cidrs) placed on other backends (tokens skipped). */
function knownRanges(policy: IrPolicy, localZones: ReadonlySet<string>): { zoneRanges: Cidr[]; remoteZoneCidrs: Set<string>; remoteRanges: Cidr[] } {
  const zoneRanges: Cidr[] = [];
  const remoteZoneCidrs = new Set<string>();
  const remoteRanges: Cidr[] = [];
  for (const z of policy.zones) {
    for (const c of z.cidrs) {
      if (isToken(c)) continue;
      const p = parseCidr(c);
      if (isCidr(p)) zoneRanges.push(p);
      if (!localZones.has(z.name)) {
        remoteZoneCidrs.add(c);
        if (isCidr(p)) remoteRanges.push(p);
      }
    }
  }
  // A workload placed elsewhere with its own cidrs is named by them (placeRules): they are the
  // model's own addresses, never carved out of themselves like a Peer range.
  for (const w of policy.workloads) if (!localZones.has(w.zone)) for (const c of remoteWorkloadCidrs(w)) remoteZoneCidrs.add(c);
  return { zoneRanges, remoteZoneCidrs, remoteRanges };
}

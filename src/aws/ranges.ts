/**
 * Zone ranges checked against the network the AWS backend renders into (pure: no constructs).
 *
 * - A zone given `subnets` takes its ranges from those subnets (their CIDRs as CDK knows them);
 *   its declared `cidrs`, if any, must contain every subnet.
 * - Every concrete range of a zone placed here lies inside the VPC's ranges or the
 *   `externalRanges` the user declared (on-premises, peered networks).
 * - Zone ranges are pairwise disjoint; workload `cidrs` lie inside their zone's ranges.
 *
 * Unresolved tokens are not compared (CloudFormation resolves them at deploy time), except where
 * exactness needs them (see exposure.ts).
 *
 * @internal
 */
import { MicrosegProblem } from '../model/errors';
import { Cidr, cidrContains, cidrOverlaps, IrPolicy, isCidr, parseCidr } from '../ir';
import { isTokenText } from './exposure';

/** One subnet of a zone as CDK knows it. */
export interface ZoneSubnet {
  /** Construct path or id (for messages). */
  readonly name: string;
  /** Its IPv4 CIDR: concrete, a token, or undefined when CDK does not know it (an import without it). */
  readonly cidr?: string;
}

export interface RangeInput {
  readonly policy: IrPolicy;
  readonly localZones: ReadonlySet<string>;
  readonly backendPath: string;
  /** The VPC's ranges known at synth (primary and secondary); empty when unknown. */
  readonly vpcRanges: readonly string[];
  /** Ranges outside the VPC that zones placed here may use. */
  readonly externalRanges: readonly string[];
  /** Subnets given per zone (`subnets` prop). */
  readonly subnets: Readonly<Record<string, readonly ZoneSubnet[]>>;
}

/** The policy with zones' ranges learnt from their subnets, and every problem found. */
export interface RangeResult {
  readonly policy: IrPolicy;
  readonly problems: MicrosegProblem[];
}

function parsed(text: string): Cidr | undefined {
  if (isTokenText(text)) return undefined;
  const p = parseCidr(text);
  return isCidr(p) ? p : undefined;
}

function inside(c: Cidr, ranges: readonly Cidr[]): boolean {
  return ranges.some(r => r.family === c.family && cidrContains(r, c));
}

/**
 * The fewest CIDRs that cover exactly the same addresses (adjacent halves merged, contained
 * ranges dropped); tokens kept as they are. Subnets 10.0.4.0/23 and 10.0.6.0/23 are 10.0.4.0/22.
 */
export function aggregate(ranges: readonly string[]): string[] {
  const tokens = [...new Set(ranges.filter(isTokenText))];
  let list = ranges.map(parsed).filter((x): x is Cidr => !!x);
  for (let changed = true; changed;) {
    changed = false;
    list = list.filter((c, i) => !list.some((o, j) => j !== i && o.family === c.family && cidrContains(o, c) && (o.prefix < c.prefix || j < i)));
    list.sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : a.first < b.first ? -1 : a.first > b.first ? 1 : a.prefix - b.prefix));
    for (let i = 0; i + 1 < list.length; i++) {
      const a = list[i]; const b = list[i + 1];
      if (a.family !== b.family || a.prefix !== b.prefix || a.prefix === 0) continue;
      const parent = parseCidr(`${a.text.split('/')[0]}/${a.prefix - 1}`);
      if (isCidr(parent) && parent.first === a.first && cidrContains(parent, b)) {
        list.splice(i, 2, parent);
        changed = true;
        break;
      }
    }
  }
  return [...list.map(c => c.text).sort(), ...tokens];
}

/** Learns zone ranges from subnets, then checks every concrete range. */
export function checkRanges(input: RangeInput): RangeResult {
  const problems: MicrosegProblem[] = [];
  const learnt = learnZoneRanges(input, problems);
  const policy: IrPolicy = learnt.size === 0 ? input.policy : {
    ...input.policy,
    zones: input.policy.zones.map(z => (learnt.has(z.name) ? { ...z, cidrs: learnt.get(z.name)! } : z)),
  };
  checkInsideNetwork(policy, input, problems);
  checkDisjoint(policy, problems);
  checkWorkloadRanges(policy, problems);
  return { policy, problems };
}

/**
 * The ranges of zones given subnets, aggregated (only where every subnet's CIDR is known); a
 * subnet of unknown CIDR in a zone without cidrs, or outside the zone's cidrs, is a problem.
 */
function learnZoneRanges(input: RangeInput, problems: MicrosegProblem[]): Map<string, string[]> {
  const learnt = new Map<string, string[]>();
  for (const zone of input.policy.zones) {
    const subs = input.subnets[zone.name];
    if (!subs || subs.length === 0) continue;
    const declared = zone.cidrs.map(parsed).filter((x): x is Cidr => !!x);
    const ranges: string[] = [];
    for (const s of subs) {
      if (s.cidr === undefined) {
        if (zone.cidrs.length === 0) {
          problems.push({
            code: 'UnresolvedRange', path: zone.path, value: s.name,
            message: `zone "${zone.name}" takes its ranges from its subnets, and CDK does not know this subnet's CIDR, so rules towards the zone would miss it.`,
            hint: 'Import the subnet with its ipv4CidrBlock (ec2.Subnet.fromSubnetAttributes({ subnetId, ipv4CidrBlock })), use Vpc.fromLookup, or give the zone its cidrs.',
          });
        }
        continue;
      }
      const p = parsed(s.cidr);
      if (p && declared.length > 0 && !inside(p, declared)) {
        problems.push({
          code: 'OutsideZone', path: zone.path, value: s.cidr,
          message: `subnet ${s.name} of zone "${zone.name}" lies outside the zone's cidrs (${zone.cidrs.join(', ')}).`,
          hint: `Give zone "${zone.name}" the subnet's range too, or leave its cidrs out: a zone with subnets takes its ranges from them.`,
        });
      }
      ranges.push(p ? p.text : s.cidr);
    }
    if (ranges.length > 0 && !subs.some(s => s.cidr === undefined)) learnt.set(zone.name, aggregate(ranges));
  }
  return learnt;
}

/** The IPv4 ranges of zones placed on this backend lie inside the VPC (or `externalRanges`), when the VPC's ranges are known. */
function checkInsideNetwork(policy: IrPolicy, input: RangeInput, problems: MicrosegProblem[]): void {
  const network = [...input.vpcRanges, ...input.externalRanges].map(parsed).filter((x): x is Cidr => !!x);
  const vpcKnown = input.vpcRanges.some(r => !!parsed(r));
  for (const z of policy.zones) {
    if (!input.localZones.has(z.name) || !vpcKnown) continue;
    for (const c of z.cidrs) {
      const p = parsed(c);
      if (p && p.family === 'ipv4' && !inside(p, network)) {
        problems.push({
          code: 'RangeOutsideNetwork', path: z.path, value: c,
          message: `zone "${z.name}" is placed on ${input.backendPath}, but this range lies outside the VPC's ranges (${input.vpcRanges.join(', ')}), so its workloads cannot sit there.`,
          hint: 'Use a range inside the VPC (or the zone\'s subnets), or declare the range as outside the VPC with `externalRanges` (on-premises, a peered network).',
        });
      }
    }
  }
}

/** Zones' ranges are pairwise disjoint (the later zone by name is the one reported). */
function checkDisjoint(policy: IrPolicy, problems: MicrosegProblem[]): void {
  const all = policy.zones.flatMap(z => z.cidrs.map(c => ({ zone: z, text: c, cidr: parsed(c) })).filter(x => x.cidr));
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]; const b = all[j];
      if (a.zone.name === b.zone.name || a.cidr!.family !== b.cidr!.family || !cidrOverlaps(a.cidr!, b.cidr!)) continue;
      const [first, second] = a.zone.name < b.zone.name ? [a, b] : [b, a];
      problems.push({
        code: 'OverlappingRanges', path: second.zone.path, value: second.text,
        message: `zone "${second.zone.name}" overlaps zone "${first.zone.name}" (${first.text}): an address must belong to one zone, or rules by range would let one zone's hosts pass as the other's.`,
        hint: 'Give each zone its own ranges (or its own subnets).',
      });
    }
  }
}

/** Workload ranges lie inside their zone's ranges (when every zone range is concrete). */
function checkWorkloadRanges(policy: IrPolicy, problems: MicrosegProblem[]): void {
  const zoneByName = new Map(policy.zones.map(z => [z.name, z]));
  for (const w of policy.workloads) {
    const z = zoneByName.get(w.zone);
    if (!z) continue;
    const zr = z.cidrs.map(parsed).filter((x): x is Cidr => !!x);
    if (zr.length === 0 || zr.length !== z.cidrs.length) continue;
    for (const c of w.cidrs) {
      const p = parsed(c);
      if (p && !inside(p, zr)) {
        problems.push({
          code: 'OutsideZone', path: w.path, value: c,
          message: `workload "${w.name}" has this range, outside its zone "${z.name}" (${z.cidrs.join(', ')}).`,
          hint: `Use a range inside zone "${z.name}", or move the workload to the zone that holds it.`,
        });
      }
    }
  }
}

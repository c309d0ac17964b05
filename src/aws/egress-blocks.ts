/**
 * The address blocks zone-wide egress names. Pure.
 *
 * @internal
 */
import { cidrOverlaps, IrPolicy, isCidr, parseCidr } from '../ir';
import { isToken } from './names';
import { aggregate } from './ranges';

/**
 * The blocks zone-wide egress names, per local zone: the fewest CIDRs covering exactly the
 * ranges of every local ENFORCE zone that has workloads and none open to a Peer range covering
 * the model (see exposure.ts; a MONITOR zone's catch-all admits the model's workloads, so egress
 * towards it names each destination's source group with the flows' ports). Every address of a block belongs to such a zone, whose members all
 * have exact ingress, so an all-traffic egress rule towards a block allows exactly what the
 * destinations' ingress allows. The blocks depend on the zones and on which zones are exposed,
 * never on other flows: a flow towards a zone whose block a source already reaches adds nothing,
 * and a source reaches at most as many blocks as the model has (a monitoring server scraping
 * 35 zones of three scattered /24 subnets needs 9 rules instead of 105). Token ranges stay as
 * they are.
 */
export function egressBlocks(policy: IrPolicy, localZones: ReadonlySet<string>, exposed: ReadonlySet<string>): Map<string, string[]> {
  const eligible = policy.zones.filter(z => localZones.has(z.name) && z.workloads.length > 0 && !exposed.has(z.name) && z.mode !== 'MONITOR');
  const blocks = aggregate(eligible.flatMap(z => z.cidrs.filter(c => !isToken(c)))).map(c => parseCidr(c)).filter(isCidr);
  const out = new Map<string, string[]>();
  for (const z of eligible) {
    const mine = new Set<string>();
    for (const c of z.cidrs) {
      const p = isToken(c) ? undefined : parseCidr(c);
      const block = p && isCidr(p) ? blocks.find(b => b.family === p.family && cidrOverlaps(b, p)) : undefined;
      mine.add(block ? block.text : c);
    }
    out.set(z.name, [...mine].sort());
  }
  return out;
}

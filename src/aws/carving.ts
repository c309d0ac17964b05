/**
 * AWS's peer/zone overlap policy: Peer ranges in ingress rules are one rule per range, minus only
 * the ranges of zones placed on other backends (their egress is not rendered here, so it cannot
 * be kept exact); Peer ranges in egress rules leave out the zones exposed to Peer ranges and the
 * MONITOR zones (see exposure.ts); MONITOR's catch-all egress leaves out the exposed zones. A
 * range unknown at synth that would need carving is an error; a Peer left empty is warned.
 *
 * @internal
 */
import { Cidr, cidrOverlaps, isCidr, parseCidr } from '../ir';
import { ProblemSink } from '../plan';
import { Exposure, subtractRanges } from './exposure';
import { isToken } from './names';
import { AwsWarnings } from './warnings';

/** Carves Peer ranges for ingress and egress rules (each text once per use). */
export class PeerCarving {
  private readonly ingressCache = new Map<string, string[]>();
  private readonly egressCache = new Map<string, string[]>();

  constructor(private readonly sink: ProblemSink, private readonly exposure: Exposure, private readonly remoteRanges: readonly Cidr[], private readonly remoteZoneCidrs: ReadonlySet<string>) {}

  /** A Peer range in ingress rules: without the ranges of zones placed on other backends. */
  public ingress(text: string, flows: string[]): string[] {
    return cachedIn(this.ingressCache, text, () => this.carve(text, flows, this.remoteRanges, 'zones placed on other backends'));
  }

  /**
   * A Peer range in egress rules: without the exposed and MONITOR zones; in MONITOR's catch-all
   * egress (`catchall`), without the exposed zones (a MONITOR source may reach MONITOR zones anyway).
   */
  public egress(text: string, flows: string[], catchall = false): string[] {
    return cachedIn(this.egressCache, `${catchall}|${text}`, () => {
      const pieces = catchall
        ? this.carve(text, flows, this.exposure.carve, 'zones whose workloads are open to Peer ranges')
        : this.carve(text, flows, this.exposure.peerCarve, 'zones whose workloads are open to Peer ranges, and MONITOR zones');
      this.warnVpcLeftOut(text, flows, catchall);
      return pieces;
    });
  }

  /**
   * Warns when the pieces of a Peer range leave the whole VPC range out for zones without cidrs,
   * also when nothing is left (`PeerInsideZones` then says no rule is rendered; this says why the
   * VPC's addresses outside every zone are lost: FC_SEED=188555425 found it unwarned).
   */
  private warnVpcLeftOut(text: string, flows: string[], catchall: boolean): void {
    const v = this.exposure.vpcStandIn;
    if (!v || flows.length === 0 || isToken(text)) return;
    const monitor = catchall ? [] : v.monitor;
    const p = parseCidr(text);
    if (v.exposed.length + monitor.length === 0 || !isCidr(p) || p.family !== v.range.family || !cidrOverlaps(p, v.range)) return;
    const list = (zs: readonly string[]) => zs.map(z => `"${z}"`).join(', ');
    const why = [
      ...(v.exposed.length ? [`${list(v.exposed)} (open to Peer ranges that cover the model)`] : []),
      ...(monitor.length ? [`${list(monitor)} (in MONITOR mode)`] : []),
    ].join(' and ');
    this.sink.warn(AwsWarnings.PEER_EGRESS_LEAVES_VPC_OUT, flows[0], `Egress towards the Peer range ${text} leaves out the whole VPC range ${v.range.text}: zone(s) ${why} must be left out and have no cidrs, so the VPC range stands for their addresses. The flow does not reach addresses of the VPC outside every zone (flows: ${flows.join(', ')}). Give ${list([...v.exposed, ...monitor])} their cidrs to leave out only them.`);
  }

  private carve(text: string, flows: string[], ranges: readonly Cidr[], what: string): string[] {
    if (isToken(text) && ranges.length > 0 && flows.length > 0) {
      // A range unknown at synth cannot leave anything out: rendering it could be more open than the model.
      this.sink.error({
        code: 'UnresolvedRange', path: flows[0], value: text,
        message: `this flow's Peer range is unknown at synth, and it must leave out the ranges of ${what} (${ranges.map(r => r.text).join(', ')}), so it cannot be rendered exactly (it could be more open than the model).`,
        hint: 'Use a concrete CIDR for the Peer (e.g. Peer.ipv4(\'203.0.113.0/24\')), or a CloudFormation parameter only where no zone must be left out.',
      });
      return [];
    }
    if (isToken(text) || this.remoteZoneCidrs.has(text) || ranges.length === 0) return [text];
    const p = parseCidr(text);
    if (!isCidr(p)) return [text];
    const pieces = subtractRanges(p, ranges);
    if (pieces.length === 0 && flows.length > 0) {
      this.sink.warn(AwsWarnings.PEER_INSIDE_ZONES, flows[0], `The Peer range ${text} lies inside the ranges of ${what}: a Peer stands for addresses outside the model, so no rule is rendered for it (flows: ${flows.join(', ')}).`);
    }
    return pieces.map(x => x.text);
  }
}

function cachedIn(cache: Map<string, string[]>, key: string, make: () => string[]): string[] {
  let v = cache.get(key);
  if (!v) { v = make(); cache.set(key, v); }
  return v;
}

/**
 * Warnings every backend reports about a placement: peers trimmed of zone ranges (the cloud's
 * peer-overlap policy), peers trimmed of the network, cross-cloud widening, typed ICMP that a
 * cloud renders as every type, guardrail ends a cloud cannot render. Pure.
 */
import { cidr, cidrContains } from '../ir/cidr';
import { crossCloudWarnings } from '../ir/placement';
import { serviceContains, serviceKey } from '../ir/services';
import { IrEndpointRef, IrPolicy, IrRule } from '../ir/types';
import { isUnresolved } from '../model/tokens';
import { CloudCapabilities } from './capabilities';
import { Placement } from './placement';
import { ProblemSink } from './problems';
import { cmp } from './text';

/**
 * Guardrails with a typed ICMP service (`Port.icmp(8)`), which clouds without ICMP types render
 * as every ICMP type: the declared ICMP (of other types) they then block between their ends, by
 * deny path, as `flow path (icmp:3/4)` texts. The compiler's subtraction stays exact; this is
 * what the wider deny removes on these clouds.
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

/**
 * Reports the warnings of a placement into the sink (unless acknowledged): peers trimmed of
 * zone ranges (under the cloud's peer-overlap warning id), peers trimmed of the network,
 * cross-cloud widening, typed ICMP guardrails widened (clouds without ICMP types), guardrail
 * ends that cannot be rendered on this cloud.
 */
export function reportPlacementWarnings(sink: ProblemSink, policy: IrPolicy, placement: Placement, backendPath: string, caps: CloudCapabilities): void {
  for (const p of placement.trimmedPeers) {
    sink.warn(caps.peerOverlapWarning, backendPath, `Peer ${p} overlaps zone cidrs of the model; it is rendered without them (peers are addresses outside the model).`);
  }
  for (const p of placement.trimmedByNetwork) {
    sink.warn('microseg:PeerOverlapsNetwork', backendPath, `Peer ${p} reaches beyond the network's ranges (networkRanges); it is rendered without the whole network, so addresses of the network outside every zone are not part of it either.`);
  }
  sink.warnAll(crossCloudWarnings(policy, placement.zones, backendPath));
  if (!caps.icmpTypes) {
    const rendered = new Set(placement.denies.map(d => d.deny.path));
    for (const x of icmpDenyWidening(policy).filter(y => rendered.has(y.deny))) {
      const shown = x.blocked.slice(0, 5).join('; ') + (x.blocked.length > 5 ? `; and ${x.blocked.length - 5} more` : '');
      sink.warn('microseg:IcmpDenyWidened', x.deny, `${caps.name} rules cannot match ICMP types: this guardrail (${x.types.join(', ')}) is rendered as every ICMP type, which also blocks declared ICMP between its ends: ${shown}. Deny every ICMP type on purpose (Port.icmp()), or narrow the guardrail's ends so that it misses those flows.`);
    }
  }
  // a guardrail's Peer range unknown at synth cannot be carved: more closed than the model
  const uncarved = new Map<string, string>();
  for (const d of placement.denies) {
    for (const side of [d.source, d.destination]) {
      if (side.kind === 'ranges' && side.origin === 'peer' && isUnresolved(side.label) && !uncarved.has(d.deny.path)) uncarved.set(d.deny.path, side.label);
    }
  }
  for (const [deny, range] of [...uncarved.entries()].sort(([a], [b]) => cmp(a, b))) {
    sink.warn('microseg:UnresolvedPeerDeny', deny, `The Peer range ${range} of this guardrail is unknown at synth, so its ${caps.name} rule cannot leave the model's zone ranges out of it: if it resolves over them, the rule also blocks the model's own workloads there, declared flows included (never more open than the model). Give the Peer a literal range to render it exactly.`);
  }
  for (const s of placement.skippedDenyEnds) {
    sink.warn('microseg:GuardrailPartial', s.deny, `Workload "${s.workload}" is not on ${caps.name} and has no cidrs (and the guardrail does not cover its whole zone): no deny rule is rendered for it here.`);
  }
}

/**
 * Flows with a typed ICMP service, which a cloud without ICMP types renders as every ICMP type:
 * one `microseg:IcmpTypeWidened` warning per flow (sorted).
 */
export function reportIcmpTypeWidening(sink: ProblemSink, rules: { service: IrRule['service']; flows: string[] }[], caps: CloudCapabilities, rulesText: string): void {
  if (caps.icmpTypes) return;
  const widened = new Set<string>();
  for (const r of rules) if (r.service.protocol === 'icmp' && r.service.from !== -1) r.flows.forEach(f => widened.add(f));
  for (const f of [...widened].sort()) {
    sink.warn('microseg:IcmpTypeWidened', f, `${caps.name} ${rulesText} cannot match ICMP types or codes: the flow is rendered as every ICMP type.`);
  }
}

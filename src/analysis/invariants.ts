/**
 * Checking invariants (`Isolation`, `NeverReach`, `MustReach`) on a compiled policy, or on what a
 * backend rendered. Pure functions over the IR.
 *
 * One search, two ways to answer "which services are open from this end to that end":
 * - on the model, from the compiled IR rules (exact set algebra; the flows behind each rule name
 *   the hop);
 * - on rendered (or live) rules, through a packet oracle (`allows(packet)`, e.g. a cloud
 *   evaluator): probe packets on every port and address where some rule, flow, guardrail or
 *   invariant of the model starts or ends, so every interval that can behave differently is
 *   tried once.
 * `NeverReach` is a breadth-first search over workloads (the blast-radius view: an attacker who
 * controls a workload uses any service it reaches to pivot), so the path reported is a shortest
 * one; intermediate hops may use any service, the last hop must carry the invariant's ports.
 */
import { Cidr, cidr, cidrContains, cidrOverlaps, cidrSubtract, formatAddress } from '../ir/cidr';
import { IrInvariant } from '../ir/invariants';
import { Packet, PacketEnd } from '../ir/semantics';
import { IrService, mergeServices, serviceContains, serviceKey, serviceOverlaps, subtractAll } from '../ir/services';
import { atomKey, IrEndpointRef, IrPolicy, IrRule } from '../ir/types';
import { MicrosegError, MicrosegProblem } from '../model/errors';
import { InvariantKind } from '../model/invariant';
import { cmp } from './reachability';

/** One hop of a path that breaks an invariant. */
export interface InvariantHop {
  /** Where the hop starts: a workload name, or an address range outside the model. */
  readonly from: string;
  /** Where the hop ends. */
  readonly to: string;
  /** The services open on the hop (canonical text, e.g. `tcp:443`). */
  readonly services: string[];
  /**
   * Construct paths of the AllowFlows that open the hop in the model (empty when only the
   * rendered rules open it, e.g. a MONITOR catch-all).
   */
  readonly flows: string[];
}

/** The verdict on one invariant. */
export interface InvariantResult {
  /** The invariant's construct path. */
  readonly invariant: string;
  /** What the invariant asserts. */
  readonly kind: InvariantKind;
  /** Why it exists. */
  readonly description: string;
  /**
   * Who answers for it.
   *
   * @default - none
   */
  readonly owner?: string;
  /** What was checked: `model`, or the cloud whose rules were evaluated (`aws`, `azure`, `gcp`, `kubernetes`). */
  readonly checkedOn: string;
  /** Whether the invariant holds. */
  readonly holds: boolean;
  /** For a broken `Isolation` or `NeverReach`: the path that breaks it, hop by hop (shortest). */
  readonly hops: InvariantHop[];
  /** For a broken `MustReach`: what blocks it (missing flow, DenyFlow, rendered rules). */
  readonly blockers: string[];
  /** One line: the verdict, and the path or the blockers. */
  readonly message: string;
}

/** An end of a hop: a workload, or an address range outside the model. */
export type InvariantEnd = { readonly workload: string } | { readonly range: Cidr };

/** The question the search asks: the services open from one end to another. */
export interface ReachOracle {
  /** `model`, or the cloud whose rules answer. */
  readonly name: string;
  /** Services open from `a` to `b` (for a range: from or to SOME address of it). */
  open(a: InvariantEnd, b: InvariantEnd): IrService[];
  /** The parts of `wanted` that do not pass from EVERY address of `a` to every address of `b`, as text. */
  missing(a: InvariantEnd, b: InvariantEnd, wanted: IrService): string[];
}

/** Checks every invariant of `policy` on the model (its compiled rules). */
export function checkInvariants(policy: IrPolicy): InvariantResult[] {
  const oracle = modelOracle(policy);
  return (policy.invariants ?? []).map(inv => checkOne(policy, inv, oracle));
}

/** Options of {@link checkRenderedInvariants}. */
export interface RenderedCheckOptions {
  /** The cloud whose rules the oracle evaluates (`aws`, `azure`, `gcp`, `kubernetes`). */
  readonly cloud: string;
  /** Whether the rendered (or live) rules let the packet through. */
  readonly allows: (p: Packet) => boolean;
  /** Workloads the rules cover (e.g. the zones placed on that cloud); default: every workload. */
  readonly workloads?: string[];
}

/**
 * Checks every invariant of `policy` on rendered (or live) rules, through a packet oracle such
 * as a cloud evaluator. Only invariants whose ends are all covered by `workloads` are checked.
 */
export function checkRenderedInvariants(policy: IrPolicy, opts: RenderedCheckOptions): InvariantResult[] {
  const covered = new Set(opts.workloads ?? policy.workloads.map(w => w.name));
  const oracle = packetOracle(policy, opts.cloud, opts.allows, covered);
  const model = modelOracle(policy);
  const invs = (policy.invariants ?? []).filter(inv => [inv.from, inv.to].every(r => !r || r.workloads.every(w => covered.has(w))));
  return invs.map(inv => checkOne(policy, inv, oracle, model));
}

/** The problems (`microseg:InvariantViolated`) of the results that do not hold. */
export function invariantProblems(results: InvariantResult[]): MicrosegProblem[] {
  return results.filter(r => !r.holds).map(r => ({
    code: 'InvariantViolated' as const,
    path: r.invariant,
    value: r.description,
    message: r.message,
    hint: r.kind === InvariantKind.MUST_REACH
      ? 'Declare the missing AllowFlow, narrow the DenyFlow that blocks it, or change the invariant.'
      : 'Remove or narrow one of the flows on the path (or add a DenyFlow), or change the invariant.',
  }));
}

/**
 * The synth-time check every backend runs: the invariants on the model, then (given an oracle
 * of what the backend rendered) on the rendered rules. Throws `microseg:InvariantViolated`
 * listing every invariant that does not hold; does nothing for a model without invariants.
 */
export function verifyInvariants(policy: IrPolicy, rendered?: RenderedCheckOptions): void {
  if (!policy.invariants?.length) return;
  let problems = invariantProblems(checkInvariants(policy));
  if (problems.length === 0 && rendered) problems = invariantProblems(checkRenderedInvariants(policy, rendered));
  if (problems.length > 0) throw MicrosegError.fromProblems(problems);
}

// ---- the search ---------------------------------------------------------------------------------

function checkOne(policy: IrPolicy, inv: IrInvariant, oracle: ReachOracle, model?: ReachOracle): InvariantResult {
  const base = {
    invariant: inv.path,
    kind: inv.kind as InvariantKind,
    description: inv.description,
    owner: inv.owner,
    checkedOn: oracle.name,
  };
  const on = oracle.name === 'model' ? 'on the model' : `on the rendered ${oracle.name} rules`;
  const who = `${kindName(inv.kind)} "${inv.description}"${inv.owner ? ` (owner: ${inv.owner})` : ''}`;
  if (inv.kind === 'MUST_REACH') {
    const blockers = mustReachBlockers(policy, inv, oracle, model);
    return {
      ...base, holds: blockers.length === 0, hops: [], blockers,
      message: blockers.length === 0 ? `${who} holds ${on}.` : `${who} does not hold ${on}: ${blockers.join('; ')}.`,
    };
  }
  const hops = inv.kind === 'ISOLATION' ? isolationBreach(policy, inv, oracle) : neverBreach(policy, inv, oracle);
  return {
    ...base, holds: hops.length === 0, hops, blockers: [],
    message: hops.length === 0 ? `${who} holds ${on}.` : `${who} is broken ${on}: ${formatHops(hops)}.`,
  };
}

function kindName(kind: IrInvariant['kind']): string {
  return kind === 'ISOLATION' ? 'Isolation' : kind === 'NEVER_REACH' ? 'NeverReach' : 'MustReach';
}

/** `a -[tcp:443 by Flow1]-> b -[...]-> c`. */
export function formatHops(hops: InvariantHop[]): string {
  if (hops.length === 0) return '';
  return hops[0].from + hops.map(h => ` -[${h.services.join(',')}${h.flows.length ? ` by ${h.flows.join(', ')}` : ' by no flow of the model'}]-> ${h.to}`).join('');
}

function endsOf(ref: IrEndpointRef): InvariantEnd[] {
  if (ref.kind === 'cidr') return [{ range: cidr(ref.cidr!) }];
  return ref.workloads.map(workload => ({ workload }));
}

function endName(e: InvariantEnd): string {
  return 'workload' in e ? e.workload : e.range.text;
}

function overlapping(open: IrService[], wanted: IrService[]): IrService[] {
  return open.filter(s => wanted.some(w => serviceOverlaps(s, w)));
}

function hop(policy: IrPolicy, a: InvariantEnd, b: InvariantEnd, services: IrService[]): InvariantHop {
  const matches = (ref: IrEndpointRef, e: InvariantEnd) => ('workload' in e ? ref.workloads.includes(e.workload) : ref.kind === 'cidr' && cidrOverlaps(cidr(ref.cidr!), e.range));
  const opening = policy.flows.filter(f => matches(f.from, a) && matches(f.to, b) && f.services.some(s => services.some(o => serviceOverlaps(s, o))));
  // A range end is named by the narrower ranges of the flows that open the hop, when they are inside it.
  const label = (e: InvariantEnd, refs: IrEndpointRef[]) => {
    if ('workload' in e) return e.workload;
    const inside = [...new Set(refs.filter(r => r.kind === 'cidr' && cidrContains(e.range, cidr(r.cidr!))).map(r => r.cidr!))].sort(cmp);
    return inside.length > 0 && inside.length === refs.length ? inside.join(',') : e.range.text;
  };
  return {
    from: label(a, opening.map(f => f.from)),
    to: label(b, opening.map(f => f.to)),
    services: mergeServices(services).map(serviceKey),
    flows: opening.map(f => f.path).sort(cmp),
  };
}

function neverBreach(policy: IrPolicy, inv: IrInvariant, oracle: ReachOracle): InvariantHop[] {
  const starts = endsOf(inv.from!);
  const targets = endsOf(inv.to);
  const workloads = policy.workloads.map(w => w.name);
  const seen = new Set<string>(starts.filter(s => 'workload' in s).map(s => endName(s)));
  const parent = new Map<string, { from: InvariantEnd; services: IrService[] }>();
  let layer = starts;
  for (let d = 0; d < inv.maxHops && layer.length > 0; d++) {
    for (const u of layer) {
      for (const t of targets) {
        const open = overlapping(oracle.open(u, t), inv.services);
        if (open.length > 0) return pathTo(policy, parent, u, t, open);
      }
    }
    if (d === inv.maxHops - 1) break;
    const next: InvariantEnd[] = [];
    for (const u of layer) {
      for (const v of workloads) {
        if (seen.has(v)) continue;
        const open = oracle.open(u, { workload: v });
        if (open.length === 0) continue;
        seen.add(v);
        parent.set(v, { from: u, services: open });
        next.push({ workload: v });
      }
    }
    layer = next;
  }
  return [];
}

function pathTo(policy: IrPolicy, parent: Map<string, { from: InvariantEnd; services: IrService[] }>, last: InvariantEnd, target: InvariantEnd, open: IrService[]): InvariantHop[] {
  const hops: InvariantHop[] = [hop(policy, last, target, open)];
  let cur = last;
  while ('workload' in cur && parent.has(cur.workload)) {
    const p = parent.get(cur.workload)!;
    hops.unshift(hop(policy, p.from, cur, p.services));
    cur = p.from;
  }
  return hops;
}

function isolationBreach(policy: IrPolicy, inv: IrInvariant, oracle: ReachOracle): InvariantHop[] {
  const inside = new Set(inv.to.workloads);
  const except = inv.except ?? [];
  const allowed = new Set(except.flatMap(e => e.workloads));
  const exceptRanges = except.filter(e => e.kind === 'cidr').map(e => cidr(e.cidr!));
  const sources: InvariantEnd[] = policy.workloads.map(w => w.name).filter(w => !inside.has(w) && !allowed.has(w)).map(workload => ({ workload }));
  for (const world of ['0.0.0.0/0', '::/0']) {
    let pieces = [cidr(world)];
    for (const x of exceptRanges) pieces = pieces.flatMap(p => cidrSubtract(p, x));
    sources.push(...pieces.map(range => ({ range })));
  }
  for (const s of sources) {
    for (const t of inv.to.workloads) {
      const open = overlapping(oracle.open(s, { workload: t }), inv.services);
      if (open.length > 0) return [hop(policy, s, { workload: t }, open)];
    }
  }
  return [];
}

function mustReachBlockers(policy: IrPolicy, inv: IrInvariant, oracle: ReachOracle, model?: ReachOracle): string[] {
  const out: string[] = [];
  for (const a of endsOf(inv.from!)) {
    for (const b of endsOf(inv.to)) {
      for (const s of inv.services) {
        const missing = oracle.missing(a, b, s);
        if (missing.length === 0) continue;
        const why = model && model.missing(a, b, s).length === 0
          ? `the rendered ${oracle.name} rules block it although the model allows it`
          : modelReason(policy, a, b, s);
        out.push(`${endName(a)} -> ${endName(b)} ${missing.join(',')}: ${why}`);
        if (out.length >= 20) return [...out, 'and more (first 20 shown)'];
      }
    }
  }
  return out;
}

/** Why the model does not let `s` pass from `a` to `b`: a DenyFlow, flows on other ports, or no flow. */
function modelReason(policy: IrPolicy, a: InvariantEnd, b: InvariantEnd, s: IrService): string {
  const matches = (ref: IrEndpointRef, e: InvariantEnd) => ('workload' in e ? ref.workloads.includes(e.workload) : ref.kind === 'cidr' && cidrOverlaps(cidr(ref.cidr!), e.range));
  const denies = policy.denies.filter(d => matches(d.from, a) && matches(d.to, b) && d.services.some(x => serviceOverlaps(x, s)));
  if (denies.length > 0) return `blocked by DenyFlow ${denies.map(d => `${d.path} (${d.description})`).join(', ')}`;
  const flows = policy.flows.filter(f => matches(f.from, a) && matches(f.to, b));
  if (flows.length > 0) {
    return `the flows between them (${flows.map(f => f.path).join(', ')}) allow only ${mergeServices(flows.flatMap(f => f.services)).map(serviceKey).join(',')}`;
  }
  return 'no AllowFlow declares it';
}

// ---- oracles ------------------------------------------------------------------------------------

/** The model's answer, from the compiled rules. */
function modelOracle(policy: IrPolicy): ReachOracle {
  const byPair = new Map<string, IrService[]>();
  const fromRange: IrRule[] = [];
  const toRange: IrRule[] = [];
  for (const r of policy.rules) {
    if (r.source.kind === 'cidr') fromRange.push(r);
    if (r.destination.kind === 'cidr') toRange.push(r);
    if (r.source.kind === 'workload' && r.destination.kind === 'workload') {
      const k = `${atomKey(r.source)}|${atomKey(r.destination)}`;
      const list = byPair.get(k);
      if (list) list.push(r.service); else byPair.set(k, [r.service]);
    }
  }
  const rangeOf = new Map<string, Cidr>();
  const c = (text: string) => { let x = rangeOf.get(text); if (!x) { x = cidr(text); rangeOf.set(text, x); } return x; };
  const rulesBetween = (a: InvariantEnd, b: InvariantEnd): { rule: IrRule; range?: Cidr }[] => {
    if ('workload' in a && 'workload' in b) return [];
    if ('range' in a && 'workload' in b) {
      return fromRange.filter(r => r.destination.kind === 'workload' && r.destination.workload === b.workload && r.source.kind === 'cidr' && cidrOverlaps(c(r.source.cidr), a.range))
        .map(rule => ({ rule, range: c((rule.source as { cidr: string }).cidr) }));
    }
    if ('workload' in a && 'range' in b) {
      return toRange.filter(r => r.source.kind === 'workload' && r.source.workload === a.workload && r.destination.kind === 'cidr' && cidrOverlaps(c(r.destination.cidr), b.range))
        .map(rule => ({ rule, range: c((rule.destination as { cidr: string }).cidr) }));
    }
    return [];
  };
  const open = (a: InvariantEnd, b: InvariantEnd): IrService[] => {
    if ('workload' in a && 'workload' in b) return mergeServices(byPair.get(`w:${a.workload}|w:${b.workload}`) ?? []);
    return mergeServices(rulesBetween(a, b).map(x => x.rule.service));
  };
  return {
    name: 'model',
    open,
    missing(a, b, wanted) {
      if ('workload' in a && 'workload' in b) return missingOf(wanted, open(a, b));
      // Every address of the range: split it where the rules' ranges start and end.
      const range = 'range' in a ? a.range : (b as { range: Cidr }).range;
      const rules = rulesBetween(a, b);
      const out = new Set<string>();
      for (const addr of breakpoints(range, rules.map(x => x.range!))) {
        const services = rules.filter(x => x.range!.first <= addr && addr <= x.range!.last).map(x => x.rule.service);
        for (const m of missingOf(wanted, mergeServices(services))) out.add(`${m} (from ${formatAddress(range.family, addr)})`);
      }
      return [...out].slice(0, 5);
    },
  };
}

/** The parts of `wanted` that `open` does not cover, as canonical text. */
function missingOf(wanted: IrService, open: IrService[]): string[] {
  if (wanted.protocol === 'tcp' || wanted.protocol === 'udp') {
    return subtractAll([wanted], open.filter(o => o.protocol === 'all' || o.protocol === wanted.protocol)).services.map(serviceKey);
  }
  return open.some(o => serviceContains(o, wanted)) ? [] : [serviceKey(wanted)];
}

/** Addresses where something may change inside `range`: its start, and the starts and ends of `cuts`. */
function breakpoints(range: Cidr, cuts: Cidr[]): bigint[] {
  const out = new Set<bigint>([range.first]);
  for (const x of cuts) {
    if (x.family !== range.family) continue;
    if (x.first >= range.first && x.first <= range.last) out.add(x.first);
    if (x.last + 1n >= range.first && x.last + 1n <= range.last) out.add(x.last + 1n);
  }
  return [...out].sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));
}

interface Probe { readonly protocol: 'tcp' | 'udp' | 'icmp'; readonly port: number; readonly code?: number; readonly service: IrService }

/** Every service of the model (rules, flows, guardrails, invariants). */
function modelServices(policy: IrPolicy): IrService[] {
  return [
    ...policy.rules.map(r => r.service),
    ...policy.flows.flatMap(f => f.services),
    ...policy.denies.flatMap(d => d.services),
    ...(policy.invariants ?? []).flatMap(i => i.services),
  ];
}

/** Probe packets' protocol and port: one per interval of ports (or ICMP type/code) the model can tell apart. */
export function probesOf(services: IrService[]): Probe[] {
  const out: Probe[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const ports = new Set<number>([0]);
    for (const s of services) {
      if (s.protocol !== protocol) continue;
      ports.add(s.from);
      if (s.to < 65535) ports.add(s.to + 1);
    }
    for (const port of [...ports].sort((a, b) => a - b)) out.push({ protocol, port, service: { protocol, from: port, to: port } });
  }
  const icmp = new Set<string>(['8/0', '0/0', '13/0']);
  for (const s of services) {
    if (s.protocol !== 'icmp' || s.from === -1) continue;
    icmp.add(`${s.from}/${s.to === -1 ? 0 : s.to}`);
    icmp.add(`${s.from}/${s.to === -1 ? 0 : s.to + 1}`);
  }
  for (const k of [...icmp].sort()) {
    const [t, c] = k.split('/').map(Number);
    if (c > 255) continue;
    out.push({ protocol: 'icmp', port: t, code: c, service: { protocol: 'icmp', from: t, to: c } });
  }
  return out;
}

/** The answer of rendered rules, through a packet oracle. */
function packetOracle(policy: IrPolicy, name: string, allows: (p: Packet) => boolean, covered: Set<string>): ReachOracle {
  const probes = probesOf(modelServices(policy));
  const cuts = [
    ...policy.rules.flatMap(r => [r.source, r.destination]).flatMap(a => (a.kind === 'cidr' ? [a.cidr] : [])),
    ...[...policy.flows, ...policy.denies].flatMap(f => [f.from, f.to]).flatMap(r => (r.kind === 'cidr' ? [r.cidr!] : [])),
    ...(policy.invariants ?? []).flatMap(i => [i.from, i.to, ...(i.except ?? [])]).flatMap(r => (r?.kind === 'cidr' ? [r.cidr!] : [])),
  ].filter(t => /^[0-9a-f:.]+\/\d+$/i.test(t)).map(t => cidr(t));
  // Addresses inside the model's own ranges belong to its workloads: they are never probed as
  // outside addresses (their workload's rules decide), only where those ranges end.
  const own = [...policy.zones.flatMap(z => z.cidrs), ...policy.workloads.flatMap(w => w.cidrs)]
    .filter(t => /^[0-9a-f:.]+\/\d+$/i.test(t)).map(t => cidr(t));
  const outside = (family: 'ipv4' | 'ipv6', address: bigint) => !own.some(o => o.family === family && o.first <= address && address <= o.last);
  const packetEnds = (e: InvariantEnd): PacketEnd[] => ('workload' in e
    ? [{ workload: e.workload }]
    : breakpoints(e.range, [...cuts, ...own]).filter(address => outside(e.range.family, address)).map(address => ({ address, family: e.range.family })));
  const passes = (a: InvariantEnd, b: InvariantEnd, probe: Probe): PacketEnd[] => {
    const failedFrom: PacketEnd[] = [];
    for (const source of packetEnds(a)) {
      for (const destination of packetEnds(b)) {
        const p: Packet = { source, destination, protocol: probe.protocol, port: probe.port, ...(probe.code !== undefined ? { code: probe.code } : {}) };
        if (!allows(p)) failedFrom.push('workload' in source ? destination : source);
      }
    }
    return failedFrom;
  };
  const inScope = (e: InvariantEnd) => !('workload' in e) || covered.has(e.workload);
  const memo = new Map<string, IrService[]>();
  return {
    name,
    open(a, b) {
      if (!inScope(a) || !inScope(b)) return [];
      const key = `${endName(a)}|${endName(b)}`;
      let open = memo.get(key);
      if (!open) {
        const ends = packetEnds(a).length * packetEnds(b).length;
        open = probes.filter(pr => passes(a, b, pr).length < ends).map(pr => pr.service);
        memo.set(key, open);
      }
      return open;
    },
    missing(a, b, wanted) {
      const out: string[] = [];
      for (const pr of probes) {
        if (!serviceContains(wanted, pr.service) && !(wanted.protocol === 'all')) continue;
        const failed = passes(a, b, pr);
        if (failed.length === 0) continue;
        const at = failed.find(e => !('workload' in e)) as { address: bigint; family: 'ipv4' | 'ipv6' } | undefined;
        out.push(`${serviceKey(pr.service)}${at ? ` (at ${formatAddress(at.family, at.address)})` : ''}`);
        if (out.length >= 5) break;
      }
      return out;
    },
  };
}

/**
 * The compiler: model -> IR. Validates the whole model first (every problem is reported with a
 * code, the construct path, the value and a hint, before anything is rendered), then resolves
 * zones and selectors to workloads, subtracts denies, merges ports into ranges, dedupes and sorts
 * canonically, so the same model in any declaration order gives the same IR.
 */
import { IConstruct } from 'constructs';
import { MicrosegError, MicrosegProblem, MicrosegWarning } from '../model/errors';
import { AllowFlow, DenyFlow } from '../model/flow';
import { Invariant } from '../model/invariant';
import { validateLabels, validateName } from '../model/names';
import { Peer } from '../model/peer';
import { EXPLICIT_MINUS_ONE, Port, Protocol } from '../model/port';
import { EnforcementMode, Segmentation } from '../model/segmentation';
import { Selector } from '../model/selector';
import { isUnresolved } from '../model/tokens';
import { Workload } from '../model/workload';
import { Zone } from '../model/zone';
import { Cidr, cidrContains, cidrSubtract, isCidr, parseCidr } from './cidr';
import { compareServices, icmpForIpv6, IrService, mergeDeclared, mergeServices, serviceKey, subtractAll } from './services';
import { IrInvariant, resolveInvariant } from './invariants';
import { atomKey, IrAtom, IrDeny, IrEndpointRef, IrFlow, IrPolicy, IrRule, IrWorkload, IrZone } from './types';

/** Options of {@link compile}. */
export interface CompileOptions {
  /** The current time, for flow expiry. Default: now. */
  readonly now?: Date;
}

const EXPIRY_WARNING_DAYS = 14;

/** Compiles a segmentation model into the policy IR, or throws a `MicrosegError` listing every problem. */
export function compile(seg: Segmentation, options: CompileOptions = {}): IrPolicy {
  return new Compiler(seg, options.now ?? new Date()).run();
}

interface Piece { atom: IrAtom; cidr?: Cidr; services: IrService[] }
/** A part of an allow's pair (source and destination pieces) with the services left to it. */
interface PairPiece { src: Piece; dst: Piece; services: IrService[] }
/** A deny with its two sides as atoms (and their workloads). */
interface DenySides { deny: IrDeny; from: IrAtom[]; to: IrAtom[]; fromSet: Set<string>; toSet: Set<string> }
/** The services and flows of each source/destination atom pair, in the order first seen. */
type RuleAccumulator = Map<string, { source: IrAtom; destination: IrAtom; services: IrService[]; flows: Set<string> }>;

/** The rules of the accumulated pairs: one per merged service, sorted. */
function accumulatedRules(acc: RuleAccumulator): IrRule[] {
  const rules: IrRule[] = [];
  for (const e of acc.values()) {
    for (const service of mergeServices(e.services)) {
      rules.push({ source: e.source, destination: e.destination, service, flows: [...e.flows].sort() });
    }
  }
  return rules.sort(compareRules);
}

class Compiler {
  private readonly problems: MicrosegProblem[] = [];
  private readonly warnings: MicrosegWarning[] = [];
  private readonly cidrCache = new Map<string, Cidr>();
  /** Every workload with its merged labels, computed once: each lookup walks the whole construct tree. */
  private labelled?: { workload: Workload; labels: Record<string, string> }[];

  constructor(private readonly seg: Segmentation, private readonly now: Date) {}

  run(): IrPolicy {
    const seg = this.seg;
    this.check(() => validateName('segmentation', seg.name, seg.node.path));
    this.validateMode(seg.mode, seg.node.path);

    const zones = this.validateZones();
    const workloads = this.validateWorkloads();
    const flows: { flow: AllowFlow; ir: IrFlow }[] = [];
    for (const f of seg.allowFlows) {
      const ir = this.resolveFlow(f);
      if (ir) flows.push({ flow: f, ir });
    }
    const denies: IrDeny[] = [];
    for (const d of seg.denyFlows) {
      const ir = this.resolveDeny(d);
      if (ir) denies.push(ir);
    }
    const invariants = this.resolveInvariants();
    this.throwIfProblems();

    const rules = this.buildRules(flows.map(f => f.ir), denies, workloads);
    this.throwIfProblems();

    const ack = seg.acknowledgedWarnings;
    return {
      segmentation: { name: seg.name, path: seg.node.path, mode: seg.mode },
      zones,
      workloads,
      flows: flows.map(f => f.ir).sort((a, b) => cmp(a.path, b.path)),
      denies: denies.sort((a, b) => cmp(a.path, b.path)),
      rules,
      warnings: this.warnings.filter(w => !(w.id in ack)).sort((a, b) => cmp(a.id + a.path, b.id + b.path)),
      acknowledged: Object.entries(ack).map(([id, reason]) => ({ id, reason })),
      ...(invariants.length > 0 ? { invariants } : {}),
    };
  }

  /** The model's invariants, resolved like flows (their problems join the model's). */
  private resolveInvariants(): IrInvariant[] {
    const ctx = {
      endpoint: (ep: unknown, path: string, role: 'source' | 'destination') => this.resolveEndpoint(ep, path, role),
      services: (ports: Port[], path: string) => mergeServices(this.portsToServices(ports, path)),
      problems: this.problems,
    };
    return Invariant.of(this.seg).flatMap(inv => resolveInvariant(inv, ctx) ?? []);
  }

  // ---- validation ---------------------------------------------------------------------------

  private check(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof MicrosegError) this.problems.push(...e.problems);
      else throw e;
    }
  }

  private problem(code: MicrosegProblem['code'], path: string, value: unknown, message: string, hint?: string): void {
    this.problems.push({ code, path, value, message, hint });
  }

  private throwIfProblems(): void {
    if (this.problems.length > 0) throw MicrosegError.fromProblems(this.problems);
  }

  /** Enum values arrive as plain strings from JavaScript (`mode: 'monitor'`): only the members count. */
  private validateMode(mode: unknown, path: string): void {
    const modes = Object.values(EnforcementMode) as string[];
    if (!modes.includes(mode as string)) {
      const close = typeof mode === 'string' ? modes.find(m => m === mode.toUpperCase()) : undefined;
      this.problem('InvalidProp', path, mode, `mode must be one of ${modes.map(m => `EnforcementMode.${m}`).join(', ')}.`,
        close ? `Did you mean EnforcementMode.${close}?` : 'Use EnforcementMode.ENFORCE or EnforcementMode.MONITOR.');
    }
  }

  private validateCidrs(cidrs: string[], path: string): string[] {
    const out: string[] = [];
    if (!Array.isArray(cidrs)) {
      this.problem('InvalidCidr', path, cidrs, '`cidrs` is a list of CIDR strings.', typeof cidrs === 'string' ? `Did you mean cidrs: [${JSON.stringify(cidrs)}]?` : 'E.g. cidrs: ["10.0.1.0/24"].');
      return out;
    }
    for (const c of cidrs) {
      if (typeof c !== 'string') {
        this.problem('InvalidCidr', path, c, 'is not a CIDR string.', 'Write CIDRs as strings, e.g. "10.0.1.0/24".');
        continue;
      }
      if (isUnresolved(c)) { out.push(c); continue; }
      const parsed = parseCidr(c);
      if (isCidr(parsed)) out.push(parsed.text);
      else this.problem('InvalidCidr', path, c, parsed.message, parsed.hint);
    }
    return [...new Set(out)].sort();
  }

  private validateZones(): IrZone[] {
    const byName = new Map<string, Zone>();
    const out: IrZone[] = [];
    for (const z of this.seg.zones) {
      const path = z.node.path;
      this.check(() => validateName('zone', z.name, path));
      this.check(() => validateLabels(z.labels, path));
      if (z.mode !== undefined) this.validateMode(z.mode, path);
      const prev = byName.get(z.name);
      if (prev) {
        this.problem('DuplicateName', path, z.name, `zone name is already used by ${prev.node.path}.`, 'Give one of them a different `name`.');
        continue;
      }
      byName.set(z.name, z);
      out.push({
        name: z.name,
        path,
        labels: sortRecord(z.labels),
        cidrs: this.validateCidrs(z.cidrs, path),
        mode: z.mode,
        workloads: z.workloads.map(w => w.name).sort(),
      });
    }
    return out;
  }

  private validateWorkloads(): IrWorkload[] {
    const byName = new Map<string, Workload>();
    const out: IrWorkload[] = [];
    for (const w of this.seg.workloads) {
      const path = w.node.path;
      this.check(() => validateName('workload', w.name, path));
      this.check(() => validateLabels(w.ownLabels, path));
      const prev = byName.get(w.name);
      if (prev) {
        this.problem('DuplicateName', path, w.name, `workload name is already used by ${prev.node.path}.`, 'Workload names are unique across the whole segmentation: give one of them a different `name`.');
        continue;
      }
      byName.set(w.name, w);
      out.push({ name: w.name, path, zone: w.zone.name, labels: sortRecord(w.labels), cidrs: this.validateCidrs(w.cidrs, path) });
    }
    return out;
  }

  private resolveEndpoint(ep: unknown, path: string, role: string): IrEndpointRef | undefined {
    if (ep === undefined || ep === null) {
      const prop = role === 'source' ? 'from' : 'to';
      this.problem('InvalidProp', path, prop, `the ${role} (\`${prop}\`) is missing.`, `Pass \`${prop}:\` a Workload, Zone, Selector or Peer.`);
      return undefined;
    }
    if (Workload.isWorkload(ep)) {
      if (ep.zone.segmentation !== this.seg) {
        this.problem('UnsupportedEndpoint', path, ep.endpointKey, `the ${role} belongs to another segmentation (${ep.zone.segmentation.node.path}).`, 'Flows connect endpoints of one segmentation; use Peer.ipv4() for addresses outside it.');
        return undefined;
      }
      return { key: ep.endpointKey, kind: 'workload', workloads: [ep.name], zones: [ep.zone.name] };
    }
    if (Zone.isZone(ep)) {
      if (ep.segmentation !== this.seg) {
        this.problem('UnsupportedEndpoint', path, ep.endpointKey, `the ${role} belongs to another segmentation (${ep.segmentation.node.path}).`, 'Flows connect endpoints of one segmentation.');
        return undefined;
      }
      const ws = ep.workloads.map(w => w.name).sort();
      if (ws.length === 0) {
        this.problem('EmptyEndpoint', path, ep.endpointKey, `the ${role} zone "${ep.name}" has no workloads, so the flow resolves to nothing.`, `Add a workload to zone "${ep.name}" or remove the flow.`);
        return undefined;
      }
      return { key: ep.endpointKey, kind: 'zone', workloads: ws, zones: [ep.name] };
    }
    if (Selector.isSelector(ep)) {
      const pairs = Object.entries(ep.matchLabels ?? {});
      if (pairs.length === 0) {
        this.problem('InvalidLabel', path, ep.endpointKey, `the ${role} selector has no labels, so it would select every workload (the other end of the flow included).`, 'Name at least one label, e.g. Selector.labels({ app: "web" }), or use the zone or workload itself.');
        return undefined;
      }
      const unset = pairs.filter(([, v]) => typeof v !== 'string').map(([k]) => k);
      if (unset.length > 0) {
        this.problem('InvalidLabel', path, unset.join(', '), `the ${role} selector gives no string value for ${unset.map(k => `"${k}"`).join(', ')}: it would select the workloads WITHOUT that label.`, 'Give every selector label a value (check the variable you passed).');
        return undefined;
      }
      this.labelled ??= this.seg.workloads.map(w => ({ workload: w, labels: w.labels }));
      const matched = this.labelled.filter(x => ep.matches(x.labels)).map(x => x.workload);
      if (matched.length === 0) {
        const known = [...new Set(this.labelled.flatMap(x => Object.entries(x.labels).map(([k, v]) => `${k}=${v}`)))].sort().slice(0, 10);
        this.problem('EmptyEndpoint', path, ep.endpointKey, `the ${role} selector matches no workload.`, known.length ? `Labels in the model include: ${known.join(', ')}.` : 'No workload has labels yet.');
        return undefined;
      }
      return {
        key: ep.endpointKey, kind: 'selector',
        workloads: matched.map(w => w.name).sort(),
        zones: [...new Set(matched.map(w => w.zone.name))].sort(),
      };
    }
    if (Peer.isPeer(ep)) {
      if (isUnresolved(ep.cidr)) {
        return { key: ep.endpointKey, kind: 'cidr', workloads: [], zones: [], cidr: ep.cidr, family: ep.family as 'ipv4' | 'ipv6' };
      }
      const parsed = parseCidr(ep.cidr, ep.family as 'ipv4' | 'ipv6');
      if (!isCidr(parsed)) {
        this.problem('InvalidCidr', path, ep.cidr, parsed.message, parsed.hint);
        return undefined;
      }
      return { key: `${parsed.family}:${parsed.text}`, kind: 'cidr', workloads: [], zones: [], cidr: parsed.text, family: parsed.family };
    }
    const key = (ep as { endpointKey?: string } | undefined)?.endpointKey;
    this.problem('UnsupportedEndpoint', path, key ?? String(ep), `the ${role} is not a Workload, Zone, Selector or Peer.`, 'Use one of the microseg endpoint classes.');
    return undefined;
  }

  /**
   * Flows and guardrails from or to an IPv6 `Peer` carry IPv6 packets only: their typed ICMP
   * (ICMPv4 numbers in the IR) is rendered as the ICMPv6 equivalent (`icmpForIpv6`); a type
   * without one is an `InvalidIcmp`, before anything is rendered.
   */
  private forFamily(services: IrService[], from: IrEndpointRef, to: IrEndpointRef, path: string): IrService[] {
    if (from.family !== 'ipv6' && to.family !== 'ipv6') return services;
    const r = icmpForIpv6(services);
    for (const bad of r.untranslatable) {
      this.problem('InvalidIcmp', path, serviceKey(bad), 'has no ICMPv6 equivalent, and this flow has an IPv6 Peer end (its packets are ICMPv6).',
        'Port.icmp() types are ICMPv4 types, translated on IPv6 paths where an equivalent exists (0, 3, 8, 11, 12 and their common codes); pass an ICMPv6 type (128-255, e.g. Port.icmp(135)) as it is, or Port.icmp() for every type.');
    }
    return services;
  }

  private portsToServices(ports: Port[], path: string): IrService[] {
    const out: IrService[] = [];
    if (!Array.isArray(ports)) {
      this.problem('InvalidPort', path, String(ports), '`ports` is a list of Ports.', 'E.g. ports: [Port.tcp(443)].');
      return out;
    }
    for (const p of ports) {
      if (!p || typeof p !== 'object' || !('protocol' in p)) {
        this.problem('InvalidPort', path, String(p), 'is not a Port.', 'Use Port.tcp(443), Port.udp(53), Port.icmp(), Port.allTraffic() ...');
        continue;
      }
      if (!Port.isPort(p)) {
        this.problem('InvalidPort', path, { ...(p as object) }, 'is not a Port made by microseg (an object with the same fields is not checked, and could allow more than it says).', 'Use the factories: Port.tcp(22), Port.tcpRange(8000, 8080), Port.icmp(8), Port.allTraffic() ...');
        continue;
      }
      if (EXPLICIT_MINUS_ONE in p) {
        this.problem('InvalidIcmp', path, (p as unknown as Record<symbol, string>)[EXPLICIT_MINUS_ONE], 'ICMP type and code are integers from 0 to 255; -1 is not a way to say "every".', 'Omit them to allow every type or every code: Port.icmp() or Port.icmp(type).');
        continue;
      }
      if (isUnresolved(p.fromPort) || isUnresolved(p.toPort)) {
        this.problem('InvalidPort', path, p.key, 'ports must be known at synth (a token cannot be compiled into rules).', 'Pass a literal number.');
        continue;
      }
      switch (p.protocol) {
        case Protocol.ALL:
          out.push({ protocol: 'all', from: -1, to: -1 });
          break;
        case Protocol.ICMP: {
          const t = p.fromPort; const c = p.toPort;
          const ok = (n: number) => Number.isInteger(n) && n >= -1 && n <= 255;
          if (!ok(t) || !ok(c)) {
            this.problem('InvalidIcmp', path, p.key, 'ICMP type and code must be integers from 0 to 255.', 'Omit them to allow every type or code: Port.icmp().');
          } else if (t === -1 && c !== -1) {
            this.problem('InvalidIcmp', path, p.key, 'an ICMP code needs a type.', 'Use Port.icmp(type, code).');
          } else {
            out.push({ protocol: 'icmp', from: t, to: c });
          }
          break;
        }
        default: {
          const a = p.fromPort; const b = p.toPort;
          const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535;
          if (!ok(a) || !ok(b)) {
            const bad = !ok(a) ? a : b;
            this.problem('InvalidPort', path, bad, `is not a valid ${p.protocol.toUpperCase()} port: ports are integers from 0 to 65535.`, bad > 65535 ? 'Did you mean a port below 65536?' : undefined);
          } else if (a > b) {
            this.problem('InvalidPort', path, `${a}-${b}`, 'the range starts after it ends.', `Did you mean ${p.protocol}Range(${b}, ${a})?`);
          } else {
            out.push({ protocol: p.protocol as 'tcp' | 'udp', from: a, to: b });
          }
        }
      }
    }
    return mergeDeclared(out);
  }

  private resolveFlow(f: AllowFlow): IrFlow | undefined {
    const path = f.node.path;
    const before = this.problems.length;
    if (Array.isArray(f.ports) && f.ports.length === 0) {
      this.problem('EmptyPorts', path, f.flowKey, 'the flow allows no ports.', 'Pass at least one Port, e.g. Port.tcp(443).');
    }
    const services = this.portsToServices(f.ports ?? [], path);
    const from = this.resolveEndpoint(f.from, path, 'source');
    const to = this.resolveEndpoint(f.to, path, 'destination');
    if (from && to && from.kind === 'cidr' && to.kind === 'cidr') {
      this.problem('UnsupportedEndpoint', path, f.flowKey, 'both ends are Peers outside the model: there is nothing to render.', 'One end of a flow must be a Workload, Zone or Selector.');
    }
    this.checkExpiry(f, path);
    if (this.problems.length > before || !from || !to) return undefined;
    const familyServices = this.forFamily(services, from, to, path);
    if (this.problems.length > before) return undefined;
    return {
      path, from, to, services: familyServices,
      description: f.description ?? `${f.from.endpointKey} to ${f.to.endpointKey} on ${familyServices.map(serviceKey).join(',')}`,
      owner: f.owner,
      expires: f.expires,
    };
  }

  private resolveDeny(d: DenyFlow): IrDeny | undefined {
    const path = d.node.path;
    const before = this.problems.length;
    const declared = mergeServices(this.portsToServices(d.ports, path));
    const from = this.resolveEndpoint(d.from, path, 'source');
    const to = this.resolveEndpoint(d.to, path, 'destination');
    if (this.problems.length > before || !from || !to) return undefined;
    const services = mergeServices(this.forFamily(declared, from, to, path));
    if (this.problems.length > before) return undefined;
    return { path, from, to, services, description: d.description ?? `deny ${d.from.endpointKey} to ${d.to.endpointKey}` };
  }

  private checkExpiry(f: AllowFlow, path: string): void {
    if (f.expires === undefined) return;
    const t = Date.parse(f.expires);
    // Date.parse rolls impossible days over ("2027-02-30" is March 2), so check the day, too.
    const ymd = /^(\d{4})-(\d{2})-(\d{2})/.exec(f.expires);
    const dayOk = ymd !== null && Number(ymd[3]) <= new Date(Date.UTC(Number(ymd[1]), Number(ymd[2]), 0)).getUTCDate();
    if (!ymd || !dayOk || Number.isNaN(t)) {
      this.problem('InvalidDate', path, f.expires, 'is not an ISO 8601 date.', 'Use YYYY-MM-DD, e.g. "2027-03-31".');
      return;
    }
    // A date without a time expires at the end of that day (UTC).
    const end = /^\d{4}-\d{2}-\d{2}$/.test(f.expires) ? t + 86_400_000 - 1 : t;
    if (end < this.now.getTime()) {
      this.problem('ExpiredFlow', path, f.expires, `the flow ${f.flowKey} expired${f.owner ? ` (owner: ${f.owner})` : ''}.`, 'Remove the flow, or renew it with a later `expires` date.');
    } else if (end - this.now.getTime() < EXPIRY_WARNING_DAYS * 86_400_000) {
      this.warnings.push({ id: 'microseg:FlowExpiresSoon', path, message: `The flow ${f.flowKey} expires on ${f.expires}${f.owner ? ` (owner: ${f.owner})` : ''}.` });
    }
  }

  // ---- rules --------------------------------------------------------------------------------

  private cidrOf(text: string): Cidr | undefined {
    if (isUnresolved(text)) return undefined;
    let c = this.cidrCache.get(text);
    if (!c) {
      const p = parseCidr(text);
      if (!isCidr(p)) return undefined;
      c = p;
      this.cidrCache.set(text, c);
    }
    return c;
  }

  private atoms(ref: IrEndpointRef, zoneOf: Map<string, string>): IrAtom[] {
    if (ref.kind === 'cidr') return [{ kind: 'cidr', cidr: ref.cidr!, family: ref.family! }];
    return ref.workloads.map(w => ({ kind: 'workload', workload: w, zone: zoneOf.get(w)! }));
  }

  private buildRules(flows: IrFlow[], denies: IrDeny[], workloads: IrWorkload[]): IrRule[] {
    const zoneOf = new Map(workloads.map(w => [w.name, w.zone]));
    const acc: RuleAccumulator = new Map();
    const denySides: DenySides[] = denies.map(d => ({
      deny: d,
      from: this.atoms(d.from, zoneOf),
      to: this.atoms(d.to, zoneOf),
      fromSet: new Set(d.from.workloads),
      toSet: new Set(d.to.workloads),
    }));
    for (const flow of flows) this.addFlow(flow, zoneOf, denySides, acc);
    return accumulatedRules(acc);
  }

  /** Adds one allow's pairs, minus the denies, to `acc`; reports an allow the denies shadow or narrow. */
  private addFlow(flow: IrFlow, zoneOf: Map<string, string>, denySides: DenySides[], acc: RuleAccumulator): void {
    const srcs = this.atoms(flow.from, zoneOf);
    const dsts = this.atoms(flow.to, zoneOf);
    let total = 0; let kept = 0; let narrowed = false;
    const removedPairs: string[] = [];
    const unresolved = new Set<string>();
    for (const s of srcs) {
      for (const d of dsts) {
        total++;
        const cut = this.cutByDenies(s, d, flow.services, denySides);
        narrowed = narrowed || cut.narrowed;
        for (const u of cut.unresolved) unresolved.add(u);
        const pieces = cut.pieces;
        const survived = pieces.some(p => p.services.length > 0);
        const exact = pieces.length === 1 && sameServices(pieces[0].services, flow.services) && pieces[0].src.atom === s && pieces[0].dst.atom === d;
        if (survived) kept++;
        if (!exact) removedPairs.push(`${atomKey(s)} -> ${atomKey(d)}`);
        for (const p of pieces) {
          const key = `${atomKey(p.src.atom)}|${atomKey(p.dst.atom)}`;
          let e = acc.get(key);
          if (!e) { e = { source: p.src.atom, destination: p.dst.atom, services: [], flows: new Set() }; acc.set(key, e); }
          e.services.push(...p.services);
          e.flows.add(flow.path);
        }
      }
    }
    if (unresolved.size > 0) {
      this.problem('UnresolvedRange', flow.path, [...unresolved].join('; '), 'a DenyFlow may cover part of this allow, but a range of the two is unknown at synth (a token), so the part it removes cannot be known (guessing could be more open than the model).',
        'Use concrete CIDRs for the Peer ranges of this allow and of the DenyFlow, or a DenyFlow of the whole family (0.0.0.0/0 or ::/0), which covers any range.');
    }
    if (kept === 0 && total > 0) {
      this.problem('ShadowedFlow', flow.path, `${flow.from.key} -> ${flow.to.key}`, 'every pair of this allow is removed by DenyFlow guardrails, so it allows nothing.', 'Remove the allow, or narrow the DenyFlow that covers it.');
    } else if (removedPairs.length > 0) {
      const shown = removedPairs.slice(0, 5).join('; ') + (removedPairs.length > 5 ? `; and ${removedPairs.length - 5} more` : '');
      this.warnings.push({ id: 'microseg:PartialShadow', path: flow.path, message: `DenyFlow guardrails remove part of this allow (${removedPairs.length} of ${total} pairs affected): ${shown}.` });
    }
    if (narrowed) {
      this.warnings.push({ id: 'microseg:DenyNarrowed', path: flow.path, message: 'A DenyFlow covers part of an all-traffic or ICMP allow; no cloud can express the exact difference, so more was removed (all traffic keeps TCP, UDP and ICMP only; ICMP partly denied is dropped).' });
    }
  }

  /**
   * One pair of an allow, minus every deny in turn: the pieces left (a peer CIDR split where a
   * deny's CIDR lies strictly inside it), and whether a deny narrowed an all-traffic or ICMP service.
   */
  private cutByDenies(s: IrAtom, d: IrAtom, services: IrService[], denySides: DenySides[]): { pieces: PairPiece[]; narrowed: boolean; unresolved: string[] } {
    let narrowed = false;
    const unresolved: string[] = [];
    let pieces: PairPiece[] = [{
      src: { atom: s, cidr: s.kind === 'cidr' ? this.cidrOf(s.cidr) : undefined, services: [] },
      dst: { atom: d, cidr: d.kind === 'cidr' ? this.cidrOf(d.cidr) : undefined, services: [] },
      services,
    }];
    for (const da of denySides) {
      const next: PairPiece[] = [];
      for (const p of pieces) {
        const srcParts = this.matchSide(p.src, da.from, da.fromSet);
        const dstParts = this.matchSide(p.dst, da.to, da.toSet);
        // Split a peer CIDR only where the deny removes traffic: a deny that misses the other
        // side, or only other ports, leaves the piece whole (one rule, no PartialShadow).
        const hit = srcParts.some(x => x.denied) && dstParts.some(x => x.denied);
        const unknown = [...srcParts, ...dstParts].find(x => x.unknown)?.unknown;
        const mayHit = unknown !== undefined && srcParts.some(x => x.denied || x.unknown) && dstParts.some(x => x.denied || x.unknown);
        const sub = hit || mayHit ? subtractAll(p.services, da.deny.services) : undefined;
        // a deny that would remove traffic where a range is unknown: the part cannot be known
        if (mayHit && (sub!.narrowed || !sameServices(sub!.services, p.services))) unresolved.push(`${unknown} (${da.deny.path})`);
        const cut = hit ? sub : undefined;
        if (!cut || (!cut.narrowed && sameServices(cut.services, p.services))) {
          next.push(p);
          continue;
        }
        for (const sp of srcParts) {
          for (const dp of dstParts) {
            if (sp.denied && dp.denied) {
              narrowed = narrowed || cut.narrowed;
              if (cut.services.length) next.push({ src: sp.piece, dst: dp.piece, services: cut.services });
            } else {
              next.push({ src: sp.piece, dst: dp.piece, services: p.services });
            }
          }
        }
      }
      pieces = next;
    }
    return { pieces, narrowed, unresolved };
  }

  /**
   * Splits one side of a pair against one deny side. Returns the pieces with whether each is
   * covered by the deny.
   */
  private matchSide(piece: Piece, denyAtoms: IrAtom[], denyWorkloads: Set<string>): { piece: Piece; denied: boolean; unknown?: string }[] {
    const a = piece.atom;
    if (a.kind === 'workload') return [{ piece, denied: denyWorkloads.has(a.workload) }];
    const denyCidrs = denyAtoms.filter((x): x is Extract<IrAtom, { kind: 'cidr' }> => x.kind === 'cidr');
    if (denyCidrs.length === 0) return [{ piece, denied: false }];
    const dc = denyCidrs[0];
    const own = piece.cidr;
    const other = this.cidrOf(dc.cidr);
    if (!own || !other) {
      // a range unknown at synth (a token): the same text, or a deny of the whole family (/0),
      // covers it; any other overlap cannot be known, and guessing none could be more open
      if (a.cidr === dc.cidr || (other && other.prefix === 0 && other.family === a.family)) return [{ piece, denied: true }];
      if (a.family !== dc.family) return [{ piece, denied: false }]; // IPv4 and IPv6 never overlap
      return [{ piece, denied: false, unknown: `${a.cidr} and ${dc.cidr}` }];
    }
    if (cidrContains(other, own)) return [{ piece, denied: true }];
    if (cidrContains(own, other)) {
      const rest = cidrSubtract(own, other).map(c => ({ piece: { atom: { kind: 'cidr', cidr: c.text, family: c.family } as IrAtom, cidr: c, services: [] }, denied: false }));
      return [...rest, { piece: { atom: { kind: 'cidr', cidr: other.text, family: other.family }, cidr: other, services: [] }, denied: true }];
    }
    return [{ piece, denied: false }];
  }
}

function sameServices(a: IrService[], b: IrService[]): boolean {
  return a.length === b.length && a.every((s, i) => compareServices(s, b[i]) === 0);
}

/** Canonical order of rules: source, destination, service. */
export function compareRules(a: IrRule, b: IrRule): number {
  return cmp(atomKey(a.source), atomKey(b.source)) || cmp(atomKey(a.destination), atomKey(b.destination)) || compareServices(a.service, b.service);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(r).sort().map(k => [k, r[k]]));
}

/** The construct path of anything in the model (helper for backends' messages). */
export function pathOf(c: IConstruct): string {
  return c.node.path;
}

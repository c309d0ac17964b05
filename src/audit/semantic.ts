/**
 * Semantic drift (differential reachability, as Batfish computes it between two configurations):
 * beyond which rules differ, which packets the live rules treat differently from the declared
 * rules. Both rule sets are evaluated by the semantic layer's evaluator of the cloud, on the
 * deployment the manifest records (the identities each workload's members carry, an address
 * inside its ranges), for representative packets: every ordered pair of ends among the workloads
 * whose rules differ and the rest of the workloads and the address ranges the rules and the model
 * name, and one packet per port class (the ports between two consecutive boundaries of any rule
 * or declared service behave alike, so one port stands for its class). Each difference is
 * classified against the model: `opened` (live lets it through, the declared rules block it;
 * critical when the model forbids it) or `blocked` (live blocks what the declared rules allow;
 * high when the model allows it). Adjacent port classes with the same answers are reported as
 * one range. Pure functions.
 */
import { CanonicalRule, Cloud } from '../ir/canonical';
import { cidr } from '../ir/cidr';
import { Manifest } from '../ir/manifest';
import { modelAllows, Packet, PacketEnd, renderedAllows } from '../ir/semantics';
import { IrPolicy } from '../ir/types';
import { Address, cachedCidr, cidrTextHas, evaluatorFor, parsePorts, protocolName } from '../semantics';
import { fingerprint } from './drift';
import { normalizeRules, ruleKey } from './normalize';
import { DriftFinding, DriftKind, DriftReachability, DriftSeverity } from './types';

/** Most packets one audit evaluates; past it the semantic part is cut short with a note. */
export const MAX_SEMANTIC_PACKETS = 2_000_000;

/** What {@link semanticDrift} returns. */
export interface SemanticDrift {
  readonly findings: DriftFinding[];
  /** Packets evaluated. */
  readonly packets: number;
  readonly notes: string[];
}

/** An end of the representative packets. */
interface End {
  /** `workload:<name>` or `ipv4:<cidr>`. */
  readonly id: string;
  readonly end: PacketEnd;
  readonly workload?: string;
  readonly sample?: string;
}

/** A class of packets: protocol, port (or ICMP type and code) range. */
interface PortClass {
  readonly protocol: 'tcp' | 'udp' | 'icmp';
  readonly from: number;
  readonly to: number;
  readonly code?: number;
}

const PUBLIC_SAMPLE: Record<Address['family'], string> = { ipv4: '0.0.0.0/0', ipv6: '::/0' };

/**
 * Semantic drift of one cloud: the packets the live rules treat differently from the declared
 * ones. Empty when both rule sets are the same (after normalisation).
 */
export function semanticDrift(manifest: Manifest, cloud: Cloud, expected: readonly CanonicalRule[], live: readonly CanonicalRule[], region?: string): SemanticDrift {
  const section = manifest.clouds[cloud];
  if (!section) return { findings: [], packets: 0, notes: [] };
  const declared = evaluatorFor(manifest, cloud, expected);
  const actual = evaluatorFor(manifest, cloud, live);
  if (!declared || !actual) return { findings: [], packets: 0, notes: [] };
  const exp = normalizeRules(expected);
  const liv = normalizeRules(live);
  const expKeys = new Set(exp.map(r => r.key));
  const livKeys = new Set(liv.map(r => r.key));
  const differing = [...exp.filter(r => !livKeys.has(r.key)), ...liv.filter(r => !expKeys.has(r.key))];
  if (differing.length === 0) return { findings: [], packets: 0, notes: [] };

  const policy = policyOf(manifest);
  const onCloud = Object.keys(section.identities ?? {}).sort();
  const touched = new Set(onCloud.filter(w => differing.some(r => affects(r, w, cloud, section.identities[w] ?? {}, manifest))));
  const ends = endsOf(manifest, onCloud, [...expected, ...live]);
  const classes = portClasses([...expected, ...live], policy);
  const pairs: [End, End][] = [];
  for (const a of ends) {
    for (const b of ends) {
      if (a === b || (a.workload === undefined && b.workload === undefined)) continue;
      if (!(a.workload !== undefined && touched.has(a.workload)) && !(b.workload !== undefined && touched.has(b.workload))) continue;
      pairs.push([a, b]);
    }
  }
  const notes: string[] = [];
  let budget = MAX_SEMANTIC_PACKETS;
  if (pairs.length * classes.length > budget) {
    notes.push(`semantic drift: ${pairs.length} pairs x ${classes.length} port classes exceed ${MAX_SEMANTIC_PACKETS} packets; only the first pairs were evaluated.`);
  }
  let packets = 0;
  const findings: DriftFinding[] = [];
  const byProtocol = (['tcp', 'udp', 'icmp'] as const).map(protocol => classes.filter(c => c.protocol === protocol));
  for (const [a, b] of pairs) {
    if (budget < classes.length) break;
    budget -= classes.length;
    const diff = new Map<PortClass, Diff>();
    for (const c of classes) {
      const p = packetOf(a, b, c);
      packets++;
      const d = declared.allows(p);
      const l = actual.allows(p);
      if (d !== l) diff.set(c, { kind: l ? DriftKind.OPENED : DriftKind.BLOCKED, model: renderedAllows(policy, p) });
    }
    if (diff.size === 0) continue;
    const emit = (first: PortClass, last: PortClass, d: Diff, protocol?: string, ports?: string) =>
      findings.push(finding({ kind: d.kind, a, b, first, last, model: d.model, protocol, ports }, policy, manifest, cloud, region));
    const uniform = (list: PortClass[]) => {
      const d = diff.get(list[0]);
      return d && list.every(c => sameDiff(diff.get(c), d)) ? d : undefined;
    };
    const all = uniform(classes);
    if (all) { emit(classes[0], classes[classes.length - 1], all, 'all', '*'); continue; }
    for (const list of byProtocol) {
      const whole = uniform(list);
      if (whole) { emit(list[0], list[list.length - 1], whole, list[0].protocol, '*'); continue; }
      // runs of adjacent port ranges with the same answers (ICMP types stand alone)
      let run: { d: Diff; first: PortClass; last: PortClass } | undefined;
      for (const c of list) {
        const d = diff.get(c);
        if (run && d && sameDiff(d, run.d) && c.protocol !== 'icmp' && run.last.to + 1 === c.from) { run.last = c; continue; }
        if (run) emit(run.first, run.last, run.d);
        run = d ? { d, first: c, last: c } : undefined;
      }
      if (run) emit(run.first, run.last, run.d);
    }
  }
  return { findings: withoutNarrowerRepeats(findings), packets, notes };
}

/**
 * The declared rules with accepted rule drift applied: an accepted unexpected (or modified) live
 * rule counts as declared, an accepted missing (or modified) declared rule as gone, so semantic
 * drift reports only what goes beyond the accepted changes.
 */
export function withAccepted(expected: readonly CanonicalRule[], accepted: readonly DriftFinding[]): readonly CanonicalRule[] {
  const gone = new Set(accepted.filter(f => f.expected && (f.kind === 'missing' || f.kind === 'modified')).map(f => ruleKey(f.expected!)));
  const added = accepted.filter(f => f.live && (f.kind === 'unexpected' || f.kind === 'modified')).map(f => f.live!);
  if (gone.size === 0 && added.length === 0) return expected;
  return [...normalizeRules(expected).filter(r => !gone.has(r.key)), ...added];
}

/** How one packet class differs: its kind, and the model's answer. */
interface Diff { readonly kind: DriftKind; readonly model: boolean }

function sameDiff(x: Diff | undefined, y: Diff | undefined): boolean {
  return !!x && !!y && x.kind === y.kind && x.model === y.model;
}

function packetOf(a: End, b: End, c: PortClass): Packet {
  return { source: a.end, destination: b.end, protocol: c.protocol, port: c.from, ...(c.code !== undefined ? { code: c.code } : {}) };
}

/**
 * Drops a finding about an address range when a finding of the same kind and model answer at the
 * same workload end, for a wider range, covers its protocol and ports
 * (`ipv4:198.51.100.0/24 -> workload:db tcp 22` next to `ipv4:0.0.0.0/0 -> workload:db tcp 22`).
 */
function withoutNarrowerRepeats(findings: DriftFinding[]): DriftFinding[] {
  const range = (id: string) => (id.startsWith('ipv4:') || id.startsWith('ipv6:') ? cachedCidr(id.slice(5)) : undefined);
  const covers = (g: DriftReachability, f: DriftReachability) => {
    if (g.protocol === 'all') return true;
    if (g.protocol !== f.protocol) return false;
    if (g.ports === '*') return true;
    if (f.protocol === 'icmp') return g.ports === f.ports;
    const [ga, gb] = g.ports.split('-').map(Number);
    const [fa, fb] = f.ports === '*' ? [0, 65535] : f.ports.split('-').map(Number);
    return ga <= fa && (fb ?? fa) <= (gb ?? ga);
  };
  const wider = (f: DriftFinding, side: 'from' | 'to') => {
    const r = f.reachability!;
    const mine = range(r[side]);
    if (!mine) return false;
    const other = side === 'from' ? 'to' : 'from';
    return findings.some(g => {
      const q = g.reachability!;
      if (g === f || g.kind !== f.kind || q.modelAllows !== r.modelAllows || q[other] !== r[other] || !covers(q, r)) return false;
      const o = range(q[side]);
      return !!o && o.family === mine.family && o.prefix < mine.prefix && o.first <= mine.first && mine.last <= o.last;
    });
  };
  return findings.filter(f => !wider(f, 'from') && !wider(f, 'to'));
}

/** The parts of the policy the oracle reads, from the manifest's model. */
function policyOf(manifest: Manifest): IrPolicy {
  return {
    segmentation: manifest.segmentation as IrPolicy['segmentation'],
    zones: manifest.model.zones, workloads: manifest.model.workloads, flows: manifest.model.flows, denies: manifest.model.denies,
    rules: [], warnings: [], acknowledged: [],
  };
}

/** Whether a differing rule can change what reaches or leaves a workload's members. */
function affects(r: CanonicalRule, w: string, cloud: Cloud, identity: Record<string, string>, manifest: Manifest): boolean {
  const zone = identity.zone ?? manifest.model.workloads.find(x => x.name === w)?.zone;
  if (cloud === 'aws') {
    if (r.container === `nacl:${zone}`) return true;
    const groups = (identity.securityGroupNames ?? identity.securityGroupName ?? '').split(',').filter(Boolean).map(g => `sg:${g}`);
    return groups.includes(r.container);
  }
  const target = r.target ?? '*';
  const mine = cloud === 'azure'
    ? [identity.asgName ? `asg:${identity.asgName}` : '']
    : [identity.networkTag ? `tag:${identity.networkTag}` : '', identity.serviceAccount ? `sa:${identity.serviceAccount}` : ''];
  if (cloud === 'azure') {
    const container = manifest.clouds.azure?.containers?.[r.container];
    const inPath = r.container === `nsg:${identity.nsgName}` || container?.workload === w || (container?.zone === zone && !container?.workload);
    if (!inPath) return false;
  }
  return target === '*' || target.startsWith('cidr:') || (target.startsWith('tag:') && cloud === 'azure') || mine.includes(target);
}

/** The workloads on the cloud and one address in each range the rules or the model name outside them. */
function endsOf(manifest: Manifest, onCloud: string[], rules: readonly CanonicalRule[]): End[] {
  const ends: End[] = onCloud.map(w => ({ id: `workload:${w}`, end: { workload: w }, workload: w }));
  const ranges = new Set<string>();
  for (const r of rules) if (r.peer.startsWith('cidr:')) ranges.add(r.peer.slice(5).split(' ')[0]);
  for (const f of [...manifest.model.flows, ...manifest.model.denies]) {
    for (const e of [f.from, f.to]) if (e.kind === 'cidr' && e.cidr) ranges.add(e.cidr);
  }
  const families = new Set<Address['family']>(['ipv4']);
  for (const r of ranges) families.add(r.includes(':') ? 'ipv6' : 'ipv4');
  for (const f of families) ranges.add(PUBLIC_SAMPLE[f]);
  const parsed = [...ranges].flatMap(t => { try { return [cachedCidr(t)]; } catch { return []; } });
  const seen = new Set<string>();
  for (const c of parsed.sort((x, y) => (x.text < y.text ? -1 : x.text > y.text ? 1 : 0))) {
    // an address of the range that no narrower listed range holds, when there is one (else its first host)
    const narrower = parsed.filter(o => o.family === c.family && o.prefix > c.prefix && cidrTextHas(c.text, { family: o.family, value: o.first }));
    const span = c.last - c.first;
    const candidates = [c.first + (span > 0n ? 1n : 0n), c.first + span / 2n + 1n, c.last - (span > 0n ? 1n : 0n)];
    const value = candidates.find(v => v >= c.first && v <= c.last && !narrower.some(n => v >= n.first && v <= n.last)) ?? candidates[0];
    const key = `${c.family}:${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    ends.push({ id: `${c.family}:${c.text}`, end: { address: value, family: c.family }, sample: addressText(c.family, value) });
  }
  return ends;
}

function addressText(family: Address['family'], v: bigint): string {
  if (family === 'ipv4') return [24n, 16n, 8n, 0n].map(s => String((v >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((v >> s) & 0xffffn).toString(16));
  return cidr(`${groups.join(':')}/128`).text.replace(/\/128$/, '');
}

/**
 * The port classes: for TCP and UDP the ranges between consecutive boundaries of every rule's
 * and declared service's ports; for ICMP every type (and type/code) named, and one type named
 * nowhere.
 */
function portClasses(rules: readonly CanonicalRule[], policy: IrPolicy): PortClass[] {
  const bounds = { tcp: new Set<number>([0]), udp: new Set<number>([0]) };
  const icmp = new Set<string>(['8', '0']);
  const add = (protocol: string, from: number, to: number) => {
    for (const p of protocol === 'all' ? ['tcp', 'udp'] as const : protocol === 'tcp' || protocol === 'udp' ? [protocol] as const : []) {
      bounds[p].add(from);
      if (to < 65535) bounds[p].add(to + 1);
    }
    if ((protocol === 'icmp' || protocol === 'icmpv6') && from >= 0) icmp.add(to >= 0 ? `${from}/${to}` : `${from}`);
  };
  for (const r of rules) {
    const proto = protocolName(r.protocol);
    const p = parsePorts(r.ports);
    if (proto === 'icmp' || proto === 'icmpv6') add(proto, p.icmpType, p.icmpCode);
    else add(proto, p.from, p.to);
  }
  for (const f of [...policy.flows, ...policy.denies]) for (const s of f.services) add(s.protocol, s.from, s.to);
  const out: PortClass[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const starts = [...bounds[protocol]].filter(b => b >= 0 && b <= 65535).sort((a, b) => a - b);
    starts.forEach((s, i) => out.push({ protocol, from: s, to: (starts[i + 1] ?? 65536) - 1 }));
  }
  const named = [...icmp].map(t => t.split('/').map(Number));
  const types = new Set(named.map(([t]) => t));
  let other = 0;
  while (types.has(other)) other++;
  for (const [t, c] of [...named, [other]].sort((x, y) => x[0] - y[0] || (x[1] ?? -1) - (y[1] ?? -1))) {
    out.push({ protocol: 'icmp', from: t, to: t, ...(c !== undefined ? { code: c } : {}) });
  }
  return out;
}

function portsText(first: PortClass, last: PortClass): string {
  if (first.protocol === 'icmp') return first.code !== undefined ? `${first.from}/${first.code}` : `${first.from}`;
  if (first.from === 0 && last.to === 65535) return '*';
  return first.from === last.to ? `${first.from}` : `${first.from}-${last.to}`;
}

interface Found { kind: DriftKind; a: End; b: End; first: PortClass; last: PortClass; model: boolean; protocol?: string; ports?: string }

function finding(x: Found, policy: IrPolicy, manifest: Manifest, cloud: Cloud, region?: string): DriftFinding {
  const { kind, a, b, first, model } = x;
  const ports = x.ports ?? portsText(first, x.last);
  const protocol = x.protocol ?? first.protocol;
  const p = packetOf(a, b, first);
  const flows = model ? policy.flows.filter(f => modelAllows({ ...policy, flows: [f] }, p)).map(f => f.path) : [];
  const severity = kind === DriftKind.OPENED ? (model ? DriftSeverity.MEDIUM : DriftSeverity.CRITICAL) : (model ? DriftSeverity.HIGH : DriftSeverity.LOW);
  const service = protocol === 'all' ? 'all traffic' : `${protocol} ${ports}`;
  const what = `${a.id}${a.sample ? ` (e.g. ${a.sample})` : ''} -> ${b.id}${b.sample ? ` (e.g. ${b.sample})` : ''} on ${service}`;
  const message = kind === 'opened'
    ? `the live rules let ${what} through, which the declared rules block${model ? ' (the model allows it)' : ' and the model forbids'}.`
    : `the live rules block ${what}, which the declared rules allow${model ? ` (declared by ${flows.join(', ') || 'the model'})` : ' (the model forbids it: only the declared rules were wider)'}.`;
  const reachability: DriftReachability = {
    from: a.id, to: b.id, protocol, ports,
    sampleAddresses: [a.sample ?? '-', b.sample ?? '-'],
    modelAllows: model, declaredAllows: kind === 'blocked', liveAllows: kind === 'opened',
    ...(flows.length ? { flows } : {}),
  };
  const workloads = [b.workload, a.workload].filter((w): w is string => w !== undefined);
  const paths = new Map(manifest.model.workloads.map(w => [w.name, w.path]));
  const constructPath = flows.length ? flows.join(', ') : workloads.map(w => paths.get(w) ?? manifest.segmentation.path).join(', ');
  const baseKey = `${kind} ${a.id}|${b.id}|${protocol}|${ports}`;
  const key = region ? `${baseKey} @${region}` : baseKey;
  return {
    kind, severity, cloud, container: `${a.id} -> ${b.id}`, message: region ? `[${region}] ${message}` : message, reachability,
    constructPath, manifestEntry: `clouds.${cloud}.identities["${workloads[0]}"]`, key, fingerprint: fingerprint(cloud, key),
    ...(region ? { region } : {}),
  };
}

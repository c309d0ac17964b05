/**
 * Random microseg models and packets for property tests (fast-check), shared by the IR tests and
 * every backend's evaluator tests. A model is generated as plain data (`ModelSpec`) and built
 * into a real `Segmentation` by `buildModel`, optionally in a shuffled declaration order.
 */
import * as fc from 'fast-check';
import { AllowFlow, DenyFlow, EnforcementMode, IFlowEndpoint, Peer, Port, Segmentation, Selector, Workload, Zone } from '../../src';
import { compile, IrPolicy, Packet, PacketEnd, parseAddress } from '../../src/ir';

export type PortSpec =
  | { kind: 'tcp' | 'udp'; from: number; to: number }
  | { kind: 'icmp'; type?: number; code?: number }
  | { kind: 'all' };

export type EndpointSpec =
  | { kind: 'workload'; zone: number; workload: number }
  | { kind: 'zone'; zone: number }
  | { kind: 'selector'; label: string }
  | { kind: 'peer'; cidr: string };

export interface FlowSpec { from: EndpointSpec; to: EndpointSpec; ports: PortSpec[] }
export interface ZoneSpec {
  workloads: { labels: Record<string, string> }[];
  /** MONITOR mode (default ENFORCE). */
  monitor?: boolean;
  /** The zone has no cidrs (its workloads keep theirs). */
  noCidrs?: boolean;
  /** Which cloud (backend) the zone is placed on, for cross-cloud tests (default 0). */
  cloud?: number;
}
export interface ModelSpec {
  zones: ZoneSpec[];
  flows: FlowSpec[];
  denies: FlowSpec[];
}

/** Zone i gets 10.<i+1>.0.0/16; its workload j gets 10.<i+1>.<j>.0/24 as known addresses. */
export const zoneCidr = (i: number) => `10.${i + 1}.0.0/16`;
export const workloadCidr = (i: number, j: number) => `10.${i + 1}.${j}.0/24`;
export const zoneName = (i: number) => `z${i}`;
export const workloadName = (i: number, j: number) => `w${i}-${j}`;

/** External peers used by random models (outside every zone range). */
export const PEER_CIDRS = ['0.0.0.0/0', '203.0.113.0/24', '198.51.100.0/24', '192.0.2.0/25'];
/** Private peers (edge cases): one covering every zone (trimmed), one outside them inside 10.0.0.0/8. */
export const PRIVATE_PEER_CIDRS = ['10.0.0.0/8', '10.200.0.0/16'];
/** IPv6 peers (edge cases). */
export const IPV6_PEER_CIDRS = ['::/0', '2001:db8::/32'];
/** Ports used by random models: a small set so flows, denies and packets collide often. */
export const INTERESTING_PORTS = [22, 53, 80, 443, 5432, 8080, 8443];
export const LABELS = ['app=web', 'app=api', 'tier=data', 'team=ops'];

const portArb: fc.Arbitrary<PortSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom('tcp' as const, 'udp' as const), from: fc.constantFrom(...INTERESTING_PORTS) }).map(r => ({ ...r, to: r.from })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('tcp' as const, 'udp' as const), from: fc.constantFrom(...INTERESTING_PORTS), len: fc.integer({ min: 1, max: 400 }) }).map(r => ({ kind: r.kind, from: r.from, to: Math.min(65535, r.from + r.len) })) },
  { weight: 1, arbitrary: fc.constantFrom<PortSpec>({ kind: 'icmp' }, { kind: 'icmp', type: 8 }, { kind: 'all' }) },
);

/** Typed ICMP ports of the edge cases (echo reply, path-MTU discovery's fragmentation needed). */
const edgeIcmpArb: fc.Arbitrary<PortSpec> = fc.constantFrom<PortSpec>({ kind: 'icmp', type: 0 }, { kind: 'icmp', type: 3, code: 4 }, { kind: 'icmp', type: 11 });

/**
 * Options of {@link modelArb}. The edge cases the fuzzer of issue 8 found are opt-in (a backend
 * test turns on what its evaluator and oracle cover); `edge: true` turns them all on.
 */
export interface ModelArbOptions {
  maxZones?: number;
  maxWorkloads?: number;
  maxFlows?: number;
  maxDenies?: number;
  peers?: boolean;
  /** Every edge case below. */
  edge?: boolean;
  /** Zones in MONITOR mode next to ENFORCE ones. */
  monitor?: boolean;
  /** Zones placed on `clouds` backends (ZoneSpec.cloud). */
  clouds?: number;
  /** Zones without cidrs (their workloads keep theirs), next to private peers. */
  zonesWithoutCidrs?: boolean;
  /** Private peers (PRIVATE_PEER_CIDRS). */
  privatePeers?: boolean;
  /** IPv6 peers (IPV6_PEER_CIDRS), with ICMP. */
  ipv6Peers?: boolean;
  /** Typed ICMP in allows and denies (more types, codes). */
  typedIcmpDenies?: boolean;
  /** Denies derived from declared flows (same ends, part of their ports). */
  overlappingDenies?: boolean;
}

interface ZoneExtras { monitor: boolean; noCidrs: boolean; cloud: number }

/** A random model: 1-4 zones of 1-4 workloads, up to 12 flows and 3 denies. */
export function modelArb(opts: ModelArbOptions = {}): fc.Arbitrary<ModelSpec> {
  const maxZones = opts.maxZones ?? 4;
  const maxWorkloads = opts.maxWorkloads ?? 4;
  const peers = opts.peers ?? true;
  const on = (k: 'monitor' | 'zonesWithoutCidrs' | 'privatePeers' | 'ipv6Peers' | 'typedIcmpDenies' | 'overlappingDenies') => opts[k] ?? opts.edge ?? false;
  const clouds = opts.clouds ?? (opts.edge ? 2 : 1);
  const zoneExtras = fc.record({
    monitor: on('monitor') ? fc.boolean() : fc.constant(false),
    noCidrs: on('zonesWithoutCidrs') ? fc.integer({ min: 0, max: 3 }).map(n => n === 0) : fc.constant(false),
    cloud: clouds > 1 ? fc.integer({ min: 0, max: clouds - 1 }) : fc.constant(0),
  });
  const peerCidrs = [...PEER_CIDRS, ...(on('privatePeers') ? PRIVATE_PEER_CIDRS : []), ...(on('ipv6Peers') ? IPV6_PEER_CIDRS : [])];
  const ports: fc.Arbitrary<PortSpec> = on('typedIcmpDenies') ? fc.oneof({ weight: 4, arbitrary: portArb }, { weight: 1, arbitrary: edgeIcmpArb }) : portArb;
  const extended = clouds > 1 || on('monitor') || on('zonesWithoutCidrs');
  return fc.array(fc.array(fc.record({ labels: fc.subarray(LABELS, { maxLength: 2 }) }), { minLength: 1, maxLength: maxWorkloads }), { minLength: 1, maxLength: maxZones })
    .chain(zoneShapes => (extended
      ? fc.array(zoneExtras, { minLength: zoneShapes.length, maxLength: zoneShapes.length }).map(extras => ({ zoneShapes, extras: extras as ZoneExtras[] | undefined }))
      : fc.constant({ zoneShapes, extras: undefined as ZoneExtras[] | undefined })))
    .chain(({ zoneShapes, extras }) => {
      const zones: ZoneSpec[] = zoneShapes.map((ws, i) => ({
        workloads: ws.map(w => ({ labels: Object.fromEntries(w.labels.map(l => l.split('=')).filter((kv, k, all) => all.findIndex(o => o[0] === kv[0]) === k)) })),
        ...(extras?.[i].monitor ? { monitor: true } : {}),
        ...(extras?.[i].noCidrs ? { noCidrs: true } : {}),
        ...(extras && extras[i].cloud ? { cloud: extras[i].cloud } : {}),
      }));
      const usedLabels = [...new Set(zones.flatMap(z => z.workloads.flatMap(w => Object.entries(w.labels).map(([k, v]) => `${k}=${v}`))))];
      const wl = fc.integer({ min: 0, max: zones.length - 1 }).chain(z => fc.integer({ min: 0, max: zones[z].workloads.length - 1 }).map(w => ({ kind: 'workload' as const, zone: z, workload: w })));
      const endpoint = (allowPeer: boolean): fc.Arbitrary<EndpointSpec> => fc.oneof(
        { weight: 5, arbitrary: wl as fc.Arbitrary<EndpointSpec> },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: zones.length - 1 }).map(z => ({ kind: 'zone' as const, zone: z })) },
        ...(usedLabels.length ? [{ weight: 1, arbitrary: fc.constantFrom(...usedLabels).map(label => ({ kind: 'selector' as const, label })) as fc.Arbitrary<EndpointSpec> }] : []),
        ...(allowPeer && peers ? [{ weight: 2, arbitrary: fc.constantFrom(...peerCidrs).map(cidr => ({ kind: 'peer' as const, cidr })) as fc.Arbitrary<EndpointSpec> }] : []),
      );
      const flow = fc.boolean().chain(peerIsSource => fc.record({
        from: endpoint(peerIsSource),
        to: endpoint(!peerIsSource),
        ports: fc.array(ports, { minLength: 1, maxLength: 3 }),
      })).filter(f => !(f.from.kind === 'peer' && f.to.kind === 'peer'));
      const denyPorts = on('typedIcmpDenies') ? ports : portArb.filter(p => !(p.kind === 'icmp' && p.type !== undefined));
      const deny: fc.Arbitrary<FlowSpec> = fc.record({
        from: endpoint(true),
        to: endpoint(true),
        ports: fc.oneof(fc.constant<PortSpec[]>([{ kind: 'all' }]), fc.array(denyPorts, { minLength: 1, maxLength: 2 })),
      }).filter(f => !(f.from.kind === 'peer' && f.to.kind === 'peer'));
      const maxDenies = opts.maxDenies ?? 3;
      if (!on('overlappingDenies')) {
        return fc.record({
          zones: fc.constant(zones),
          flows: fc.array(flow, { minLength: 1, maxLength: opts.maxFlows ?? 12 }),
          denies: fc.array(deny, { maxLength: maxDenies }),
        });
      }
      // denies on the ends of declared flows, with part of their ports (or other typed ICMP)
      return fc.array(flow, { minLength: 1, maxLength: opts.maxFlows ?? 12 }).chain(flows => {
        const derived: fc.Arbitrary<FlowSpec> = fc.integer({ min: 0, max: flows.length - 1 }).chain(k => fc.record({
          from: fc.constant(flows[k].from),
          to: fc.constant(flows[k].to),
          ports: fc.oneof(fc.subarray(flows[k].ports, { minLength: 1 }), fc.array(denyPorts, { minLength: 1, maxLength: 2 })),
        }));
        return fc.record({
          zones: fc.constant(zones),
          flows: fc.constant(flows),
          denies: fc.array(fc.oneof(derived, deny), { maxLength: maxDenies }),
        });
      });
    });
}

function toPort(p: PortSpec): Port {
  switch (p.kind) {
    case 'tcp': return p.from === p.to ? Port.tcp(p.from) : Port.tcpRange(p.from, p.to);
    case 'udp': return p.from === p.to ? Port.udp(p.from) : Port.udpRange(p.from, p.to);
    case 'icmp': return Port.icmp(p.type, p.code);
    case 'all': return Port.allTraffic();
  }
}

/** Deterministic shuffle (mulberry32) so "any declaration order" can be tested reproducibly. */
export function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export interface BuildOptions {
  /** Parent scope (e.g. a CDK App or Stack); default: the segmentation is a root. */
  scope?: import('constructs').Construct;
  /** Declaration order seed: 0 keeps the spec order. */
  shuffleSeed?: number;
  /** Segmentation name/id. */
  name?: string;
  /** Give zones CIDRs (default true). */
  zoneCidrs?: boolean;
  /** Give workloads CIDRs (default true). */
  workloadCidrs?: boolean;
}

export interface BuiltModel {
  seg: Segmentation;
  zones: Zone[];
  workloads: Workload[][];
}

/** Builds a real Segmentation from a spec. Flow construct ids derive from the spec index, so order does not change paths. */
export function buildModel(spec: ModelSpec, opts: BuildOptions = {}): BuiltModel {
  const id = opts.name ?? 'Seg';
  const seg = opts.scope ? new Segmentation(opts.scope, id, { name: id.toLowerCase() }) : Segmentation.root(id, { name: id.toLowerCase() });
  const seed = opts.shuffleSeed ?? 0;
  const zoneOrder = seed ? shuffled(spec.zones.map((_, i) => i), seed) : spec.zones.map((_, i) => i);
  const zones: Zone[] = [];
  const workloads: Workload[][] = [];
  for (const i of zoneOrder) {
    const z = spec.zones[i];
    zones[i] = new Zone(seg, `Z${i}`, { name: zoneName(i), cidrs: opts.zoneCidrs === false || z.noCidrs ? [] : [zoneCidr(i)], ...(z.monitor ? { mode: EnforcementMode.MONITOR } : {}) });
    workloads[i] = [];
    const wOrder = seed ? shuffled(spec.zones[i].workloads.map((_, j) => j), seed + i + 1) : spec.zones[i].workloads.map((_, j) => j);
    for (const j of wOrder) {
      workloads[i][j] = new Workload(zones[i], `W${j}`, { name: workloadName(i, j), labels: spec.zones[i].workloads[j].labels, cidrs: opts.workloadCidrs === false ? [] : [workloadCidr(i, j)] });
    }
  }
  const ep = (e: EndpointSpec): IFlowEndpoint => {
    switch (e.kind) {
      case 'workload': return workloads[e.zone][e.workload];
      case 'zone': return zones[e.zone];
      case 'selector': { const [k, v] = e.label.split('='); return Selector.labels({ [k]: v }); }
      case 'peer': return e.cidr.includes(':') ? Peer.ipv6(e.cidr) : Peer.ipv4(e.cidr);
    }
  };
  const items: (() => void)[] = [];
  spec.flows.forEach((f, n) => items.push(() => new AllowFlow(seg, `Flow${n}`, { from: ep(f.from), to: ep(f.to), ports: f.ports.map(toPort) })));
  spec.denies.forEach((d, n) => items.push(() => new DenyFlow(seg, `Deny${n}`, { from: ep(d.from), to: ep(d.to), ports: d.ports.map(toPort) })));
  for (const make of seed ? shuffled(items, seed) : items) make();
  return { seg, zones, workloads };
}

/** An address inside workload (i, j)'s known range (used by evaluators that match on CIDRs). */
export function workloadAddress(i: number, j: number, host = 10): bigint {
  return parseAddress(`10.${i + 1}.${j}.${host}`).value;
}

/** External addresses of random packets: public ones; with `edge`, a private one (in 10.0.0.0/8, outside every zone) and IPv6 ones. */
export const EXTERNAL_ADDRESSES = ['203.0.113.7', '198.51.100.200', '192.0.2.5', '192.0.2.200', '8.8.8.8'];
export const EDGE_EXTERNAL_ADDRESSES = ['10.200.0.5', '2001:db8::7', '2606:4700::1'];

/**
 * A random packet over a spec: ends are workloads or external addresses; ports from the
 * interesting set. ICMP types are those of the packet's family (ICMPv6 when an end is IPv6).
 */
export function packetArb(spec: ModelSpec, opts: { edge?: boolean } = {}): fc.Arbitrary<Packet> {
  const wl: fc.Arbitrary<PacketEnd> = fc.integer({ min: 0, max: spec.zones.length - 1 })
    .chain(z => fc.integer({ min: 0, max: spec.zones[z].workloads.length - 1 }).map(w => ({ workload: workloadName(z, w) })));
  const external: fc.Arbitrary<PacketEnd> = fc.constantFrom(...EXTERNAL_ADDRESSES, ...(opts.edge ? EDGE_EXTERNAL_ADDRESSES : []))
    .map(a => { const x = parseAddress(a); return { address: x.value, family: x.family }; });
  const end = fc.oneof({ weight: 4, arbitrary: wl }, { weight: 1, arbitrary: external });
  const v6 = (p: { source: PacketEnd; destination: PacketEnd }) => [p.source, p.destination].some(e => 'family' in e && e.family === 'ipv6');
  return fc.record({
    source: end,
    destination: end,
    protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const),
    port: fc.oneof(fc.constantFrom(...INTERESTING_PORTS, 0, 21, 23, 444, 8081, 65535), fc.integer({ min: 0, max: 65535 })),
  }).filter(p => 'workload' in p.source || 'workload' in p.destination)
    .map(p => {
      if (p.protocol !== 'icmp') return p;
      if (!opts.edge) return { ...p, port: [0, 3, 8, 11][p.port % 4], code: 0 };
      const [type, code] = (v6(p) ? [[128, 0], [129, 0], [1, 0], [2, 0], [3, 0], [135, 0]] : [[0, 0], [3, 4], [3, 1], [8, 0], [11, 0]])[p.port % (v6(p) ? 6 : 5)];
      return { ...p, port: type, code };
    });
}

/**
 * Compiles a random model for a property run. A fully shadowed allow is refused by design: it is
 * counted on the tally (`checkUntil`) and gives undefined; any other error fails the property.
 */
export function compileOrRefuse(spec: ModelSpec, tally: { refuse(): void }): IrPolicy | undefined {
  try {
    return compile(buildModel(spec).seg);
  } catch (e) {
    if (!/microseg:ShadowedFlow/.test(String(e))) throw e;
    tally.refuse();
    return undefined;
  }
}

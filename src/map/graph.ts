/**
 * The graph the map draws, built from a compiled policy (and a simulation): nodes for workloads,
 * peers outside the model (internet, on-premises ranges, unknown addresses) and zones; edges for
 * allowed pairs (from the IR rules, after denies), deny guardrails (as declared), observed and
 * would-block traffic. Pure functions; node ids are stable for a given model: workloads first (in
 * the IR's order), then peers (sorted), then zones.
 */
import { Cidr, cidrContains, isCidr, parseAddress, parseCidr } from '../ir/cidr';
import { IrService, mergeServices, serviceKey } from '../ir/services';
import { IrEndpointRef, IrPolicy } from '../ir/types';
import { isInternetCidr } from '../analysis/summary';
import { cmp } from '../analysis/reachability';
import { TrafficInput } from './source';

/** Edge kinds (the page's legend, in this order). */
export const EDGE_KINDS = ['allowed', 'observed', 'unused', 'wouldBlock', 'deny'] as const;
/** What an edge stands for. `allowed`: declared (and, with traffic, not observed on this pair). */
export type EdgeKind = typeof EDGE_KINDS[number];

/** A node of the map. */
export interface MapNode {
  readonly id: number;
  readonly kind: 'workload' | 'peer' | 'zone';
  readonly name: string;
  /** What a person reads (a peer: `internet (0.0.0.0/0)`). */
  readonly label: string;
  /** The zone index of a workload. */
  readonly zone?: number;
  /** A peer's class: `internet`, `external` (private ranges outside the model) or `unknown`. */
  readonly peerClass?: 'internet' | 'external' | 'unknown';
  readonly cidrs: string[];
}

/** An edge of the map. */
export interface MapEdge {
  readonly source: number;
  readonly target: number;
  readonly kind: EdgeKind;
  /** Service keys (`tcp:443`) or, for traffic, `tcp:8080`. */
  readonly ports: string[];
  /** Indices into `MapGraph.flows` (allowed edges), or into `MapGraph.denies` (deny edges). */
  readonly refs: number[];
  /** Records observed (traffic edges and observed allowed edges). */
  readonly records: number;
}

/** A declared flow, for the page's tables and panels. */
export interface MapFlow {
  readonly path: string;
  readonly from: string;
  readonly to: string;
  readonly ports: string;
  readonly description: string;
  readonly owner?: string;
  readonly expires?: string;
  /** With traffic: `observed` or `unused`. */
  readonly traffic?: 'observed' | 'unused';
}

/** The map's graph. */
export interface MapGraph {
  readonly segmentation: string;
  readonly mode: string;
  readonly nodes: MapNode[];
  /** Zone node ids, in the IR's zone order; `zoneWorkloads[i]` the workload node ids of zone i. */
  readonly zones: number[];
  readonly zoneWorkloads: number[][];
  readonly workloadCount: number;
  readonly edges: MapEdge[];
  readonly flows: MapFlow[];
  readonly denies: { readonly path: string; readonly from: string; readonly to: string; readonly ports: string; readonly description: string }[];
  readonly traffic: boolean;
  /** The peer node each range of the IR rules is drawn at. */
  readonly rangePeers: Record<string, number>;
  /** Conversations that would be blocked (for the text alternative). */
  readonly wouldBlock: { readonly from: string; readonly to: string; readonly port: string; readonly records: number }[];
}

const portsText = (services: IrService[]) => mergeServices(services).map(serviceKey).join(', ');

/** The map's nodes and how model identities, ranges and peers find theirs. */
interface NodeIndex {
  readonly nodes: MapNode[];
  readonly workloadIds: Map<string, number>;
  readonly zoneIndex: Map<string, number>;
  readonly zoneBase: number;
  readonly peers: PeerIndex;
  /** The node of a peer, by name. */
  peerId(name: string): number;
  /** The node of a traffic identity (`workload:x`, `zone:x`, an address), if drawn. */
  identityNode(identity: string): number | undefined;
}

/** An allowed pair: IR rules grouped by (source node, destination node). */
interface AllowedPair { source: number; target: number; services: IrService[]; flows: Set<number>; records: number }
/** Traffic on a pair that is not an allowed pair: observed (allowed) or would-block. */
interface TrafficPair { source: number; target: number; kind: EdgeKind; ports: Set<string>; records: number }

/** Builds the graph of `policy`, with `traffic` drawn on it when given. */
export function buildGraph(policy: IrPolicy, traffic?: TrafficInput): MapGraph {
  const ix = indexNodes(policy, traffic);
  const unused = new Set((traffic?.unused ?? []).map(u => u.flow));
  const allowed = allowedPairs(policy, ix);
  const { extra, wouldBlock } = trafficPairs(traffic, ix, allowed);
  const edges: MapEdge[] = [];
  for (const e of allowed.values()) {
    const kind: EdgeKind = !traffic ? 'allowed' : e.records > 0 ? 'observed' : [...e.flows].every(f => unused.has(policy.flows[f].path)) ? 'unused' : 'allowed';
    edges.push({ source: e.source, target: e.target, kind, ports: mergeServices(e.services).map(serviceKey), refs: [...e.flows].sort((a, b) => a - b), records: e.records });
  }
  for (const e of extra.values()) edges.push({ source: e.source, target: e.target, kind: e.kind, ports: [...e.ports].sort(cmp), refs: [], records: e.records });
  edges.push(...denyEdges(policy, ix));
  edges.sort((a, b) => a.source - b.source || a.target - b.target || EDGE_KINDS.indexOf(a.kind) - EDGE_KINDS.indexOf(b.kind) || (a.refs[0] ?? 0) - (b.refs[0] ?? 0));

  return {
    segmentation: policy.segmentation.name,
    mode: policy.segmentation.mode,
    nodes: ix.nodes,
    zones: policy.zones.map((_, i) => ix.zoneBase + i),
    zoneWorkloads: policy.zones.map(z => policy.workloads.map((w, i) => (w.zone === z.name ? i : -1)).filter(i => i >= 0)),
    workloadCount: policy.workloads.length,
    edges,
    flows: mapFlows(policy, traffic, unused),
    denies: policy.denies.map(d => ({ path: d.path, from: d.from.key, to: d.to.key, ports: portsText(d.services), description: d.description })),
    traffic: !!traffic,
    rangePeers: Object.fromEntries([...new Set(policy.rules.flatMap(r => [r.source, r.destination]).flatMap(a => (a.kind === 'cidr' ? [a.cidr] : [])))].sort(cmp).map(c => [c, ix.peerId(ix.peers.forCidr(c).name)])),
    wouldBlock: wouldBlock.sort((a, b) => b.records - a.records || cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.port, b.port)),
  };
}

/** The nodes: workloads (in the IR's order), then peers (an `unknown` one when traffic has addresses no peer holds), then zones. */
function indexNodes(policy: IrPolicy, traffic?: TrafficInput): NodeIndex {
  const workloadIds = new Map(policy.workloads.map((w, i) => [w.name, i]));
  const zoneIndex = new Map(policy.zones.map((z, i) => [z.name, i]));
  const peers = new PeerIndex(policy);
  const needsUnknown = traffic?.conversations.some(c => !isModelIdentity(c.from) && !peers.find(c.from)) || traffic?.conversations.some(c => !isModelIdentity(c.to) && !peers.find(c.to));
  const peerList = peers.list(!!needsUnknown);
  const peerBase = policy.workloads.length;
  const zoneBase = peerBase + peerList.length;

  const nodes: MapNode[] = [
    ...policy.workloads.map((w, i) => ({ id: i, kind: 'workload' as const, name: w.name, label: w.name, zone: zoneIndex.get(w.zone), cidrs: w.cidrs })),
    ...peerList.map((p, i) => ({ id: peerBase + i, kind: 'peer' as const, name: p.name, label: p.label, peerClass: p.peerClass, cidrs: p.cidr ? [p.cidr.text] : [] })),
    ...policy.zones.map((z, i) => ({ id: zoneBase + i, kind: 'zone' as const, name: z.name, label: z.name, cidrs: z.cidrs })),
  ];
  const peerId = (name: string) => peerBase + peerList.findIndex(p => p.name === name);
  const identityNode = (identity: string): number | undefined => {
    const [kind, ...rest] = identity.split(':');
    const name = rest.join(':');
    if (kind === 'workload') return workloadIds.get(name);
    if (kind === 'zone') return zoneIndex.has(name) ? zoneBase + zoneIndex.get(name)! : undefined;
    const p = peers.find(identity);
    return p ? peerId(p.name) : needsUnknown ? peerId(UNKNOWN) : undefined;
  };
  return { nodes, workloadIds, zoneIndex, zoneBase, peers, peerId, identityNode };
}

/** The declared flows for the page (with traffic: observed or unused). */
function mapFlows(policy: IrPolicy, traffic: TrafficInput | undefined, unused: ReadonlySet<string>): MapFlow[] {
  const observedFlows = new Set((traffic?.conversations ?? []).filter(c => c.verdict === 'allowed').flatMap(c => c.flows));
  return policy.flows.map(f => ({
    path: f.path, from: f.from.key, to: f.to.key, ports: portsText(f.services), description: f.description,
    ...(f.owner ? { owner: f.owner } : {}), ...(f.expires ? { expires: f.expires } : {}),
    ...(traffic ? { traffic: unused.has(f.path) || !observedFlows.has(f.path) ? 'unused' as const : 'observed' as const } : {}),
  }));
}

/** Allowed pairs: IR rules grouped by (source node, destination node), with the flows behind them. */
function allowedPairs(policy: IrPolicy, ix: NodeIndex): Map<string, AllowedPair> {
  const flowIndex = new Map(policy.flows.map((f, i) => [f.path, i]));
  const allowed = new Map<string, AllowedPair>();
  for (const r of policy.rules) {
    const s = r.source.kind === 'workload' ? ix.workloadIds.get(r.source.workload)! : ix.peerId(ix.peers.forCidr(r.source.cidr).name);
    const t = r.destination.kind === 'workload' ? ix.workloadIds.get(r.destination.workload)! : ix.peerId(ix.peers.forCidr(r.destination.cidr).name);
    if (s === t) continue;
    const k = `${s}>${t}`;
    let e = allowed.get(k);
    if (!e) { e = { source: s, target: t, services: [], flows: new Set(), records: 0 }; allowed.set(k, e); }
    e.services.push(r.service);
    for (const f of r.flows) if (flowIndex.has(f)) e.flows.add(flowIndex.get(f)!);
  }
  return allowed;
}

/** Traffic: allowed conversations mark their pair observed (adding to `allowed`'s records); the rest become their own pairs. */
function trafficPairs(traffic: TrafficInput | undefined, ix: NodeIndex, allowed: Map<string, AllowedPair>): { extra: Map<string, TrafficPair>; wouldBlock: MapGraph['wouldBlock'] } {
  const extra = new Map<string, TrafficPair>();
  const wouldBlock: MapGraph['wouldBlock'] = [];
  for (const c of traffic?.conversations ?? []) {
    if (c.verdict !== 'allowed' && c.verdict !== 'wouldBlock') continue;
    const s = ix.identityNode(c.from);
    const t = ix.identityNode(c.to);
    const port = c.port === undefined || c.port === null ? c.protocol : `${c.protocol}:${c.port}`;
    if (c.verdict === 'wouldBlock') wouldBlock.push({ from: c.from, to: c.to, port, records: c.records });
    if (s === undefined || t === undefined || s === t) continue;
    const pair = allowed.get(`${s}>${t}`);
    if (c.verdict === 'allowed' && pair) { pair.records += c.records; continue; }
    const kind: EdgeKind = c.verdict === 'allowed' ? 'observed' : 'wouldBlock';
    const k = `${s}>${t}>${kind}`;
    let e = extra.get(k);
    if (!e) { e = { source: s, target: t, kind, ports: new Set(), records: 0 }; extra.set(k, e); }
    e.ports.add(port);
    e.records += c.records;
  }
  return { extra, wouldBlock };
}

/** Denies, as declared: zone ends at the zone, selectors at their workloads, ranges at their peer. */
function denyEdges(policy: IrPolicy, ix: NodeIndex): MapEdge[] {
  const endNodes = (ref: IrEndpointRef): number[] => {
    if (ref.kind === 'zone') return ref.zones.filter(z => ix.zoneIndex.has(z)).map(z => ix.zoneBase + ix.zoneIndex.get(z)!);
    if (ref.kind === 'cidr') return ref.cidr ? [ix.peerId(ix.peers.forCidr(ref.cidr).name)] : [];
    return ref.workloads.filter(w => ix.workloadIds.has(w)).map(w => ix.workloadIds.get(w)!);
  };
  const edges: MapEdge[] = [];
  policy.denies.forEach((d, i) => {
    for (const s of endNodes(d.from)) {
      for (const t of endNodes(d.to)) {
        if (s !== t) edges.push({ source: s, target: t, kind: 'deny', ports: mergeServices(d.services).map(serviceKey), refs: [i], records: 0 });
      }
    }
  });
  return edges;
}

const UNKNOWN = 'unknown';

function isModelIdentity(identity: string): boolean {
  return identity.startsWith('workload:') || identity.startsWith('zone:');
}

interface Peer { readonly name: string; readonly label: string; readonly cidr?: Cidr; readonly peerClass: 'internet' | 'external' | 'unknown' }

/**
 * The peers of the map: every range a flow or a deny names (the internet and on-premises ranges
 * as declared). A rule's range (which a deny may have cut into pieces) is drawn at the narrowest
 * declared range that holds it.
 */
class PeerIndex {
  private readonly peers = new Map<string, Peer>();

  constructor(policy: IrPolicy) {
    for (const ref of [...policy.flows, ...policy.denies].flatMap(f => [f.from, f.to])) {
      if (ref.kind === 'cidr' && ref.cidr) this.add(ref.cidr);
    }
    for (const r of policy.rules) {
      for (const a of [r.source, r.destination]) if (a.kind === 'cidr' && !this.narrowest(a.cidr)) this.add(a.cidr);
    }
  }

  list(withUnknown: boolean): Peer[] {
    const out = [...this.peers.values()].sort((a, b) => cmp(a.name, b.name));
    return withUnknown ? [...out, { name: UNKNOWN, label: 'addresses outside the model', peerClass: 'unknown' }] : out;
  }

  /** The peer drawn for a rule's range. */
  forCidr(text: string): Peer {
    return this.narrowest(text) ?? this.peers.get(text)!;
  }

  /** The peer of a traffic identity (`ipv4:<address or cidr>`), if a declared range holds it. */
  find(identity: string): Peer | undefined {
    const [family, ...rest] = identity.split(':');
    if (family !== 'ipv4' && family !== 'ipv6') return undefined;
    const text = rest.join(':');
    let range = text;
    if (!text.includes('/')) {
      try {
        range = `${text}/${parseAddress(text).family === 'ipv4' ? 32 : 128}`;
      } catch {
        return undefined;
      }
    }
    const p = this.narrowest(range);
    // A private address that only an internet range holds is an unknown host, not the internet.
    if (p && p.peerClass === 'internet' && !isInternetCidr(range)) return undefined;
    return p;
  }

  private add(text: string): void {
    const c = parseCidr(text);
    const key = isCidr(c) ? c.text : text;
    if (this.peers.has(key)) return;
    const internet = !isCidr(c) || isInternetCidr(key);
    const all = key === '0.0.0.0/0' || key === '::/0';
    this.peers.set(key, {
      name: key, cidr: isCidr(c) ? c : undefined, peerClass: internet ? 'internet' : 'external',
      label: all ? `internet (${key})` : internet ? `internet range ${key}` : `on-premises / external ${key}`,
    });
  }

  private narrowest(text: string): Peer | undefined {
    const c = parseCidr(text);
    if (!isCidr(c)) return this.peers.get(text);
    let best: Peer | undefined;
    for (const p of this.peers.values()) {
      if (!p.cidr || p.cidr.family !== c.family || !cidrContains(p.cidr, c)) continue;
      if (!best || p.cidr.prefix > best.cidr!.prefix) best = p;
    }
    return best;
  }
}

/**
 * Layout at generation time with elkjs (the Eclipse Layout Kernel compiled to JavaScript), an
 * optional dependency loaded on first use: a missing one is `[microseg:MissingDependency]` naming
 * `npm i elkjs`.
 *
 * Two levels, so an L-sized model lays out in seconds: each zone's workloads are laid out inside
 * the zone (layered along the zone's own flows when the zone is small, a grid otherwise), then
 * zones and peers are laid out as one layered graph over the aggregated edges between them. A zone keeps the same box
 * collapsed or expanded, so expanding one in the page moves nothing else.
 * @see https://eclipse.dev/elk/reference/algorithms.html
 */
import { loadOptional } from '../optional/load';
import { MapGraph } from './graph';

/** The install line for the layout library. */
export const ELK_INSTALL = 'npm i elkjs';

/** Models with more workloads than this open with their zones collapsed (`MapCollapse.AUTO`). */
export const AUTO_COLLAPSE_ABOVE = 300;

/** Zones with at most this many workloads are laid out along their own flows; larger ones are a grid. */
export const LAYERED_ZONE_MAX = 12;

/** Connections per zone or peer that the zone-level layout considers (the strongest). */
export const TOP_EDGES_PER_NODE = 3;

/** Node sizes and paddings (page units). */
export const SIZES = { workloadWidth: 160, workloadHeight: 30, peerWidth: 190, peerHeight: 36, zonePad: 14, zoneHeader: 30, collapsedMin: 200 } as const;

/** A box. */
export interface Box { readonly x: number; readonly y: number; readonly w: number; readonly h: number }

/** Positions of every node (absolute; zones are their expanded boxes). */
export interface MapLayout {
  readonly boxes: Box[];
  readonly width: number;
  readonly height: number;
}

interface ElkNode { id: string; width?: number; height?: number; x?: number; y?: number; children?: ElkNode[]; edges?: ElkEdge[]; layoutOptions?: Record<string, string> }
interface ElkEdge { id: string; sources: string[]; targets: string[] }
interface Elk { layout(graph: ElkNode): Promise<ElkNode> }

/** Loads elkjs, or throws `MissingDependency` with the install line. */
export function loadElk(): Elk {
  const ELK = loadOptional<new () => Elk>('elkjs', {
    code: 'MissingDependency', path: 'map',
    message: 'is needed to lay out the map but is not installed.',
    install: ELK_INSTALL,
  }, 'lib/elk.bundled.js');
  return new ELK();
}

/** Lays out `graph`: zone interiors first, then zones and peers. */
export async function layoutGraph(graph: MapGraph): Promise<MapLayout> {
  const elk = loadElk();
  const boxes: Box[] = graph.nodes.map(() => ({ x: 0, y: 0, w: 0, h: 0 }));
  const zoneOf = (n: number) => graph.nodes[n].zone;

  // 1. Each zone's interior: small zones with flows inside are layered along them (elkjs), the
  // others are a grid (an L-sized zone laid out by elkjs would cost seconds and say little).
  const interiors: { children: ElkNode[]; width: number; height: number }[] = [];
  for (const members of graph.zoneWorkloads) {
    const inside = new Set(members);
    const edges = graph.edges.filter(e => e.kind !== 'deny' && e.kind !== 'wouldBlock' && inside.has(e.source) && inside.has(e.target));
    const children = edges.length > 0 && members.length > 1 && members.length <= LAYERED_ZONE_MAX
      ? (await elk.layout({
        id: 'zone',
        layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.spacing.nodeNode': '10', 'elk.layered.spacing.nodeNodeBetweenLayers': '40', 'elk.padding': '[top=0,left=0,bottom=0,right=0]' },
        children: members.map(n => ({ id: String(n), width: SIZES.workloadWidth, height: SIZES.workloadHeight })),
        edges: uniqueEdges(edges.map(e => [e.source, e.target])),
      })).children ?? []
      : grid(members);
    const width = Math.max(SIZES.collapsedMin, ...children.map(c => (c.x ?? 0) + (c.width ?? 0)));
    const height = Math.max(SIZES.workloadHeight, ...children.map(c => (c.y ?? 0) + (c.height ?? 0)));
    interiors.push({ children, width: width + 2 * SIZES.zonePad, height: height + 2 * SIZES.zonePad + SIZES.zoneHeader });
  }

  // 2. Zones and peers, over the aggregated edges between them.
  const topOf = (n: number) => {
    const z = zoneOf(n);
    return z === undefined ? n : graph.zones[z];
  };
  // Laid out along the declared intent: traffic the model would block does not reorder the drawing.
  const topEdges = graph.edges.filter(e => e.kind !== 'deny' && e.kind !== 'wouldBlock' && (e.kind !== 'observed' || e.refs.length > 0)).map(e => [topOf(e.source), topOf(e.target)] as [number, number]).filter(([a, b]) => a !== b);
  // Peers that only send (the internet calling in) start the drawing, peers that only receive end it.
  const peerLayer = (id: number): Record<string, string> => {
    const sends = topEdges.some(([a]) => a === id);
    const receives = topEdges.some(([, b]) => b === id);
    const layer = sends && !receives ? 'FIRST' : receives && !sends ? 'LAST' : undefined;
    return layer ? { 'elk.layered.layering.layerConstraint': layer } : {};
  };
  const top: ElkNode[] = [
    ...graph.zones.map((id, i) => ({ id: String(id), width: interiors[i].width, height: interiors[i].height })),
    ...graph.nodes.filter(n => n.kind === 'peer').map(n => ({ id: String(n.id), width: SIZES.peerWidth, height: SIZES.peerHeight, layoutOptions: peerLayer(n.id) })),
  ];
  const result = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered', 'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '40', 'elk.layered.spacing.nodeNodeBetweenLayers': '90',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES', 'elk.padding': '[top=20,left=20,bottom=20,right=20]',
    },
    children: top,
    edges: uniqueEdges(strongest(topEdges, TOP_EDGES_PER_NODE)),
  });
  for (const c of result.children ?? []) boxes[Number(c.id)] = { x: c.x ?? 0, y: c.y ?? 0, w: c.width ?? 0, h: c.height ?? 0 };
  graph.zones.forEach((zoneId, i) => {
    const z = boxes[zoneId];
    for (const c of interiors[i].children) {
      boxes[Number(c.id)] = { x: z.x + SIZES.zonePad + (c.x ?? 0), y: z.y + SIZES.zonePad + SIZES.zoneHeader + (c.y ?? 0), w: c.width ?? 0, h: c.height ?? 0 };
    }
  });
  return { boxes: boxes.map(round), width: Math.ceil(result.width ?? 0), height: Math.ceil(result.height ?? 0) };
}

/** Workloads in rows, about twice as wide as high, in the model's order. */
function grid(members: number[]): ElkNode[] {
  const columns = Math.max(1, Math.ceil(Math.sqrt(members.length * 1.2)));
  return members.map((n, i) => ({
    id: String(n), width: SIZES.workloadWidth, height: SIZES.workloadHeight,
    x: (i % columns) * (SIZES.workloadWidth + 10), y: Math.floor(i / columns) * (SIZES.workloadHeight + 10),
  }));
}

/**
 * The `k` strongest connections of each node (by the number of pairs they aggregate; ties by
 * id): enough for the layering to put callers before callees, and a large model lays out in
 * seconds. The page draws every edge itself.
 */
function strongest(pairs: [number, number][], k: number): [number, number][] {
  const weight = new Map<string, { pair: [number, number]; n: number }>();
  for (const [a, b] of pairs) {
    const id = `${a}>${b}`;
    const w = weight.get(id);
    if (w) w.n++;
    else weight.set(id, { pair: [a, b], n: 1 });
  }
  const bySource = new Map<number, { pair: [number, number]; n: number }[]>();
  for (const w of weight.values()) bySource.set(w.pair[0], [...(bySource.get(w.pair[0]) ?? []), w]);
  const out: [number, number][] = [];
  for (const [, list] of [...bySource.entries()].sort((x, y) => x[0] - y[0])) {
    list.sort((x, y) => y.n - x.n || x.pair[1] - y.pair[1]);
    out.push(...list.slice(0, k).map(w => w.pair));
  }
  return out;
}

function uniqueEdges(pairs: [number, number][]): ElkEdge[] {
  const seen = new Set<string>();
  const out: ElkEdge[] = [];
  for (const [a, b] of pairs) {
    const id = `${a}>${b}`;
    if (a === b || seen.has(id)) continue;
    seen.add(id);
    out.push({ id: `e${out.length}`, sources: [String(a)], targets: [String(b)] });
  }
  return out;
}

function round(b: Box): Box {
  return { x: Math.round(b.x), y: Math.round(b.y), w: Math.round(b.w), h: Math.round(b.h) };
}

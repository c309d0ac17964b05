/**
 * Layout at generation time with elkjs (the Eclipse Layout Kernel compiled to JavaScript), an
 * optional dependency loaded on first use: a missing one is `[microseg:MissingDependency]` naming
 * `npm i elkjs`.
 *
 * Two levels, so an L-sized model lays out in seconds: each zone's workloads are laid out inside
 * the zone (layered along the zone's own flows, packed when it has none), then zones and peers are
 * laid out as one layered graph over the aggregated edges between them. A zone keeps the same box
 * collapsed or expanded, so expanding one in the page moves nothing else.
 * @see https://eclipse.dev/elk/reference/algorithms.html
 */
import { MicrosegError } from '../model/errors';
import { MapGraph } from './graph';

/** The install line for the layout library. */
export const ELK_INSTALL = 'npm i elkjs';

/** Models with more workloads than this open with their zones collapsed (`MapCollapse.AUTO`). */
export const AUTO_COLLAPSE_ABOVE = 300;

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
  const hidden = (process.env.MICROSEG_HIDE_SDKS ?? '').split(',').map(s => s.trim());
  let ELK: new () => Elk;
  try {
    if (hidden.includes('elkjs')) throw Object.assign(new Error("Cannot find module 'elkjs'"), { code: 'MODULE_NOT_FOUND' });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ELK = require('elkjs/lib/elk.bundled.js');
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('elkjs')) {
      throw new MicrosegError({
        code: 'MissingDependency', path: 'map', value: 'elkjs',
        message: 'is needed to lay out the map but is not installed.',
        hint: `Install it next to microseg: ${ELK_INSTALL}`,
      });
    }
    throw e;
  }
  return new ELK();
}

/** Lays out `graph`: zone interiors first, then zones and peers. */
export async function layoutGraph(graph: MapGraph): Promise<MapLayout> {
  const elk = loadElk();
  const boxes: Box[] = graph.nodes.map(() => ({ x: 0, y: 0, w: 0, h: 0 }));
  const zoneOf = (n: number) => graph.nodes[n].zone;

  // 1. Each zone's interior.
  const interiors = await Promise.all(graph.zoneWorkloads.map(async (members) => {
    const inside = new Set(members);
    const edges = graph.edges.filter(e => e.kind !== 'deny' && e.kind !== 'wouldBlock' && inside.has(e.source) && inside.has(e.target));
    const layered = edges.length > 0 && members.length > 1;
    const result = await elk.layout({
      id: 'zone',
      layoutOptions: layered
        ? { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.spacing.nodeNode': '10', 'elk.layered.spacing.nodeNodeBetweenLayers': '40', 'elk.padding': '[top=0,left=0,bottom=0,right=0]' }
        : { 'elk.algorithm': 'rectpacking', 'elk.aspectRatio': '2.2', 'elk.spacing.nodeNode': '10', 'elk.padding': '[top=0,left=0,bottom=0,right=0]' },
      children: members.map(n => ({ id: String(n), width: SIZES.workloadWidth, height: SIZES.workloadHeight })),
      edges: layered ? uniqueEdges(edges.map(e => [e.source, e.target])) : [],
    });
    const children = result.children ?? [];
    const width = Math.max(SIZES.collapsedMin, ...children.map(c => (c.x ?? 0) + (c.width ?? 0)));
    const height = Math.max(SIZES.workloadHeight, ...children.map(c => (c.y ?? 0) + (c.height ?? 0)));
    return { children, width: width + 2 * SIZES.zonePad, height: height + 2 * SIZES.zonePad + SIZES.zoneHeader };
  }));

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
    edges: uniqueEdges(topEdges),
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

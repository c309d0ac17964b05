/**
 * The map page: one HTML file with its data, style and script inline. A Content-Security-Policy
 * forbids every request (`default-src 'none'`), so opening the file sends nothing anywhere. The
 * page carries a text alternative (tables of zones, workloads, peers, flows, denies and
 * would-block traffic) in a `<details>` element, for screen readers, search and people who prefer
 * tables.
 */
import { clientScript, PALETTE, STYLE } from './client';
import { EDGE_KINDS, MapGraph } from './graph';
import { MapLayout } from './layout';

/** Page options. */
export interface PageOptions {
  readonly title: string;
  readonly collapsed: boolean;
  /** Extra sections of the side panel (e.g. invariants), as HTML. */
  readonly extraSide?: string;
  /** Extra sections of the text alternative, as HTML. */
  readonly extraText?: string;
}

/** Escapes text for HTML. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

/** JSON that is safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The page's data: nodes and edges as compact arrays (see client.ts for the field order). */
export function pageData(graph: MapGraph, layout: MapLayout, options: PageOptions): unknown {
  const peerClass = (n: MapGraph['nodes'][number]) => n.peerClass ?? '';
  return {
    segmentation: graph.segmentation,
    collapsed: options.collapsed,
    width: layout.width,
    height: layout.height,
    workloads: graph.workloadCount,
    palette: PALETTE,
    zones: graph.zones,
    zoneWorkloads: graph.zoneWorkloads,
    nodes: graph.nodes.map((n, i) => {
      const b = layout.boxes[i];
      return [n.kind === 'workload' ? 0 : n.kind === 'peer' ? 1 : 2, n.name, n.label, n.zone ?? -1, b.x, b.y, b.w, b.h, n.cidrs, peerClass(n)];
    }),
    edges: graph.edges.map(e => [e.source, e.target, EDGE_KINDS.indexOf(e.kind), e.ports.join(' '), e.refs, e.records, e.kind === 'allowed' || e.kind === 'unused' || (e.kind === 'observed' && e.refs.length > 0) ? 1 : 0]),
  };
}

function legend(graph: MapGraph): string {
  const kinds = EDGE_KINDS.filter(k => graph.traffic || (k !== 'observed' && k !== 'unused' && k !== 'wouldBlock'));
  const line = (k: typeof kinds[number]) => {
    const p = PALETTE[k];
    return `<svg width="46" height="12" aria-hidden="true"><line x1="2" y1="6" x2="40" y2="6" stroke="${p.colour}" stroke-width="${p.width}" stroke-dasharray="${p.dash}"/><path d="M38,2 L44,6 L38,10 z" fill="${p.colour}"/></svg>`;
  };
  const items = kinds.map(k => `<li data-legend="${k}">${line(k)}<span>${esc(PALETTE[k].label)}</span></li>`);
  items.push('<li><svg width="46" height="16" aria-hidden="true"><rect x="2" y="2" width="40" height="12" rx="6" fill="#dff0fb" stroke="#56B4E9" stroke-width="2"/></svg><span>internet range</span></li>');
  items.push('<li><svg width="46" height="16" aria-hidden="true"><rect x="2" y="2" width="40" height="12" rx="6" fill="#fcf9d6" stroke="#a89a00" stroke-width="2"/></svg><span>on-premises / external range</span></li>');
  items.push('<li><svg width="46" height="16" aria-hidden="true"><rect x="2" y="2" width="40" height="12" rx="2" fill="#e9eef3" stroke="#56B4E9" stroke-width="2"/></svg><span>collapsed zone (edges aggregated)</span></li>');
  items.push('<li><svg width="46" height="16" aria-hidden="true"><rect x="2" y="2" width="40" height="12" rx="2" fill="#fff" stroke="#E69F00" stroke-width="4"/></svg><span>in the blast radius (hops shown)</span></li>');
  return `<section id="legend" aria-label="legend"><h2>Legend</h2><ul>${items.join('')}</ul><p>Line styles differ as well as colours (Okabe-Ito palette).</p></section>`;
}

function markers(): string {
  return Object.entries(PALETTE).map(([k, p]) => k === 'deny'
    ? `<marker id="m-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${p.colour}"/><rect x="9" y="0" width="1.5" height="10" fill="${p.colour}"/></marker>`
    : `<marker id="m-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${p.colour}"/></marker>`).join('');
}

function table(caption: string, id: string, head: string[], rows: unknown[][]): string {
  const th = head.map(h => `<th scope="col">${esc(h)}</th>`).join('');
  const body = rows.map(r => `<tr>${r.map(c => `<td>${esc(c ?? '')}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${id}"><caption>${esc(caption)}</caption><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The text alternative: every zone, workload, peer, flow, deny (and would-block conversation). */
export function textAlternative(graph: MapGraph): string {
  const nodes = graph.nodes;
  const zones = graph.zones.map((id, i) => [nodes[id].name, nodes[id].cidrs.join(' '), graph.zoneWorkloads[i].map(w => nodes[w].name).join(', ')]);
  const peers = nodes.filter(n => n.kind === 'peer').map(n => [n.label, n.peerClass]);
  const flowHead = ['flow', 'from', 'to', 'ports', 'owner', 'expires', ...(graph.traffic ? ['traffic'] : [])];
  const flows = graph.flows.map(f => [f.path, f.from, f.to, f.ports, f.owner, f.expires, ...(graph.traffic ? [f.traffic] : [])]);
  const parts = [
    table(`Zones and workloads (${graph.zones.length} zones, ${graph.workloadCount} workloads)`, 't-zones', ['zone', 'ranges', 'workloads'], zones),
    table(`Peers outside the model (${peers.length})`, 't-peers', ['peer', 'class'], peers),
    table(`Declared flows (${graph.flows.length})`, 't-flows', flowHead, flows),
    table(`Guardrail denies (${graph.denies.length})`, 't-denies', ['deny', 'from', 'to', 'ports', 'description'], graph.denies.map(d => [d.path, d.from, d.to, d.ports, d.description])),
  ];
  if (graph.traffic) {
    parts.push(table(`Observed traffic the model would block (${graph.wouldBlock.length})`, 't-wouldblock', ['from', 'to', 'port', 'records'], graph.wouldBlock.map(c => [c.from, c.to, c.port, c.records])));
  }
  return parts.join('\n');
}

/** The whole page. */
export function renderPage(graph: MapGraph, layout: MapLayout, options: PageOptions): string {
  const data = pageData(graph, layout, options);
  const title = esc(options.title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="microseg">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<span>${graph.zones.length} zones, ${graph.workloadCount} workloads, ${graph.flows.length} flows, ${graph.denies.length} denies${graph.traffic ? ', with traffic' : ''} (${esc(graph.mode)})</span>
<button id="fit" type="button">fit</button><button id="zoom-in" type="button" aria-label="zoom in">+</button><button id="zoom-out" type="button" aria-label="zoom out">&minus;</button>
<button id="expand" type="button">expand all</button><button id="collapse" type="button">collapse all</button>
<button id="tables" type="button">tables (text alternative)</button>
</header>
<main>
<div id="canvas">
<svg id="map" role="img" aria-label="Segmentation map of ${esc(graph.segmentation)}; the tables below say the same in text" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">
<defs>${markers()}</defs>
<g id="g-zones"></g><g id="g-edges"></g><g id="g-nodes"></g>
</svg>
</div>
<aside id="side">
${legend(graph)}
<section id="panel" aria-live="polite"></section>
${options.extraSide ?? ''}
</aside>
</main>
<p id="status" class="sr" aria-live="polite"></p>
<details id="text">
<summary>Text alternative: tables of zones, workloads, peers, flows and denies</summary>
${textAlternative(graph)}
${options.extraText ?? ''}
</details>
<script type="application/json" id="map-data">${scriptJson(data)}</script>
<script>${clientScript()}</script>
</body>
</html>
`;
}

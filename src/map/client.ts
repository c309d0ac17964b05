/**
 * The page's script and style (inline in the HTML: the page makes no request). The script reads
 * the embedded data, draws the SVG (zones, workloads, peers, edges aggregated at collapsed zones),
 * pans and zooms, expands and collapses zones, and shows a workload's blast radius on click
 * (`blastHops`, whose source text the page embeds).
 */
import { blastHops } from './blast';

/** Okabe-Ito colours (safe for the common colour-vision deficiencies), with line styles. */
export const PALETTE = {
  allowed: { colour: '#0072B2', dash: '', width: 1.6, label: 'declared flow (allowed)' },
  observed: { colour: '#009E73', dash: '', width: 3.2, label: 'observed and allowed' },
  unused: { colour: '#CC79A7', dash: '2 5', width: 1.8, label: 'declared, never observed (unused)' },
  wouldBlock: { colour: '#D55E00', dash: '10 5', width: 2.6, label: 'observed, would be blocked' },
  deny: { colour: '#000000', dash: '12 4 2 4', width: 2, label: 'guardrail deny' },
} as const;

/** Blast-radius highlight (Okabe-Ito orange, thick outline). */
export const HIGHLIGHT = '#E69F00';

/** The page's style sheet. */
export const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;background:#fff;display:flex;flex-direction:column;height:100vh}
header{display:flex;flex-wrap:wrap;gap:8px;align-items:center;padding:6px 10px;border-bottom:1px solid #ccc}
header h1{font-size:16px;margin:0 12px 0 0}
button{font:inherit;padding:3px 10px;border:1px solid #666;border-radius:4px;background:#f7f7f7;cursor:pointer}
button:focus-visible,[tabindex]:focus-visible{outline:3px solid ${HIGHLIGHT};outline-offset:2px}
main{flex:1;display:flex;min-height:0}
#canvas{flex:1;position:relative;min-width:0}
#map{width:100%;height:100%;display:block;cursor:grab;background:#fff}
#side{width:320px;border-left:1px solid #ccc;overflow:auto;padding:8px 10px;font-size:13px}
#side h2{font-size:14px;margin:10px 0 4px}
#legend ul{list-style:none;padding:0;margin:0}
#legend li{display:flex;align-items:center;gap:8px;margin:3px 0}
#panel ol{padding-left:18px;margin:4px 0}
.zone rect.box{fill:#f3f3f3;stroke:#8a8a8a;stroke-width:1.2}
.zone.collapsed rect.box{fill:#e9eef3;stroke:#56B4E9;stroke-width:2}
.zone text.title{font-weight:600;font-size:13px}
.zone text.count{font-size:12px;fill:#333}
.node rect{fill:#fff;stroke:#555;stroke-width:1.2}
.node.peer rect{rx:16px}
.node.peer.internet rect{fill:#dff0fb;stroke:#56B4E9;stroke-width:2}
.node.peer.external rect{fill:#fcf9d6;stroke:#a89a00;stroke-width:2}
.node.peer.unknown rect{fill:#eee;stroke:#666;stroke-dasharray:4 3}
.node text{font-size:12px;pointer-events:none}
.node,.zone .head{cursor:pointer}
.edge{fill:none}
.hidden{display:none}
svg.blast .node,svg.blast .zone rect.box,svg.blast .edge{opacity:.25}
svg.blast .node.hit,svg.blast .node.origin,svg.blast .zone.hit rect.box,svg.blast .edge.hot{opacity:1}
.node.hit rect,.zone.hit rect.box{stroke:${HIGHLIGHT};stroke-width:4}
.node.origin rect{stroke:#000;stroke-width:4;fill:#ffe9b8}
.edge.hot{stroke:${HIGHLIGHT}!important;stroke-dasharray:none!important}
text.hop{font-size:11px;font-weight:700;fill:#000}
details#text{border-top:1px solid #ccc;padding:6px 10px;max-height:45vh;overflow:auto}
details#text table{border-collapse:collapse;margin:6px 0 14px;font-size:12px}
details#text th,details#text td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
.sr{position:absolute;left:-9999px}
`;

/** The page's script (runs once the data element is parsed): its parts in order, in one closure. */
export function clientScript(): string {
  return `(function () {
${scriptState()}${scriptDrawing()}${scriptSelection()}${scriptViewport()}})();`;
}

/** The script's part: the data, the SVG groups and the helpers every part uses. */
function scriptState(): string {
  return `'use strict';
var blastHops = ${blastHops.toString()};
var D = JSON.parse(document.getElementById('map-data').textContent);
var KINDS = ${JSON.stringify(Object.keys(PALETTE))};
var NS = 'http://www.w3.org/2000/svg';
var svg = document.getElementById('map');
var gZones = document.getElementById('g-zones'), gEdges = document.getElementById('g-edges'), gNodes = document.getElementById('g-nodes');
var N = D.nodes.length, W = D.workloads;
var zoneOfNode = D.nodes.map(function (n) { return n[3]; });
var zoneIndex = {}; D.zones.forEach(function (id, i) { zoneIndex[id] = i; });
var collapsed = D.zones.map(function () { return D.collapsed; });
var out = []; for (var i = 0; i < W; i++) out.push([]);
D.edges.forEach(function (e) { if (e[6] === 1 && e[0] < W) out[e[0]].push(e[1]); });
out.forEach(function (l) { l.sort(function (a, b) { return a - b; }); });
var selected = -1, hops = null;

function el(name, attrs, parent) {
  var x = document.createElementNS(NS, name);
  for (var k in attrs) x.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(x);
  return x;
}
function box(id) { var n = D.nodes[id]; return { x: n[4], y: n[5], w: n[6], h: n[7] }; }
function visible(id) {
  var z = zoneOfNode[id];
  return z >= 0 && collapsed[z] ? D.zones[z] : id;
}
function short(s, n) { return s.length > n ? s.slice(0, n - 1) + '\\u2026' : s; }

`;
}

/** The script's part: drawing the nodes, zones and edges. */
function scriptDrawing(): string {
  return `function drawNodes() {
  D.zones.forEach(function (id, zi) {
    var b = box(id), n = D.nodes[id];
    var g = el('g', { 'class': 'zone', 'data-node': id, 'data-name': n[1], 'data-kind': 'zone' }, gZones);
    el('rect', { 'class': 'box', x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }, g);
    var head = el('g', { 'class': 'head', tabindex: 0, role: 'button', 'aria-label': 'zone ' + n[1] + ': expand or collapse' }, g);
    el('rect', { x: b.x, y: b.y, width: b.w, height: 28, fill: 'transparent' }, head);
    var t = el('text', { 'class': 'title', x: b.x + 10, y: b.y + 19 }, head); t.textContent = 'zone ' + n[1];
    var c = el('text', { 'class': 'count', x: b.x + b.w / 2, y: b.y + b.h / 2 + 4, 'text-anchor': 'middle' }, g);
    var k = D.zoneWorkloads[zi].length; c.textContent = k + (k === 1 ? ' workload' : ' workloads') + ' (expand: click the title)';
    var title = el('title', {}, g); title.textContent = 'zone ' + n[1] + (n[8].length ? ' ' + n[8].join(', ') : '') + ': ' + D.zoneWorkloads[zi].length + ' workloads';
    head.addEventListener('click', function (ev) { ev.stopPropagation(); toggle(zi); });
    head.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); toggle(zi); } });
  });
  D.nodes.forEach(function (n, id) {
    if (n[0] === 2) return;
    var b = box(id);
    var cls = 'node ' + (n[0] === 0 ? 'workload' : 'peer ' + n[9]);
    var g = el('g', { 'class': cls, 'data-node': id, 'data-name': n[1], 'data-kind': n[0] === 0 ? 'workload' : 'peer', tabindex: 0, role: 'button',
      'aria-label': (n[0] === 0 ? 'workload ' : 'peer ') + n[2] + (n[0] === 0 ? ': show blast radius' : '') }, gNodes);
    el('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: n[0] === 0 ? 4 : 16 }, g);
    var t = el('text', { x: b.x + 8, y: b.y + b.h / 2 + 4 }, g); t.textContent = short(n[2], n[0] === 0 ? 22 : 27);
    var title = el('title', {}, g); title.textContent = (n[0] === 0 ? 'workload ' + n[1] + ' (zone ' + D.nodes[D.zones[n[3]]][1] + ')' : n[2]) + (n[8].length ? ' ' + n[8].join(', ') : '');
    if (n[0] === 0) {
      g.addEventListener('click', function (ev) { ev.stopPropagation(); blast(id); });
      g.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); blast(id); } });
    }
  });
}

function path(a, b, bend) {
  var ax = a.x + a.w / 2, ay = a.y + a.h / 2, bx = b.x + b.w / 2, by = b.y + b.h / 2;
  var p = clip(a, bx - ax, by - ay), q = clip(b, ax - bx, ay - by);
  var mx = (p[0] + q[0]) / 2, my = (p[1] + q[1]) / 2, dx = q[0] - p[0], dy = q[1] - p[1];
  var len = Math.sqrt(dx * dx + dy * dy) || 1;
  var cx = mx - dy / len * bend, cy = my + dx / len * bend;
  return 'M' + p[0].toFixed(1) + ',' + p[1].toFixed(1) + 'Q' + cx.toFixed(1) + ',' + cy.toFixed(1) + ' ' + q[0].toFixed(1) + ',' + q[1].toFixed(1);
}
function clip(b, dx, dy) {
  var cx = b.x + b.w / 2, cy = b.y + b.h / 2;
  if (dx === 0 && dy === 0) return [cx, cy];
  var sx = dx === 0 ? Infinity : (b.w / 2) / Math.abs(dx), sy = dy === 0 ? Infinity : (b.h / 2) / Math.abs(dy);
  var s = Math.min(sx, sy);
  return [cx + dx * s, cy + dy * s];
}

var drawn = [];
function drawEdges() {
  while (gEdges.firstChild) gEdges.removeChild(gEdges.firstChild);
  var groups = {}, order = [];
  D.edges.forEach(function (e, i) {
    var s = visible(e[0]), t = visible(e[1]);
    if (s === t) return;
    var k = s + '>' + t + '>' + e[2];
    var g = groups[k];
    if (!g) { g = groups[k] = { s: s, t: t, kind: e[2], edges: [] }; order.push(k); }
    g.edges.push(i);
  });
  drawn = order.map(function (k) {
    var g = groups[k];
    var kind = KINDS[g.kind], style = D.palette[kind];
    var width = style.width + Math.min(4, Math.log(g.edges.length) / Math.LN2);
    var bend = 14 + 6 * g.kind;
    var p = el('path', { 'class': 'edge k-' + kind, d: path(box(g.s), box(g.t), bend), stroke: style.colour, 'stroke-width': width.toFixed(1),
      'stroke-dasharray': style.dash, 'marker-end': 'url(#m-' + kind + ')', 'data-s': g.s, 'data-t': g.t, 'data-kind': kind, 'data-count': g.edges.length }, gEdges);
    var ports = {}; g.edges.forEach(function (i) { D.edges[i][3].split(' ').forEach(function (x) { if (x) ports[x] = 1; }); });
    var title = el('title', {}, p);
    var pl = Object.keys(ports);
    title.textContent = D.palette[kind].label + ': ' + D.nodes[g.s][2] + ' \\u2192 ' + D.nodes[g.t][2] + (g.edges.length > 1 ? ' (' + g.edges.length + ' pairs)' : '') + ', ' + (pl.slice(0, 8).join(' ') + (pl.length > 8 ? ' \\u2026' : ''));
    g.el = p;
    return g;
  });
}

`;
}

/** The script's part: collapse/expand, the blast-radius selection and the side panel. */
function scriptSelection(): string {
  return `function toggle(zi) {
  collapsed[zi] = !collapsed[zi];
  refresh();
}
function refresh() {
  D.zones.forEach(function (id, zi) {
    var g = gZones.querySelector('[data-node="' + id + '"]');
    g.classList.toggle('collapsed', collapsed[zi]);
    g.querySelector('text.count').classList.toggle('hidden', !collapsed[zi]);
    D.zoneWorkloads[zi].forEach(function (w) { gNodes.querySelector('[data-node="' + w + '"]').classList.toggle('hidden', collapsed[zi]); });
  });
  drawEdges();
  paint();
  svg.setAttribute('data-collapsed', collapsed.filter(Boolean).length);
}

function blast(id) {
  selected = id;
  hops = blastHops(id, out, N, W);
  paint();
}
function clear() { selected = -1; hops = null; paint(); }

function paint() {
  var badges = svg.querySelectorAll('text.hop');
  for (var i = 0; i < badges.length; i++) badges[i].parentNode.removeChild(badges[i]);
  svg.classList.toggle('blast', selected >= 0);
  var nodes = svg.querySelectorAll('[data-node]');
  for (var j = 0; j < nodes.length; j++) { nodes[j].classList.remove('hit'); nodes[j].classList.remove('origin'); }
  var panel = document.getElementById('panel');
  if (selected < 0) { panel.innerHTML = '<p>Click a workload to see its blast radius: what an attacker who holds it reaches, directly and by pivoting.</p>'; drawn.forEach(function (g) { g.el.classList.remove('hot'); }); return; }
  var reached = [], zoneHits = {};
  for (var n = 0; n < N; n++) {
    if (hops.hops[n] <= 0) continue;
    reached.push(n);
    var z = zoneOfNode[n];
    if (z >= 0) zoneHits[z] = (zoneHits[z] || 0) + 1;
    var vis = visible(n);
    var ge = svg.querySelector('[data-node="' + vis + '"]');
    if (ge) ge.classList.add('hit');
    if (vis === n) { var b = box(n); var t = el('text', { 'class': 'hop', x: b.x + b.w - 4, y: b.y - 3, 'text-anchor': 'end' }, gNodes); t.textContent = hops.hops[n] + (hops.hops[n] === 1 ? ' hop' : ' hops'); }
  }
  svg.querySelector('[data-node="' + selected + '"]').classList.add('origin');
  Object.keys(zoneHits).forEach(function (z) {
    if (!collapsed[z]) return;
    var b = box(D.zones[z]); var t = el('text', { 'class': 'hop', x: b.x + b.w - 8, y: b.y + 19, 'text-anchor': 'end' }, gNodes);
    t.textContent = zoneHits[z] + ' reached';
  });
  drawn.forEach(function (g) {
    var hot = g.kind <= 2 && g.edges.some(function (i) { var e = D.edges[i]; return e[6] === 1 && hops.hops[e[0]] >= 0 && hops.prev[e[1]] === e[0]; });
    g.el.classList.toggle('hot', hot);
  });
  reached.sort(function (a, b) { return hops.hops[a] - hops.hops[b] || (D.nodes[a][1] < D.nodes[b][1] ? -1 : 1); });
  var ws = reached.filter(function (n) { return n < W; }).length;
  var html = '<h2>Blast radius of ' + esc(D.nodes[selected][1]) + '</h2><p>' + ws + ' workload(s) and ' + (reached.length - ws) + ' peer(s) reachable' +
    (reached.length ? ', at most ' + hops.hops[reached[reached.length - 1]] + ' hop(s)' : '') + '. <button id="clear">clear</button></p><ol>';
  reached.slice(0, 300).forEach(function (n) {
    html += '<li>' + esc(D.nodes[n][2]) + ' \\u2014 ' + hops.hops[n] + ' hop(s), via ' + esc(D.nodes[hops.prev[n]][1]) + '</li>';
  });
  if (reached.length > 300) html += '<li>\\u2026 ' + (reached.length - 300) + ' more</li>';
  panel.innerHTML = html + '</ol>';
  document.getElementById('clear').addEventListener('click', clear);
  document.getElementById('status').textContent = 'Blast radius of ' + D.nodes[selected][1] + ': ' + ws + ' workloads reachable.';
}
function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }

`;
}

/** The script's part: pan, zoom and the page's event handlers. */
function scriptViewport(): string {
  return `// Pan and zoom on the viewBox.
var view = { x: 0, y: 0, w: D.width, h: D.height };
function setView() { svg.setAttribute('viewBox', view.x + ' ' + view.y + ' ' + view.w + ' ' + view.h); }
function fit() { view = { x: -10, y: -10, w: D.width + 20, h: D.height + 20 }; setView(); }
function zoom(f, cx, cy) {
  if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
  view = { x: cx - (cx - view.x) * f, y: cy - (cy - view.y) * f, w: view.w * f, h: view.h * f };
  setView();
}
function toModel(ev) {
  var r = svg.getBoundingClientRect();
  var s = Math.max(view.w / r.width, view.h / r.height);
  var ox = view.x + (view.w - r.width * s) / 2, oy = view.y + (view.h - r.height * s) / 2;
  return [ox + (ev.clientX - r.left) * s, oy + (ev.clientY - r.top) * s];
}
svg.addEventListener('wheel', function (ev) { ev.preventDefault(); var p = toModel(ev); zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, p[0], p[1]); }, { passive: false });
var drag = null;
svg.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, y: ev.clientY, v: view, moved: false }; });
window.addEventListener('mousemove', function (ev) {
  if (!drag) return;
  var r = svg.getBoundingClientRect(), s = Math.max(drag.v.w / r.width, drag.v.h / r.height);
  var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
  if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
  view = { x: drag.v.x - dx * s, y: drag.v.y - dy * s, w: drag.v.w, h: drag.v.h }; setView();
});
window.addEventListener('mouseup', function () { setTimeout(function () { drag = null; }, 0); });
svg.addEventListener('click', function () { if (!drag || !drag.moved) clear(); });
document.getElementById('fit').addEventListener('click', fit);
document.getElementById('zoom-in').addEventListener('click', function () { zoom(1 / 1.3); });
document.getElementById('zoom-out').addEventListener('click', function () { zoom(1.3); });
document.getElementById('expand').addEventListener('click', function () { collapsed = collapsed.map(function () { return false; }); refresh(); });
document.getElementById('collapse').addEventListener('click', function () { collapsed = collapsed.map(function () { return true; }); refresh(); });
document.getElementById('tables').addEventListener('click', function () { var d = document.getElementById('text'); d.open = !d.open; if (d.open) d.scrollIntoView(); });

drawNodes();
fit();
refresh();
window.microsegMap = { blast: blast, clear: clear, toggle: toggle, drawn: function () { return drawn.length; }, ready: true };
document.body.setAttribute('data-ready', 'true');
`;
}

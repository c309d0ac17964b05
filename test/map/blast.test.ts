/**
 * The page's blast radius (`blastHops` over the map's allowed edges, as the page builds them)
 * equals the analysis (`blastRadiusOf` over the IR) on random models: the same workloads at the
 * same hop counts, and every range reached drawn at its peer with the least hop count. The map
 * built from a manifest equals the map built from the model.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blastRadiusOf } from '../../src/analysis/blast-radius';
import { AnalysisEndpointKind } from '../../src/analysis/types';
import { buildManifest } from '../../src/ir/manifest';
import { blastHops } from '../../src/map/blast';
import { buildGraph } from '../../src/map/graph';
import { pageData } from '../../src/map/html';
import { policyOfManifest } from '../../src/ir/manifest-policy';
import { compileOrRefuse, modelArb } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

describe('map blast radius', () => {
  it('equals the analysis on random models, and the manifest gives the same map as the model', () => {
    const t = checkUntil(modelArb({ maxDenies: 2, privatePeers: true, ipv6Peers: true }), (spec, tally) => {
      const policy = compileOrRefuse(spec, tally);
      if (!policy) return;
      const graph = buildGraph(policy);
      const fromManifest = buildGraph(policyOfManifest(JSON.parse(JSON.stringify(buildManifest(policy))), 'm.json'));
      expect(fromManifest).toEqual(graph);

      // the adjacency exactly as the page builds it from its data
      const data = pageData(graph, { boxes: graph.nodes.map(() => ({ x: 0, y: 0, w: 0, h: 0 })), width: 0, height: 0 }, { title: '', collapsed: false }) as { edges: number[][] };
      const W = graph.workloadCount;
      const out: number[][] = Array.from({ length: W }, () => []);
      for (const e of data.edges) if (e[6] === 1 && e[0] < W) out[e[0]].push(e[1]);
      out.forEach(l => l.sort((a, b) => a - b));

      for (const w of policy.workloads) {
        const id = graph.nodes.findIndex(n => n.kind === 'workload' && n.name === w.name);
        const r = blastRadiusOf(policy, w.name);
        const h = blastHops(id, out, graph.nodes.length, W);
        const pageWorkloads = graph.nodes.filter(n => n.kind === 'workload' && h.hops[n.id] > 0).map(n => [n.name, h.hops[n.id]]);
        const expected = r.reachable.filter(x => x.kind === AnalysisEndpointKind.WORKLOAD && x.target !== w.name).map(x => [x.target, x.hops]);
        expect(pageWorkloads.sort()).toEqual(expected.sort());
        const peerHops = new Map<number, number>();
        for (const x of r.reachable.filter(y => y.kind === AnalysisEndpointKind.CIDR)) {
          const p = graph.rangePeers[x.target];
          peerHops.set(p, Math.min(peerHops.get(p) ?? Infinity, x.hops));
        }
        const pagePeers = graph.nodes.filter(n => n.kind === 'peer' && h.hops[n.id] > 0).map(n => [n.id, h.hops[n.id]]);
        expect(pagePeers.sort()).toEqual([...peerHops.entries()].sort());
        tally.add('workloads');
        if (r.maxHops >= 2) tally.add('pivots');
        if (peerHops.size > 0) tally.add('peers');
      }
    }, { until: { workloads: 300, pivots: 30, peers: 30 }, maxRuns: 3000 });
    expect(t.get('workloads')).toBeGreaterThanOrEqual(300);
  });

  it('a peer is reached but never pivoted through', () => {
    // 0 -> peer 2 ; workload 1 unreachable
    expect(blastHops(0, [[2], [0]], 3, 2)).toEqual({ hops: [0, -1, 1], prev: [-1, -1, 0] });
    // 0 -> 1 -> 0 (cycle) and 1 -> peer 2
    expect(blastHops(0, [[1], [0, 2]], 3, 2)).toEqual({ hops: [0, 1, 2], prev: [-1, 0, 1] });
    fc.assert(fc.property(fc.nat(5), n => blastHops(0, [[]], n + 1, 1).hops.filter(x => x >= 0).length === 1));
  });
});

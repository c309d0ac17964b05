/**
 * The blast radius the page computes when a workload is clicked: the same breadth-first search as
 * `src/analysis/blast-radius.ts` (an attacker who holds one workload reaches its allowed
 * destinations, pivots through every workload reached, and peers end a path), over the map's
 * allowed edges. The function is self-contained (no imports, no closures) because the page embeds
 * its source text; test/map/blast.test.ts checks it against the analysis on random models.
 */

/** Hops and predecessor of every node reached from `start` (-1: not reached; `start` has 0 hops). */
export interface BlastHops {
  readonly hops: number[];
  readonly prev: number[];
}

/**
 * Breadth-first search from workload `start`. `out[u]` lists the nodes that workload `u` may open
 * connections to; nodes `0 .. workloads - 1` are workloads (an attacker pivots through them), the
 * others are peers (reached, not pivoted through). Predecessors are the smallest id of the
 * previous layer.
 */
export function blastHops(start: number, out: number[][], nodes: number, workloads: number): BlastHops {
  const hops: number[] = [];
  const prev: number[] = [];
  for (let i = 0; i < nodes; i++) { hops.push(-1); prev.push(-1); }
  hops[start] = 0;
  let frontier = [start];
  let depth = 0;
  while (frontier.length > 0) {
    depth++;
    const next: number[] = [];
    frontier.sort(function (a, b) { return a - b; });
    for (let i = 0; i < frontier.length; i++) {
      const u = frontier[i];
      const targets = out[u] || [];
      for (let j = 0; j < targets.length; j++) {
        const v = targets[j];
        if (hops[v] !== -1) continue;
        hops[v] = depth;
        prev[v] = u;
        if (v < workloads) next.push(v);
      }
    }
    frontier = next;
  }
  return { hops: hops, prev: prev };
}

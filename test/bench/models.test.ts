import { describe, expect, it } from 'vitest';
import { buildSegmentation, describeTopology, endpointMembers, expandFlows, generateTopology, Rng, SIZES } from '../../bench/models';
import { compile } from '../../src/ir';

describe('bench reference models', () => {
  it('the PRNG is deterministic and seed-dependent', () => {
    const a = new Rng('x');
    const b = new Rng('x');
    const c = new Rng('y');
    const sa = Array.from({ length: 50 }, () => a.float());
    expect(Array.from({ length: 50 }, () => b.float())).toEqual(sa);
    expect(Array.from({ length: 50 }, () => c.float())).not.toEqual(sa);
    expect(sa.every(x => x >= 0 && x < 1)).toBe(true);
  });

  it('same seed gives the same topology; another seed another one', () => {
    expect(generateTopology('M', 'seed-a')).toEqual(generateTopology('M', 'seed-a'));
    expect(generateTopology('M', 'seed-a').flows).not.toEqual(generateTopology('M', 'seed-b').flows);
  });

  it.each(['S', 'M', 'L'] as const)('%s has the exact sizes and the real-estate shape', name => {
    const topo = generateTopology(name);
    const size = SIZES[name];
    expect(topo.zones).toHaveLength(size.zones);
    expect(topo.workloads).toHaveLength(size.workloads);
    expect(topo.flows).toHaveLength(size.flows);
    expect(new Set(topo.flows.map(f => f.key)).size).toBe(size.flows);
    expect(new Set(topo.workloads.map(w => w.name)).size).toBe(size.workloads);
    for (const tier of ['edge', 'web', 'app', 'data', 'shared']) expect(topo.zones.some(z => z.tier === tier)).toBe(true);
    expect(topo.zones.every(z => /^10\.0\.\d+\.0\/22$/.test(z.cidr))).toBe(true);
    expect(topo.workloads.every(w => w.name.length <= 40 && /^[a-z][a-z0-9-]*$/.test(w.name))).toBe(true);

    const shape = describeTopology(topo);
    // Most flows go from a tier to the next; some within a tier, a few back.
    expect(shape.flowsByKind['next-tier']).toBeGreaterThan(size.flows * 0.5);
    expect(shape.flowsByKind['same-tier']).toBeGreaterThan(0);
    expect(shape.flowsByKind['back-edge']).toBeGreaterThan(0);
    expect(shape.flowsByKind['back-edge']).toBeLessThan(shape.flowsByKind['next-tier'] / 5);
    // Shared services called by whole zones.
    const zoneFlows = topo.flows.filter(f => f.from.kind === 'zone');
    expect(zoneFlows.length).toBeGreaterThanOrEqual(topo.zones.filter(z => z.tier !== 'shared').length * 3);
    expect(zoneFlows.every(f => f.to.kind === 'workload' && topo.workloads.find(w => w.name === (f.to as { name: string }).name)!.tier === 'shared')).toBe(true);
    // One label-selected monitoring flow reaching many workloads.
    const sel = topo.flows.filter(f => f.to.kind === 'selector');
    expect(sel).toHaveLength(1);
    expect(endpointMembers(topo, sel[0].to).length).toBeGreaterThan(topo.workloads.length / 2);
    // Internet ingress to edge workloads only.
    const internet = topo.flows.filter(f => f.from.kind === 'cidr');
    expect(internet.some(f => f.from.kind === 'cidr' && f.from.cidr === '0.0.0.0/0')).toBe(true);
    expect(internet.every(f => f.to.kind === 'workload' && f.to.name.startsWith('edge-'))).toBe(true);
    // Expanded pairs: a zone or selector source stands for every member.
    expect(expandFlows(topo).length).toBeGreaterThan(size.flows);
  });

  it('any declaration order compiles to the same IR (S and M)', () => {
    for (const name of ['S', 'M'] as const) {
      const topo = generateTopology(name);
      const now = new Date('2026-01-01T00:00:00Z');
      const a = compile(buildSegmentation(undefined, topo).seg, { now });
      const b = compile(buildSegmentation(undefined, topo, { shuffleSeed: 'shuffle-1' }).seg, { now });
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      expect(a.flows).toHaveLength(topo.flows.length);
      expect(a.workloads).toHaveLength(topo.workloads.length);
      expect(a.warnings).toEqual([]);
    }
  });
});

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkUntil } from '../support/property';
import {
  compareServices, IrService, mergeServices, parseServiceKey, serviceContains, serviceKey, serviceMatches, serviceOverlaps, subtractAll, subtractService,
} from '../../src/ir';
import { shuffled } from '../support/model-arbitrary';

const RUNS = 300;

/** Ports near the edges and a dense low range, so generated ranges overlap and touch often. */
const portArb = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 60 }) }, { weight: 1, arbitrary: fc.integer({ min: 65530, max: 65535 }) });
const rangeArb = (protocol: 'tcp' | 'udp'): fc.Arbitrary<IrService> =>
  fc.tuple(portArb, portArb).map(([a, b]) => ({ protocol, from: Math.min(a, b), to: Math.max(a, b) }));
const icmpArb: fc.Arbitrary<IrService> = fc.oneof(
  fc.constant({ protocol: 'icmp' as const, from: -1, to: -1 }),
  fc.integer({ min: 0, max: 4 }).map(t => ({ protocol: 'icmp' as const, from: t, to: -1 })),
  fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 })).map(([t, c]) => ({ protocol: 'icmp' as const, from: t, to: c })),
);
const tcpUdpArb = fc.oneof(rangeArb('tcp'), rangeArb('udp'));
const serviceArb: fc.Arbitrary<IrService> = fc.oneof(
  { weight: 8, arbitrary: tcpUdpArb },
  { weight: 3, arbitrary: icmpArb },
  { weight: 1, arbitrary: fc.constant({ protocol: 'all' as const, from: -1, to: -1 }) },
);

/** Every distinct behaviour of the generated services: all ports of the dense range and the top edge, ICMP types x codes. */
interface Probe { protocol: 'tcp' | 'udp' | 'icmp'; port: number; code: number }
const PROBES: Probe[] = [
  ...(['tcp', 'udp'] as const).flatMap(protocol => [...Array.from({ length: 62 }, (_, i) => i), 1000, 65529, 65530, 65531, 65532, 65533, 65534, 65535].map(port => ({ protocol, port, code: -1 }))),
  ...[0, 1, 2, 3, 4, 5, 255].flatMap(port => [0, 1, 2, 3, 4, 255].map(code => ({ protocol: 'icmp' as const, port, code }))),
];
const anyMatches = (list: IrService[], p: Probe) => list.some(s => serviceMatches(s, p.protocol, p.port, p.code));

describe('services: keys and order', () => {
  it('serviceKey and parseServiceKey round-trip', () => {
    fc.assert(fc.property(serviceArb, s => {
      const back = parseServiceKey(serviceKey(s));
      expect(compareServices(back, s)).toBe(0);
    }), { numRuns: RUNS });
  });

  it('compareServices is a total order consistent with equality', () => {
    fc.assert(fc.property(serviceArb, serviceArb, (a, b) => {
      expect(Math.sign(compareServices(a, b)) === -Math.sign(compareServices(b, a))).toBe(true);
      expect(compareServices(a, b) === 0).toBe(serviceKey(a) === serviceKey(b));
    }), { numRuns: RUNS });
  });
});

describe('services: mergeServices', () => {
  it('is idempotent', () => {
    fc.assert(fc.property(fc.array(serviceArb, { maxLength: 8 }), list => {
      const once = mergeServices(list);
      expect(mergeServices(once)).toEqual(once);
    }), { numRuns: RUNS });
  });

  it('is order-independent', () => {
    fc.assert(fc.property(fc.array(serviceArb, { maxLength: 8 }), fc.integer({ min: 1, max: 1_000_000 }), (list, seed) => {
      expect(mergeServices(shuffled(list, seed))).toEqual(mergeServices(list));
    }), { numRuns: RUNS });
  });

  it('preserves traffic exactly (every probe matches before iff after)', () => {
    fc.assert(fc.property(fc.array(serviceArb, { maxLength: 8 }), list => {
      const merged = mergeServices(list);
      for (const p of PROBES) expect(anyMatches(merged, p)).toBe(anyMatches(list, p));
    }), { numRuns: RUNS });
  });

  it('output is canonical: sorted, no element subsumed by another, TCP/UDP ranges neither overlap nor touch', () => {
    fc.assert(fc.property(fc.array(serviceArb, { maxLength: 8 }), list => {
      const merged = mergeServices(list);
      for (let i = 1; i < merged.length; i++) expect(compareServices(merged[i - 1], merged[i])).toBeLessThan(0);
      for (const a of merged) {
        for (const b of merged) {
          if (a === b) continue;
          expect(serviceContains(a, b)).toBe(false);
          if (a.protocol === b.protocol && (a.protocol === 'tcp' || a.protocol === 'udp')) {
            expect(a.to + 1 < b.from || b.to + 1 < a.from).toBe(true);
          }
        }
      }
    }), { numRuns: RUNS });
  });

  it('collapses to ALL when any input is ALL', () => {
    expect(mergeServices([{ protocol: 'tcp', from: 1, to: 2 }, { protocol: 'all', from: -1, to: -1 }])).toEqual([{ protocol: 'all', from: -1, to: -1 }]);
  });

  it('joins adjacent ranges and drops ICMP covered by a wider ICMP', () => {
    expect(mergeServices([
      { protocol: 'tcp', from: 80, to: 80 }, { protocol: 'tcp', from: 81, to: 90 }, { protocol: 'udp', from: 53, to: 53 },
      { protocol: 'icmp', from: 3, to: 4 }, { protocol: 'icmp', from: 3, to: -1 },
    ]).map(serviceKey)).toEqual(['tcp:80-90', 'udp:53', 'icmp:3']);
  });
});

describe('services: containment (subsumption)', () => {
  it('serviceContains is reflexive', () => {
    fc.assert(fc.property(serviceArb, s => {
      expect(serviceContains(s, s)).toBe(true);
    }), { numRuns: RUNS });
  });

  it('serviceContains is transitive', () => {
    // Chains built by narrowing (so the premise holds often), mixed with unrelated services.
    const narrow = (s: IrService): fc.Arbitrary<IrService> => {
      if (s.protocol === 'all') return serviceArb;
      if (s.protocol === 'icmp') {
        if (s.from === -1) return fc.oneof(fc.constant(s), icmpArb);
        return fc.oneof(fc.constant(s), fc.integer({ min: 0, max: 3 }).map(c => ({ protocol: 'icmp' as const, from: s.from, to: s.to === -1 ? c : s.to })));
      }
      return fc.tuple(fc.integer({ min: s.from, max: s.to }), fc.integer({ min: s.from, max: s.to })).map(([x, y]) => ({ protocol: s.protocol, from: Math.min(x, y), to: Math.max(x, y) }));
    };
    const chain = serviceArb.chain(a => narrow(a).chain(b => narrow(b).map(c => [a, b, c] as const)));
    const triple = fc.oneof(chain, fc.tuple(serviceArb, serviceArb, serviceArb));
    const t = checkUntil(triple, ([a, b, c], tally) => {
      for (const [x, y, z] of [[a, b, c], [a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]]) {
        if (serviceContains(x, y) && serviceContains(y, z)) {
          tally.add('premises');
          expect(serviceContains(x, z)).toBe(true);
        }
      }
    }, { until: { premises: RUNS }, batch: 50, maxRuns: RUNS * 20 });
    expect(t.get('premises')).toBeGreaterThanOrEqual(RUNS);
  });

  it('serviceContains agrees with the traffic each service matches', () => {
    fc.assert(fc.property(serviceArb, serviceArb, (a, b) => {
      const inB = PROBES.filter(p => serviceMatches(b, p.protocol, p.port, p.code));
      const aCoversProbes = inB.every(p => serviceMatches(a, p.protocol, p.port, p.code));
      if (serviceContains(a, b)) expect(aCoversProbes).toBe(true);
      // Over the probe domain (which samples every boundary of the generated services) the converse holds too.
      else if (b.protocol !== 'all') expect(aCoversProbes).toBe(false);
    }), { numRuns: RUNS });
  });

  it('serviceOverlaps is symmetric and agrees with shared traffic', () => {
    fc.assert(fc.property(serviceArb, serviceArb, (a, b) => {
      expect(serviceOverlaps(a, b)).toBe(serviceOverlaps(b, a));
      const shared = PROBES.some(p => serviceMatches(a, p.protocol, p.port, p.code) && serviceMatches(b, p.protocol, p.port, p.code));
      expect(serviceOverlaps(a, b)).toBe(shared);
    }), { numRuns: RUNS });
  });
});

describe('services: subtraction', () => {
  it('subtractAll is exact for TCP/UDP (allow minus deny, probe by probe) and never narrows', () => {
    fc.assert(fc.property(fc.array(tcpUdpArb, { maxLength: 5 }), fc.array(tcpUdpArb, { maxLength: 4 }), (allow, deny) => {
      const r = subtractAll(allow, deny);
      expect(r.narrowed).toBe(false);
      for (const p of PROBES) expect(anyMatches(r.services, p)).toBe(anyMatches(allow, p) && !anyMatches(deny, p));
      expect(mergeServices(r.services)).toEqual(r.services);
    }), { numRuns: RUNS });
  });

  it('subtractAll never allows more than allow minus deny, and is exact unless it says it narrowed', () => {
    fc.assert(fc.property(fc.array(serviceArb, { maxLength: 5 }), fc.array(serviceArb, { maxLength: 3 }), (allow, deny) => {
      const r = subtractAll(allow, deny);
      let exact = true;
      for (const p of PROBES) {
        const got = anyMatches(r.services, p);
        const want = anyMatches(allow, p) && !anyMatches(deny, p);
        if (got) expect(want).toBe(true);
        if (got !== want) exact = false;
      }
      if (!r.narrowed) expect(exact).toBe(true);
    }), { numRuns: RUNS });
  });

  it('narrows the two inexpressible cases as documented', () => {
    expect(subtractService({ protocol: 'all', from: -1, to: -1 }, { protocol: 'tcp', from: 22, to: 22 })).toEqual({
      services: [{ protocol: 'tcp', from: 0, to: 21 }, { protocol: 'tcp', from: 23, to: 65535 }, { protocol: 'udp', from: 0, to: 65535 }, { protocol: 'icmp', from: -1, to: -1 }],
      narrowed: true,
    });
    expect(subtractService({ protocol: 'icmp', from: -1, to: -1 }, { protocol: 'icmp', from: 8, to: -1 })).toEqual({ services: [], narrowed: true });
    expect(subtractService({ protocol: 'icmp', from: 8, to: -1 }, { protocol: 'icmp', from: -1, to: -1 })).toEqual({ services: [], narrowed: false });
    expect(subtractService({ protocol: 'tcp', from: 1, to: 9 }, { protocol: 'udp', from: 1, to: 9 })).toEqual({ services: [{ protocol: 'tcp', from: 1, to: 9 }], narrowed: false });
  });
});

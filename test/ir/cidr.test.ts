import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cidr, cidr, cidrContains, cidrHas, cidrOverlaps, cidrSubtract, formatAddress, isCidr, parseAddress, parseCidr } from '../../src/ir';

const RUNS = 300;

/** IPv4 blocks inside 10.0.0.0/16 with prefixes 16-30, so pairs nest often. */
const v4Arb: fc.Arbitrary<Cidr> = fc.tuple(fc.integer({ min: 16, max: 30 }), fc.integer({ min: 0, max: 0xffff })).map(([prefix, host]) => {
  const base = parseAddress('10.0.0.0').value + BigInt(host);
  const size = 1n << BigInt(32 - prefix);
  return cidr(`${formatAddress('ipv4', base - (base % size))}/${prefix}`);
});
/** IPv6 blocks inside 2001:db8::/112 with prefixes 112-126. */
const v6Arb: fc.Arbitrary<Cidr> = fc.tuple(fc.integer({ min: 112, max: 126 }), fc.integer({ min: 0, max: 0xffff })).map(([prefix, host]) => {
  const base = parseAddress('2001:db8::').value + BigInt(host);
  const size = 1n << BigInt(128 - prefix);
  return cidr(`${formatAddress('ipv6', base - (base % size))}/${prefix}`);
});

function covered(pieces: Cidr[], family: 'ipv4' | 'ipv6', x: bigint): number {
  return pieces.filter(p => cidrHas(p, family, x)).length;
}

/** Addresses worth checking: the ends of both blocks, just outside them, and random ones in a. */
function samples(a: Cidr, b: Cidr, randoms: number[]): bigint[] {
  const span = a.last - a.first + 1n;
  return [a.first, a.last, b.first, b.last, b.first - 1n, b.last + 1n, a.first - 1n, a.last + 1n, ...randoms.map(r => a.first + (BigInt(r) % span))];
}

describe('cidr subtraction', () => {
  for (const [family, arb] of [['ipv4', v4Arb], ['ipv6', v6Arb]] as const) {
    it(`covers exactly A minus B, with disjoint pieces inside A (${family})`, () => {
      fc.assert(fc.property(arb, arb, fc.array(fc.nat(), { minLength: 20, maxLength: 20 }), (a, b, randoms) => {
        const pieces = cidrSubtract(a, b);
        for (const p of pieces) {
          expect(cidrContains(a, p)).toBe(true);
          expect(cidrOverlaps(p, b)).toBe(false);
          expect(parseCidr(p.text)).toEqual(p); // canonical text that parses back to the same block
        }
        for (const x of samples(a, b, randoms)) {
          const want = cidrHas(a, family, x) && !cidrHas(b, family, x) ? 1 : 0;
          expect(covered(pieces, family, x)).toBe(want);
        }
        // Sizes add up: |A| = |A - B| + |A ∩ B|.
        const size = (c: Cidr) => c.last - c.first + 1n;
        const inter = cidrContains(a, b) ? size(b) : cidrContains(b, a) ? size(a) : 0n;
        expect(pieces.reduce((s, p) => s + size(p), 0n) + inter).toBe(size(a));
        // Minimal: one piece per prefix length between a and b at most.
        if (cidrContains(a, b) && a.prefix < b.prefix) expect(pieces).toHaveLength(b.prefix - a.prefix);
      }), { numRuns: RUNS });
    });
  }

  it('gives a when the blocks are disjoint, nothing when b covers a', () => {
    expect(cidrSubtract(cidr('10.0.0.0/24'), cidr('10.0.1.0/24')).map(c => c.text)).toEqual(['10.0.0.0/24']);
    expect(cidrSubtract(cidr('10.0.0.0/24'), cidr('10.0.0.0/16'))).toEqual([]);
    expect(cidrSubtract(cidr('10.0.0.0/24'), cidr('2001:db8::/32')).map(c => c.text)).toEqual(['10.0.0.0/24']);
    expect(cidrSubtract(cidr('0.0.0.0/0'), cidr('128.0.0.0/1')).map(c => c.text)).toEqual(['0.0.0.0/1']);
  });
});

describe('cidr parsing', () => {
  it('formats IPv6 per RFC 5952 and round-trips', () => {
    expect(parseAddress('2001:db8:0:0:1:0:0:1').value).toBe(parseAddress('2001:db8::1:0:0:1').value);
    expect(formatAddress('ipv6', parseAddress('2001:db8:0:0:1:0:0:1').value)).toBe('2001:db8::1:0:0:1');
    expect(formatAddress('ipv6', 0n)).toBe('::');
    expect(formatAddress('ipv6', 1n)).toBe('::1');
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), v => {
      expect(parseAddress(formatAddress('ipv6', v)).value).toBe(v);
    }), { numRuns: RUNS });
  });

  it('reports problems with hints instead of throwing', () => {
    const bad = parseCidr('10.0.0.5/24');
    expect(isCidr(bad)).toBe(false);
    expect(bad).toEqual({ message: 'has host bits set: the address is not the start of its range.', hint: 'Did you mean "10.0.0.0/24"?' });
    expect(isCidr(parseCidr('10.0.0.0/33'))).toBe(false);
    expect(isCidr(parseCidr('2001:db8::1/32'))).toBe(false);
    expect((parseCidr('2001:db8::1/32') as { hint: string }).hint).toBe('Did you mean "2001:db8::/32"?');
  });
});

/** The drift engine (pure): normalisation, set difference, pairing, severities, locations, fingerprints. */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cloud, RuleAction, RuleDirection } from '../../src';
import { DriftAudit } from '../../src/audit';
import { computeDrift, unexpectedSeverity } from '../../src/audit/drift';
import { normalizeRules } from '../../src/audit/normalize';
import { mergePortRanges } from '../../src/ir/canonical';
import { CanonicalRule } from '../../src/ir/canonical';
import { awsExpected, shopManifest, shopPolicy } from './fixtures';

const base: CanonicalRule = { container: 'sg:web', direction: RuleDirection.INGRESS, action: RuleAction.ALLOW, protocol: 'tcp', ports: '443', peer: 'cidr:10.0.0.0/8' };
const rule = (over: Partial<CanonicalRule>): CanonicalRule => ({ ...base, ...over });

describe('a declared range only known at deploy time', () => {
  it('is missing with the reason named; the live rule with the deployed range is unexpected', () => {
    const f = computeDrift([rule({ peer: 'cidr:${Token[TOKEN.1270]}' })], [rule({ peer: 'cidr:203.0.113.0/24' })], [], { cloud: Cloud.AWS });
    expect(f.map(x => x.kind).sort()).toEqual(['missing', 'unexpected']);
    expect(f.find(x => x.kind === 'missing')!.message).toMatch(/only known at deploy time.*Give the Peer a literal range/);
    expect(f.find(x => x.kind === 'unexpected')!.message).not.toMatch(/deploy time/);
  });
});

describe('normalisation', () => {
  it('merges overlapping and adjacent ranges, in any order', () => {
    expect(mergePortRanges([[90, 100], [80, 80], [81, 89], [200, 300], [250, 260]])).toEqual([[80, 100], [200, 300]]);
  });

  it('treats split ranges, duplicates, port order, 0-65535 and protocol numbers as equivalent', () => {
    const a = [rule({ ports: '80-90' }), rule({ ports: '91' })];
    const b = [rule({ ports: '91' }), rule({ ports: '85-91' }), rule({ ports: '80-84', protocol: '6' }), rule({ ports: '80' })];
    expect(computeDrift(a, b, [], { cloud: Cloud.AWS })).toEqual([]);
    expect(computeDrift([rule({ ports: '*' })], [rule({ ports: '0-65535' })], [], { cloud: Cloud.AWS })).toEqual([]);
    expect(computeDrift([rule({ protocol: 'icmp', ports: '3' })], [rule({ protocol: 'icmp', ports: '3/4' }), rule({ protocol: '1', ports: '3' })], [], { cloud: Cloud.AWS })).toEqual([]);
  });

  it('ignores names, origins and descriptions; keeps priorities apart', () => {
    expect(computeDrift([rule({ name: 'a', origin: 'X' })], [rule({ name: 'b' })], [], { cloud: Cloud.GCP })).toEqual([]);
    expect(normalizeRules([rule({ priority: 100, ports: '80' }), rule({ priority: 200, ports: '81' })])).toHaveLength(2);
  });

  it('property: any re-splitting and shuffling of the expected rules is no drift', () => {
    const ruleArb = fc.record({
      container: fc.constantFrom('sg:a', 'sg:b'), direction: fc.constantFrom(RuleDirection.INGRESS, RuleDirection.EGRESS), action: fc.constant(RuleAction.ALLOW),
      protocol: fc.constantFrom('tcp', 'udp'), peer: fc.constantFrom('cidr:10.0.0.0/8', 'sg:c'),
      lo: fc.integer({ min: 1, max: 2000 }), len: fc.integer({ min: 0, max: 50 }),
    });
    fc.assert(fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 12, maxLength: 12 }), (specs, cuts) => {
      const expected = specs.map(s => rule({ container: s.container, direction: s.direction, protocol: s.protocol, peer: s.peer, ports: s.len ? `${s.lo}-${s.lo + s.len}` : `${s.lo}` }));
      // live: every range cut in two at a pseudo-random point (overlapping by one port), reversed
      const live = specs.flatMap((s, i) => {
        const mid = s.lo + (cuts[i] % (s.len + 1));
        const r = { container: s.container, direction: s.direction, protocol: s.protocol, peer: s.peer };
        return [rule({ ...r, ports: `${s.lo}-${mid}` }), rule({ ...r, ports: `${mid}-${s.lo + s.len}` })];
      }).reverse();
      expect(computeDrift(expected, live, [], { cloud: Cloud.AWS })).toEqual([]);
    }), { numRuns: 200 });
  });

  it('property: removing one port from a live range is always reported', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60000 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 100 }), (lo, len, k) => {
      const hole = lo + (k % (len + 1));
      const live = [rule({ ports: `${lo}-${hole - 1}` }), rule({ ports: `${hole + 1}-${lo + len}` })].filter(r => !/^(\d+)-(\d+)$/.test(r.ports) || Number(r.ports.split('-')[0]) <= Number(r.ports.split('-')[1]));
      expect(computeDrift([rule({ ports: `${lo}-${lo + len}` })], live, [], { cloud: Cloud.AWS }).length).toBeGreaterThan(0);
    }), { numRuns: 200 });
  });
});

describe('findings', () => {
  it('grades unexpected rules: internet-wide admin/database ingress critical, other internet ingress high, rest medium, denies low', () => {
    expect(unexpectedSeverity(rule({ ports: '22', peer: 'cidr:0.0.0.0/0' }))).toBe('critical');
    expect(unexpectedSeverity(rule({ ports: '3300-3400', peer: 'cidr:::/0' }))).toBe('critical');
    expect(unexpectedSeverity(rule({ protocol: 'all', ports: '*', peer: '*' }))).toBe('critical');
    expect(unexpectedSeverity(rule({ ports: '5432', peer: 'tag:Internet' }))).toBe('critical');
    expect(unexpectedSeverity(rule({ ports: '443', peer: 'cidr:0.0.0.0/0' }))).toBe('high');
    expect(unexpectedSeverity(rule({ protocol: 'udp', ports: '53', peer: 'cidr:0.0.0.0/0' }))).toBe('high');
    expect(unexpectedSeverity(rule({ protocol: 'udp', ports: '11211', peer: 'cidr:0.0.0.0/0' }))).toBe('critical');
    expect(unexpectedSeverity(rule({ ports: '22', peer: 'cidr:10.0.0.0/8' }))).toBe('medium');
    // the internet cut into large public pieces is still the internet
    expect(unexpectedSeverity(rule({ ports: '22', peer: 'cidr:0.0.0.0/5' }))).toBe('critical');
    expect(unexpectedSeverity(rule({ ports: '22', peer: 'cidr:11.0.0.0/8' }))).toBe('critical');
    expect(unexpectedSeverity(rule({ ports: '22', peer: 'cidr:2000::/3' }))).toBe('critical');
    expect(unexpectedSeverity(rule({ ports: '22', peer: 'cidr:203.0.113.0/24' }))).toBe('medium');
    expect(unexpectedSeverity(rule({ direction: RuleDirection.EGRESS, ports: '22', peer: 'cidr:0.0.0.0/0' }))).toBe('medium');
    expect(unexpectedSeverity(rule({ action: RuleAction.DENY, ports: '22', peer: 'cidr:0.0.0.0/0' }))).toBe('low');
  });

  it('pairs a changed rule as modified (same peer and protocol, or same name), not missing + unexpected', () => {
    const [f] = computeDrift([rule({ ports: '443' })], [rule({ ports: '8443' })], [], { cloud: Cloud.AWS });
    expect(f).toMatchObject({ kind: 'modified', expected: { ports: '443' }, live: { ports: '8443' } });
    const named = computeDrift([rule({ name: 'r1', priority: 100, protocol: 'tcp' })], [rule({ name: 'r1', priority: 300, protocol: 'udp' })], [], { cloud: Cloud.AZURE });
    expect(named.map(x => x.kind)).toEqual(['modified']);
    const unrelated = computeDrift([rule({ protocol: 'tcp' })], [rule({ protocol: 'udp' })], [], { cloud: Cloud.AWS });
    expect(unrelated.map(x => x.kind).sort()).toEqual(['missing', 'unexpected']);
  });

  it('grades a missing deny guardrail high and a deny turned into an allow high', () => {
    const deny = rule({ action: RuleAction.DENY, protocol: 'all', ports: '*', peer: '*', priority: 4096, name: 'deny-all' });
    expect(computeDrift([deny], [], [], { cloud: Cloud.AZURE })[0]).toMatchObject({ kind: 'missing', severity: 'high' });
    expect(computeDrift([deny], [{ ...deny, action: RuleAction.ALLOW }], [], { cloud: Cloud.AZURE })[0]).toMatchObject({ kind: 'modified', severity: 'high' });
  });

  it('points findings at flows, workloads and manifest entries; fingerprints are stable and distinct', () => {
    const m = shopManifest();
    const expected = m.clouds.aws!.expected;
    const live = expected.filter(r => !(r.container === 'sg:api' && r.direction === 'ingress'))
      .concat([{ container: 'sg:frontend', direction: RuleDirection.INGRESS, action: RuleAction.ALLOW, protocol: 'tcp', ports: '3389', peer: 'cidr:0.0.0.0/0' }]);
    const findings = computeDrift(expected, live, [], { cloud: Cloud.AWS, manifest: m, expectedFromManifest: true });
    expect(findings.map(f => [f.kind, f.constructPath, f.manifestEntry])).toEqual([
      ['unexpected', 'Shop/Web/Frontend', 'clouds.aws.containers["sg:frontend"]'],
      ['missing', 'Shop/App/Api/From-workload:frontend-tcp:8080+tcp:8081', `clouds.aws.expected[${expected.findIndex(r => r.container === 'sg:api' && r.direction === 'ingress')}]`],
    ]);
    const again = computeDrift(expected.slice().reverse(), live.slice().reverse(), [], { cloud: Cloud.AWS, manifest: m });
    expect(again.map(f => f.fingerprint)).toEqual(findings.map(f => f.fingerprint));
    expect(new Set(findings.map(f => f.fingerprint)).size).toBe(2);
  });

  it('is exposed through the jsii API (DriftAudit.compare)', () => {
    const expected = awsExpected(shopPolicy());
    expect(DriftAudit.compare(Cloud.AWS, expected, expected)).toEqual([]);
    const findings = DriftAudit.compare(Cloud.AWS, expected, expected.slice(1));
    expect(findings).toHaveLength(1);
    expect(findings[0].kind).toBe('missing');
  });
});

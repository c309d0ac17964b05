import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, Peer, Port, Segmentation } from '../../src';
import { compile, IrPolicy, modelAllows, Packet, parseAddress, rulesAllow } from '../../src/ir';
import { buildModel, ModelSpec, modelArb, packetArb } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

/** Packets per generated model; floors below count packets of models that compiled. */
const PACKETS = 20;

function tryCompile(spec: ModelSpec, zoneCidrs = true): IrPolicy | undefined {
  try {
    return compile(buildModel(spec, { zoneCidrs }).seg);
  } catch (e) {
    // Fully shadowed allows are a model error by design; nothing else may fail on generated models.
    expect(String(e)).toMatch(/microseg:ShadowedFlow/);
    expect(String(e)).not.toMatch(/microseg:(?!ShadowedFlow)/);
    return undefined;
  }
}

/** Checks random packets of random models until `floor` packets of compiled models agreed. */
function agree(arb: fc.Arbitrary<ModelSpec>, floor: number, opts: { zoneCidrs?: boolean } = {}): number {
  const t = checkUntil(arb.chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: PACKETS, maxLength: PACKETS }))), ([spec, packets], tally) => {
    const policy = tryCompile(spec, opts.zoneCidrs);
    if (!policy) { tally.refuse(); return; }
    for (const p of packets) {
      expect(rulesAllow(policy.rules, p)).toBe(modelAllows(policy, p));
      tally.add('packets');
    }
  }, { until: { packets: floor }, batch: 25, maxRuns: floor });
  return t.get('packets');
}

describe('compiler against the model semantics', () => {
  it('compiled IR rules allow exactly what the declared model allows', () => {
    expect(agree(modelArb(), 5_000)).toBeGreaterThanOrEqual(5_000);
  });

  it('agrees on deny-heavy models (up to 6 denies, no peers)', () => {
    expect(agree(modelArb({ maxDenies: 6, peers: false, maxFlows: 8 }), 1_400)).toBeGreaterThanOrEqual(1_400);
  });

  it('agrees without zone CIDRs (the IR is identity-based, CIDRs only matter for placement)', () => {
    expect(agree(modelArb(), 1_500, { zoneCidrs: false })).toBeGreaterThanOrEqual(1_500);
  });

  it('agrees when denies cut single ICMP types out of ICMP and all-traffic allows (DenyNarrowed)', () => {
    const withIcmpDeny = modelArb({ maxDenies: 2 }).chain(spec => {
      const wl = fc.integer({ min: 0, max: spec.zones.length - 1 }).chain(z => fc.integer({ min: 0, max: spec.zones[z].workloads.length - 1 }).map(w => ({ kind: 'workload' as const, zone: z, workload: w })));
      const end = fc.oneof(wl, fc.integer({ min: 0, max: spec.zones.length - 1 }).map(z => ({ kind: 'zone' as const, zone: z })));
      return fc.record({ from: end, to: end, type: fc.constantFrom(0, 8) })
        .map(d => ({ ...spec, denies: [...spec.denies, { from: d.from, to: d.to, ports: [{ kind: 'icmp' as const, type: d.type }] }] }));
    });
    expect(agree(withIcmpDeny, 1_500)).toBeGreaterThanOrEqual(1_500);
  });

  it('a peer deny punches an exact hole into a wider peer allow', () => {
    const seg = Segmentation.root('Shop');
    const web = seg.addZone('Web').addWorkload('Front');
    web.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    new DenyFlow(seg, 'Blocked', { from: Peer.ipv4('203.0.113.0/24'), to: web });
    const policy = compile(seg);
    const from = (a: string): Packet => ({ source: { address: parseAddress(a).value, family: 'ipv4' }, destination: { workload: 'front' }, protocol: 'tcp', port: 443 });
    const cases: [string, boolean][] = [['203.0.112.255', true], ['203.0.113.0', false], ['203.0.113.255', false], ['203.0.114.0', true], ['0.0.0.0', true], ['255.255.255.255', true]];
    for (const [address, allowed] of cases) {
      expect(modelAllows(policy, from(address))).toBe(allowed);
      expect(rulesAllow(policy.rules, from(address))).toBe(allowed);
    }
    expect(policy.rules).toHaveLength(24); // 0.0.0.0/0 minus a /24 = 24 blocks
  });

  it('workload denies do not touch peer rules and peer denies do not touch workload rules', () => {
    const seg = Segmentation.root('Shop');
    const z = seg.addZone('Web', { cidrs: ['10.1.0.0/16'] });
    const a = z.addWorkload('A', { cidrs: ['10.1.0.0/24'] });
    const b = z.addWorkload('B');
    b.allowFrom(a, Port.tcp(80));
    b.allowFrom(Peer.ipv4('10.1.0.0/24'), Port.tcp(81));
    new AllowFlow(seg, 'Both', { from: a, to: b, ports: [Port.tcp(82)] });
    new DenyFlow(seg, 'NoA', { from: a, to: b, ports: [Port.tcp(81)] });
    new DenyFlow(seg, 'NoRange', { from: Peer.ipv4('10.1.0.0/16'), to: b, ports: [Port.tcp(80)] });
    const policy = compile(seg);
    const wl = (port: number): Packet => ({ source: { workload: 'a' }, destination: { workload: 'b' }, protocol: 'tcp', port });
    const addr = (port: number): Packet => ({ source: { address: parseAddress('10.1.0.9').value, family: 'ipv4' }, destination: { workload: 'b' }, protocol: 'tcp', port });
    expect([80, 81, 82].map(p => modelAllows(policy, wl(p)))).toEqual([true, false, true]);
    expect([80, 81, 82].map(p => modelAllows(policy, addr(p)))).toEqual([false, true, false]);
    for (const p of [80, 81, 82]) {
      expect(rulesAllow(policy.rules, wl(p))).toBe(modelAllows(policy, wl(p)));
      expect(rulesAllow(policy.rules, addr(p))).toBe(modelAllows(policy, addr(p)));
    }
  });
});

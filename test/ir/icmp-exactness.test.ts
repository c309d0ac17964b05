import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, Peer, Port, Segmentation } from '../../src';
import { compile, icmpForIpv6, modelAllows, Packet, parseAddress, rulesAllow, serviceKey } from '../../src/ir';
import { show } from '../support/exactness';
import { compileOrRefuse, modelArb, packetArb } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

/**
 * Denies are subtracted from each declared service before services are merged, so adding a port
 * to an allow never removes traffic; typed ICMP towards IPv6 peers is ICMPv6.
 */
describe('compile: ICMP exactness (issue 8)', () => {
  function model() {
    const seg = Segmentation.root('Shop');
    const a = seg.addZone('A', { cidrs: ['10.1.0.0/16'] }).addWorkload('Api');
    const b = seg.addZone('B', { cidrs: ['10.2.0.0/16'] }).addWorkload('Db');
    return { seg, a, b };
  }
  const icmp = (s: string, d: string, type: number, code = 0) => ({ source: { workload: s }, destination: { workload: d }, protocol: 'icmp' as const, port: type, code });

  it('[allTraffic(), icmp(3, 4)] minus icmp(8) keeps 3/4 (subtract first, then merge)', () => {
    const { seg, a, b } = model();
    new AllowFlow(seg, 'F', { from: a, to: b, ports: [Port.allTraffic(), Port.icmp(3, 4)] });
    new DenyFlow(seg, 'NoPing', { from: a, to: b, ports: [Port.icmp(8)] });
    const policy = compile(seg);
    expect(policy.rules.map(r => serviceKey(r.service))).toEqual(['tcp:*', 'udp:*', 'icmp:3/4']);
    expect(modelAllows(policy, icmp('api', 'db', 3, 4))).toBe(true);
    expect(rulesAllow(policy.rules, icmp('api', 'db', 3, 4))).toBe(true);
    expect(modelAllows(policy, icmp('api', 'db', 8))).toBe(false);
    // adding the port never removes traffic: without icmp(3, 4) the ICMP of all traffic is dropped (narrowed)
    const { seg: seg2, a: a2, b: b2 } = model();
    new AllowFlow(seg2, 'F', { from: a2, to: b2, ports: [Port.allTraffic()] });
    new DenyFlow(seg2, 'NoPing', { from: a2, to: b2, ports: [Port.icmp(8)] });
    expect(compile(seg2).rules.map(r => serviceKey(r.service))).toEqual(['tcp:*', 'udp:*']);
  });

  it('[icmp(), icmp(0)] minus icmp(8) is not refused as shadowed and keeps echo reply', () => {
    const { seg, a, b } = model();
    new AllowFlow(seg, 'F', { from: a, to: b, ports: [Port.icmp(), Port.icmp(0)] });
    new DenyFlow(seg, 'NoPing', { from: a, to: b, ports: [Port.icmp(8)] });
    const policy = compile(seg);
    expect(policy.rules.map(r => serviceKey(r.service))).toEqual(['icmp:0']);
    expect(modelAllows(policy, icmp('api', 'db', 0))).toBe(true);
    expect(modelAllows(policy, icmp('api', 'db', 8))).toBe(false);
    expect(policy.warnings.map(w => w.id)).toContain('microseg:DenyNarrowed');
  });

  it('without denies the declared form still merges into one rule per service', () => {
    const { seg, a, b } = model();
    new AllowFlow(seg, 'F', { from: a, to: b, ports: [Port.allTraffic(), Port.icmp(3, 4)] });
    const policy = compile(seg);
    expect(policy.rules.map(r => serviceKey(r.service))).toEqual(['all']);
    expect(policy.flows[0].services.map(serviceKey)).toEqual(['all', 'icmp:3/4']);
  });

  it('Port.icmp(8) towards an IPv6 peer is ICMPv6 echo request (128) in the model\'s semantics and the shared mapping', () => {
    const { seg, a } = model();
    a.allowTo(Peer.ipv6('2001:db8::/32'), Port.icmp(8), Port.icmp(3, 4), Port.icmp(0, 0));
    a.allowTo(Peer.ipv4('192.0.2.0/24'), Port.icmp(8));
    const policy = compile(seg);
    // the IR keeps the declared ICMPv4 numbers; icmpForIpv6 is how every backend renders them on IPv6
    const keys = policy.rules.map(r => `${r.destination.kind === 'cidr' ? r.destination.cidr : ''} ${serviceKey(r.service)}`);
    expect(keys).toEqual(['192.0.2.0/24 icmp:8', '2001:db8::/32 icmp:0/0', '2001:db8::/32 icmp:3/4', '2001:db8::/32 icmp:8']);
    expect(icmpForIpv6(policy.rules.filter(r => r.destination.kind === 'cidr' && r.destination.family === 'ipv6').map(r => r.service)).services.map(serviceKey))
      .toEqual(['icmp:2/0', 'icmp:128', 'icmp:129/0']);
    const v6 = parseAddress('2001:db8::1');
    const ping6 = (type: number) => ({ source: { workload: 'api' }, destination: { address: v6.value, family: 'ipv6' as const }, protocol: 'icmp' as const, port: type, code: 0 });
    expect(modelAllows(policy, ping6(128))).toBe(true);
    expect(modelAllows(policy, ping6(8))).toBe(false);
    expect(modelAllows(policy, ping6(2))).toBe(true);
    expect(rulesAllow(policy.rules, ping6(128))).toBe(true);
    expect(rulesAllow(policy.rules, ping6(8))).toBe(false);
  });

  it('an ICMPv6 type (128-255) is taken as it is; an ICMPv4 type without equivalent is refused with a hint', () => {
    const { seg, a } = model();
    new AllowFlow(seg, 'Nd', { from: Peer.ipv6('fe80::/10'), to: a, ports: [Port.icmp(135)] });
    expect(compile(seg).rules.map(r => serviceKey(r.service))).toEqual(['icmp:135']);
    expect(icmpForIpv6([{ protocol: 'icmp', from: 135, to: -1 }]).services.map(serviceKey)).toEqual(['icmp:135']);
    new AllowFlow(seg, 'Redirect', { from: Peer.ipv6('2001:db8::/32'), to: a, ports: [Port.icmp(5)] });
    expect(() => compile(seg)).toThrow(/\[microseg:InvalidIcmp\] at Shop\/Redirect: "icmp:5": has no ICMPv6 equivalent.*Port.icmp\(135\)/);
  });

  it('a typed ICMP deny towards an IPv6 peer is translated the same way', () => {
    const { seg, a } = model();
    a.allowTo(Peer.ipv6('2001:db8::/32'), Port.icmp(8), Port.icmp(0));
    new DenyFlow(seg, 'NoPing6', { from: a, to: Peer.ipv6('2001:db8::/32'), ports: [Port.icmp(8)] });
    const policy = compile(seg);
    expect(policy.rules.map(r => serviceKey(r.service))).toEqual(['icmp:0']);
    const v6 = parseAddress('2001:db8::1');
    const ping6 = (type: number) => ({ source: { workload: 'api' }, destination: { address: v6.value, family: 'ipv6' as const }, protocol: 'icmp' as const, port: type, code: 0 });
    expect(modelAllows(policy, ping6(128))).toBe(false);
    expect(modelAllows(policy, ping6(129))).toBe(true);
  });
});

describe('compile: the compiled rules allow exactly what the model allows on edge-case models', () => {
  it('typed ICMP allows and denies, IPv6 peers with ICMP, overlapping allows and denies, private peers', () => {
    const arb = modelArb({ edge: true }).chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec, { edge: true }), { minLength: 40, maxLength: 40 })));
    const t = checkUntil(arb, ([spec, packets], tally) => {
      const policy = compileOrRefuse(spec, tally);
      if (!policy) return;
      if (policy.denies.some(d => d.services.some(s => s.protocol === 'icmp' && s.from !== -1))) tally.add('typedIcmpDenies');
      if (policy.flows.some(f => f.to.family === 'ipv6' || f.from.family === 'ipv6')) tally.add('ipv6Peers');
      for (const p of packets as Packet[]) {
        const want = modelAllows(policy, p);
        if (rulesAllow(policy.rules, p) !== want) expect.fail(`rules ${want ? 'block' : 'allow'} ${show(p)}`);
        tally.add('packets'); if (want) tally.add('allowed');
      }
    }, { until: { packets: 4000, allowed: 300, typedIcmpDenies: 20, ipv6Peers: 20 }, batch: 25, maxRuns: 2000 });
    console.log(`ir edge-case rules vs model: ${t}`);
  });
});

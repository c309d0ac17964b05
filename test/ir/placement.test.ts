import { describe, expect, it } from 'vitest';
import { DenyFlow, Peer, Port, Segmentation } from '../../src';
import { compile, parseAddress, placeRules, rulesAllow } from '../../src/ir';

function model(dbCidrs: string[] = ['10.0.3.0/24', '2001:db8:3::/64']) {
  const seg = Segmentation.root('Shop');
  const web = seg.addZone('Web', { cidrs: ['10.0.1.0/24'] }).addWorkload('Front');
  const db = seg.addZone('Db', { cidrs: dbCidrs }).addWorkload('Pg');
  web.allowTo(db, Port.tcp(5432));
  web.allowFrom(Peer.anyIpv4(), Port.tcp(443));
  return seg;
}

describe('placement', () => {
  it('renders every rule with a local end; remote workloads become their zone CIDRs', () => {
    const placed = placeRules(compile(model()), ['web'], 'App/Aws');
    expect(placed.map(r => [r.source.kind === 'cidr' ? r.source.cidr : r.source.workload, r.destination.kind === 'cidr' ? r.destination.cidr : r.destination.workload, r.sourceLocal, r.destinationLocal])).toEqual([
      ['0.0.0.0/0', 'front', false, true],
      ['front', '10.0.3.0/24', true, false],
      ['front', '2001:db8:3::/64', true, false],
    ]);
    expect(placed[2].destination).toEqual({ kind: 'cidr', cidr: '2001:db8:3::/64', family: 'ipv6' });
  });

  it('places everything by default and drops rules with no local end', () => {
    const policy = compile(model());
    expect(placeRules(policy, undefined, 'App/Aws')).toHaveLength(policy.rules.length);
    expect(placeRules(policy, ['db'], 'App/Aws').map(r => r.destinationLocal)).toEqual([true]);
  });

  it('fails with MissingCidrs naming the remote zone that has no cidrs', () => {
    expect(() => placeRules(compile(model([])), ['web'], 'App/Aws')).toThrow(/microseg:MissingCidrs\] at Shop\/Web\/Front\/To-workload:pg-tcp:5432: "db": zone "db" is not on this cloud \(App\/Aws\) and neither it nor its workloads have cidrs.*Give zone "db" its address ranges/);
  });

  it('fails with UnknownZone for a zone the segmentation does not have', () => {
    expect(() => placeRules(compile(model()), ['web', 'dmz'], 'App/Aws')).toThrow(/microseg:UnknownZone\] at App\/Aws: "dmz": is not a zone of the segmentation\. Zones are: db, web\./);
  });
});

describe('IPv6 peers', () => {
  it('an IPv6 deny punches a hole into an IPv6 allow and leaves IPv4 alone', () => {
    const seg = Segmentation.root('Shop');
    const w = seg.addZone('Web').addWorkload('Front');
    w.allowFrom(Peer.anyIpv6(), Port.tcp(443));
    w.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    new DenyFlow(seg, 'No', { from: Peer.ipv6('2001:db8::/32'), to: w });
    const policy = compile(seg);
    const from = (a: string) => {
      const p = parseAddress(a);
      return { source: { address: p.value, family: p.family }, destination: { workload: 'front' }, protocol: 'tcp' as const, port: 443 };
    };
    expect(rulesAllow(policy.rules, from('2001:db8::1'))).toBe(false);
    expect(rulesAllow(policy.rules, from('2001:db9::1'))).toBe(true);
    expect(rulesAllow(policy.rules, from('203.0.113.7'))).toBe(true);
    expect(policy.rules.filter(r => r.source.kind === 'cidr' && r.source.family === 'ipv4')).toHaveLength(1);
    expect(policy.rules.filter(r => r.source.kind === 'cidr' && r.source.family === 'ipv6')).toHaveLength(32);
  });
});

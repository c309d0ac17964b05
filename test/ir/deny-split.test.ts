import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, Peer, Port, Segmentation } from '../../src';
import { compile } from '../../src/ir';

/**
 * A Peer DenyFlow splits a wider Peer allow into the CIDR blocks around the denied range, but only
 * where the deny actually removes something: a deny aimed at another destination, or at other
 * ports, must leave the allow as one rule and raise no PartialShadow warning.
 */
describe('compile: peer denies split only what they remove', () => {
  function model() {
    const seg = Segmentation.root('Shop');
    const web = seg.addZone('Web').addWorkload('Front');
    const db = seg.addZone('Db').addWorkload('Pg');
    web.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    return { seg, web, db };
  }

  it('a peer deny towards another workload leaves the allow whole and silent', () => {
    const { seg, db } = model();
    db.allowFrom(Peer.ipv4('10.0.0.0/8'), Port.tcp(5432));
    new DenyFlow(seg, 'NoTestNet', { from: Peer.ipv4('198.51.100.0/24'), to: db });
    const policy = compile(seg);
    expect(policy.rules.map(r => `${r.source.kind === 'cidr' ? r.source.cidr : ''} -> ${r.destination.kind === 'workload' ? r.destination.workload : ''}`))
      .toEqual(['0.0.0.0/0 -> front', '10.0.0.0/8 -> pg']);
    expect(policy.warnings).toEqual([]);
  });

  it('a peer deny on other ports leaves the allow whole and silent', () => {
    const { seg, web } = model();
    new DenyFlow(seg, 'NoSsh', { from: Peer.ipv4('198.51.100.0/24'), to: web, ports: [Port.tcp(22)] });
    const policy = compile(seg);
    expect(policy.rules).toHaveLength(1);
    expect(policy.rules[0].source).toEqual({ kind: 'cidr', cidr: '0.0.0.0/0', family: 'ipv4' });
    expect(policy.warnings).toEqual([]);
  });

  it('a peer deny that removes traffic still splits and warns', () => {
    const { seg, web } = model();
    new DenyFlow(seg, 'NoTestNet', { from: Peer.ipv4('198.51.100.0/24'), to: web, ports: [Port.tcp(443)] });
    const policy = compile(seg);
    expect(policy.rules).toHaveLength(24);
    expect(policy.rules.some(r => r.source.kind === 'cidr' && r.source.cidr === '198.51.100.0/24')).toBe(false);
    expect(policy.warnings.map(w => w.id)).toEqual(['microseg:PartialShadow']);
  });
});

describe('a DenyFlow against a Peer range unknown at synth (a token)', () => {
  const build = (denyCidr: string) => {
    const stack = new Stack(new App(), 'S');
    const range = new CfnParameter(stack, 'Range', { default: '198.51.100.0/24' }).valueAsString;
    const seg = new Segmentation(stack, 'Seg');
    const zone = seg.addZone('Z', { cidrs: ['10.1.0.0/16'] });
    const data = zone.addWorkload('Data', { labels: { tier: 'data' } });
    const app = zone.addWorkload('App');
    new AllowFlow(seg, 'Out', { from: zone, to: Peer.ipv4(range), ports: [Port.allTraffic()] });
    new DenyFlow(seg, 'NoData', { from: data, to: Peer.ipv4(denyCidr), ports: [Port.allTraffic()] });
    return { seg, data, app, range };
  };

  it('a deny of the whole family covers it: the denied workload keeps no rule towards it (FC_SEED=29943415 found it kept)', () => {
    const { seg, range } = build('0.0.0.0/0');
    const policy = compile(seg);
    const towards = policy.rules.filter(r => r.destination.kind === 'cidr' && r.destination.cidr === range).map(r => (r.source.kind === 'workload' ? r.source.workload : '?'));
    expect(towards).toEqual(['app']);
  });

  it('any other deny range is UnresolvedRange on the allow: the part it removes cannot be known', () => {
    const { seg } = build('198.51.100.0/25');
    expect(() => compile(seg)).toThrow(expect.objectContaining({ problems: expect.arrayContaining([expect.objectContaining({ code: 'UnresolvedRange', path: 'S/Seg/Out' })]) }));
  });
});

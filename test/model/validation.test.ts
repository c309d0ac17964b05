import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, EnforcementMode, IFlowEndpoint, Peer, Port, Segmentation, Selector, Workload, Zone } from '../../src';
import { compile } from '../../src/ir';
import { MicrosegError } from '../../src/model/errors';

/** A small valid model: two zones with one workload each. */
function base(id = 'Shop') {
  const seg = Segmentation.root(id);
  const web = seg.addZone('Web', { cidrs: ['10.0.1.0/24'] });
  const db = seg.addZone('Db', { cidrs: ['10.0.2.0/24'] });
  const front = web.addWorkload('Front');
  const pg = db.addWorkload('Pg');
  return { seg, web, db, front, pg };
}

/** Compiles and returns the thrown MicrosegError (fails the test when nothing is thrown). */
function problemsOf(seg: Segmentation, now?: Date): MicrosegError {
  try {
    compile(seg, { now });
  } catch (e) {
    expect(e).toBeInstanceOf(MicrosegError);
    return e as MicrosegError;
  }
  throw new Error('expected compile() to throw');
}

describe('model validation: CIDRs', () => {
  it('rejects an invalid zone CIDR with the zone path', () => {
    const { seg } = base();
    seg.addZone('Bad', { cidrs: ['10.0.0.0/33'] }).addWorkload('X');
    expect(() => compile(seg)).toThrow(/microseg:InvalidCidr\] at Shop\/Bad: "10\.0\.0\.0\/33": is not a valid IPv4 CIDR/);
  });

  it('rejects an invalid workload CIDR with the workload path', () => {
    const { web, seg } = base();
    web.addWorkload('Api', { cidrs: ['10.0.300.0/24'] });
    expect(() => compile(seg)).toThrow(/microseg:InvalidCidr\] at Shop\/Web\/Api: "10\.0\.300\.0\/24"/);
  });

  it('suggests the network address when host bits are set', () => {
    const { seg, front } = base();
    front.allowFrom(Peer.ipv4('10.1.2.3/16'), Port.tcp(443));
    const err = problemsOf(seg);
    expect(err.code).toBe('InvalidCidr');
    expect(err.path).toBe('Shop/Web/Front/From-ipv4:10.1.2.3_16-tcp:443');
    expect(err.message).toMatch(/has host bits set.*Did you mean "10\.1\.0\.0\/16"\?/);
  });

  it('suggests the network address for a zone CIDR with host bits, too', () => {
    const seg = Segmentation.root('Shop');
    seg.addZone('Web', { cidrs: ['10.0.1.7/24'] }).addWorkload('A');
    expect(() => compile(seg)).toThrow(/microseg:InvalidCidr\] at Shop\/Web: .*Did you mean "10\.0\.1\.0\/24"\?/);
  });

  it('says which constructor to use when an IPv6 CIDR is given to Peer.ipv4', () => {
    const { seg, front } = base();
    front.allowFrom(Peer.ipv4('2001:db8::/32'), Port.tcp(443));
    expect(() => compile(seg)).toThrow(/microseg:InvalidCidr\].*"2001:db8::\/32": is not a valid IPv4 CIDR.*use Peer\.ipv6\(\)/);
  });

  it('says which constructor to use when an IPv4 CIDR is given to Peer.ipv6', () => {
    const { seg, front } = base();
    front.allowTo(Peer.ipv6('192.0.2.0/24'), Port.tcp(443));
    expect(() => compile(seg)).toThrow(/microseg:InvalidCidr\].*is not a valid IPv6 CIDR.*use Peer\.ipv4\(\)/);
  });

  it('suggests a prefix length when it is missing', () => {
    const { seg, front } = base();
    front.allowFrom(Peer.ipv4('192.0.2.10'), Port.tcp(22));
    expect(() => compile(seg)).toThrow(/microseg:InvalidCidr\].*needs a prefix length\. Did you mean "192\.0\.2\.10\/32"\?/);
  });

  it('canonicalises valid CIDRs (IPv6 compressed, duplicates dropped, sorted)', () => {
    const seg = Segmentation.root('Shop');
    seg.addZone('Web', { cidrs: ['2001:0db8:0000:0000::/64', '10.0.1.0/24', '10.0.1.0/24'] }).addWorkload('A');
    expect(compile(seg).zones[0].cidrs).toEqual(['10.0.1.0/24', '2001:db8::/64']);
  });

  it('skips unresolved tokens (checked by the cloud at deploy time)', () => {
    const seg = Segmentation.root('Shop');
    seg.addZone('Web', { cidrs: ['${Token[TOKEN.123]}'] }).addWorkload('A');
    expect(compile(seg).zones[0].cidrs).toEqual(['${Token[TOKEN.123]}']);
  });
});

describe('model validation: ports', () => {
  it.each([
    ['a port above 65535', () => Port.tcp(70000), /"?70000"?: is not a valid TCP port.*Did you mean a port below 65536\?/],
    ['a negative port', () => Port.udp(-1), /-1: is not a valid UDP port/],
    ['a fractional port', () => Port.tcp(80.5), /80\.5: is not a valid TCP port/],
    ['a range past 65535', () => Port.tcpRange(1000, 65536), /65536: is not a valid TCP port/],
  ])('rejects %s', (_, port, message) => {
    const { seg, front, pg } = base();
    front.allowTo(pg, port());
    const err = problemsOf(seg);
    expect(err.message).toMatch(/microseg:InvalidPort\] at Shop\/Web\/Front\/To-workload:pg-/);
    expect(err.message).toMatch(message);
  });

  it('rejects a reversed range and suggests the right order', () => {
    const { seg, front, pg } = base();
    front.allowTo(pg, Port.udpRange(90, 80));
    expect(() => compile(seg)).toThrow(/microseg:InvalidPort\].*"90-80": the range starts after it ends\. Did you mean udpRange\(80, 90\)\?/);
  });

  it.each([
    ['a type above 255', () => Port.icmp(256), /"icmp:256": ICMP type and code must be integers from 0 to 255/],
    ['a code above 255', () => Port.icmp(3, 300), /"icmp:3\/300": ICMP type and code/],
    ['a negative type', () => Port.icmp(-2), /ICMP type and code must be integers/],
    ['a code without a type', () => Port.icmp(undefined, 4), /an ICMP code needs a type\. Use Port\.icmp\(type, code\)/],
  ])('rejects ICMP with %s', (_, port, message) => {
    const { seg, front, pg } = base();
    front.allowTo(pg, port());
    const err = problemsOf(seg);
    expect(err.code).toBe('InvalidIcmp');
    expect(err.message).toMatch(message);
  });

  it('validates the ports of a DenyFlow too', () => {
    const { seg, front, pg } = base();
    front.allowTo(pg, Port.tcp(5432));
    new DenyFlow(seg, 'Guard', { from: front, to: pg, ports: [Port.tcp(99999)] });
    expect(() => compile(seg)).toThrow(/microseg:InvalidPort\] at Shop\/Guard: 99999/);
  });

  it('rejects a flow with no ports (constructor and allowTo)', () => {
    const { seg, front, pg } = base();
    new AllowFlow(seg, 'Nothing', { from: front, to: pg, ports: [] });
    front.allowTo(pg);
    const err = problemsOf(seg);
    expect(err.problems.map(p => [p.code, p.path])).toEqual([
      ['EmptyPorts', 'Shop/Nothing'],
      ['EmptyPorts', 'Shop/Web/Front/To-workload:pg-none'],
    ]);
    expect(err.message).toMatch(/Pass at least one Port, e\.g\. Port\.tcp\(443\)/);
  });

  it('rejects something that is not a Port', () => {
    const { seg, front, pg } = base();
    new AllowFlow(seg, 'Odd', { from: front, to: pg, ports: [443 as unknown as Port] });
    expect(() => compile(seg)).toThrow(/microseg:InvalidPort\] at Shop\/Odd: "443": is not a Port/);
  });
});

describe('model validation: names and labels', () => {
  it('rejects duplicate zone names with both paths', () => {
    const { seg } = base();
    seg.addZone('Web2', { name: 'web' }).addWorkload('Other');
    expect(() => compile(seg)).toThrow(/microseg:DuplicateName\] at Shop\/Web2: "web": zone name is already used by Shop\/Web\./);
  });

  it('rejects duplicate workload names across zones', () => {
    const { seg, db } = base();
    db.addWorkload('Front2', { name: 'front' });
    expect(() => compile(seg)).toThrow(/microseg:DuplicateName\] at Shop\/Web\/Front: "front": workload name is already used by Shop\/Db\/Front2\./);
  });

  it.each([
    ['an underscore', 'Web_Tier', 'web_tier', 'web-tier'],
    ['a leading digit', '1web', '1web', 'web'],
    ['a dot', 'web.prod', 'web.prod', 'web-prod'],
  ])('rejects a zone name with %s and suggests a valid one', (_, id, name, suggestion) => {
    const seg = Segmentation.root('Shop');
    seg.addZone(id).addWorkload('A');
    const err = problemsOf(seg);
    expect(err.code).toBe('InvalidName');
    expect(err.path).toBe(`Shop/${id}`);
    expect(err.value).toBe(name);
    expect(err.message).toContain(`Did you mean "${suggestion}"?`);
  });

  it('rejects names longer than 40 characters (and suggests a shortened one)', () => {
    const seg = Segmentation.root('Shop');
    const z = seg.addZone('Web');
    z.addWorkload('A', { name: 'a'.repeat(41) });
    expect(() => compile(seg)).toThrow(new RegExp(`microseg:InvalidName\\] at Shop/Web/A: "a{41}".*Did you mean "a{40}"\\?`));
  });

  it('rejects an invalid segmentation name', () => {
    const seg = Segmentation.root('Shop', { name: 'My Shop' });
    seg.addZone('Web').addWorkload('A');
    expect(() => compile(seg)).toThrow(/microseg:InvalidName\] at Shop: "My Shop".*Did you mean "my-shop"\?/);
  });

  it('rejects a token as a name', () => {
    const seg = Segmentation.root('Shop');
    seg.addZone('Web', { name: '${Token[TOKEN.9]}' }).addWorkload('A');
    expect(() => compile(seg)).toThrow(/microseg:InvalidName\].*cannot be a token/);
  });

  it('rejects invalid label keys and values with a suggestion', () => {
    const seg = Segmentation.root('Shop');
    const z = seg.addZone('Web', { labels: { App: 'web' } });
    z.addWorkload('A', { labels: { tier: 'Front End' } });
    const err = problemsOf(seg);
    expect(err.problems.map(p => [p.code, p.path, p.value])).toEqual([
      ['InvalidLabel', 'Shop/Web', 'App'],
      ['InvalidLabel', 'Shop/Web/A', 'Front End'],
    ]);
    expect(err.message).toMatch(/is not a valid label key.*Did you mean "app"\?/);
    expect(err.message).toMatch(/is not a valid value for label "tier".*Did you mean "front-end"\?/);
  });
});

describe('model validation: endpoints', () => {
  it('rejects a zone with no workloads as an endpoint', () => {
    const { seg, front } = base();
    const empty = seg.addZone('Empty');
    front.allowTo(empty, Port.tcp(443));
    expect(() => compile(seg)).toThrow(/microseg:EmptyEndpoint\] at Shop\/Web\/Front\/To-zone:empty-tcp:443: "zone:empty": the destination zone "empty" has no workloads.*Add a workload to zone "empty"/);
  });

  it('rejects a selector matching nothing and lists the labels that exist', () => {
    const seg = Segmentation.root('Shop');
    const z = seg.addZone('Web', { labels: { tier: 'web' } });
    const a = z.addWorkload('A', { labels: { app: 'shop' } });
    new AllowFlow(seg, 'F', { from: Selector.labels({ app: 'nope' }), to: a, ports: [Port.tcp(80)] });
    expect(() => compile(seg)).toThrow(/microseg:EmptyEndpoint\] at Shop\/F: "selector:app=nope": the source selector matches no workload\. Labels in the model include: app=shop, tier=web\./);
  });

  it('rejects a flow between two Peers', () => {
    const { seg } = base();
    new AllowFlow(seg, 'Transit', { from: Peer.anyIpv4(), to: Peer.ipv4('192.0.2.0/24'), ports: [Port.tcp(443)] });
    expect(() => compile(seg)).toThrow(/microseg:UnsupportedEndpoint\] at Shop\/Transit: "ipv4:0\.0\.0\.0\/0 -> ipv4:192\.0\.2\.0\/24": both ends are Peers/);
  });

  it('rejects endpoints from another segmentation (workload and zone)', () => {
    const { seg, front } = base();
    const other = base('Other');
    front.allowTo(other.pg, Port.tcp(5432));
    front.allowTo(other.db, Port.tcp(5432));
    const err = problemsOf(seg);
    expect(err.problems.map(p => p.code)).toEqual(['UnsupportedEndpoint', 'UnsupportedEndpoint']);
    expect(err.message).toMatch(/the destination belongs to another segmentation \(Other\)/);
  });

  it('rejects an endpoint type it does not know', () => {
    const { seg, front } = base();
    const odd: IFlowEndpoint = { endpointKey: 'vpc:main' };
    new AllowFlow(seg, 'Odd', { from: odd, to: front, ports: [Port.tcp(80)] });
    expect(() => compile(seg)).toThrow(/microseg:UnsupportedEndpoint\] at Shop\/Odd: "vpc:main": the source is not a Workload, Zone, Selector or Peer/);
  });
});

describe('model validation: expiry', () => {
  const now = new Date('2027-03-01T12:00:00Z');

  it('rejects an expired flow, naming the owner', () => {
    const { seg, front, pg } = base();
    new AllowFlow(seg, 'Temp', { from: front, to: pg, ports: [Port.tcp(5432)], expires: '2027-02-28', owner: 'team-data' });
    expect(() => compile(seg, { now })).toThrow(/microseg:ExpiredFlow\] at Shop\/Temp: "2027-02-28": the flow workload:front -> workload:pg expired \(owner: team-data\)\. Remove the flow, or renew it/);
  });

  it('a date-only expiry lasts until the end of that day (UTC)', () => {
    const { seg, front, pg } = base();
    new AllowFlow(seg, 'Temp', { from: front, to: pg, ports: [Port.tcp(5432)], expires: '2027-03-01' });
    expect(() => compile(seg, { now })).not.toThrow();
    expect(() => compile(seg, { now: new Date('2027-03-02T00:00:00Z') })).toThrow(/microseg:ExpiredFlow/);
  });

  it.each(['next week', '01/03/2027', '2027-13-45', '2027-02-30', '2027-04-31', '2027-02-29'])('rejects the invalid date %j', expires => {
    const { seg, front, pg } = base();
    new AllowFlow(seg, 'Temp', { from: front, to: pg, ports: [Port.tcp(5432)], expires });
    expect(() => compile(seg, { now })).toThrow(/microseg:InvalidDate\] at Shop\/Temp: .*is not an ISO 8601 date\. Use YYYY-MM-DD/);
  });

  it('accepts a leap day and a full timestamp', () => {
    for (const expires of ['2028-02-29', '2027-03-05T18:00:00Z']) {
      const { seg, front, pg } = base();
      new AllowFlow(seg, 'Temp', { from: front, to: pg, ports: [Port.tcp(5432)], expires });
      expect(() => compile(seg, { now })).not.toThrow();
    }
  });

  it('warns FlowExpiresSoon within 14 days, not before', () => {
    const { seg, front, pg } = base();
    new AllowFlow(seg, 'Temp', { from: front, to: pg, ports: [Port.tcp(5432)], expires: '2027-03-10', owner: 'ops' });
    const soon = compile(seg, { now });
    expect(soon.warnings).toEqual([{ id: 'microseg:FlowExpiresSoon', path: 'Shop/Temp', message: 'The flow workload:front -> workload:pg expires on 2027-03-10 (owner: ops).' }]);
    expect(compile(seg, { now: new Date('2027-02-01T00:00:00Z') }).warnings).toEqual([]);
  });
});

describe('model validation: denies', () => {
  it('rejects an allow that a deny shadows completely', () => {
    const { seg, front, pg } = base();
    front.allowTo(pg, Port.tcp(5432));
    new DenyFlow(seg, 'NoWebToDb', { from: front, to: pg });
    expect(() => compile(seg)).toThrow(/microseg:ShadowedFlow\] at Shop\/Web\/Front\/To-workload:pg-tcp:5432: "workload:front -> workload:pg": every pair of this allow is removed by DenyFlow guardrails/);
  });

  it('a port-level deny covering every allowed port shadows too', () => {
    const { seg, front, pg } = base();
    front.allowTo(pg, Port.tcpRange(5432, 5433));
    new DenyFlow(seg, 'G', { from: front, to: pg, ports: [Port.allTcp()] });
    expect(() => compile(seg)).toThrow(/microseg:ShadowedFlow/);
  });

  it('warns PartialShadow and names the removed pairs', () => {
    // Deny only b -> pg: a -> pg survives, b -> pg is named.
    const seg2 = Segmentation.root('Shop');
    const web2 = seg2.addZone('Web');
    const db2 = seg2.addZone('Db');
    web2.addWorkload('A');
    const b2 = web2.addWorkload('B');
    const pg2 = db2.addWorkload('Pg');
    new AllowFlow(seg2, 'WebToDb', { from: web2, to: pg2, ports: [Port.tcp(5432)] });
    new DenyFlow(seg2, 'NoB', { from: b2, to: pg2 });
    const policy = compile(seg2);
    expect(policy.warnings).toEqual([{
      id: 'microseg:PartialShadow', path: 'Shop/WebToDb',
      message: 'DenyFlow guardrails remove part of this allow (1 of 2 pairs affected): w:b -> w:pg.',
    }]);
    expect(policy.rules.map(r => `${r.source.kind === 'workload' ? r.source.workload : ''}->${r.destination.kind === 'workload' ? r.destination.workload : ''}`)).toEqual(['a->pg']);
  });

  it('warns PartialShadow when a deny removes only some ports of a pair', () => {
    const { seg, front, pg } = base();
    front.allowTo(pg, Port.tcpRange(5000, 6000));
    new DenyFlow(seg, 'G', { from: front, to: pg, ports: [Port.tcp(5432)] });
    const policy = compile(seg);
    expect(policy.warnings.map(w => w.id)).toEqual(['microseg:PartialShadow']);
    expect(policy.warnings[0].message).toContain('w:front -> w:pg');
    expect(policy.rules.map(r => `${r.service.from}-${r.service.to}`)).toEqual(['5000-5431', '5433-6000']);
  });

  it('warns DenyNarrowed when a deny cuts into an all-traffic or ICMP allow', () => {
    const { seg, front, pg } = base();
    front.allowTo(pg, Port.allTraffic());
    new DenyFlow(seg, 'NoSsh', { from: front, to: pg, ports: [Port.tcp(22)] });
    const policy = compile(seg);
    expect(policy.warnings.map(w => w.id).sort()).toEqual(['microseg:DenyNarrowed', 'microseg:PartialShadow']);
    expect(policy.warnings.find(w => w.id === 'microseg:DenyNarrowed')!.message).toMatch(/all traffic keeps TCP, UDP and ICMP only/);
    expect(policy.rules.map(r => `${r.service.protocol}:${r.service.from}-${r.service.to}`)).toEqual(['tcp:0-21', 'tcp:23-65535', 'udp:0-65535', 'icmp:-1--1']);
  });

  it('removes acknowledged warnings and lists them with their reason', () => {
    const { seg, front, pg } = base();
    front.allowTo(pg, Port.allTraffic());
    new DenyFlow(seg, 'NoSsh', { from: front, to: pg, ports: [Port.tcp(22)] });
    seg.acknowledgeWarning('microseg:DenyNarrowed', 'other protocols are not used');
    const policy = compile(seg);
    expect(policy.warnings.map(w => w.id)).toEqual(['microseg:PartialShadow']);
    expect(policy.acknowledged).toEqual([{ id: 'microseg:DenyNarrowed', reason: 'other protocols are not used' }]);
  });

  it('a DenyFlow between workloads does not touch Peer CIDR rules (identity-based endpoints)', () => {
    const { seg, front, pg } = base();
    pg.allowFrom(Peer.ipv4('10.0.1.0/24'), Port.tcp(5432)); // web zone's range, declared as a Peer
    front.allowTo(pg, Port.tcp(5433));
    new DenyFlow(seg, 'NoWeb', { from: front, to: pg, ports: [Port.tcp(5433)] });
    const err = problemsOf(seg);
    expect(err.problems.map(p => [p.code, p.path])).toEqual([['ShadowedFlow', 'Shop/Web/Front/To-workload:pg-tcp:5433']]);
    const seg2 = base().seg;
    const f2 = seg2.findWorkload('front')!; const p2 = seg2.findWorkload('pg')!;
    p2.allowFrom(Peer.ipv4('10.0.1.0/24'), Port.tcp(5432));
    new DenyFlow(seg2, 'NoWeb', { from: f2, to: p2 });
    new DenyFlow(seg2, 'NoNet', { from: Peer.ipv4('10.9.0.0/16'), to: p2 });
    const policy = compile(seg2);
    expect(policy.rules).toHaveLength(1);
    expect(policy.rules[0].source).toEqual({ kind: 'cidr', cidr: '10.0.1.0/24', family: 'ipv4' });
  });
});

describe('model validation: problems are reported together', () => {
  it('lists every problem in one error, the first code leading', () => {
    const seg = Segmentation.root('Shop');
    const web = seg.addZone('Web', { cidrs: ['10.0.0.0/33'] });
    const a = web.addWorkload('A', { labels: { Bad: 'x' } });
    const b = web.addWorkload('B');
    a.allowTo(b, Port.tcp(70000));
    a.allowTo(seg.addZone('Empty'), Port.tcp(1));
    const err = problemsOf(seg);
    expect(err.code).toBe('InvalidCidr');
    expect(err.problems.map(p => p.code)).toEqual(['InvalidCidr', 'InvalidLabel', 'InvalidPort', 'EmptyEndpoint']);
    expect(err.message).toMatch(/^4 problems, nothing was rendered:\n/);
    for (const code of ['InvalidCidr', 'InvalidLabel', 'InvalidPort', 'EmptyEndpoint']) expect(err.message).toContain(`[microseg:${code}]`);
  });
});

describe('model structure', () => {
  it('workloads inherit zone labels; their own labels win', () => {
    const seg = Segmentation.root('Shop');
    const z = seg.addZone('Web', { labels: { env: 'prod', tier: 'web' } });
    const a = z.addWorkload('A', { labels: { tier: 'edge', app: 'shop' } });
    expect(a.labels).toEqual({ env: 'prod', tier: 'edge', app: 'shop' });
    expect(a.ownLabels).toEqual({ tier: 'edge', app: 'shop' });
    expect(compile(seg).workloads[0].labels).toEqual({ app: 'shop', env: 'prod', tier: 'edge' });
  });

  it('selectors match merged labels (zone labels count; overridden ones do not)', () => {
    const seg = Segmentation.root('Shop');
    const z = seg.addZone('Web', { labels: { env: 'prod', tier: 'web' } });
    z.addWorkload('A', { labels: { tier: 'edge' } });
    z.addWorkload('B');
    const db = seg.addZone('Db', { labels: { env: 'prod' } }).addWorkload('Pg');
    new AllowFlow(seg, 'Prod', { from: Selector.labels({ env: 'prod', tier: 'web' }), to: db, ports: [Port.tcp(5432)] });
    const policy = compile(seg);
    expect(policy.flows[0].from).toEqual({ key: 'selector:env=prod,tier=web', kind: 'selector', workloads: ['b'], zones: ['web'] });
    expect(Selector.labels({ tier: 'web', env: 'prod' }).endpointKey).toBe('selector:env=prod,tier=web');
  });

  it('allowFrom / allowTo are idempotent and order-independent in their ports', () => {
    const { front, pg } = base();
    const f1 = pg.allowFrom(front, Port.tcp(5432), Port.tcp(5433));
    const f2 = pg.allowFrom(front, Port.tcp(5433), Port.tcp(5432));
    expect(f2).toBe(f1);
    expect(front.allowTo(pg, Port.tcp(5432))).toBe(front.allowTo(pg, Port.tcp(5432)));
    expect(front.allowTo(pg, Port.tcp(5432))).not.toBe(front.allowTo(pg, Port.tcp(5433)));
    expect(f1.from).toBe(front);
    expect(f1.to).toBe(pg);
  });

  it('a Segmentation can be a root of its own or nested in any construct tree', () => {
    const root = Segmentation.root('Shop');
    expect(root.node.path).toBe('Shop');
    expect(root.name).toBe('shop');
    const app = new Construct(undefined as unknown as Construct, 'App');
    const stack = new Construct(app, 'Stack');
    const nested = new Segmentation(stack, 'Net', { name: 'net' });
    const w = nested.addZone('Web').addWorkload('A');
    expect(w.node.path).toBe('App/Stack/Net/Web/A');
    expect(Segmentation.of(w)).toBe(nested);
    w.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    const policy = compile(nested);
    expect(policy.segmentation).toEqual({ name: 'net', path: 'App/Stack/Net', mode: 'ENFORCE' });
    expect(policy.flows[0].path).toBe('App/Stack/Net/Web/A/From-ipv4:0.0.0.0_0-tcp:443');
  });

  it('flows may sit anywhere inside the segmentation and late additions still count', () => {
    const { seg, front, pg } = base();
    new AllowFlow(new Construct(seg, 'Group'), 'F', { from: front, to: pg, ports: [Port.tcp(5432)] });
    const late = seg.findZone('db')!.addWorkload('Late');
    new AllowFlow(seg, 'G', { from: front, to: seg.findZone('db')!, ports: [Port.tcp(1)] });
    expect(compile(seg).flows.find(f => f.path === 'Shop/G')!.to.workloads).toEqual([late.name, 'pg']);
    expect(compile(seg).flows.map(f => f.path)).toEqual(['Shop/G', 'Shop/Group/F']);
  });

  it('rejects zones and workloads in the wrong scope (InvalidScope)', () => {
    const { seg, web } = base();
    const plain = new Construct(seg, 'Plain');
    expect(() => new Zone(plain, 'Z')).toThrow(/microseg:InvalidScope\] at Shop\/Plain\/Z: a Zone must be a direct child of a Segmentation/);
    expect(() => new Workload(seg as unknown as Zone, 'W')).toThrow(/microseg:InvalidScope\] at Shop\/W: a Workload must be a direct child of a Zone/);
    const w = web.addWorkload('X');
    expect(() => new Workload(w as unknown as Zone, 'Y')).toThrow(/microseg:InvalidScope\] at Shop\/Web\/X\/Y/);
    const outside = new Construct(undefined as unknown as Construct, 'Elsewhere');
    expect(() => new AllowFlow(outside, 'F', { from: w, to: w, ports: [Port.tcp(1)] })).toThrow(/microseg:InvalidScope\] at Elsewhere\/F: is not inside a microseg Segmentation/);
    expect(() => new DenyFlow(outside, 'D', { from: w, to: w })).toThrow(/microseg:InvalidScope/);
  });

  it('a zone can override the segmentation mode', () => {
    const seg = Segmentation.root('Shop', { mode: EnforcementMode.MONITOR });
    seg.addZone('A').addWorkload('X');
    seg.addZone('B', { mode: EnforcementMode.ENFORCE }).addWorkload('Y');
    expect(compile(seg).zones.map(z => [z.name, z.mode])).toEqual([['a', 'MONITOR'], ['b', 'ENFORCE']]);
  });
});

describe('model validation: deterministic messages', () => {
  it('reports a duplicate name the same way whatever the declaration order', () => {
    const build = (dbFirst: boolean) => {
      const seg = Segmentation.root('Shop');
      const make = [() => seg.addZone('Web').addWorkload('Api'), () => seg.addZone('Db').addWorkload('Api2', { name: 'api' })];
      (dbFirst ? make.reverse() : make).forEach(f => f());
      return problemsOf(seg).message;
    };
    expect(build(true)).toBe(build(false));
    expect(build(false)).toMatch(/microseg:DuplicateName\] at Shop\/Web\/Api: "api": workload name is already used by Shop\/Db\/Api2\./);
  });
});

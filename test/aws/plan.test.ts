import { describe, expect, it } from 'vitest';
import { DenyFlow, Peer, Port, Segmentation, Selector } from '../../src';
import { AwsPlan, canonicalPorts, groupLogicalId, groupRanks, NACL_BANDS, pascal, planAws, ruleDescription, shortHash } from '../../src/aws/plan';
import { compile, IrPolicy, placeRules } from '../../src/ir';

const policies = new WeakMap<AwsPlan, IrPolicy>();
function compileOf(p: AwsPlan): IrPolicy {
  return policies.get(p)!;
}

function plan(build: (seg: Segmentation) => void, naclZones: string[] = []) {
  const seg = Segmentation.root('Shop');
  build(seg);
  const policy = compile(seg);
  return remember(policy, planAws(policy, placeRules(policy, undefined, 'B'), { backendPath: 'B', naclSubnets: Object.fromEntries(naclZones.map(z => [z, [`subnet-${z}`]])) }));
}

function remember(policy: IrPolicy, p: AwsPlan): AwsPlan {
  policies.set(p, policy);
  return p;
}

describe('plan (pure)', () => {
  it('names and ids', () => {
    expect(pascal('web-front-2')).toBe('WebFront2');
    expect(shortHash('x')).toMatch(/^[0-9A-F]{8}$/);
    // `a-1` and `a1` pascal-case alike; the hash keeps their ids apart.
    expect(groupLogicalId('s', 'a-1')).not.toBe(groupLogicalId('s', 'a1'));
    expect(groupLogicalId('shop', 'api')).toBe(groupLogicalId('shop', 'api'));
    expect(ruleDescription('a'.repeat(300))).toHaveLength(255);
    expect(canonicalPorts('tcp', 0, 65535)).toBe('*');
    expect(canonicalPorts('icmp', 3, 4)).toBe('3/4');
    expect(canonicalPorts('icmpv6', 128, -1)).toBe('128');
    expect(canonicalPorts('all', -1, -1)).toBe('*');
  });

  it('references a source that sorts at or after the destination through its source group', () => {
    const p = plan(seg => {
      const z = seg.addZone('Z', { cidrs: ['10.1.0.0/16'] });
      const a = z.addWorkload('A'); const b = z.addWorkload('B'); const c = z.addWorkload('C');
      b.allowFrom(a, Port.tcp(1)); // a < b: a's own group
      a.allowFrom(b, Port.tcp(2)); // b > a: b's source group
      c.allowFrom(a, Port.tcp(3)); // a's own group
      c.allowFrom(c, Port.tcp(4)); // self: c's source group
    });
    const refs = p.groups.flatMap(g => g.ingress.filter(r => r.peer.kind === 'sg').map(r => `${(r.peer as any).group}->${g.name}`));
    expect(refs.sort()).toEqual(['a->b', 'a->c', 'src.b->a', 'src.c->c']);
    expect(p.resourceCount).toBe(3 + 3 + 1); // 3 workload groups, 3 source groups, 1 zone group; no separate rule resources
    // Every reference points to a group that sorts earlier: no CloudFormation cycle.
    const rank = groupRanks(compileOf(p));
    for (const g of p.groups) for (const r of g.ingress) if (r.peer.kind === 'sg') expect(rank.get(r.peer.group)!).toBeLessThan(rank.get(g.name)!);
  });

  it('NACL entries get numbers in their bands, unique per direction', () => {
    const p = plan(seg => {
      const z = seg.addZone('Z', { cidrs: ['10.1.0.0/16'] });
      const w = z.addWorkload('W');
      for (let i = 0; i < 15; i++) w.allowFrom(Peer.ipv4(`198.51.100.${i * 16}/28`), Port.tcp(443));
    }, ['z']);
    const entries = p.nacls[0].entries;
    for (const e of entries) {
      const band = NACL_BANDS[e.band as 'return' | 'allow' | 'deny'];
      expect(e.ruleNumber).toBeGreaterThanOrEqual(band.from);
      expect(e.ruleNumber).toBeLessThanOrEqual(band.to);
    }
    for (const egress of [true, false]) {
      const numbers = entries.filter(e => e.egress === egress).map(e => e.ruleNumber);
      expect(new Set(numbers).size).toBe(numbers.length);
    }
    expect(p.nacls[0].associations).toEqual([{ subnet: 'subnet-z', logicalId: expect.stringMatching(/^ShopZNacl[0-9A-F]{8}Assoc[0-9A-F]{8}$/) }]);
  });

  it('orders groups by zone range first, so tiers laid out in address order get forward references inline', () => {
    const p = plan(seg => {
      const front = seg.addZone('Zfront', { cidrs: ['10.0.0.0/24'] }).addWorkload('Zed');
      const back = seg.addZone('Aback', { cidrs: ['10.0.1.0/24'] }).addWorkload('Alpha');
      const nocidr = seg.addZone('Anone').addWorkload('Aaa');
      back.allowFrom(front, Port.tcp(1)); // zed (10.0.0.0) before alpha (10.0.1.0): own group
      nocidr.allowFrom(back, Port.tcp(2)); // zones without cidrs come last: own group
      front.allowFrom(nocidr, Port.tcp(3)); // back edge: source group
    });
    const refs = p.groups.flatMap(g => g.ingress.filter(r => r.peer.kind === 'sg').map(r => `${(r.peer as any).group}->${g.name}`));
    expect(refs.sort()).toEqual(['alpha->aaa', 'src.aaa->zed', 'zed->alpha']);
  });
});

describe('zone groups (compression)', () => {
  const refs = (p: ReturnType<typeof plan>, dst: string) => p.groups.find(g => g.name === dst)!.ingress
    .filter(r => r.peer.kind === 'sg').map(r => `${(r.peer as any).group}:${canonicalPorts(r.protocol, r.from, r.to)}`).sort();

  it('every workload carries its zone group; zone groups hold no ingress and the match-nothing egress', () => {
    const p = plan(seg => {
      const z = seg.addZone('Web', { cidrs: ['10.1.0.0/16'] });
      z.addWorkload('A'); z.addWorkload('B');
      seg.addZone('Empty', { cidrs: ['10.9.0.0/16'] });
    });
    expect(p.groupsOf).toEqual({ a: ['a', 'zone.web', 'src.a'], b: ['b', 'zone.web', 'src.b'] });
    const zg = p.groups.find(g => g.name === 'zone.web')!;
    expect(zg).toMatchObject({ kind: 'zone', workload: '', zone: 'web', logicalId: groupLogicalId('shop', 'zone.web'), ingress: [] });
    expect(zg.tags).toEqual({ 'microseg:group': 'zone.web', 'microseg:segmentation': 'shop', 'microseg:zone': 'web' });
    expect(zg.egress.map(r => r.kind)).toEqual(['matchnothing']);
    expect(p.groups.some(g => g.name === 'zone.empty')).toBe(false); // no members, nothing carries it
    expect(p.expected.filter(r => r.container === 'sg:zone.web')).toHaveLength(1);
  });

  it('a whole zone as source is one inline reference to its zone group', () => {
    const p = plan(seg => {
      const app = seg.addZone('App', { cidrs: ['10.2.0.0/16'] });
      const logs = seg.addZone('Shared', { cidrs: ['10.1.0.0/16'] }).addWorkload('Log'); // ranks before app: would be separate per member
      for (let i = 0; i < 70; i++) app.addWorkload(`S${i}`);
      logs.allowFrom(app, Port.tcp(6514), Port.udp(514));
    });
    expect(refs(p, 'log')).toEqual(['zone.app:514', 'zone.app:6514']);
    expect(p.groups.find(g => g.name === 'log')!.ingress.every(r => /^Shop\/Shared\/Log\/From-zone:app/.test(r.origins[0]))).toBe(true);
  });

  it('a selector that covers whole zones is compressed; members of a partly selected zone stay individual', () => {
    const p = plan(seg => {
      const a = seg.addZone('A', { cidrs: ['10.1.0.0/16'] });
      const b = seg.addZone('B', { cidrs: ['10.2.0.0/16'] });
      a.addWorkload('A1', { labels: { ship: 'logs' } }); a.addWorkload('A2', { labels: { ship: 'logs' } });
      b.addWorkload('B1', { labels: { ship: 'logs' } }); b.addWorkload('B2');
      const dst = seg.addZone('C', { cidrs: ['10.0.0.0/16'] }).addWorkload('Sink');
      dst.allowFrom(Selector.labels({ ship: 'logs' }), Port.tcp(6514));
    });
    expect(refs(p, 'sink')).toEqual(['src.b1:6514', 'zone.a:6514']);
  });

  it('is exact: a member a DenyFlow cuts out keeps the zone individual; a member\'s wider own rule keeps only the rest', () => {
    const p = plan(seg => {
      const app = seg.addZone('App', { cidrs: ['10.2.0.0/16'] });
      const a1 = app.addWorkload('A1'); app.addWorkload('A2');
      const db = seg.addZone('Db', { cidrs: ['10.3.0.0/16'] });
      const pg = db.addWorkload('Pg'); const other = db.addWorkload('Other');
      pg.allowFrom(app, Port.tcp(5432));
      pg.allowFrom(a1, Port.tcpRange(5432, 5440));
      other.allowFrom(app, Port.tcp(22));
      new DenyFlow(seg, 'NoSsh', { from: a1, to: other, ports: [Port.tcp(22)] });
    });
    expect(refs(p, 'pg')).toEqual(['a1:5433-5440', 'zone.app:5432']);
    expect(refs(p, 'other')).toEqual(['a2:22']);
  });

  it('a zone flow into its own zone needs the destination itself allowed too', () => {
    const p = plan(seg => {
      const z = seg.addZone('Z', { cidrs: ['10.1.0.0/16'] });
      const a = z.addWorkload('A'); z.addWorkload('B');
      a.allowFrom(z, Port.tcp(7000));
    });
    const r = refs(p, 'a');
    // Either compressed (the IR includes a -> a) or every member individually: never a partial zone.
    expect(r.length === 1 ? r : r.filter(x => x.startsWith('zone.'))).toEqual(r.length === 1 ? ['zone.z:7000'] : []);
  });
});

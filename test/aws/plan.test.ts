import { describe, expect, it } from 'vitest';
import { Peer, Port, Segmentation } from '../../src';
import { canonicalPorts, groupLogicalId, NACL_BANDS, pascal, planAws, ruleDescription, shortHash } from '../../src/aws/plan';
import { compile, placeRules } from '../../src/ir';

function plan(build: (seg: Segmentation) => void, naclZones: string[] = []) {
  const seg = Segmentation.root('Shop');
  build(seg);
  const policy = compile(seg);
  return planAws(policy, placeRules(policy, undefined, 'B'), { backendPath: 'B', naclSubnets: Object.fromEntries(naclZones.map(z => [z, [`subnet-${z}`]])) });
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

  it('separate ingress resources only where the source sorts after the destination (or is itself)', () => {
    const p = plan(seg => {
      const z = seg.addZone('Z', { cidrs: ['10.1.0.0/16'] });
      const a = z.addWorkload('A'); const b = z.addWorkload('B'); const c = z.addWorkload('C');
      b.allowFrom(a, Port.tcp(1)); // a < b: inline
      a.allowFrom(b, Port.tcp(2)); // b > a: separate
      c.allowFrom(a, Port.tcp(3)); // inline
      c.allowFrom(c, Port.tcp(4)); // self: separate
    });
    const refs = p.groups.flatMap(g => g.ingress.filter(r => r.peer.kind === 'sg').map(r => `${(r.peer as any).group}->${g.name}:${r.separate ? 'separate' : 'inline'}`));
    expect(refs.sort()).toEqual(['a->b:inline', 'a->c:inline', 'b->a:separate', 'c->c:separate']);
    expect(p.resourceCount).toBe(3 + 2);
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
      back.allowFrom(front, Port.tcp(1)); // zed (10.0.0.0) before alpha (10.0.1.0): inline
      nocidr.allowFrom(back, Port.tcp(2)); // zones without cidrs come last: inline
      front.allowFrom(nocidr, Port.tcp(3)); // back edge: separate
    });
    const refs = p.groups.flatMap(g => g.ingress.filter(r => r.peer.kind === 'sg').map(r => `${(r.peer as any).group}->${g.name}:${r.separate ? 'separate' : 'inline'}`));
    expect(refs.sort()).toEqual(['aaa->zed:separate', 'alpha->aaa:inline', 'zed->alpha:inline']);
  });
});

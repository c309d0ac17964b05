import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkUntil } from '../support/property';
import { AllowFlow, DenyFlow, EnforcementMode, Peer, Port, Segmentation, Selector } from '../../src';
import { AnalysisEndpointKind, SegmentationAnalysis } from '../../src/analysis';
import { blastRadiusOf } from '../../src/analysis/blast-radius';
import { reachabilityOf } from '../../src/analysis/reachability';
import { isInternetCidr, summaryOf } from '../../src/analysis/summary';
import { cidr, cidrHas, compile, IrPolicy, modelAllows, Packet, PacketEnd, parseAddress, parseServiceKey, serviceMatches } from '../../src/ir';
import { buildModel, ModelSpec, modelArb, PEER_CIDRS } from '../support/model-arbitrary';

function tryCompile(spec: ModelSpec): IrPolicy | undefined {
  try {
    return compile(buildModel(spec).seg);
  } catch (e) {
    expect(String(e)).toMatch(/microseg:ShadowedFlow/);
    return undefined;
  }
}

/**
 * Probes that hit every distinct behaviour of a policy: each boundary of every declared TCP/UDP
 * range (and one past it), every declared ICMP type plus one undeclared, codes 0 and 255.
 */
function probesOf(policy: IrPolicy): Omit<Packet, 'source' | 'destination'>[] {
  const services = [...policy.flows, ...policy.denies].flatMap(f => f.services);
  const ports = new Set([0, 65535]);
  const types = new Set([200]);
  for (const s of services) {
    if (s.protocol === 'tcp' || s.protocol === 'udp') for (const p of [s.from - 1, s.from, s.to, s.to + 1]) if (p >= 0 && p <= 65535) ports.add(p);
    if (s.protocol === 'icmp' && s.from >= 0) types.add(s.from);
  }
  return [
    ...(['tcp', 'udp'] as const).flatMap(protocol => [...ports].map(port => ({ protocol, port }))),
    ...[...types].flatMap(port => [0, 255].map(code => ({ protocol: 'icmp' as const, port, code }))),
  ];
}

const EXTERNAL = ['203.0.113.7', '198.51.100.200', '192.0.2.127', '192.0.2.128', '8.8.8.8']
  .map(a => ({ address: parseAddress(a).value, family: 'ipv4' as const }));

function endName(e: PacketEnd): string {
  return 'workload' in e ? e.workload : e.address.toString();
}

describe('reachability', () => {
  it('lists exactly the pairs the model allows, with exactly the allowed services (random models)', () => {
    const t = checkUntil(modelArb({ maxZones: 3, maxWorkloads: 3, maxFlows: 8 }), (spec, tally) => {
      const policy = tryCompile(spec);
      if (!policy) { tally.refuse(); return; }
      const matrix = reachabilityOf(policy).map(e => ({
        ...e,
        src: e.sourceKind === AnalysisEndpointKind.CIDR ? cidr(e.source) : undefined,
        dst: e.destinationKind === AnalysisEndpointKind.CIDR ? cidr(e.destination) : undefined,
        parsed: e.services.map(parseServiceKey),
      }));
      const matchEnd = (name: string, block: ReturnType<typeof cidr> | undefined, end: PacketEnd) => block === undefined
        ? 'workload' in end && end.workload === name
        : !('workload' in end) && cidrHas(block, end.family, end.address);
      const probes = probesOf(policy);
      const ends: PacketEnd[] = [...policy.workloads.map(w => ({ workload: w.name })), ...EXTERNAL];
      for (const source of ends) {
        for (const destination of ends) {
          if (!('workload' in source) && !('workload' in destination)) continue;
          // Overlapping peers of different flows give overlapping entries: the pair's services are their union.
          const entries = matrix.filter(e => matchEnd(e.source, e.src, source) && matchEnd(e.destination, e.dst, destination));
          let any = false;
          for (const probe of probes) {
            const allowed = modelAllows(policy, { source, destination, ...probe });
            any = any || allowed;
            const listed = entries.some(e => e.parsed.some(s => serviceMatches(s, probe.protocol, probe.port, probe.code ?? -1)));
            expect(listed, `${endName(source)} -> ${endName(destination)} ${JSON.stringify(probe)}`).toBe(allowed);
          }
          expect(entries.length > 0).toBe(any);
          tally.add('pairs');
        }
      }
    }, { until: { pairs: 1_000 }, batch: 5, maxRuns: 300 });
    expect(t.get('pairs')).toBeGreaterThanOrEqual(1_000);
  });

  it('describes each entry: kinds, zones, services and the flows behind it', () => {
    const seg = Segmentation.root('Shop');
    const web = seg.addZone('Web');
    const db = seg.addZone('Db');
    const front = web.addWorkload('Front', { labels: { app: 'shop' } });
    const pg = db.addWorkload('Pg');
    front.allowFrom(Peer.ipv4('198.51.100.0/24'), Port.tcp(443));
    front.allowTo(pg, Port.tcp(5432));
    new AllowFlow(seg, 'Shop', { from: Selector.labels({ app: 'shop' }), to: pg, ports: [Port.tcp(5433), Port.icmp(8)] });
    const entries = SegmentationAnalysis.of(seg).reachability();
    expect(entries).toEqual([
      {
        source: '198.51.100.0/24', sourceKind: AnalysisEndpointKind.CIDR, sourceZone: undefined,
        destination: 'front', destinationKind: AnalysisEndpointKind.WORKLOAD, destinationZone: 'web',
        services: ['tcp:443'], flows: ['Shop/Web/Front/From-ipv4:198.51.100.0_24-tcp:443'],
      },
      {
        source: 'front', sourceKind: AnalysisEndpointKind.WORKLOAD, sourceZone: 'web',
        destination: 'pg', destinationKind: AnalysisEndpointKind.WORKLOAD, destinationZone: 'db',
        services: ['tcp:5432-5433', 'icmp:8'], flows: ['Shop/Shop', 'Shop/Web/Front/To-workload:pg-tcp:5432'],
      },
    ]);
  });
});

/** Chain a -> b -> c with a parallel b2, an exit to the internet, a way back to a, and an outsider x. */
function chain() {
  const seg = Segmentation.root('Chain');
  const web = seg.addZone('Web', { cidrs: ['10.0.1.0/24'] });
  const app = seg.addZone('App', { cidrs: ['10.0.2.0/24'] });
  const db = seg.addZone('Db', { cidrs: ['10.0.3.0/24'] });
  const ops = seg.addZone('Ops');
  const a = web.addWorkload('A');
  const b = app.addWorkload('B');
  const b2 = app.addWorkload('B2');
  const c = db.addWorkload('C');
  const x = ops.addWorkload('X');
  a.allowTo(b, Port.tcp(8080));
  a.allowTo(b2, Port.tcp(8081));
  b.allowTo(c, Port.tcp(5432));
  b2.allowTo(c, Port.tcp(5433));
  c.allowTo(Peer.anyIpv4(), Port.tcp(443));
  c.allowTo(a, Port.tcp(9000));
  x.allowTo(a, Port.tcp(22));
  a.allowFrom(Peer.anyIpv4(), Port.tcp(443));
  return { seg, a, b, b2, c, x };
}

describe('blast radius', () => {
  it('follows the chain a -> b -> c with hop counts, last-hop ports and a shortest path', () => {
    const { seg, a } = chain();
    const radius = SegmentationAnalysis.of(seg).blastRadius(a);
    expect(radius.workload).toBe('a');
    expect(radius.reachable.map(t => [t.hops, t.target, t.via.join('+'), t.services.join(','), t.path.join('>')])).toEqual([
      [1, 'b', 'a', 'tcp:8080', 'a>b'],
      [1, 'b2', 'a', 'tcp:8081', 'a>b2'],
      [2, 'c', 'b+b2', 'tcp:5432-5433', 'a>b>c'],
      [3, '0.0.0.0/0', 'c', 'tcp:443', 'a>b>c>0.0.0.0/0'],
    ]);
    expect(radius.direct.map(t => t.target)).toEqual(['b', 'b2']);
    expect(radius.reachable[3].kind).toBe(AnalysisEndpointKind.CIDR);
    expect(radius.reachable[3].zone).toBeUndefined();
    expect(radius.reachable[2].zone).toBe('db');
    expect(radius.reachableWorkloads).toBe(3);
    expect(radius.reachableZones).toEqual(['app', 'db']);
    expect(radius.maxHops).toBe(3);
  });

  it('never lists the compromised workload itself and does not follow inbound-only flows', () => {
    const { seg, c, x } = chain();
    const analysis = SegmentationAnalysis.of(seg);
    const fromC = analysis.blastRadius(c);
    expect(fromC.reachable.map(t => `${t.hops}:${t.target}`)).toEqual(['1:a', '1:0.0.0.0/0', '2:b', '2:b2']);
    const fromX = analysis.blastRadiusByName('x');
    expect(fromX.reachable.map(t => `${t.hops}:${t.target}`)).toEqual(['1:a', '2:b', '2:b2', '3:c', '4:0.0.0.0/0']);
    expect(fromX.reachable.find(t => t.target === 'c')!.path).toEqual(['x', 'a', 'b', 'c']);
    expect(analysis.blastRadius(x).reachableZones).toEqual(['app', 'db', 'web']);
    const fromB = analysis.blastRadiusByName('b');
    expect(fromB.reachable.some(t => t.target === 'x')).toBe(false);
  });

  it('a DenyFlow removes hops: the last hop into c is only via b once b2 -> c is denied', () => {
    const { seg, a, b2, c } = chain();
    new DenyFlow(seg, 'Guard', { from: b2, to: c, ports: [Port.allTcp()] });
    // b2 -> c was the whole of one allow: fully shadowed is an error, so the allow must go too.
    expect(() => SegmentationAnalysis.of(seg)).toThrow(/microseg:ShadowedFlow\] at Chain\/App\/B2\/To-workload:c-tcp:5433/);
    b2.node.tryRemoveChild('To-workload:c-tcp:5433');
    const radius = SegmentationAnalysis.of(seg).blastRadius(a);
    const toC = radius.reachable.find(t => t.target === 'c')!;
    expect([toC.hops, toC.via, toC.services]).toEqual([2, ['b'], ['tcp:5432']]);
  });

  it('a partial deny narrows the ports of a hop; flows into a target are not followed backwards', () => {
    const seg = Segmentation.root('Cut');
    const z = seg.addZone('Z');
    const a = z.addWorkload('A'); const b = z.addWorkload('B'); const c = z.addWorkload('C');
    a.allowTo(b, Port.tcp(80));
    b.allowTo(c, Port.tcp(80), Port.tcp(81));
    new DenyFlow(seg, 'NoHttp', { from: b, to: c, ports: [Port.tcp(80)] });
    const radius = SegmentationAnalysis.of(seg).blastRadius(a);
    expect(radius.reachable.map(t => [t.target, t.hops, t.services.join(',')])).toEqual([['b', 1, 'tcp:80'], ['c', 2, 'tcp:81']]);
    const seg3 = Segmentation.root('Cut3');
    const z3 = seg3.addZone('Z');
    const a3 = z3.addWorkload('A'); const b3 = z3.addWorkload('B'); const c3 = z3.addWorkload('C');
    a3.allowTo(b3, Port.tcp(80));
    c3.allowTo(b3, Port.tcp(80));
    expect(SegmentationAnalysis.of(seg3).blastRadius(a3).reachable.map(t => t.target)).toEqual(['b']);
  });

  it('matches the transitive closure of the rule graph on random models', () => {
    fc.assert(fc.property(modelArb(), spec => {
      const policy = tryCompile(spec);
      if (!policy) return;
      const names = policy.workloads.map(w => w.name);
      const edge = new Set(policy.rules.filter(r => r.source.kind === 'workload' && r.destination.kind === 'workload')
        .map(r => `${(r.source as { workload: string }).workload}>${(r.destination as { workload: string }).workload}`));
      // Floyd-Warshall distances.
      const INF = 1e9;
      const d = new Map<string, number>();
      for (const i of names) for (const j of names) d.set(`${i}>${j}`, i === j ? 0 : edge.has(`${i}>${j}`) ? 1 : INF);
      for (const k of names) for (const i of names) for (const j of names) {
        const via = d.get(`${i}>${k}`)! + d.get(`${k}>${j}`)!;
        if (via < d.get(`${i}>${j}`)!) d.set(`${i}>${j}`, via);
      }
      for (const w of names) {
        const radius = blastRadiusOf(policy, w);
        const expected = names.filter(n => n !== w && d.get(`${w}>${n}`)! < INF).sort();
        const got = radius.reachable.filter(t => t.kind === AnalysisEndpointKind.WORKLOAD);
        expect(got.map(t => t.target).sort()).toEqual(expected);
        expect(radius.reachableWorkloads).toBe(expected.length);
        for (const t of got) {
          expect(t.hops).toBe(d.get(`${w}>${t.target}`));
          expect(t.path).toHaveLength(t.hops + 1);
          expect(t.path[0]).toBe(w);
          for (let i = 1; i < t.path.length; i++) expect(edge.has(`${t.path[i - 1]}>${t.path[i]}`)).toBe(true);
          for (const v of t.via) expect(edge.has(`${v}>${t.target}`) && (v === w ? 0 : d.get(`${w}>${v}`)) === t.hops - 1).toBe(true);
        }
        // CIDR targets: reachable from the workload itself or a workload it reaches.
        for (const t of radius.reachable.filter(x => x.kind === AnalysisEndpointKind.CIDR)) {
          expect(t.via.every(v => v === w || d.get(`${w}>${v}`)! < INF)).toBe(true);
          expect(PEER_CIDRS.some(p => cidr(p).family === 'ipv4' && cidrHas(cidr(p), 'ipv4', cidr(t.target).first))).toBe(true);
        }
      }
    }), { numRuns: 100 });
  });

  it('fails with UnknownWorkload for a name or workload outside the segmentation', () => {
    const { seg } = chain();
    const other = chain();
    const analysis = SegmentationAnalysis.of(seg);
    expect(() => analysis.blastRadiusByName('nope')).toThrow(/microseg:UnknownWorkload\] at Chain: "nope": is not a workload of the segmentation\. Workloads are: a, b, b2, c, x\./);
    expect(() => analysis.blastRadius(other.a)).toThrow(/microseg:UnknownWorkload\] at Chain\/Web\/A: "a": belongs to another segmentation/);
  });
});

describe('summary', () => {
  it('counts zones, workloads, flows, denies, rules, pairs and exposure', () => {
    const { seg, b } = chain();
    b.allowFrom(Peer.ipv4('10.50.0.0/16'), Port.tcp(8080)); // private: not internet exposure
    new DenyFlow(seg, 'NoSsh', { from: Peer.ipv4('198.51.100.0/24'), to: seg.findZone('db')! });
    const analysis = SegmentationAnalysis.of(seg);
    const s = analysis.summary();
    expect(s).toEqual({
      name: 'chain', mode: 'ENFORCE', zones: 4, workloads: 5, flows: 9, denies: 1, rules: 9, subsumedRules: 0,
      allowedPairs: 6, totalPairs: 20, allowedPairRatio: 0.3, internetExposed: ['a'], monitorZones: [], warnings: 0,
    });
    expect(analysis.formatSummary()).toBe([
      'segmentation chain (ENFORCE)',
      '  zones 4, workloads 5, flows 9, denies 1, IR rules 9',
      '  allowed workload pairs 6 of 20 (30.0%)',
      '  internet-exposed workloads 1: a',
      '  warnings 0',
    ].join('\n'));
  });

  it('excludes self pairs, handles a single workload and counts unacknowledged warnings', () => {
    const seg = Segmentation.root('One');
    const z = seg.addZone('Z');
    const a = z.addWorkload('A');
    new AllowFlow(seg, 'Self', { from: z, to: z, ports: [Port.allTraffic()] });
    new DenyFlow(seg, 'NoSsh', { from: a, to: a, ports: [Port.tcp(22)] });
    const s = summaryOf(compile(seg));
    expect(s).toMatchObject({ workloads: 1, allowedPairs: 0, totalPairs: 0, allowedPairRatio: 0, internetExposed: [], warnings: 2 });
    expect(SegmentationAnalysis.of(seg).formatSummary()).toContain('internet-exposed workloads none');
  });

  it('classifies internet CIDRs', () => {
    expect(isInternetCidr('0.0.0.0/0')).toBe(true);
    expect(isInternetCidr('203.0.113.0/24')).toBe(true);
    expect(isInternetCidr('::/0')).toBe(true);
    expect(isInternetCidr('10.0.0.0/8')).toBe(false);
    expect(isInternetCidr('172.20.0.0/16')).toBe(false);
    expect(isInternetCidr('100.64.1.0/24')).toBe(false);
    expect(isInternetCidr('fd00::/8')).toBe(false);
    expect(isInternetCidr('${Token[TOKEN.1]}')).toBe(true);
  });
});

describe('SegmentationAnalysis', () => {
  it('reports MONITOR zones in the summary and its text', () => {
    const seg = Segmentation.root('Mon', { mode: EnforcementMode.MONITOR });
    const a = seg.addZone('A').addWorkload('X');
    const b = seg.addZone('B', { mode: EnforcementMode.ENFORCE }).addWorkload('Y');
    a.allowTo(b, Port.tcp(1));
    const analysis = SegmentationAnalysis.of(seg);
    expect(analysis.summary()).toMatchObject({ mode: EnforcementMode.MONITOR, monitorZones: ['a'] });
    expect(analysis.formatSummary()).toContain('\n  MONITOR zones (everything passes, figures show enforcement) 1: a\n');
  });


  it('compiles with the given time, so expiry applies', () => {
    const { seg, a, b } = chain();
    new AllowFlow(seg, 'Temp', { from: a, to: b, ports: [Port.tcp(1)], expires: '2027-01-31' });
    expect(() => SegmentationAnalysis.of(seg, { now: new Date('2027-02-01T00:00:00Z') })).toThrow(/microseg:ExpiredFlow\] at Chain\/Temp/);
    expect(SegmentationAnalysis.of(seg, { now: new Date('2027-01-01T00:00:00Z') }).summary().warnings).toBe(0);
    expect(SegmentationAnalysis.of(seg, { now: new Date('2027-01-30T00:00:00Z') }).summary().warnings).toBe(1);
  });
});

import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AwsEvaluator } from '../support/aws-evaluator';
import { FlowSpec, ModelSpec, modelArb, workloadName } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';
import { App, Stack } from 'aws-cdk-lib';
import { Peer, Port, Segmentation, Workload } from '../../src';
import { AwsSegmentation } from '../../src/aws';
import { modelAllows } from '../../src/ir';
import { importedVpc, Rendered, renderSpec } from './helpers';

const PROPS = { maxRulesPerSecurityGroup: 200, maxNaclEntriesPerDirection: 40 };

function tryRender(spec: ModelSpec, seed: number): Rendered | string {
  try {
    return renderSpec(spec, { shuffleSeed: seed, nacls: true, props: PROPS });
  } catch (e) {
    const m = /microseg:(\w+)/.exec(String(e));
    expect(m?.[1]).toMatch(/ShadowedFlow|QuotaExceeded/);
    return m![1];
  }
}

/** A dependency cycle among the template's resources (Ref / Fn::GetAtt / DependsOn), if any. */
function dependencyCycle(template: any): string[] | undefined {
  const res = template.Resources as Record<string, any>;
  const deps = new Map<string, Set<string>>();
  const collect = (v: any, out: Set<string>) => {
    if (Array.isArray(v)) v.forEach(x => collect(x, out));
    else if (v && typeof v === 'object') {
      if (typeof v.Ref === 'string' && v.Ref in res) out.add(v.Ref);
      if (Array.isArray(v['Fn::GetAtt']) && v['Fn::GetAtt'][0] in res) out.add(v['Fn::GetAtt'][0]);
      Object.values(v).forEach(x => collect(x, out));
    }
  };
  for (const [id, r] of Object.entries(res)) {
    const out = new Set<string>();
    collect(r.Properties, out);
    for (const d of [].concat(r.DependsOn ?? [])) out.add(d);
    deps.set(id, out);
  }
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 2) return undefined;
    if (state.get(id) === 1) return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 1); stack.push(id);
    for (const d of deps.get(id) ?? []) { const c = visit(d); if (c) return c; }
    stack.pop(); state.set(id, 2);
    return undefined;
  };
  for (const id of deps.keys()) { const c = visit(id); if (c) return c; }
  return undefined;
}

describe('determinism', () => {
  it('the cycle check finds cycles', () => {
    expect(dependencyCycle({ Resources: { A: { Properties: { x: { Ref: 'B' } } }, B: { Properties: { y: [{ 'Fn::GetAtt': ['A', 'GroupId'] }] } } } })).toEqual(['A', 'B', 'A']);
    expect(dependencyCycle({ Resources: { A: { Properties: { x: { Ref: 'B' } } }, B: { Properties: {} } } })).toBeUndefined();
  });

  it('any declaration order gives a byte-identical, cycle-free template and manifest', () => {
    const t = checkUntil(fc.tuple(modelArb(), fc.integer({ min: 1, max: 1_000_000 })), ([spec, seed], tally) => {
      const a = tryRender(spec, 0);
      const b = tryRender(spec, seed);
      if (typeof a === 'string' || typeof b === 'string') {
        expect(b).toEqual(a);
        tally.refuse();
        return;
      }
      expect(JSON.stringify(b.template)).toBe(JSON.stringify(a.template));
      expect(dependencyCycle(a.template)).toBeUndefined();
      const manifest = (r: Rendered) => fs.readFileSync(path.join(r.app.outdir, 'seg.microseg.json'), 'utf8');
      expect(manifest(b)).toBe(manifest(a));
      tally.add('compared');
    }, { until: { compared: 13 }, batch: 5, maxRuns: 200 });
    expect(t.get('compared')).toBeGreaterThanOrEqual(13);
  });

  it('adding one flow changes only that flow\'s rules, on its two endpoints', () => {
    const arb = modelArb().chain(spec => {
      const wl = fc.integer({ min: 0, max: spec.zones.length - 1 }).chain(z => fc.integer({ min: 0, max: spec.zones[z].workloads.length - 1 }).map(w => ({ zone: z, workload: w })));
      return fc.tuple(fc.constant(spec), wl, wl);
    });
    const t = checkUntil(arb, ([spec, from, to], tally) => {
      const before = tryRender(spec, 0);
      const flow: FlowSpec = { from: { kind: 'workload', ...from }, to: { kind: 'workload', ...to }, ports: [{ kind: 'tcp', from: 7777, to: 7777 }] };
      const after = tryRender({ ...spec, flows: [...spec.flows, flow] }, 0);
      if (typeof before === 'string' || typeof after === 'string') { tally.refuse(); return; }
      const A = workloadName(from.zone, from.workload);
      const B = workloadName(to.zone, to.workload);
      const groupId = (r: Rendered, w: string) => r.stack.resolve(r.backend.securityGroupsFor(r.seg.findWorkload(w)!)[0].securityGroupId)['Fn::GetAtt'][0];
      const touched = new Set([groupId(before, A), groupId(before, B)]);
      const old = before.template.Resources;
      const neu = after.template.Resources;
      for (const [id, r] of Object.entries<any>(old)) {
        expect(neu[id], `${id} was removed`).toBeDefined();
        if (JSON.stringify(neu[id]) === JSON.stringify(r)) continue;
        expect(touched.has(id), `${id} changed but is not an endpoint of the new flow`).toBe(true);
        // On the endpoints' groups, every old rule is still there, unchanged.
        for (const dir of ['SecurityGroupIngress', 'SecurityGroupEgress']) {
          const newRules = (neu[id].Properties[dir] ?? []).map((x: any) => JSON.stringify(x));
          for (const rule of r.Properties[dir] ?? []) {
            if (rule.CidrIp === '255.255.255.255/32') continue; // match-nothing goes once a real egress rule exists
            expect(newRules, `${id} lost ${JSON.stringify(rule)}`).toContain(JSON.stringify(rule));
          }
        }
        const { SecurityGroupIngress: _i, SecurityGroupEgress: _e, ...restOld } = r.Properties;
        const { SecurityGroupIngress: _i2, SecurityGroupEgress: _e2, ...restNew } = neu[id].Properties;
        expect(restNew).toEqual(restOld);
      }
      for (const id of Object.keys(neu).filter(x => !(x in old))) {
        expect(neu[id].Type).toMatch(/^AWS::EC2::(SecurityGroupIngress|NetworkAclEntry)$/);
      }
      // And the new flow works.
      const ev = new AwsEvaluator(after.template, after.backend, after.backend._policy!);
      const p = { source: { workload: A }, destination: { workload: B }, protocol: 'tcp' as const, port: 7777 };
      expect(ev.allows(p)).toBe(modelAllows(after.backend._policy!, p));
      tally.add('compared');
    }, { until: { compared: 9 }, batch: 5, maxRuns: 200 });
    expect(t.get('compared')).toBeGreaterThanOrEqual(9);
  });

  it('adding a flow between a workload and a Peer outside the model changes only that workload\'s group', () => {
    const arb = modelArb().chain(spec => {
      const wl = fc.integer({ min: 0, max: spec.zones.length - 1 }).chain(z => fc.integer({ min: 0, max: spec.zones[z].workloads.length - 1 }).map(w => ({ zone: z, workload: w })));
      return fc.tuple(fc.constant(spec), wl, fc.boolean(), fc.constantFrom('203.0.113.0/24', '198.51.100.0/24', '192.0.2.0/25'));
    });
    const t = checkUntil(arb, ([spec, end, inbound, cidr], tally) => {
      const before = tryRender(spec, 0);
      const peer = { kind: 'peer' as const, cidr };
      const wl = { kind: 'workload' as const, ...end };
      const flow: FlowSpec = { from: inbound ? peer : wl, to: inbound ? wl : peer, ports: [{ kind: 'tcp', from: 7777, to: 7777 }] };
      const after = tryRender({ ...spec, flows: [...spec.flows, flow] }, 0);
      if (typeof before === 'string' || typeof after === 'string') { tally.refuse(); return; }
      const W = workloadName(end.zone, end.workload);
      const own = before.stack.resolve(before.backend.securityGroupsFor(before.seg.findWorkload(W)!)[0].securityGroupId)['Fn::GetAtt'][0];
      const old = before.template.Resources;
      const neu = after.template.Resources;
      for (const [id, r] of Object.entries<any>(old)) {
        expect(neu[id], `${id} was removed`).toBeDefined();
        if (JSON.stringify(neu[id]) === JSON.stringify(r)) continue;
        if (r.Type === 'AWS::EC2::NetworkAcl') continue; // its entries are separate resources
        expect(id, `${id} changed but is not the flow's workload`).toBe(own);
        for (const dir of ['SecurityGroupIngress', 'SecurityGroupEgress']) {
          const newRules = (neu[id].Properties[dir] ?? []).map((x: any) => JSON.stringify(x));
          for (const rule of r.Properties[dir] ?? []) {
            if (rule.CidrIp === '255.255.255.255/32') continue;
            expect(newRules, `${id} lost ${JSON.stringify(rule)}`).toContain(JSON.stringify(rule));
          }
        }
      }
      tally.add('compared');
    }, { until: { compared: 9 }, batch: 5, maxRuns: 200 });
    expect(t.get('compared')).toBeGreaterThanOrEqual(9);
  });
});

describe('first exposure (the one documented exception to "one added flow changes only its own rules")', () => {
  // Zones A 10.1.0.0/24 and B 10.1.1.0/24 form one egress block (10.1.0.0/23); S1 calls A1, B1, B2
  // on tcp 80; S2 calls a private Peer range that covers them. Steps add Peer flows.
  function build(steps: ((m: { b1: Workload; b2: Workload }) => void)[]) {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const a = seg.addZone('A', { cidrs: ['10.1.0.0/24'] });
    const b = seg.addZone('B', { cidrs: ['10.1.1.0/24'] });
    const c = seg.addZone('C', { cidrs: ['10.2.0.0/16'] });
    const a1 = a.addWorkload('A1'); const b1 = b.addWorkload('B1'); const b2 = b.addWorkload('B2');
    const s1 = c.addWorkload('S1'); const s2 = c.addWorkload('S2');
    for (const w of [a1, b1, b2]) w.allowFrom(s1, Port.tcp(80));
    s2.allowTo(Peer.ipv4('10.0.0.0/8'), Port.tcp(9000));
    for (const step of steps) step({ b1, b2 });
    const backend = new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
    const template = app.synth().getStackByName('S').template;
    return { template, backend, policy: backend._policy! };
  }
  const changed = (before: any, after: any) => Object.keys(after.Resources).filter(id => JSON.stringify(before.Resources[id]) !== JSON.stringify(after.Resources[id])).sort();
  const egress = (t: any, id: string) => (t.Resources[id].Properties.SecurityGroupEgress as any[]).map(r => `${r.CidrIp ?? r.DestinationSecurityGroupId['Fn::GetAtt'][0]} ${r.IpProtocol} ${r.FromPort ?? ''}-${r.ToPort ?? ''}`);
  const internet = ({ b1 }: { b1: Workload }) => b1.allowFrom(Peer.anyIpv4(), Port.tcp(443));

  it('the first Peer flow that exposes a zone rewrites the egress of the sources that reach that zone (and its block), nothing else; exact before and after', () => {
    const before = build([]);
    const after = build([internet]);
    const id = (t: any, prefix: string) => Object.keys(t.Resources).find(k => k.startsWith(prefix))!;
    const [B1, S1, S2] = ['SegB1Sg', 'SegS1Sg', 'SegS2Sg'].map(p => id(after.template, p));
    // the flow's own workload, the source that reaches zone B, the source whose Peer range covers zone B
    expect(changed(before.template, after.template)).toEqual([B1, S1, S2].sort());
    expect(egress(before.template, S1)).toEqual(['10.1.0.0/23 -1 -']);
    // zone A keeps its range, B's members are named by their source groups: B1's flow ports, all traffic to its zone mate
    expect(egress(after.template, S1)).toEqual(['10.1.0.0/24 -1 -', `${id(after.template, 'SegSrcB1Sg')} tcp 80-80`, `${id(after.template, 'SegSrcB2Sg')} -1 -`]);
    // the private Peer range leaves zone B out (16 pieces of 10.0.0.0/8)
    expect(egress(before.template, S2)).toEqual(['10.0.0.0/8 tcp 9000-9000']);
    expect(egress(after.template, S2)).toHaveLength(16);
    expect(egress(after.template, S2).some(r => r.startsWith('10.1.1.'))).toBe(false);
    // exact both times
    for (const r of [before, after]) {
      const ev = new AwsEvaluator(r.template, r.backend, r.policy);
      for (const [s, d, port] of [['s1', 'b1', 443], ['s1', 'b1', 80], ['s1', 'b2', 443], ['s2', 'b1', 443], ['s2', 'b1', 9000], ['s1', 'a1', 80], ['s1', 'a1', 443]] as const) {
        const p = { source: { workload: s }, destination: { workload: d }, protocol: 'tcp' as const, port };
        expect(ev.allows(p), JSON.stringify(p)).toBe(modelAllows(r.policy, p));
      }
    }
  });

  it('after it, a Peer flow towards an exposed workload changes only that workload\'s group; one that exposes a zone mate narrows the egress towards that mate only', () => {
    const exposed = build([internet]);
    const again = build([internet, ({ b1 }) => b1.allowFrom(Peer.ipv4('203.0.113.0/24'), Port.tcp(22))]);
    const B1 = Object.keys(again.template.Resources).find(k => k.startsWith('SegB1Sg'))!;
    expect(changed(exposed.template, again.template)).toEqual([B1]);
    const mate = build([internet, ({ b2 }) => b2.allowFrom(Peer.anyIpv4(), Port.tcp(8443))]);
    const [B2, S1] = ['SegB2Sg', 'SegS1Sg'].map(p => Object.keys(mate.template.Resources).find(k => k.startsWith(p))!);
    expect(changed(exposed.template, mate.template)).toEqual([B2, S1].sort());
    const src = (p: string) => Object.keys(mate.template.Resources).find(k => k.startsWith(p))!;
    expect(egress(mate.template, S1)).toEqual(['10.1.0.0/24 -1 -', `${src('SegSrcB1Sg')} tcp 80-80`, `${src('SegSrcB2Sg')} tcp 80-80`]);
  });
});

import * as fs from 'fs';
import * as path from 'path';
import { CfnOutput, NestedStack, Stack } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Port, Segmentation } from '../../src';
import { AwsSegmentation, AwsSharding } from '../../src/aws';
import { planAws } from '../../src/aws/plan';
import { IDS_PER_OUTPUT } from '../../src/aws/shard';
import { compile, modelAllows, placeRules } from '../../src/ir';
import { AwsEvaluator } from '../support/aws-evaluator';
import { FlowSpec, ModelSpec, modelArb, packetArb, workloadName } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';
import { importedVpc, Rendered, renderSpec, subnetFor } from './helpers';

const PROPS = { maxRulesPerSecurityGroup: 200, maxNaclEntriesPerDirection: 40 };
const LIMITS = { resources: 500, parameters: 200, outputs: 200, bytes: 1_048_576 };

/** Every template of the rendering: the parent and each nested stack (by the nested stack's construct id). */
function templates(r: Rendered): Map<string, { json: any; text: string }> {
  const out = new Map<string, { json: any; text: string }>();
  const parentFile = path.join(r.app.outdir, `${r.stack.artifactId}.template.json`);
  out.set('(parent)', { json: r.template, text: fs.readFileSync(parentFile, 'utf8') });
  for (const ns of r.backend.node.children.filter((c): c is NestedStack => NestedStack.isNestedStack(c))) {
    const text = fs.readFileSync(path.join(r.app.outdir, ns.templateFile), 'utf8');
    out.set(ns.node.id, { json: JSON.parse(text), text });
  }
  return out;
}

/** Dependencies between the nested stacks (through the parameters the parent passes), checked acyclic. */
function stackCycle(parent: any): string[] | undefined {
  const res = parent.Resources as Record<string, any>;
  const stacks = Object.keys(res).filter(k => res[k].Type === 'AWS::CloudFormation::Stack');
  const deps = new Map<string, string[]>();
  for (const s of stacks) {
    const found: string[] = [];
    const walk = (v: any) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        if (Array.isArray(v['Fn::GetAtt']) && stacks.includes(v['Fn::GetAtt'][0])) found.push(v['Fn::GetAtt'][0]);
        if (typeof v.Ref === 'string' && stacks.includes(v.Ref)) found.push(v.Ref);
        Object.values(v).forEach(walk);
      }
    };
    walk(res[s].Properties?.Parameters ?? {});
    deps.set(s, found);
  }
  const state = new Map<string, number>();
  const trail: string[] = [];
  const visit = (s: string): string[] | undefined => {
    if (state.get(s) === 2) return undefined;
    if (state.get(s) === 1) return [...trail.slice(trail.indexOf(s)), s];
    state.set(s, 1); trail.push(s);
    for (const d of deps.get(s)!) { const c = visit(d); if (c) return c; }
    trail.pop(); state.set(s, 2);
    return undefined;
  };
  for (const s of stacks) { const c = visit(s); if (c) return c; }
  return undefined;
}

function tryRender(spec: ModelSpec, props: object, shuffleSeed = 0): Rendered | string {
  try {
    return renderSpec(spec, { shuffleSeed, nacls: true, props: { ...PROPS, ...props } });
  } catch (e) {
    const m = /microseg:(\w+)/.exec(String(e));
    expect(m?.[1]).toMatch(/ShadowedFlow|QuotaExceeded/);
    return m![1];
  }
}

describe('sharding (nested stacks)', () => {
  it('the evaluator follows nested stacks and agrees with the model; every stack within limits, no cycle', () => {
    const arb = modelArb().chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: 25, maxLength: 25 }), fc.constantFrom(
      { sharding: AwsSharding.ALWAYS },
      // Small stacks: zones split into parts (network ACLs need their worst case: 1 + 4 x 40 + 4 + 1).
      { sharding: AwsSharding.ALWAYS, maxResourcesPerStack: 168 },
      // One stack, egress naming the flows' ports, generated descriptions.
      { sharding: AwsSharding.NONE, exactEgressPorts: true, generatedRuleDescriptions: true },
    ) as fc.Arbitrary<{ sharding: AwsSharding; maxResourcesPerStack?: number; exactEgressPorts?: boolean }>));
    const t = checkUntil(arb, ([spec, packets, props], tally) => {
      const r = tryRender(spec, props);
      if (typeof r === 'string') { tally.refuse(); return; }
      tally.add('models');
      const all = templates(r);
      expect(all.size > 1).toBe(props.sharding === AwsSharding.ALWAYS);
      for (const [id, t] of all) {
        expect(Object.keys(t.json.Resources ?? {}).length, id).toBeLessThanOrEqual(props.maxResourcesPerStack ?? LIMITS.resources);
        expect(Object.keys(t.json.Parameters ?? {}).length, id).toBeLessThanOrEqual(LIMITS.parameters);
        expect(Object.keys(t.json.Outputs ?? {}).length, id).toBeLessThanOrEqual(LIMITS.outputs);
        expect(t.text.length, id).toBeLessThanOrEqual(LIMITS.bytes);
        expect(Object.values<any>(t.json.Resources ?? {}).some(x => /SecurityGroup(Ingress|Egress)$/.test(x.Type)), id).toBe(false);
      }
      if ([...all.keys()].some(k => /Part\d/.test(k))) tally.add('split');
      expect(stackCycle(r.template)).toBeUndefined();
      const policy = r.backend._policy!;
      const ev = new AwsEvaluator(r.template, r.backend, policy, r.app.outdir);
      for (const p of packets) {
        expect(ev.allows(p), JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(modelAllows(policy, p));
        tally.add('packets');
      }
    }, { until: { models: 21, packets: 501, split: 1 }, batch: 10, maxRuns: 600 });
    expect(t.get('models')).toBeGreaterThan(20);
    expect(t.get('packets')).toBeGreaterThan(500);
    expect(t.get('split')).toBeGreaterThan(0);
  }, 300_000);

  it('any declaration order gives byte-identical templates of every stack', () => {
    const t = checkUntil(fc.tuple(modelArb(), fc.integer({ min: 1, max: 1_000_000 })), ([spec, seed], tally) => {
      const a = tryRender(spec, { sharding: AwsSharding.ALWAYS }, 0);
      const b = tryRender(spec, { sharding: AwsSharding.ALWAYS }, seed);
      if (typeof a === 'string' || typeof b === 'string') { expect(b).toEqual(a); tally.refuse(); return; }
      const ta = templates(a); const tb = templates(b);
      expect([...tb.keys()]).toEqual([...ta.keys()]);
      for (const [id, x] of ta) expect(tb.get(id)!.text, id).toBe(x.text);
      tally.add('compared');
    }, { until: { compared: 6 }, batch: 4, maxRuns: 120 });
    expect(t.get('compared')).toBeGreaterThan(5);
  }, 300_000);

  it('adding one flow changes only its own rules; no resource moves between stacks', () => {
    const arb = modelArb().chain(spec => {
      const wl = fc.integer({ min: 0, max: spec.zones.length - 1 }).chain(z => fc.integer({ min: 0, max: spec.zones[z].workloads.length - 1 }).map(w => ({ zone: z, workload: w })));
      return fc.tuple(fc.constant(spec), wl, wl);
    });
    const t = checkUntil(arb, ([spec, from, to], tally) => {
      const props = { sharding: AwsSharding.ALWAYS };
      const before = tryRender(spec, props);
      const flow: FlowSpec = { from: { kind: 'workload', ...from }, to: { kind: 'workload', ...to }, ports: [{ kind: 'tcp', from: 7777, to: 7777 }] };
      const after = tryRender({ ...spec, flows: [...spec.flows, flow] }, props);
      if (typeof before === 'string' || typeof after === 'string') { tally.refuse(); return; }
      const where = (r: Rendered) => {
        const m = new Map<string, { stack: string; json: any }>();
        for (const [stack, t] of templates(r)) for (const [id, res] of Object.entries<any>(t.json.Resources ?? {})) if (stack !== '(parent)') m.set(id, { stack, json: res });
        return m;
      };
      const old = where(before); const neu = where(after);
      const groupId = (r: Rendered, w: string) => r.stack.resolve(r.backend.securityGroupsFor(r.seg.findWorkload(w)!)[0].securityGroupId)['Fn::GetAtt'][0];
      const touched = new Set([groupId(before, workloadName(to.zone, to.workload)), groupId(before, workloadName(from.zone, from.workload))]);
      for (const [id, o] of old) {
        const n = neu.get(id);
        expect(n, `${id} was removed`).toBeDefined();
        expect(n!.stack, `${id} moved`).toBe(o.stack);
        if (JSON.stringify(n!.json) === JSON.stringify(o.json)) continue;
        expect(touched.has(id), `${id} changed but is not an endpoint of the new flow`).toBe(true);
        for (const dir of ['SecurityGroupIngress', 'SecurityGroupEgress']) {
          const now = (n!.json.Properties[dir] ?? []).map((x: any) => JSON.stringify(x));
          for (const rule of o.json.Properties[dir] ?? []) {
            if (rule.CidrIp === '255.255.255.255/32') continue;
            expect(now, `${id} lost ${JSON.stringify(rule)}`).toContain(JSON.stringify(rule));
          }
        }
      }
      for (const id of [...neu.keys()].filter(x => !old.has(x))) expect(neu.get(id)!.json.Type).toBe('AWS::EC2::NetworkAclEntry');
      tally.add('compared');
    }, { until: { compared: 6 }, batch: 4, maxRuns: 120 });
    expect(t.get('compared')).toBeGreaterThan(5);
  }, 300_000);

  it('packs cross-stack group ids: a stack referencing hundreds of groups needs a few parameters', () => {
    const seg = Segmentation.root('Big');
    const callers = seg.addZone('Callers', { cidrs: ['10.1.0.0/16'] });
    const sinks = seg.addZone('Sinks', { cidrs: ['10.2.0.0/16'] });
    const sink = sinks.addWorkload('Sink');
    const back = sinks.addWorkload('Back');
    for (let i = 0; i < 400; i++) {
      const w = callers.addWorkload(`C${i}`);
      sink.allowFrom(w, Port.tcp(443)); // forward: own groups, in Callers' rules stack(s)
      w.allowFrom(back, Port.tcp(9000)); // back edge: src.back
      back.allowFrom(w, Port.tcp(8000 + (i % 50)));
    }
    const policy = compile(seg);
    const p = planAws(policy, placeRules(policy, undefined, 'B'), { backendPath: 'B', sharding: 'always', quotas: { rulesPerSecurityGroup: 1000, securityGroupsPerInterface: 5, naclEntriesPerDirection: 20, resourcesPerStack: 500 } });
    const shards = p.shards!;
    expect(shards.map(s => s.id)).toEqual([
      expect.stringMatching(/^SourcesCallers[0-9A-F]{4}$/), expect.stringMatching(/^RulesCallers[0-9A-F]{4}$/),
      expect.stringMatching(/^SourcesSinks[0-9A-F]{4}$/), expect.stringMatching(/^RulesSinks[0-9A-F]{4}$/),
    ]);
    const rulesSinks = shards[3];
    // 400 caller groups referenced, in 3 packed outputs of the Callers rules stack (+ the sources stacks).
    expect(shards[1].outputs.map(o => o.length)).toEqual([150, 150, 100]);
    expect(rulesSinks.imports.filter(i => i.stack === shards[1].id).map(i => i.output)).toEqual([0, 1, 2]);
    expect(rulesSinks.parameters).toBeLessThanOrEqual(10);
    // A parameter value: 150 ids of 20 characters plus commas, far below 4,096 bytes.
    expect(IDS_PER_OUTPUT * 21 - 1).toBeLessThan(4096);
    for (const s of shards) {
      expect(s.resources).toBeLessThanOrEqual(500);
      expect(s.outputs.length).toBeLessThanOrEqual(200);
      expect(s.parameters).toBeLessThanOrEqual(200);
    }
  });

  it('renders the packed wiring: CommaDelimitedList parameters fed by the producer\'s outputs, Fn::Select in rules', () => {
    const seg = Segmentation.root('Shop');
    const web = seg.addZone('Web', { cidrs: ['10.1.0.0/16'] }).addWorkload('Fe');
    const app = seg.addZone('App', { cidrs: ['10.2.0.0/16'] }).addWorkload('Api');
    app.allowFrom(web, Port.tcp(8080));
    web.allowFrom(app, Port.tcp(9000));
    const stack = new Stack(undefined, 'S');
    const b = new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), sharding: AwsSharding.ALWAYS });
    // A consumer in the parent (an instance, an output) gets a group id through CDK's own nested-stack wiring.
    new CfnOutput(stack, 'ApiGroup', { value: b.securityGroupsFor(seg.findWorkload('api')!)[0].securityGroupId });
    const asm = (stack.node.root as any).synth();
    const parent = asm.getStackByName('S').template;
    expect(parent.Outputs.ApiGroup.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/RulesApp/), expect.stringMatching(/^Outputs\./)] });
    const nested = b.node.children.filter((c): c is NestedStack => NestedStack.isNestedStack(c));
    expect(nested.map(n => n.node.id)).toEqual([expect.stringMatching(/^SourcesWeb/), expect.stringMatching(/^RulesWeb/), expect.stringMatching(/^SourcesApp/), expect.stringMatching(/^RulesApp/)]);
    const read = (n: NestedStack) => JSON.parse(fs.readFileSync(path.join(asm.directory, n.templateFile), 'utf8'));
    const rulesApp = read(nested[3]);
    const param = Object.entries<any>(rulesApp.Parameters).find(([k]) => k.startsWith('IdsRulesWeb'))!;
    expect(param[1].Type).toBe('CommaDelimitedList');
    const api = Object.values<any>(rulesApp.Resources).find(r => r.Type === 'AWS::EC2::SecurityGroup')!;
    expect(api.Properties.SecurityGroupIngress[0].SourceSecurityGroupId).toEqual({ 'Fn::Select': [0, { Ref: param[0] }] });
    const rulesAppResource = parent.Resources[stack.getLogicalId(nested[3].nestedStackResource!)];
    expect(rulesAppResource.Properties.Parameters[param[0]]).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(nested[1].nestedStackResource!), 'Outputs.GroupIds0'] });
    // One group: CDK renders the Fn::Join of one id as the id itself.
    expect(read(nested[1]).Outputs.GroupIds0.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ShopFeSg/), 'GroupId'] });
    expect(read(nested[0]).Outputs.GroupIds0.Value).toEqual({ 'Fn::Join': [',', [{ 'Fn::GetAtt': [expect.stringMatching(/^ShopZoneWebSg/), 'GroupId'] }, { 'Fn::GetAtt': [expect.stringMatching(/^ShopSrcFeSg/), 'GroupId'] }]] });
    // The manifest records each group's (nested) stack.
    const m = JSON.parse(fs.readFileSync(path.join(asm.directory, 'shop.microseg.json'), 'utf8')).clouds.aws;
    expect(m.containers['sg:api']).toMatchObject({ stackName: 'S', nestedStack: nested[3].node.id, nestedStackLogicalId: stack.getLogicalId(nested[3].nestedStackResource!) });
    expect(m.containers['sg:src.fe']).toMatchObject({ nestedStack: nested[0].node.id, groupKind: 'source' });
    expect(m.identities.api).toMatchObject({ nestedStack: nested[3].node.id, securityGroupNames: 'api,zone.app,src.api' });
  });

  it('NONE keeps one stack and fails with QuotaExceeded when it does not fit; AUTO shards the same model', () => {
    const build = (sharding: AwsSharding) => {
      const stack = new Stack(undefined, 'S');
      const seg = new Segmentation(stack, 'Seg');
      const z = seg.addZone('Z', { cidrs: ['10.1.0.0/16'] });
      for (let i = 0; i < 15; i++) z.addWorkload(`W${i}`);
      new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), maxResourcesPerStack: 25, sharding });
      return stack;
    };
    expect(() => (build(AwsSharding.NONE).node.root as any).synth()).toThrow(/microseg:QuotaExceeded.*31 resources \(31 from microseg\), more than the limit of 25/);
    const stack = build(AwsSharding.AUTO);
    (stack.node.root as any).synth();
    const ids = stack.node.findChild('Aws').node.children.filter(c => NestedStack.isNestedStack(c)).map(c => c.node.id);
    expect(ids).toEqual([expect.stringMatching(/^SourcesZ[0-9A-F]{4}$/), expect.stringMatching(/^RulesZ[0-9A-F]{4}$/)]);
  });
});

describe('sharding edge cases', () => {
  it('a zone with subnets but no workloads keeps its network ACL in its rules stack', () => {
    const stack = new Stack(undefined, 'S');
    const seg = new Segmentation(stack, 'Seg');
    seg.addZone('Empty', { cidrs: ['10.9.0.0/16'] });
    seg.addZone('Z', { cidrs: ['10.1.0.0/16'] }).addWorkload('W');
    const b = new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), sharding: AwsSharding.ALWAYS, subnets: { empty: subnetFor(stack, 'empty') } });
    (stack.node.root as any).synth();
    const shard = b._plan!.shards!.find(s => s.nacls.includes('empty'))!;
    expect(shard).toMatchObject({ layer: 'rules', zone: 'empty', groups: [] });
    const ns = b.node.findChild(shard.id) as NestedStack;
    expect(ns.node.findAll().some(c => c.node.id === 'nacl-empty')).toBe(true);
  });
});

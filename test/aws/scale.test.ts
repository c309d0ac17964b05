/**
 * The bench's reference models (docs/architecture.md, performance targets): M fits ONE stack within every quota, L
 * shards into nested stacks within every limit (plan level: fast), and on M's real template the
 * evaluator agrees with the model on a sample of pairs. Timing is measured by `npm run bench`.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { buildSegmentation, generateTopology } from '../../bench/models';
import { AwsSegmentation } from '../../src/aws';
import { AwsPlan, DEFAULT_QUOTAS, planAws } from '../../src/aws/plan';
import { compile, modelAllows, Packet, placeRules } from '../../src/ir';
import { AwsEvaluator } from '../support/aws-evaluator';

function planOf(size: 'M' | 'L', layout: 'contiguous' | 'scattered' = 'contiguous'): AwsPlan {
  const topo = generateTopology(size, undefined, layout);
  const { seg } = buildSegmentation(undefined, topo);
  const policy = compile(seg);
  return planAws(policy, placeRules(policy, undefined, 'B'), { backendPath: 'B', vpcCidr: topo.vpcCidr });
}

function maxRules(p: AwsPlan): number {
  return Math.max(...p.groups.map(g => Math.max(g.ingress.length, g.egress.length)));
}

describe('reference models', () => {
  it('M: one stack, within every quota, no separate rule resource', () => {
    const p = planOf('M');
    expect(p.shards).toBeUndefined();
    expect(p.resourceCount).toBeLessThanOrEqual(500);
    expect(p.templateBytes).toBeLessThanOrEqual(1_048_576);
    expect(maxRules(p)).toBeLessThanOrEqual(DEFAULT_QUOTAS.rulesPerSecurityGroup);
    expect(Math.max(...Object.values(p.groupsOf).map(g => g.length))).toBe(3);
    // Zone flows to shared services are one reference to the zone group each.
    expect(p.groups.some(g => g.ingress.some(r => r.peer.kind === 'sg' && r.peer.group.startsWith('zone.')))).toBe(true);
  });

  it('L: nested stacks, each within every limit', () => {
    const p = planOf('L');
    const shards = p.shards!;
    expect(shards.length).toBe(100); // a sources and a rules stack per zone
    expect(shards.length).toBeLessThanOrEqual(500); // the parent's resources
    for (const s of shards) {
      expect(s.resources, s.id).toBeLessThanOrEqual(500);
      expect(s.parameters, s.id).toBeLessThanOrEqual(200);
      expect(s.outputs.length, s.id).toBeLessThanOrEqual(200);
      expect(s.templateBytes, s.id).toBeLessThanOrEqual(1_048_576);
    }
    expect(maxRules(p)).toBeLessThanOrEqual(DEFAULT_QUOTAS.rulesPerSecurityGroup);
  });

  it('scattered zones (one /24 per zone per AZ): M in one stack and L sharded, within every quota', () => {
    const m = planOf('M', 'scattered');
    expect(m.shards).toBeUndefined();
    expect(m.resourceCount).toBeLessThanOrEqual(500);
    expect(m.templateBytes).toBeLessThanOrEqual(1_048_576);
    expect(maxRules(m)).toBeLessThanOrEqual(DEFAULT_QUOTAS.rulesPerSecurityGroup);
    const l = planOf('L', 'scattered');
    for (const s of l.shards!) {
      expect(s.resources, s.id).toBeLessThanOrEqual(500);
      expect(s.parameters, s.id).toBeLessThanOrEqual(200);
      expect(s.templateBytes, s.id).toBeLessThanOrEqual(1_048_576);
    }
    expect(maxRules(l)).toBeLessThanOrEqual(DEFAULT_QUOTAS.rulesPerSecurityGroup);
    // The monitoring server scrapes 35 zones of three scattered /24s each (105 ranges): its
    // zone-wide egress names the blocks that hold them, a handful of rules.
    const mon = l.groups.find(g => g.kind === 'workload' && /-mon-/.test(g.name) && g.egress.length > 1)!;
    expect(mon.egress.length).toBeLessThanOrEqual(20);
    expect(mon.egress.every(r => r.protocol === 'all' && r.peer.kind === 'cidr')).toBe(true);
  });

  it('M: the evaluator on the real template agrees with the model on a sample of pairs', () => {
    process.env.CDK_VALIDATION = 'false';
    const topo = generateTopology('M');
    const app = new App();
    const stack = new Stack(app, 'Bench');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d4e5f60718', vpcCidrBlock: topo.vpcCidr, availabilityZones: ['us-east-1a'] });
    const model = buildSegmentation(stack, topo);
    const backend = new AwsSegmentation(stack, 'Aws', { segmentation: model.seg, vpc });
    const template = app.synth().getStackByName('Bench').template;
    const policy = backend._policy!;
    const ev = new AwsEvaluator(template, backend, policy, app.outdir);
    // Every declared workload pair on its first port, plus shifted (mostly forbidden) pairs and ports.
    const names = policy.workloads.map(w => w.name);
    let allowed = 0; let checked = 0;
    for (const [i, r] of policy.rules.entries()) {
      if (i % 3 !== 0 || r.source.kind !== 'workload' || r.destination.kind !== 'workload' || r.service.protocol === 'icmp' || r.service.protocol === 'all') continue;
      const other = names[(names.indexOf(r.source.workload) + 7) % names.length];
      for (const p of [
        { source: { workload: r.source.workload }, destination: { workload: r.destination.workload }, protocol: r.service.protocol, port: r.service.from },
        { source: { workload: other }, destination: { workload: r.destination.workload }, protocol: r.service.protocol, port: r.service.from },
        { source: { workload: r.source.workload }, destination: { workload: r.destination.workload }, protocol: r.service.protocol, port: 22 },
      ] as Packet[]) {
        const want = modelAllows(policy, p);
        expect(ev.allows(p), JSON.stringify(p)).toBe(want);
        if (want) allowed++;
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2000);
    expect(allowed).toBeGreaterThan(checked / 3);
  }, 300_000);
});

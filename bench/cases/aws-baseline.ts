/**
 * Baseline: the same topology written by hand with aws-cdk-lib. One `ec2.SecurityGroup` per
 * workload (`allowAllOutbound: false`) in one Stack with an imported VPC, and
 * `dst.connections.allowFrom(src, port)` per flow and port; zone and selector ends are expanded
 * to each member, as a hand-writer would. CDK's 500-resource check is lifted so it synthesizes.
 */
import { analyzeAssembly } from '../lib/aws-metrics';
import { LIFT_RESOURCE_LIMIT, makeAwsApp, toEc2Port } from '../lib/aws-app';
import { CaseContext } from '../lib/harness';
import { expandFlows, generateTopology } from '../models';

export async function run(ctx: CaseContext) {
  const cdk = await ctx.time('import', () => import('aws-cdk-lib'));
  const ec2 = await ctx.time('import', () => import('aws-cdk-lib/aws-ec2'));
  const topo = generateTopology(ctx.size, ctx.seed);
  const pairs = expandFlows(topo);
  ctx.startOfMeasurement();

  const app = await ctx.time('build', () => {
    const { app: a, stack, vpc } = makeAwsApp(cdk, ec2, ctx.outdir, 'Baseline', topo.vpcCidr, LIFT_RESOURCE_LIMIT);
    const sgs = new Map<string, InstanceType<typeof ec2.SecurityGroup>>();
    for (const w of topo.workloads) {
      sgs.set(w.name, new ec2.SecurityGroup(stack, w.name, { vpc, allowAllOutbound: false, description: `workload ${w.name}` }));
    }
    for (const e of pairs) {
      const dst = sgs.get(e.to)!;
      const peer = 'workload' in e.from ? sgs.get(e.from.workload)! : (e.from.family === 'ipv4' ? ec2.Peer.ipv4(e.from.cidr) : ec2.Peer.ipv6(e.from.cidr));
      for (const p of e.ports) dst.connections.allowFrom(peer, toEc2Port(ec2, p));
    }
    return a;
  });
  await ctx.time('synth', () => app.synth());
  ctx.endOfMeasurement();

  const output = await ctx.time('analyze', () => analyzeAssembly(ctx.outdir), { measured: false });
  return { flows: topo.flows.length, expandedPairs: pairs.length, workloads: topo.workloads.length, sgsPerWorkloadMax: 1, output };
}

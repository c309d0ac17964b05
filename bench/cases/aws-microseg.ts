/**
 * microseg on AWS: the reference model rendered by `AwsSegmentation` in one CDK app (same App
 * options and imported VPC as the baseline), timed from model construction to the end of
 * `app.synth()`.
 */
import { analyzeAssembly } from '../lib/aws-metrics';
import { makeAwsApp } from '../lib/aws-app';
import { CaseContext, exportOrUnavailable, importOrUnavailable } from '../lib/harness';
import { buildSegmentation, generateTopology } from '../models';

export async function run(ctx: CaseContext) {
  const cdk = await ctx.time('import', () => import('aws-cdk-lib'));
  const ec2 = await ctx.time('import', () => import('aws-cdk-lib/aws-ec2'));
  const awsMod = await ctx.time('import', () => importOrUnavailable('../../src/aws', 'the AWS backend (src/aws)'));
  const AwsSegmentation = exportOrUnavailable<any>(awsMod, 'AwsSegmentation', 'src/aws');
  const layout = (ctx.params.options?.layout as 'contiguous' | 'scattered' | undefined) ?? 'contiguous';
  const topo = generateTopology(ctx.size, ctx.seed, layout);
  ctx.startOfMeasurement();

  const built = await ctx.time('build', () => {
    const { app, stack, vpc } = makeAwsApp(cdk, ec2, ctx.outdir, 'Microseg', topo.vpcCidr);
    const model = buildSegmentation(stack, topo);
    const backend = new AwsSegmentation(stack, 'Aws', { segmentation: model.seg, vpc });
    return { app, model, backend };
  });
  await ctx.time('synth', () => built.app.synth());
  ctx.endOfMeasurement();

  const output = await ctx.time('analyze', () => analyzeAssembly(ctx.outdir), { measured: false });
  let sgsPerWorkloadMax: number | string = 'unknown';
  if (typeof built.backend.securityGroupsFor === 'function') {
    try {
      sgsPerWorkloadMax = Math.max(...[...built.model.workloads.values()].map(w => built.backend.securityGroupsFor(w).length));
    } catch (e) {
      sgsPerWorkloadMax = `unknown (securityGroupsFor threw: ${String((e as Error).message).split('\n')[0].slice(0, 200)})`;
    }
  }
  return { layout, zoneRanges: topo.zones.reduce((n, z) => n + z.cidrs.length, 0), flows: topo.flows.length, workloads: topo.workloads.length, sgsPerWorkloadMax, output };
}

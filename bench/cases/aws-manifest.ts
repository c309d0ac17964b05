/**
 * Preparation for the audit figure (not a measurement): synthesizes the reference model with
 * `AwsSegmentation` (CDK's template validation off, it is not needed here) and leaves the
 * manifest `bench.microseg.json` in the output folder.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeAwsApp } from '../lib/aws-app';
import { CaseContext, exportOrUnavailable, importOrUnavailable } from '../lib/harness';
import { buildSegmentation, generateTopology } from '../models';

export async function run(ctx: CaseContext) {
  process.env.CDK_VALIDATION = 'false';
  const cdk = await import('aws-cdk-lib');
  const ec2 = await import('aws-cdk-lib/aws-ec2');
  const awsMod = await importOrUnavailable('../../src/aws', 'the AWS backend (src/aws)');
  const AwsSegmentation = exportOrUnavailable<any>(awsMod, 'AwsSegmentation', 'src/aws');
  const topo = generateTopology(ctx.size, ctx.seed);
  const { app, stack, vpc } = makeAwsApp(cdk, ec2, ctx.outdir, 'Microseg', topo.vpcCidr);
  const model = buildSegmentation(stack, topo);
  new AwsSegmentation(stack, 'Aws', { segmentation: model.seg, vpc });
  await ctx.time('synth', () => app.synth());
  const manifest = join(ctx.outdir, `${model.seg.name}.microseg.json`);
  if (!existsSync(manifest)) throw new Error(`the AWS backend wrote no manifest at ${manifest}`);
  return { manifest };
}

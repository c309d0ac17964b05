/**
 * Preparation for the audit figure (not a measurement): synthesizes the reference model with
 * `AwsSegmentation` (CDK's template validation off, it is not needed here) and leaves the
 * manifest `bench.microseg.json` in the output folder. When the backend refuses the model with
 * its default quotas (`microseg:QuotaExceeded`), it synthesizes again with the quotas raised to
 * AWS's hard maximum (1,000 rules per group, 1 group per interface; no resource cap) and says so:
 * the audit reads the expected state either way.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LIFT_RESOURCE_LIMIT, makeAwsApp } from '../lib/aws-app';
import { CaseContext, exportOrUnavailable, importOrUnavailable } from '../lib/harness';
import { buildSegmentation, generateTopology } from '../models';

export async function run(ctx: CaseContext) {
  process.env.CDK_VALIDATION = 'false';
  const cdk = await import('aws-cdk-lib');
  const ec2 = await import('aws-cdk-lib/aws-ec2');
  const awsMod = await importOrUnavailable('../../src/aws', 'the AWS backend (src/aws)');
  const AwsSegmentation = exportOrUnavailable<any>(awsMod, 'AwsSegmentation', 'src/aws');
  const topo = generateTopology(ctx.size, ctx.seed);
  const synth = async (extra: Record<string, unknown>) => {
    const { app, stack, vpc } = makeAwsApp(cdk, ec2, ctx.outdir, 'Microseg', topo.vpcCidr, LIFT_RESOURCE_LIMIT);
    const model = buildSegmentation(stack, topo);
    new AwsSegmentation(stack, 'Aws', { segmentation: model.seg, vpc, ...extra });
    await ctx.time('synth', () => app.synth());
    return join(ctx.outdir, `${model.seg.name}.microseg.json`);
  };
  let manifest: string;
  let note: string | undefined;
  try {
    manifest = await synth({});
  } catch (e) {
    if (!/microseg:QuotaExceeded/.test(String(e))) throw e;
    note = `default quotas refused the model (${String((e as Error).message).split('\n')[0]}); manifest synthesized with maxRulesPerSecurityGroup 1000, maxSecurityGroupsPerInterface 1, maxResourcesPerStack 100000`;
    manifest = await synth({ maxRulesPerSecurityGroup: 1000, maxSecurityGroupsPerInterface: 1, maxResourcesPerStack: 100_000 });
  }
  if (!existsSync(manifest)) throw new Error(`the AWS backend wrote no manifest at ${manifest}`);
  return { manifest, ...(note ? { note } : {}) };
}

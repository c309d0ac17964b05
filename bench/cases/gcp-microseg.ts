/**
 * microseg on GCP: the reference model rendered by `GcpSegmentation` (network tags) in a CDKTF
 * app (same app options and provider as the baseline), timed from model construction to the
 * end of `app.synth()`.
 */
import { CaseContext, exportOrUnavailable, importOrUnavailable } from '../lib/harness';
import { analyzeTerraform } from '../lib/tf-metrics';
import { GCP_NETWORK, GCP_PROJECT, makeTfApp, tfJsonFiles } from '../lib/tf-app';
import { buildSegmentation, generateTopology } from '../models';

export async function run(ctx: CaseContext) {
  const cdktf = await ctx.time('import', () => import('cdktf'));
  const { GoogleProvider } = await ctx.time('import', () => import('@cdktf/provider-google/lib/provider/index.js'));
  const mod = await ctx.time('import', () => importOrUnavailable('../../src/gcp', 'the GCP backend (src/gcp)'));
  const GcpSegmentation = exportOrUnavailable<any>(mod, 'GcpSegmentation', 'src/gcp');
  const topo = generateTopology(ctx.size, ctx.seed);
  ctx.startOfMeasurement();

  const app = await ctx.time('build', () => {
    const { app: a, stack } = makeTfApp(cdktf, ctx.outdir, 'microseg');
    new GoogleProvider(stack, 'google', { project: GCP_PROJECT, region: 'europe-west1' });
    const model = buildSegmentation(stack, topo);
    new GcpSegmentation(stack, 'Gcp', { segmentation: model.seg, network: GCP_NETWORK });
    return a;
  });
  await ctx.time('synth', () => app.synth());
  ctx.endOfMeasurement();

  const output = await ctx.time('analyze', () => analyzeTerraform(tfJsonFiles(ctx.outdir)), { measured: false });
  return { flows: topo.flows.length, workloads: topo.workloads.length, output };
}

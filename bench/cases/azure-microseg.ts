/**
 * microseg on Azure: the reference model rendered by `AzureSegmentation` in a CDKTF app (same
 * app options and provider as the baseline), timed from model construction to the end of
 * `app.synth()`. Option `nsgScope` (e.g. `WORKLOAD`) is passed to the backend.
 */
import { CaseContext, exportOrUnavailable, importOrUnavailable } from '../lib/harness';
import { analyzeTerraform } from '../lib/tf-metrics';
import { AZURE_LOCATION, AZURE_RG, makeTfApp, tfJsonFiles } from '../lib/tf-app';
import { buildSegmentation, generateTopology } from '../models';

export async function run(ctx: CaseContext) {
  const cdktf = await ctx.time('import', () => import('cdktf'));
  const { AzurermProvider } = await ctx.time('import', () => import('@cdktf/provider-azurerm/lib/provider/index.js'));
  const mod = await ctx.time('import', () => importOrUnavailable('../../src/azure', 'the Azure backend (src/azure)'));
  const AzureSegmentation = exportOrUnavailable<any>(mod, 'AzureSegmentation', 'src/azure');
  const topo = generateTopology(ctx.size, ctx.seed);
  ctx.startOfMeasurement();

  const app = await ctx.time('build', () => {
    const { app: a, stack } = makeTfApp(cdktf, ctx.outdir, 'microseg');
    new AzurermProvider(stack, 'azurerm', { features: [{}] });
    const model = buildSegmentation(stack, topo);
    const nsgScope = ctx.params.options?.nsgScope;
    new AzureSegmentation(stack, 'Azure', { segmentation: model.seg, resourceGroupName: AZURE_RG, location: AZURE_LOCATION, ...(nsgScope ? { nsgScope } : {}) });
    return a;
  });
  await ctx.time('synth', () => app.synth());
  ctx.endOfMeasurement();

  const output = await ctx.time('analyze', () => analyzeTerraform(tfJsonFiles(ctx.outdir)), { measured: false });
  return { flows: topo.flows.length, workloads: topo.workloads.length, output };
}

/**
 * microseg on Azure without cdktf: `AzureTerraform.write` renders the same resources as plain
 * Terraform JSON (for Terraform / OpenTofu users), timed from model construction to the file.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CaseContext, exportOrUnavailable, importOrUnavailable } from '../lib/harness';
import { analyzeTerraform } from '../lib/tf-metrics';
import { AZURE_LOCATION, AZURE_RG } from '../lib/tf-app';
import { buildSegmentation, generateTopology } from '../models';

export async function run(ctx: CaseContext) {
  const mod = await ctx.time('import', () => importOrUnavailable('../../src/azure', 'the Azure backend (src/azure)'));
  const AzureTerraform = exportOrUnavailable<any>(mod, 'AzureTerraform', 'src/azure');
  const topo = generateTopology(ctx.size, ctx.seed);
  rmSync(ctx.outdir, { recursive: true, force: true });
  ctx.startOfMeasurement();

  await ctx.time('build', () => buildSegmentation(undefined, topo));
  const model = buildSegmentation(undefined, topo, { id: 'Bench' });
  await ctx.time('synth', () => AzureTerraform.write(ctx.outdir, { segmentation: model.seg, resourceGroupName: AZURE_RG, location: AZURE_LOCATION }));
  ctx.endOfMeasurement();

  const files = readdirSync(ctx.outdir).filter(f => f.endsWith('.tf.json')).map(f => join(ctx.outdir, f));
  const output = await ctx.time('analyze', () => analyzeTerraform(files), { measured: false });
  return { flows: topo.flows.length, workloads: topo.workloads.length, output };
}

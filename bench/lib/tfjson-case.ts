/**
 * The "tf.json writer" measurement shared by Azure and GCP: a backend's plain Terraform JSON
 * writer (`AzureTerraform.write` / `GcpTerraform.write`, no cdktf), timed from model
 * construction to the written file.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CaseContext, exportOrUnavailable, importOrUnavailable } from './harness';
import { analyzeTerraform } from './tf-metrics';
import { buildSegmentation, generateTopology } from '../models';

export async function runTfJsonWriter(ctx: CaseContext, modulePath: string, what: string, className: string, props: Record<string, unknown>) {
  const mod = await ctx.time('import', () => importOrUnavailable(modulePath, what));
  const writer = exportOrUnavailable<{ write(outdir: string, props: Record<string, unknown>): string[] }>(mod, className, what);
  const topo = generateTopology(ctx.size, ctx.seed);
  rmSync(ctx.outdir, { recursive: true, force: true });
  ctx.startOfMeasurement();

  const model = await ctx.time('build', () => buildSegmentation(undefined, topo));
  await ctx.time('synth', () => writer.write(ctx.outdir, { segmentation: model.seg, ...props }));
  ctx.endOfMeasurement();

  const files = readdirSync(ctx.outdir).filter(f => f.endsWith('.tf.json')).map(f => join(ctx.outdir, f));
  const output = await ctx.time('analyze', () => analyzeTerraform(files), { measured: false });
  return { flows: topo.flows.length, workloads: topo.workloads.length, output };
}

/**
 * Baseline: the topology written by hand with cdktf and the google provider: one
 * `google_compute_firewall` ingress allow rule per flow, targeting the destination's network tag
 * (the selector flow: a tag standing for the label), sources by network tag (workloads), the
 * zone's CIDR (zones) or the Peer's range. No egress control (GCP's implied allow-all egress).
 */
import { CaseContext } from '../lib/harness';
import { analyzeTerraform } from '../lib/tf-metrics';
import { byProtocol, GCP_NETWORK, GCP_PROJECT, makeTfApp, tfJsonFiles } from '../lib/tf-app';
import { generateTopology } from '../models';

export async function run(ctx: CaseContext) {
  const cdktf = await ctx.time('import', () => import('cdktf'));
  const { GoogleProvider } = await ctx.time('import', () => import('@cdktf/provider-google/lib/provider/index.js'));
  const { ComputeFirewall } = await ctx.time('import', () => import('@cdktf/provider-google/lib/compute-firewall/index.js'));
  const topo = generateTopology(ctx.size, ctx.seed);
  ctx.startOfMeasurement();

  const app = await ctx.time('build', () => {
    const { app: a, stack } = makeTfApp(cdktf, ctx.outdir, 'baseline');
    new GoogleProvider(stack, 'google', { project: GCP_PROJECT, region: 'europe-west1' });
    const zoneCidr = new Map(topo.zones.map(z => [z.name, z.cidr]));
    const names = new Set<string>();
    for (const f of topo.flows) {
      const src = f.from.kind === 'workload' ? { sourceTags: [f.from.name] }
        : f.from.kind === 'zone' ? { sourceRanges: [zoneCidr.get(f.from.name)!] }
          : f.from.kind === 'cidr' ? { sourceRanges: [f.from.cidr] } : undefined;
      const target = f.to.kind === 'workload' ? [f.to.name] : f.to.kind === 'selector' ? Object.entries(f.to.labels).map(([k, v]) => `${k}-${v}`) : undefined;
      if (!src || !target) throw new Error(`unexpected flow ${f.key}`);
      const srcName = f.from.kind === 'cidr' ? (f.from.family === 'ipv4' ? 'internet' : 'internet6') : f.from.kind === 'selector' ? 'selected' : f.from.name;
      let name = `allow-${srcName}-to-${target[0]}`;
      for (let i = 2; names.has(name); i++) name = `allow-${srcName}-to-${target[0]}-${i}`;
      names.add(name);
      new ComputeFirewall(stack, name, {
        name, network: GCP_NETWORK, direction: 'INGRESS', priority: 1000,
        allow: byProtocol(f.ports).map(([protocol, ports]) => ({ protocol, ports })),
        ...src, targetTags: target,
      });
    }
    return a;
  });
  await ctx.time('synth', () => app.synth());
  ctx.endOfMeasurement();

  const output = await ctx.time('analyze', () => analyzeTerraform(tfJsonFiles(ctx.outdir)), { measured: false });
  return { flows: topo.flows.length, workloads: topo.workloads.length, output };
}

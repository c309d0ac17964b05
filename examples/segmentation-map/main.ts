/**
 * Segmentation map example: the shop's manifest (what a backend writes at synth), replayed against
 * the flow logs of examples/traffic (AWS, Azure and GCP, read together), drawn as one HTML page
 * and counted in a report.
 *
 *   npx tsx examples/segmentation-map/main.ts     # writes .tmp/examples/segmentation-map/
 *
 * The same from the command line, once the manifest and the simulation exist:
 *
 *   npx microseg traffic simulate --manifest shop.microseg.json \
 *       --logs examples/traffic/logs --logs examples/traffic/logs-azure --logs examples/traffic/logs-gcp \
 *       --inventory examples/traffic/inventory/describe-instances.json --inventory examples/traffic/inventory/describe-subnets.json \
 *       --inventory examples/traffic/inventory/az-nic-list.json --inventory examples/traffic/inventory/az-subnet-list.json \
 *       --inventory examples/traffic/inventory/gcloud-instances-list.json --inventory examples/traffic/inventory/gcloud-subnets-list.json \
 *       --group-by tag:app --format json -o simulate.json
 *   npx microseg map --manifest shop.microseg.json --traffic simulate.json --invariants -o map.html
 *   npx microseg report --manifest shop.microseg.json --traffic simulate.json > report.md
 */
import * as fs from 'fs';
import * as path from 'path';
import { compile } from '../../src/ir/compile';
import { buildManifest, serializeManifest } from '../../src/ir/manifest';
import { ReportFormat, SegmentationMap, SegmentationReport } from '../../src/map';
import { reportHeadline } from '../../src/map/report';
import { SimulateFormat, TrafficAnalysis } from '../../src/traffic';
import { buildModel } from './model';

const traffic = path.resolve(__dirname, '..', 'traffic');

/** Writes the manifest, the simulation, the map and the report into `outdir`; returns the summary lines. */
export async function run(outdir: string): Promise<{ lines: string[]; files: Record<string, string> }> {
  fs.mkdirSync(outdir, { recursive: true });
  const files = {
    manifest: path.join(outdir, 'shop.microseg.json'),
    simulation: path.join(outdir, 'simulate.json'),
    map: path.join(outdir, 'map.html'),
    markdown: path.join(outdir, 'report.md'),
    json: path.join(outdir, 'report.json'),
  };
  fs.writeFileSync(files.manifest, serializeManifest(buildManifest(compile(buildModel()))));

  const sim = await TrafficAnalysis.simulate({
    manifest: files.manifest, logs: ['logs', 'logs-azure', 'logs-gcp'].map(d => path.join(traffic, d)), groupBy: 'tag:app',
    inventory: ['describe-instances.json', 'describe-subnets.json', 'az-nic-list.json', 'az-subnet-list.json', 'gcloud-instances-list.json', 'gcloud-subnets-list.json']
      .map(f => path.join(traffic, 'inventory', f)),
  });
  fs.writeFileSync(files.simulation, TrafficAnalysis.renderSimulation(sim, SimulateFormat.JSON));

  const map = await SegmentationMap.write({ manifest: files.manifest, traffic: files.simulation, invariants: true, output: files.map });
  const report = SegmentationReport.of({ manifest: files.manifest, traffic: files.simulation });
  fs.writeFileSync(files.markdown, SegmentationReport.render(report, ReportFormat.MARKDOWN));
  fs.writeFileSync(files.json, SegmentationReport.render(report, ReportFormat.JSON));

  const rel = (f: string) => path.relative(process.cwd(), f);
  const lines = [
    `map: ${map.zones} zones, ${map.workloads} workloads, ${map.peers} peers, ${map.edges} edges, ${Math.round(map.bytes / 1024)} KiB, self-contained: ${rel(files.map)}`,
    `report: ${reportHeadline(report)}`,
    ...report.expiring.map(e => `  expiring ${e.flow} on ${e.expires} (${e.days} days, owner ${e.owner ?? 'none'})`),
    ...(report.traffic?.unused ?? []).map(u => `  unused ${u.flow} (${u.from} -> ${u.to} ${u.ports}, owner ${u.owner ?? 'none'})`),
    `outputs: ${Object.values(files).map(rel).join(', ')}`,
  ];
  return { lines, files };
}

if (require.main === module) {
  void run(path.resolve(__dirname, '..', '..', '.tmp', 'examples', 'segmentation-map')).then(r => { console.log(r.lines.join('\n')); });
}

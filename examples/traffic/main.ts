/**
 * Traffic example: discover the model from the shipped flow logs of three clouds (logs/: AWS VPC
 * Flow Logs as S3 delivers them; logs-azure/: an Azure VNet flow log, version 4; logs-gcp/: GCP
 * VPC Flow Logs as Cloud Logging exports them) with saved inventory (inventory/: `aws ec2
 * describe-instances` and `describe-subnets`, `az network nic list` and `az network vnet subnet
 * list`, `gcloud compute instances list` and `gcloud compute networks subnets list`), then simulate
 * the declared model (model.ts) against the same logs before enforcing it. Every format is
 * recognised by content. generate.ts regenerates the logs.
 *
 *   npx tsx examples/traffic/main.ts            # prints the summary, writes .tmp/examples/traffic/
 *   npx microseg traffic discover --logs examples/traffic/logs --logs examples/traffic/logs-azure --logs examples/traffic/logs-gcp \
 *       --inventory examples/traffic/inventory/describe-instances.json --inventory examples/traffic/inventory/describe-subnets.json \
 *       --inventory examples/traffic/inventory/az-nic-list.json --inventory examples/traffic/inventory/az-subnet-list.json \
 *       --inventory examples/traffic/inventory/gcloud-instances-list.json --inventory examples/traffic/inventory/gcloud-subnets-list.json \
 *       --group-by tag:app --format ts
 */
import * as fs from 'fs';
import * as path from 'path';
import { compile } from '../../src/ir/compile';
import { buildManifest, serializeManifest } from '../../src/ir/manifest';
import { DiscoverFormat, SimulateFormat, TrafficAnalysis } from '../../src/traffic';
import { discoverSummary, simulateVerdict } from '../../src/traffic/report';
import { buildModel } from './model';

const here = __dirname;
/** The log folders of each cloud. */
const clouds: [string, string][] = [['AWS VPC Flow Logs (S3, v5)', 'logs'], ['Azure VNet flow logs (v4)', 'logs-azure'], ['GCP VPC Flow Logs (Cloud Logging)', 'logs-gcp']];
const logs = clouds.map(([, d]) => path.join(here, d));
const inventory = ['describe-instances.json', 'describe-subnets.json', 'az-nic-list.json', 'az-subnet-list.json', 'gcloud-instances-list.json', 'gcloud-subnets-list.json']
  .map(f => path.join(here, 'inventory', f));

/** Runs discover, then simulate; writes the outputs into `outdir` and returns the summary lines. */
export async function run(outdir: string): Promise<{ lines: string[]; exitCode: number }> {
  fs.mkdirSync(outdir, { recursive: true });
  const found = await TrafficAnalysis.discover({ logs, inventory, groupBy: 'tag:app', zonesBy: 'subnet' });
  fs.writeFileSync(path.join(outdir, 'discovered.json'), TrafficAnalysis.renderDiscover(found, DiscoverFormat.JSON));
  fs.writeFileSync(path.join(outdir, 'discovered.ts'), TrafficAnalysis.renderDiscover(found, DiscoverFormat.TS));

  const manifest = path.join(outdir, 'shop.microseg.json');
  fs.writeFileSync(manifest, serializeManifest(buildManifest(compile(buildModel()))));
  const sim = await TrafficAnalysis.simulate({ logs, inventory, manifest, groupBy: 'tag:app' });
  fs.writeFileSync(path.join(outdir, 'simulate.md'), TrafficAnalysis.renderSimulation(sim, SimulateFormat.MARKDOWN));
  // the records each cloud's logs hold (the same read, one folder at a time)
  const perCloud: string[] = [];
  for (const [name, d] of clouds) {
    const one = await TrafficAnalysis.discover({ logs: [path.join(here, d)], inventory, groupBy: 'tag:app', zonesBy: 'subnet' });
    perCloud.push(`  ${name}: ${one.records.read} record(s), ${one.flows.length} flow(s)`);
  }
  const lines = [
    `discover: ${discoverSummary(found)}`,
    ...perCloud,
    ...found.unknown.map(u => `  unknown host ${u.address}: ${u.records} record(s), talked to by ${u.peers.join(', ')}`),
    `simulate: ${simulateVerdict(sim)}`,
    ...sim.conversations.filter(c => c.verdict === 'wouldBlock').map(c => `  would block ${c.from} -> ${c.to} ${c.protocol}:${c.port ?? ''} (${c.records} records)`),
    ...sim.unused.map(u => `  unused ${u.flow} (${u.from} -> ${u.to} ${u.ports})`),
    `outputs: ${['discovered.json', 'discovered.ts', 'shop.microseg.json', 'simulate.md'].map(f => path.relative(process.cwd(), path.join(outdir, f))).join(', ')}`,
  ];
  return { lines, exitCode: sim.exitCode };
}

if (require.main === module) {
  void run(path.resolve(here, '..', '..', '.tmp', 'examples', 'traffic')).then(r => { console.log(r.lines.join('\n')); });
}

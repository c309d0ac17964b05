/**
 * Traffic example: discover the model from the shipped flow logs (logs/, AWS S3 delivery) with a
 * saved inventory (inventory/: `aws ec2 describe-instances` and `describe-subnets`), then simulate
 * the declared model (model.ts) against the same logs before enforcing it.
 *
 *   npx tsx examples/traffic/main.ts            # prints the summary, writes .tmp/examples/traffic/
 *   npx microseg traffic discover --logs examples/traffic/logs --inventory examples/traffic/inventory/describe-instances.json \
 *       --inventory examples/traffic/inventory/describe-subnets.json --group-by tag:app --format ts
 */
import * as fs from 'fs';
import * as path from 'path';
import { compile } from '../../src/ir/compile';
import { buildManifest, serializeManifest } from '../../src/ir/manifest';
import { DiscoverFormat, SimulateFormat, TrafficAnalysis } from '../../src/traffic';
import { discoverSummary, simulateVerdict } from '../../src/traffic/report';
import { buildModel } from './model';

const here = __dirname;
const logs = [path.join(here, 'logs')];
const inventory = ['describe-instances.json', 'describe-subnets.json'].map(f => path.join(here, 'inventory', f));

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
  const lines = [
    `discover: ${discoverSummary(found)}`,
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

/**
 * The main job: synthesize every example (CDK apps for AWS, CDKTF apps for Azure and GCP, a cdk8s
 * app for Kubernetes) into
 * `.tmp/examples/<name>/` and print each segmentation's summary and what was rendered; then run the
 * traffic example (discover, then simulate, on shipped flow logs) and print its summary, and the
 * segmentation-map example (the map page and the report of the shop with its traffic).
 *
 *   npm run examples            # all examples
 *   npm run examples -- multi   # only examples whose name contains "multi"
 */
import * as fs from 'fs';
import * as path from 'path';
import Table from 'cli-table3';
import pc from 'picocolors';
import { Segmentation, SegmentationAnalysis } from '../src';

interface Rendered { app: string; kind: 'cdk' | 'cdktf' | 'cdk8s'; outdir: string; ms: number }
interface Example { name: string; segmentation: () => Segmentation; synth: (outdir: string) => Rendered[] }

const root = path.resolve(__dirname, '..');
const outRoot = path.join(root, '.tmp', 'examples');

function cdk(app: string, build: (outdir: string) => { synth(): unknown }, outdir: string): Rendered {
  const t0 = performance.now();
  build(outdir).synth();
  return { app, kind: 'cdk', outdir, ms: performance.now() - t0 };
}

function cdktf(app: string, build: (outdir: string) => { synth(): void }, outdir: string): Rendered {
  const t0 = performance.now();
  build(outdir).synth();
  return { app, kind: 'cdktf', outdir, ms: performance.now() - t0 };
}

function cdk8s(app: string, build: (outdir: string) => { synth(): void }, outdir: string): Rendered {
  const t0 = performance.now();
  build(outdir).synth();
  return { app, kind: 'cdk8s', outdir, ms: performance.now() - t0 };
}

const examples: Example[] = [
  {
    name: 'aws-three-tier',
    segmentation: () => require('../examples/aws-three-tier/main').segmentation,
    synth: out => [cdk('CDK (AWS)', require('../examples/aws-three-tier/main').buildApp, out)],
  },
  {
    name: 'aws-selectors-monitor',
    segmentation: () => require('../examples/aws-selectors-monitor/main').segmentation,
    synth: out => [cdk('CDK (AWS)', require('../examples/aws-selectors-monitor/main').buildApp, out)],
  },
  {
    name: 'multi-cloud',
    segmentation: () => require('../examples/multi-cloud/model').shop,
    synth: out => [
      cdk('CDK (AWS)', require('../examples/multi-cloud/aws').buildAwsApp, path.join(out, 'cdk.out')),
      cdktf('CDKTF (Azure, GCP)', require('../examples/multi-cloud/main').buildApp, path.join(out, 'cdktf.out')),
    ],
  },
  {
    name: 'k8s',
    segmentation: () => require('../examples/k8s/main').buildModel().segmentation,
    synth: out => [cdk8s('cdk8s (Kubernetes)', require('../examples/k8s/main').buildApp, out)],
  },
];

/** Counts rendered resources by type in a CDK assembly or a CDKTF output folder. */
function countResources(r: Rendered): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (type: string) => { counts[type] = (counts[type] ?? 0) + 1; };
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) { walk(file); continue; }
      if (r.kind === 'cdk' && entry.name.endsWith('.template.json')) {
        for (const res of Object.values<{ Type: string }>(JSON.parse(fs.readFileSync(file, 'utf8')).Resources ?? {})) add(res.Type);
      }
      if (r.kind === 'cdktf' && entry.name === 'cdk.tf.json') {
        const tf = JSON.parse(fs.readFileSync(file, 'utf8'));
        for (const [type, byName] of Object.entries<Record<string, unknown>>(tf.resource ?? {})) {
          for (let i = 0; i < Object.keys(byName).length; i++) add(type);
        }
      }
      if (r.kind === 'cdk8s' && entry.name.endsWith('.k8s.yaml')) {
        for (const m of fs.readFileSync(file, 'utf8').matchAll(/^kind: (\w+)$/gm)) add(m[1]);
      }
    }
  };
  walk(r.outdir);
  return counts;
}

function manifests(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith('.microseg.json')) out.push(path.relative(root, f));
    }
  };
  walk(dir);
  return out.sort();
}

/** The traffic example: discover, then simulate, on the shipped flow logs (examples/traffic). */
async function traffic(): Promise<boolean> {
  console.log(pc.bold('\n== traffic =='));
  try {
    const { lines } = await require('../examples/traffic/main').run(path.join(outRoot, 'traffic'));
    console.log(lines.join('\n'));
    return true;
  } catch (e) {
    console.error(pc.red(`failed: ${(e as Error).message}`));
    return false;
  }
}

/** The segmentation-map example: the map and the report of the shop with its traffic (examples/segmentation-map). */
async function segmentationMap(): Promise<boolean> {
  console.log(pc.bold('\n== segmentation-map =='));
  try {
    const { lines } = await require('../examples/segmentation-map/main').run(path.join(outRoot, 'segmentation-map'));
    console.log(lines.join('\n'));
    return true;
  } catch (e) {
    console.error(pc.red(`failed: ${(e as Error).message}`));
    return false;
  }
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const selected = examples.filter(e => !filter || e.name.includes(filter));
  const withTraffic = !filter || 'traffic'.includes(filter);
  const withMap = !filter || 'segmentation-map'.includes(filter);
  if (selected.length === 0 && !withTraffic && !withMap) {
    console.error(`no example matches "${filter}"; examples: ${[...examples.map(e => e.name), 'traffic', 'segmentation-map'].join(', ')}`);
    process.exit(2);
  }
  let failed = 0;
  for (const ex of selected) {
    const outdir = path.join(outRoot, ex.name);
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.mkdirSync(outdir, { recursive: true });
    console.log(pc.bold(`\n== ${ex.name} ==`));
    try {
      const rendered = ex.synth(outdir);
      console.log(SegmentationAnalysis.of(ex.segmentation()).formatSummary());
      const table = new Table({ head: ['app', 'synth', 'rendered resources'], style: { head: [], border: [] }, wordWrap: true, colWidths: [22, 10, 80] });
      for (const r of rendered) {
        const counts = countResources(r);
        const interesting = Object.entries(counts)
          .filter(([t]) => /SecurityGroup|NetworkAcl|network_security|application_security|compute_firewall|subnet_network_security|NetworkPolicy/.test(t))
          .map(([t, n]) => `${t} x${n}`).join(', ');
        table.push([r.app, `${Math.round(r.ms)} ms`, interesting || '(none)']);
      }
      console.log(table.toString());
      for (const m of manifests(outdir)) console.log(`manifest: ${m}`);
    } catch (e) {
      failed++;
      console.error(pc.red(`failed: ${(e as Error).message}`));
    }
  }
  if (withTraffic && !(await traffic())) failed++;
  if (withMap && !(await segmentationMap())) failed++;
  if (failed) process.exit(1);
}

void main();

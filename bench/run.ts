/**
 * `npm run bench`: runs every figure of the performance targets (docs/architecture.md), each measurement in a fresh child
 * process (`bench/child.ts` + `bench/cases/<case>.ts`), prints one line per figure and merges
 * the results into `bench/results.json`. See bench/README.md.
 *
 *   npm run bench                               every figure (S, M, L; audit on L)
 *   npm run bench -- --only aws:M,azure         only these figures (cloud or cloud:size)
 *   npm run bench -- --sizes S,M                only these sizes
 *   npm run bench -- --cap 300                  time cap per measurement (seconds)
 *   BENCH_ARGS="--only aws:M" npm run bench     the same, for task runners that drop arguments
 *   npm run bench -- --only map --sizes M,L     the map: generation time, page size, page load (bench/map.ts)
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { CaseParams, CaseResult, SizeName } from './lib/harness';
import { DEFAULT_SEED, describeTopology, generateTopology } from './models';
import { formatFigure, Figure, FigureResult, targets } from './lib/report';
import { runMapBench } from './map';
import { runTrafficBench, TrafficFormat } from './traffic';

const ROOT = resolve(__dirname, '..');
const OUT = join(ROOT, 'bench', 'out');
const RESULTS = join(ROOT, 'bench', 'results.json');
const ALL_SIZES: SizeName[] = ['S', 'M', 'L'];
const DEFAULT_CAP: Record<SizeName, number> = { S: 120, M: 300, L: 600 };

interface Options {
  only?: string[];
  sizes: SizeName[];
  seed: string;
  cap?: number;
  cdkValidation: 'both' | 'on' | 'off';
  write: boolean;
  /** Runs per measurement; the fastest counts (a shared machine is noisy). */
  repeat: number;
  /** Records of the traffic figure (bench/traffic.ts). */
  trafficRecords: number;
  trafficRounds: number;
  trafficFormat: TrafficFormat;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: ALL_SIZES, seed: DEFAULT_SEED, cdkValidation: 'both', write: true, repeat: 1, trafficRecords: 22_000_000, trafficRounds: 3, trafficFormat: 'v5' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a.startsWith('--only')) o.only = value().split(',').map(s => s.trim()).filter(Boolean);
    else if (a.startsWith('--sizes')) o.sizes = value().split(',').map(s => s.trim().toUpperCase()) as SizeName[];
    else if (a.startsWith('--seed')) o.seed = value();
    else if (a.startsWith('--cap')) o.cap = Number(value());
    else if (a.startsWith('--cdk-validation')) o.cdkValidation = value() as Options['cdkValidation'];
    else if (a.startsWith('--repeat')) o.repeat = Math.max(1, Math.floor(Number(value())));
    else if (a.startsWith('--traffic-records')) o.trafficRecords = Math.max(1000, Math.floor(Number(value())));
    else if (a.startsWith('--traffic-format')) o.trafficFormat = value() as TrafficFormat;
    else if (a.startsWith('--traffic-rounds')) o.trafficRounds = Math.max(1, Math.floor(Number(value())));
    else if (a === '--no-write') o.write = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(join(ROOT, 'bench', 'README.md'), 'utf8'));
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (see bench/README.md)`);
  }
  for (const s of o.sizes) if (!ALL_SIZES.includes(s)) throw new Error(`unknown size ${s} (S, M or L)`);
  if (!['both', 'on', 'off'].includes(o.cdkValidation)) throw new Error('--cdk-validation is both, on or off');
  return o;
}

/** Every figure the bench knows, in run order. */
function allFigures(o: Options): Figure[] {
  const figs: Figure[] = [];
  for (const size of ALL_SIZES) {
    if (o.cdkValidation !== 'off') {
      figs.push({ id: `aws:${size}`, cloud: 'aws', size, title: `aws ${size} synth`, measurements: [{ role: 'microseg', caseName: 'aws-microseg' }, { role: 'baseline', caseName: 'aws-baseline' }] });
    }
    if (o.cdkValidation !== 'on') {
      figs.push({
        id: `aws-novalidation:${size}`, cloud: 'aws', size, title: `aws ${size} synth (CDK validation off)`, env: { CDK_VALIDATION: 'false' },
        measurements: [{ role: 'microseg', caseName: 'aws-microseg' }, { role: 'baseline', caseName: 'aws-baseline' }],
      });
    }
    if (size !== 'S' && o.cdkValidation !== 'off') {
      // The same model with the zones of a real VPC: one /24 per zone per availability zone.
      figs.push({
        id: `aws-scattered:${size}`, cloud: 'aws', size, title: `aws ${size} synth (scattered zones)`,
        measurements: [{ role: 'microseg', caseName: 'aws-microseg', options: { layout: 'scattered' } }, { role: 'baseline', caseName: 'aws-baseline' }],
      });
    }
    figs.push({ id: `azure:${size}`, cloud: 'azure', size, title: `azure ${size} synth`, measurements: [{ role: 'microseg', caseName: 'azure-microseg' }, { role: 'baseline', caseName: 'azure-baseline' }, { role: 'microseg-tfjson', caseName: 'azure-microseg-tfjson' }, { role: 'microseg-nsg-workload', caseName: 'azure-microseg', options: { nsgScope: 'WORKLOAD' } }] });
    figs.push({ id: `gcp:${size}`, cloud: 'gcp', size, title: `gcp ${size} synth`, measurements: [{ role: 'microseg', caseName: 'gcp-microseg' }, { role: 'baseline', caseName: 'gcp-baseline' }, { role: 'microseg-tfjson', caseName: 'gcp-microseg-tfjson' }] });
    figs.push({ id: `audit:${size}`, cloud: 'audit', size, title: `audit ${size} aws`, prep: 'aws-manifest', measurements: [{ role: 'microseg', caseName: 'audit-aws' }] });
  }
  return figs;
}

function selected(o: Options, f: Figure): boolean {
  if (!o.sizes.includes(f.size)) return false;
  const [cloud] = f.id.split(':');
  if (!o.only) return f.cloud !== 'audit' || f.size === 'L';
  return o.only.some(sel => {
    const [c, s] = sel.split(':');
    const cloudOk = c === cloud || (c === 'aws' && (cloud === 'aws-novalidation' || cloud === 'aws-scattered'));
    const sizeOk = s === undefined ? (f.cloud !== 'audit' || f.size === 'L' || o.sizes.length < ALL_SIZES.length) : s.toUpperCase() === f.size;
    return cloudOk && sizeOk;
  });
}

async function runChild(caseName: string, size: SizeName, o: Options, figureId: string, env: Record<string, string> = {}, options?: Record<string, unknown>, role?: string): Promise<CaseResult> {
  const slug = `${figureId.replace(/[:]/g, '-')}-${role && role !== 'microseg' && role !== 'baseline' && !role.endsWith('tfjson') ? role : caseName}`;
  const outdir = join(OUT, slug);
  const resultFile = join(OUT, 'results', `${slug}.json`);
  mkdirSync(join(OUT, 'results'), { recursive: true });
  mkdirSync(join(OUT, 'logs'), { recursive: true });
  const params: CaseParams = { caseName, size, seed: o.seed, outdir, root: ROOT, ...(options ? { options } : {}) };
  const cap = o.cap ?? DEFAULT_CAP[size];
  const started = Date.now();
  writeFileSync(resultFile, '');
  const log = createWriteStream(join(OUT, 'logs', `${slug}.log`));
  const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=16384', '--import', 'tsx', join('bench', 'child.ts'), JSON.stringify(params), resultFile], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, cap * 1000);
  const code = await new Promise<number | null>(res => child.on('close', c => res(c)));
  clearTimeout(timer);
  const wallMs = Date.now() - started;
  if (timedOut) return { case: caseName, size, status: 'timeout', reason: `> ${cap} s (cap)`, timings: {}, wallMs, totalMs: cap * 1000 };
  const text = existsSync(resultFile) ? readFileSync(resultFile, 'utf8') : '';
  if (!text) return { case: caseName, size, status: 'error', reason: `child exited with ${code} without a result (see bench/out/logs/${slug}.log)`, timings: {}, wallMs };
  return { ...(JSON.parse(text) as CaseResult), wallMs };
}

async function main(): Promise<void> {
  const o = parseArgs([...process.argv.slice(2), ...(process.env.BENCH_ARGS ?? '').split(/\s+/).filter(Boolean)]);
  const figures = allFigures(o).filter(f => selected(o, f));
  // the traffic figure (flow logs through DuckDB) runs in this process: bench/traffic.ts
  const withTraffic = !o.only || o.only.includes('traffic');
  const withMap = !o.only || o.only.includes('map');
  if (figures.length === 0 && !withTraffic && !withMap) throw new Error('no figure selected (see bench/README.md for --only and --sizes)');
  const started = Date.now();
  process.stdout.write(`microseg bench: ${figures.length} figure(s), seed ${o.seed}, ${o.repeat} run(s) per measurement, ${cpus().length} CPU(s), load ${loadavg().map(x => x.toFixed(1)).join(' ')}, Node ${process.version}\n`);
  for (const size of [...new Set(figures.map(f => f.size))]) {
    const d = describeTopology(generateTopology(size, o.seed));
    process.stdout.write(`  model ${size}: ${d.zones} zones, ${d.workloads} workloads, ${d.flows} flows (${Object.entries(d.flowsByKind).map(([k, v]) => `${k} ${v}`).join(', ')}), ${d.expandedPairs} expanded pairs\n`);
  }
  const results: FigureResult[] = [];
  for (const f of figures) {
    const runs: Record<string, CaseResult> = {};
    let options: Record<string, unknown> | undefined;
    if (f.prep) {
      const prep = await runChild(f.prep, f.size, o, f.id, f.env);
      if (prep.status !== 'ok') {
        for (const m of f.measurements) runs[m.role] = { ...prep, case: m.caseName, status: prep.status === 'unavailable' ? 'unavailable' : 'error', reason: `preparation ${f.prep}: ${prep.reason}` };
      } else {
        options = { ...(prep.metrics ?? {}) };
      }
    }
    // Repeats are interleaved (microseg, baseline, microseg, ...) so a change of load on the
    // machine affects both sides; the fastest run of each measurement counts.
    const times: Record<string, number[]> = {};
    for (let i = 0; i < o.repeat; i++) {
      for (const m of f.measurements) {
        const prev = runs[m.role];
        if (prev && prev.status !== 'ok') continue;
        if (i > 0 && !prev) continue;
        const r = await runChild(m.caseName, f.size, o, f.id, f.env, { ...(options ?? {}), ...(m.options ?? {}) }, m.role);
        if (r.status === 'ok') (times[m.role] ??= []).push(r.totalMs ?? 0);
        if (!prev || r.status !== 'ok' || (r.totalMs ?? 0) < (prev.totalMs ?? 0)) runs[m.role] = r;
      }
    }
    if (o.repeat > 1) for (const role of Object.keys(runs)) runs[role] = { ...runs[role], ...({ allTotalMs: times[role] ?? [] } as object) };
    const result: FigureResult = { id: f.id, title: f.title, cloud: f.cloud, size: f.size, measuredAt: new Date().toISOString(), loadAverage: loadavg()[0], runs };
    const line = formatFigure(f, result);
    result.line = line;
    results.push(result);
    process.stdout.write(`${line}\n`);
    if (o.write) writeResults(results, o);
  }
  if (withTraffic) {
    const traffic = await runTrafficBench({ records: o.trafficRecords, rounds: o.trafficRounds, format: o.trafficFormat, outRoot: OUT });
    if (o.write) {
      const previous = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
      // one entry per record count (2M, 6M, 22M ...): memory flat in the records is read across them
      const runs = { ...(previous.traffic?.runs ?? {}), [`${o.trafficRecords}${o.trafficFormat === 'v5' ? '' : `-${o.trafficFormat}`}`]: { measuredAt: new Date().toISOString(), loadAverage: loadavg()[0], figures: traffic } };
      writeFileSync(RESULTS, JSON.stringify({ ...previous, traffic: { runs } }, null, 1) + '\n');
    }
  }
  if (withMap) {
    const map = await runMapBench({ sizes: o.sizes, outRoot: OUT, seed: o.seed });
    if (o.write) {
      const previous = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
      writeFileSync(RESULTS, JSON.stringify({ ...previous, map: { measuredAt: new Date().toISOString(), loadAverage: loadavg()[0], figures: map } }, null, 1) + '\n');
    }
  }
  const merged = o.write && existsSync(RESULTS) ? ((JSON.parse(readFileSync(RESULTS, 'utf8')).figures ?? []) as FigureResult[]) : results;
  process.stdout.write(`targets (docs/architecture.md)${o.write ? ', from bench/results.json' : ''}:\n${targets(merged).map(t => `  ${t}`).join('\n')}\n`);
  process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(0)} s${o.write ? `; results merged into ${RESULTS}` : ''}\n`);
}

function writeResults(results: FigureResult[], o: Options): void {
  let previous: { figures?: FigureResult[]; [key: string]: unknown } = {};
  try { previous = JSON.parse(readFileSync(RESULTS, 'utf8')); } catch { /* first run */ }
  const byId = new Map((previous.figures ?? []).map(f => [f.id, f]));
  for (const r of results) byId.set(r.id, r);
  const order = allFigures({ ...o, cdkValidation: 'both' }).map(f => f.id);
  const figures = [...byId.values()].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  // the in-process figures (traffic, map) of earlier runs are kept
  const doc = {
    ...previous,
    generator: 'microseg bench (bench/run.ts)',
    updatedAt: new Date().toISOString(),
    seed: o.seed,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem(), node: process.version, platform: process.platform },
    notes: [
      'Times are the measured phases (model construction + synth), without module loading; memory is the child\'s maxRSS at the end of the measured work (includes the ~120-140 MB floor of Node + libraries, see floorRssBytes).',
      'Every measurement ran in a fresh child process, one at a time.',
      'CloudFormation template size is judged against 1,048,576 bytes (templates uploaded to S3, as CDK deploys them).',
      'A security group rule that references a group counts as one IPv4 and one IPv6 rule (AWS VPC quotas page).',
    ],
    models: Object.fromEntries(ALL_SIZES.map(s => [s, describeTopology(generateTopology(s, o.seed))])),
    targets: targets(figures),
    figures,
  };
  writeFileSync(RESULTS, JSON.stringify(doc, null, 1) + '\n');
}

main().catch(e => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
});

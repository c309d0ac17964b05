/**
 * Traffic bench: `discover` and `simulate` over generated AWS VPC Flow Logs as S3 delivers them
 * (gzip, header line, custom version 5 order with tcp-flags), against the bare DuckDB scan of the
 * same files (`count(*)` with the same declared columns) as the physical reference, the scan
 * that converts the values the plan reads and nothing else (the floor of any plan), and the
 * decompression of the files alone (`gzip -dc`: the floor of any reader of gzip text).
 *
 * The estate is shaped like the bench's M (200 workloads with two addresses each in 10 zones,
 * 2,000 calls between them, gRPC and ephemeral-range server ports, internet clients, unknown
 * hosts, rejects, pooled connections), generated deterministically from a seed. Files are cached
 * in bench/out/traffic-<records>/ and reused.
 *
 *   npx tsx bench/traffic.ts --records 22000000       # the issue's figure (about 3 GB of text)
 *   BENCH_ARGS="--only traffic --traffic-records 2000000" npm run bench
 *
 * Prints one line per figure and returns them (bench/run.ts merges them into results.json).
 */
import * as fs from 'fs';
import * as os from 'os';
import { loadavg } from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as zlib from 'zlib';
import { AllowFlow, Port, Segmentation, Workload } from '../src';
import { compile } from '../src/ir/compile';
import { buildManifest, serializeManifest } from '../src/ir/manifest';
import { awsTextLayout, awsTextSelect } from '../src/traffic/aws-text';
import { openDb, sqlString } from '../src/traffic/duckdb';
import { TrafficAnalysis } from '../src/traffic';
import { lastLocalRun } from '../src/traffic/engine';
import { FORMATS, GenCall, GenEstate, prng, s3Folder } from '../test/support/traffic-generator';

/**
 * The flow log formats the bench writes: version 5 with every field (the default), AWS's default
 * format (version 2, no tcp-flags), or the format docs/traffic.md recommends (the default fields,
 * tcp-flags, pkt-srcaddr, pkt-dstaddr, flow-direction).
 */
export type TrafficFormat = 'v5' | 'v2' | 'recommended';
const TRAFFIC_FORMATS: TrafficFormat[] = ['v5', 'v2', 'recommended'];

export interface TrafficFigure { readonly id: string; readonly value: number; readonly unit: string; readonly note?: string }

function estate(seed: number, records: number): GenEstate {
  const rnd = prng(seed);
  const workloads = Array.from({ length: 200 }, (_, i) => ({
    name: `w${i}`, zone: `z${i % 10}`, addresses: [`10.${(i % 10) + 1}.${Math.floor(i / 10)}.10`, `10.${(i % 10) + 1}.${Math.floor(i / 10)}.11`],
  }));
  const ports = [443, 8080, 5432, 6379, 50051, 9092, 33000, 7070, 53, 11211];
  const calls: GenCall[] = [];
  const seen = new Set<string>();
  while (calls.length < 2000) {
    const c = Math.floor(rnd() * 200); const s = Math.floor(rnd() * 200);
    const port = ports[Math.floor(rnd() * ports.length)];
    const k = `${c}>${s}:${port}`;
    if (c === s || seen.has(k)) continue;
    seen.add(k);
    calls.push({ client: `w${c}`, server: `w${s}`, protocol: port === 53 ? 'udp' : 'tcp', port, connections: 1, windows: 1 });
  }
  for (let i = 0; i < 50; i++) calls.push({ client: `203.0.113.${i + 1}`, server: `w${i}`, protocol: 'tcp', port: 443, connections: 1, windows: 1 });
  for (let i = 0; i < 3; i++) calls.push({ client: `w${i * 7}`, server: `10.99.0.${i + 1}`, protocol: 'tcp', port: 1521, connections: 1, windows: 1 });
  for (let i = 0; i < 20; i++) calls.push({ client: `198.51.100.${i + 1}`, server: `w${i}`, protocol: 'tcp', port: 22, connections: 1, windows: 1, reject: true });
  // scale connections so the estate writes about `records` records: pooled connections (windows
  // 1-6, two records each) on every call
  const perCall = records / calls.length;
  for (const c of calls) {
    c.windows = c.reject ? 1 : 1 + Math.floor(rnd() * 6);
    const per = c.reject ? 1 : 2 * c.windows;
    c.connections = Math.max(2, Math.round((perCall * (0.5 + rnd())) / per));
  }
  return { workloads, calls };
}

/**
 * Writes (or reuses) the files; returns them and the record count. The records are generated in
 * DuckDB itself (the same traffic shape as test/support/traffic-generator.ts: each connection from
 * a client address on an ephemeral port to a server address on its listening port, one record per
 * direction per window, SYN/SYN-ACK in the first window, rejects as one SYN) and written with
 * COPY as gzip text files with a header line, about 64 MB of text each, in the S3 layout.
 */
async function prepare(dir: string, records: number, seed: number, format: TrafficFormat = 'v5'): Promise<{ files: string[]; records: number; e: GenEstate }> {
  const e = estate(seed, records);
  const done = `${dir}.json`;
  if (fs.existsSync(done)) return { ...JSON.parse(fs.readFileSync(done, 'utf8')), e };
  fs.rmSync(dir, { recursive: true, force: true });
  const byName = new Map(e.workloads.map(w => [w.name, w.addresses]));
  const addrs = (who: string) => `[${(byName.get(who) ?? [who]).map(sqlString).join(', ')}]`;
  const db = await openDb();
  try {
    // generating needs more than the plan's budget (the connection table is sorted whole)
    await db.run(`SET memory_limit = '4GB'`);
    const start = 1_793_613_600;
    const rows = e.calls.map((c, i) => `(${i}, ${addrs(c.client)}, ${addrs(c.server)}, ${c.protocol === 'tcp' ? 6 : 17}, ${c.port}, ${c.connections}, ${c.windows}, ${c.reject ? 'TRUE' : 'FALSE'})`);
    await db.run(`CREATE TABLE calls AS SELECT * FROM (VALUES ${rows.join(', ')}) AS v(call, ca, sa, proto, port, conns, wins, reject)`);
    // connections one second apart, the calls interleaved over the whole window as in a running
    // estate (every service busy all month), not one call after another
    await db.run(`CREATE TABLE conns AS
      SELECT row_number() OVER (ORDER BY hash(${seed}, call, k, 'order'), call, k) - 1 AS id, call, proto, port, wins, reject,
        ca[1 + (hash(${seed}, call, k, 'c') % len(ca))::INTEGER] AS caddr, sa[1 + (hash(${seed}, call, k, 's') % len(sa))::INTEGER] AS saddr,
        (32768 + hash(${seed}, call, k, 'p') % 28231)::INTEGER AS p0
      FROM calls, range(conns) t(k)`);
    await db.run(`UPDATE conns SET p0 = p0 + 1 WHERE p0 IN (SELECT port FROM calls)`);
    const [{ n: connCount }] = await db.all('SELECT count(*) AS n FROM conns');
    const total = Number(connCount);
    const [{ r: recs }] = await db.all('SELECT sum(CASE WHEN reject THEN 1 ELSE 2 * wins END) AS r FROM conns');
    const perFile = Math.max(1, Math.ceil(total / Math.max(1, Math.round((Number(recs) * 190) / (64 * 1024 * 1024)))));
    const fields = FORMATS[format];
    const version = format === 'v2' ? 2 : 5;
    const header = fields.join(' ');
    const field = (f: string, v: Record<string, string>) => v[f] ?? "'-'";
    const line = (v: Record<string, string>) => `concat_ws(' ', ${fields.map(f => field(f, v)).join(', ')})`;
    const common = {
      'version': `'${version}'`, 'type': "'IPv4'", 'account-id': "'012345678901'", 'vpc-id': "'vpc-0123456789abcdef0'", 'subnet-id': "'subnet-0123456789abcdef0'",
      'instance-id': "'i-0123456789abcdef0'", 'interface-id': "'eni-0a1b2c3d4e5f60718'", 'region': "'eu-west-1'", 'az-id': "'euw1-az1'", 'log-status': "'OK'",
      'protocol': 'proto', 'start': `${start} + id + w * 60`, 'end': `${start} + id + w * 60 + 60`,
      'packets': `1 + hash(${seed}, id, w, d, 'n') % 20`, 'bytes': `40 + hash(${seed}, id, w, d, 'b') % 5000`,
    };
    const out = (src: string, dst: string, sp: string, dp: string) => ({ srcaddr: src, dstaddr: dst, 'pkt-srcaddr': src, 'pkt-dstaddr': dst, srcport: sp, dstport: dp });
    const lineSql = `CASE
        WHEN reject THEN ${line({ ...common, ...out('caddr', 'saddr', 'p0', 'port'), 'action': "'REJECT'", 'tcp-flags': "CASE WHEN proto = 6 THEN 2 ELSE 0 END", 'flow-direction': "'ingress'" })}
        WHEN d = 0 THEN ${line({ ...common, ...out('caddr', 'saddr', 'p0', 'port'), 'action': "'ACCEPT'", 'tcp-flags': "CASE WHEN w = 0 AND proto = 6 THEN 2 ELSE 0 END", 'flow-direction': "'egress'" })}
        ELSE ${line({ ...common, ...out('saddr', 'caddr', 'port', 'p0'), 'action': "'ACCEPT'", 'tcp-flags': "CASE WHEN w = 0 AND proto = 6 THEN 18 ELSE 0 END", 'flow-direction': "'ingress'" })} END`;
    const files: string[] = [];
    for (let i = 0; i * perFile < total; i++) {
      const t = start + i * perFile;
      const folder = s3Folder(dir, t);
      fs.mkdirSync(folder, { recursive: true });
      const stamp = new Date(t * 1000).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
      const file = path.join(folder, `012345678901_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_${stamp}_${String(i).padStart(5, '0')}.log.gz`);
      const last = (i + 1) * perFile >= total;
      const nodata = last ? ` UNION ALL SELECT 99999999999 AS id, 0 AS w, 0 AS d, concat_ws(' ', ${fields.map(f => (f === 'version' ? `'${version}'` : f === 'account-id' ? "'012345678901'" : f === 'start' ? `'${start}'` : f === 'end' ? `'${start + 60}'` : f === 'log-status' ? "CASE WHEN k % 2 = 0 THEN 'NODATA' ELSE 'SKIPDATA' END" : "'-'")).join(', ')}) AS l FROM range(1000) t(k)` : '';
      await db.run(`COPY (SELECT l AS "${header}" FROM (
          SELECT id, w, d, ${lineSql} AS l FROM conns, range(wins) a(w), range(2) b(d)
          WHERE id >= ${i * perFile} AND id < ${(i + 1) * perFile} AND (NOT reject OR (w = 0 AND d = 0))${nodata}) ORDER BY id, w, d)
        TO ${sqlString(file)} (FORMAT csv, HEADER true, QUOTE '', ESCAPE '', COMPRESSION gzip)`);
      files.push(file);
    }
    const n = Number(recs) + 1000;
    fs.writeFileSync(done, JSON.stringify({ files, records: n }));
    return { files, records: n, e };
  } finally {
    db.close();
  }
}

/**
 * The CPU seconds of decompressing the files alone with the system's `gzip -dc` (user + system
 * time of the child, from bash's `time`): the floor of any reader of gzip text. Undefined when
 * bash or gzip is missing.
 */
function gunzipCpu(files: string[]): { cpu: number; seconds: number } | undefined {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%3U %3S"; { time gzip -dc -- "$@" > /dev/null; } 2>&1', 'gunzip', ...files], { encoding: 'utf8' });
  const m = /^(\d+\.\d+) (\d+\.\d+)\s*$/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) return undefined;
  return { cpu: Number(m[1]) + Number(m[2]), seconds: (performance.now() - t0) / 1000 };
}

/** Bytes of text per record, from the first file (inflated whole). */
function textPerRecord(file: string): number {
  const text = zlib.gunzipSync(fs.readFileSync(file));
  let lines = 0;
  for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) lines++;
  return text.length / Math.max(1, lines);
}

/** Peak resident memory while `fn` runs (sampled every 50 ms). */
async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; cpu: number; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  try {
    const value = await fn();
    const c = process.cpuUsage(c0);
    return { value, seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, peakMb: Math.round(Math.max(peak, process.memoryUsage().rss) / 1048576) };
  } finally {
    clearInterval(timer);
  }
}

export async function runTrafficBench(args: { records: number; seed?: number; outRoot: string; rounds?: number; format?: TrafficFormat }): Promise<TrafficFigure[]> {
  const seed = args.seed ?? 1;
  const format = args.format ?? 'v5';
  if (!TRAFFIC_FORMATS.includes(format)) throw new Error(`unknown traffic format ${format} (${TRAFFIC_FORMATS.join(', ')})`);
  const rounds = Math.max(1, args.rounds ?? 3);
  const dir = path.join(args.outRoot, `traffic-i${args.records}${format === 'v5' ? '' : `-${format}`}`, 'logs');
  const t0 = performance.now();
  const { files, records, e } = await prepare(dir, args.records, seed, format);
  console.log(`traffic: ${records} records in ${files.length} file(s) under ${path.relative(process.cwd(), dir)} (prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const threads = os.cpus().length;

  // the declared model: 90% of the calls, with workload addresses
  const seg = Segmentation.root('Bench', { name: 'bench' });
  const zones = new Map<string, ReturnType<Segmentation['addZone']>>();
  const ws = new Map<string, Workload>();
  for (const w of e.workloads) {
    if (!zones.has(w.zone)) zones.set(w.zone, seg.addZone(w.zone, { name: w.zone }));
    ws.set(w.name, zones.get(w.zone)!.addWorkload(w.name, { name: w.name, cidrs: w.addresses.map(a => `${a}/32`) }));
  }
  e.calls.forEach((c, i) => {
    if (i % 10 === 9 || c.reject || !ws.has(c.client) || !ws.has(c.server)) return;
    new AllowFlow(seg, `f${i}`, { from: ws.get(c.client)!, to: ws.get(c.server)!, ports: [c.protocol === 'tcp' ? Port.tcp(c.port) : Port.udp(c.port)] });
  });
  const manifest = path.join(path.dirname(dir), 'bench.microseg.json');
  fs.writeFileSync(manifest, serializeManifest(buildManifest(compile(seg))));

  const scan = (select: string) => async () => {
    const db = await openDb();
    try {
      const sql = awsTextSelect(files, awsTextLayout(files[0]), false);
      const [r] = await db.all(`SELECT ${select} AS n FROM (${sql})`);
      return Number(r.n);
    } finally { db.close(); }
  };
  const bareScan = scan('count(*)');
  // the floor of any plan: converting the values the plan reads (records() in plan.ts), nothing else
  const columnScan = scan('count(*) + 0 * (hash(max(src), max(dst), max(action), max(status)) % 2 + max(sport) + max(dport) + max(proto) + sum(bytes) % 2 + min(tstart) % 2 + max(tend) % 2 + coalesce(bit_or(flags), 0))');
  // rounds of the three, interleaved: this machine's speed drifts 15-30% within minutes, so each
  // figure is its best round (least CPU), and the ratios compare rounds run side by side
  type Run = Awaited<ReturnType<typeof measure<unknown>>>;
  const runs: { bare: Run[]; cols: Run[]; disc: Run[]; sim: Run[] } = { bare: [], cols: [], disc: [], sim: [] };
  const gunzips: { cpu: number; seconds: number }[] = [];
  let discRun = {}; let simRun = {};
  let flows = 0; let conversations = 0;
  for (let round = 0; round < rounds; round++) {
    const gz = gunzipCpu(files);
    if (gz) gunzips.push(gz);
    const bare = await measure(bareScan);
    if (bare.value !== records) throw new Error(`bare scan counted ${bare.value} records, expected ${records}`);
    const cols = await measure(columnScan);
    if (cols.value !== records) throw new Error(`column scan counted ${cols.value} records, expected ${records}`);
    const disc = await measure(() => TrafficAnalysis.discover({ logs: [dir], manifest }));
    discRun = { ...lastLocalRun };
    const sim = await measure(() => TrafficAnalysis.simulate({ logs: [dir], manifest }));
    simRun = { ...lastLocalRun };
    if (disc.value.records.read !== records || sim.value.records.read !== records) throw new Error('discover/simulate did not read every record');
    flows = disc.value.flows.length; conversations = sim.value.conversations.length;
    runs.bare.push(bare); runs.cols.push(cols); runs.disc.push(disc); runs.sim.push(sim);
    console.log(`  round ${round + 1}/${rounds}: cpu gzip -dc ${gz ? gz.cpu.toFixed(1) : '-'} s, bare ${bare.cpu.toFixed(1)} s, columns ${cols.cpu.toFixed(1)} s, discover ${disc.cpu.toFixed(1)} s, simulate ${sim.cpu.toFixed(1)} s`);
  }
  const best = (rs: Run[]) => ({ ...rs.reduce((a, b) => (b.cpu < a.cpu ? b : a)), peakMb: Math.max(...rs.map(r => r.peakMb)), spread: `${Math.min(...rs.map(r => r.cpu)).toFixed(1)}-${Math.max(...rs.map(r => r.cpu)).toFixed(1)} s` });
  const gunzip = gunzips.length ? gunzips.reduce((a, b) => (b.cpu < a.cpu ? b : a)) : undefined;
  const bare = best(runs.bare); const cols = best(runs.cols); const disc = best(runs.disc); const sim = best(runs.sim);
  const reads = (r: { reads?: number; sampled?: number }) => `${r.reads} full read(s) after a sample of ${r.sampled} file(s)`;

  // records per core-second: CPU time of the process (DuckDB's threads included), so a busy shared
  // machine does not distort it; wall-clock rate per core alongside
  const perCore = (m: { cpu: number }) => Math.round(records / m.cpu);
  const wall = (m: { seconds: number }) => Math.round(records / m.seconds / threads);
  const note = (m: { seconds: number; cpu: number; peakMb: number; spread: string }) => `wall ${m.seconds.toFixed(1)} s (${wall(m)}/s/core), cpu ${m.cpu.toFixed(1)} s (best of ${rounds}: ${m.spread}), ${(m.cpu / bare.cpu).toFixed(2)}x the bare scan's cpu, peak RSS ${m.peakMb} MB`;
  const load = `load average ${loadavg().map(x => x.toFixed(1)).join(' / ')} (1/5/15 min) at the end`;
  const figures: TrafficFigure[] = [
    { id: 'traffic:records', value: records, unit: 'records', note: `${files.length} gzip file(s), format ${format} (${FORMATS[format].length} fields${format === 'v2' ? ', no tcp-flags' : ', with tcp-flags'}), ${textPerRecord(files[0]).toFixed(0)} bytes of text per record, ${threads} core(s), ${load}` },
    ...(gunzip ? [{ id: 'traffic:gunzip', value: perCore(gunzip), unit: 'records/core-s', note: `wall ${gunzip.seconds.toFixed(1)} s, cpu ${gunzip.cpu.toFixed(1)} s (best of ${gunzips.length}), ${(gunzip.cpu / bare.cpu).toFixed(2)}x the bare scan's cpu: \`gzip -dc\` of the files alone, the floor of any reader` }] : []),
    { id: 'traffic:bare-scan', value: perCore(bare), unit: 'records/core-s', note: note(bare) },
    { id: 'traffic:column-scan', value: perCore(cols), unit: 'records/core-s', note: `${note(cols)}: converting the values the plan reads, nothing else` },
    { id: 'traffic:discover', value: perCore(disc), unit: 'records/core-s', note: `${note(disc)}, ${flows} flows, ${reads(discRun)}` },
    { id: 'traffic:simulate', value: perCore(sim), unit: 'records/core-s', note: `${note(sim)}, ${conversations} conversations, ${reads(simRun)}` },
    { id: 'traffic:discover-vs-scan', value: Number((disc.cpu / bare.cpu).toFixed(2)), unit: 'x bare scan cpu' },
    { id: 'traffic:simulate-vs-scan', value: Number((sim.cpu / bare.cpu).toFixed(2)), unit: 'x bare scan cpu' },
    ...(gunzip ? [{ id: 'traffic:gunzip-vs-scan', value: Number((gunzip.cpu / bare.cpu).toFixed(2)), unit: 'x bare scan cpu' }] : []),
    { id: 'traffic:column-scan-vs-scan', value: Number((cols.cpu / bare.cpu).toFixed(2)), unit: 'x bare scan cpu' },
    { id: 'traffic:peak-rss:bare-scan', value: bare.peakMb, unit: 'MB' },
    { id: 'traffic:peak-rss:discover', value: disc.peakMb, unit: 'MB' },
    { id: 'traffic:peak-rss:simulate', value: sim.peakMb, unit: 'MB' },
  ];
  for (const f of figures) console.log(`${f.id.padEnd(20)} ${String(f.value).padStart(12)} ${f.unit}${f.note ? `  (${f.note})` : ''}`);
  return figures;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--records');
  const records = at >= 0 ? Number(argv[at + 1]) : 22_000_000;
  const fa = argv.indexOf('--format');
  const format = fa >= 0 ? (argv[fa + 1] as TrafficFormat) : undefined;
  const ra = argv.indexOf('--rounds');
  const rounds = ra >= 0 ? Number(argv[ra + 1]) : undefined;
  if (argv.includes('--prepare-only')) {
    const dir = path.join(__dirname, 'out', `traffic-i${records}${format && format !== 'v5' ? `-${format}` : ''}`, 'logs');
    void prepare(dir, records, 1, format).then(r => console.log(`traffic: ${r.records} records in ${r.files.length} file(s) under ${dir}`)).catch(e => { console.error(e); process.exitCode = 1; });
  } else void runTrafficBench({ records, rounds, format, outRoot: path.join(__dirname, 'out') }).catch(e => { console.error(e); process.exitCode = 1; });
}

/**
 * The format readers: the real published Azure and GCP samples (test/fixtures/flowlogs, see the
 * SOURCE.md files there) are recognised by content and yield the normalised record relation
 * with the expected counts, sums and orientation; other export shapes (GCP JSON array, BigQuery
 * NDJSON, flattened CSV, Parquet; AWS Parquet) read the same records; malformed input stops the read.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrafficAnalysis } from '../../src/traffic';
import { Db, openDb, sqlString } from '../../src/traffic/duckdb';
import { fileHead, gzipEndPlausible, verifyGzip } from '../../src/traffic/file-head';
import { planSources } from '../../src/traffic/formats';
import { tmpDir } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'flowlogs');
const AZ = (f: string) => path.join(FIX, 'azure', f);
const GCP = (f: string) => path.join(FIX, 'gcp', f);

let db: Db;
beforeAll(async () => { db = await openDb(1); });
afterAll(() => db.close());

/** The normalised relation of some files, as plain rows. */
async function relation(files: string[], robust = false) {
  const groups = await planSources(files, db);
  const sql = groups.map(g => g.select(robust)).join(' UNION ALL ');
  const rows = await db.all(`SELECT * FROM (${sql}) ORDER BY tstart, src, dst, sport, dport`);
  return { kinds: groups.map(g => g.kind), rows: rows.map(r => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))) };
}
const sum = (rows: Record<string, unknown>[], k: string) => rows.reduce((s, r) => s + Number(r[k] ?? 0), 0);
const count = (rows: Record<string, unknown>[], f: (r: Record<string, any>) => boolean) => rows.filter(f).length;

describe('Azure samples', () => {
  it('VNet flow log v4: 19 tuples, 10 accepted outbound HTTPS (47,820 bytes), 9 denied inbound, initiator first', async () => {
    const { kinds, rows } = await relation([AZ('vnet-flowlog-v4-sample.json')]);
    expect(kinds).toEqual(['azure-vnet']);
    expect(rows).toHaveLength(19);
    expect(count(rows, r => r.action === 'REJECT')).toBe(9);
    expect(count(rows, r => r.action === 'ACCEPT' && r.src === '10.0.0.6' && r.dport === 443)).toBe(10);
    expect(count(rows, r => r.action === 'REJECT' && r.dst === '10.0.0.6')).toBe(9);
    expect(sum(rows, 'bytes')).toBe(47_820);
    expect(sum(rows, 'packets')).toBe(3 + 2 + 3 + 4 + 3 + 4 + 2 + 1 + 22 + 33);
    expect(new Set(rows.map(r => r.orient))).toEqual(new Set([1]));
    expect(new Set(rows.map(r => r.status))).toEqual(new Set(['OK']));
    expect(rows[0]).toMatchObject({ src: '20.106.221.10', dst: '10.0.0.6', sport: 50557, dport: 44357, proto: 6, tstart: 1663145989, action: 'REJECT', flags: 2 });
    expect(rows.find(r => r.sport === 36776 && r.flags === 1)).toMatchObject({ packets: 55, bytes: 34_683, tstart: 1663146022 });
  });

  it('NSG flow log v2: 11 tuples, 4 accepted, 7 denied (one UDP), B tuples without counters', async () => {
    const { kinds, rows } = await relation([AZ('nsg-flowlog-v2-sample.json')]);
    expect(kinds).toEqual(['azure-nsg']);
    expect(rows).toHaveLength(11);
    expect(count(rows, r => r.action === 'REJECT')).toBe(7);
    expect(count(rows, r => r.proto === 17)).toBe(1);
    expect(sum(rows, 'bytes')).toBe(132 + 30_986 + 15_543);
    expect(rows.find(r => r.dst === '203.0.113.118')).toMatchObject({ sport: 59831, dport: 443, packets: 0, bytes: 0, tstart: 1542110377, flags: 2, orient: 1 });
  });

  it('NSG flow log v1: 9 tuples, 7 accepted RDP, 2 denied, no counters', async () => {
    const { kinds, rows } = await relation([AZ('nsg-flowlog-v1-sample-first-two-records.json')]);
    expect(kinds).toEqual(['azure-nsg']);
    expect(rows).toHaveLength(9);
    expect(count(rows, r => r.action === 'ACCEPT' && r.dport === 3389)).toBe(7);
    expect(count(rows, r => r.action === 'REJECT')).toBe(2);
    expect(rows.every(r => r.bytes === null)).toBe(true);
  });

  it('the docs\' bandwidth tuples sum to 9,125 packets and 5,256,000 bytes (v4 and NSG v2)', async () => {
    const dir = tmpDir('az-bw-');
    const v4 = ['1493763938000,185.170.185.105,10.2.0.4,35370,23,6,I,B,NX,,,,', '1493695838000,185.170.185.105,10.2.0.4,35370,23,6,I,C,NX,1021,588096,8005,4610880', '1493696138000,185.170.185.105,10.2.0.4,35370,23,6,I,E,NX,52,29952,47,27072'];
    const nsg = ['1708978215,203.0.113.105,10.0.0.5,35370,443,T,I,A,B,,,,', '1708978215,203.0.113.105,10.0.0.5,35370,443,T,I,A,C,1021,588096,8005,4610880', '1708978215,203.0.113.105,10.0.0.5,35370,443,T,I,A,E,52,29952,47,27072'];
    const a = path.join(dir, 'PT1H.json');
    fs.writeFileSync(a, JSON.stringify({ records: [{ time: '2017-05-02T10:00:00Z', flowLogVersion: 4, flowRecords: { flows: [{ aclID: 'x', flowGroups: [{ rule: 'r', flowTuples: v4 }] }] } }] }));
    const b = path.join(dir, 'nsg.json');
    fs.writeFileSync(b, JSON.stringify({ records: [{ time: '2024-02-26T20:10:15Z', category: 'NetworkSecurityGroupFlowEvent', properties: { Version: 2, flows: [{ rule: 'r', flows: [{ mac: '00', flowTuples: nsg }] }] } }] }));
    for (const f of [a, b]) {
      const { rows } = await relation([f]);
      expect([rows.length, sum(rows, 'packets'), sum(rows, 'bytes')]).toEqual([3, 9125, 5_256_000]);
    }
  });

  it('a tuple with missing values or an unknown protocol letter stops the read', async () => {
    const dir = tmpDir('az-bad-');
    const f = path.join(dir, 'PT1H.json');
    fs.writeFileSync(f, JSON.stringify({ records: [{ flowLogVersion: 4, flowRecords: { flows: [{ flowGroups: [{ rule: 'r', flowTuples: ['1663146003599,10.0.0.6,52.239.184.180,23956,443,6,O,B'] }] }] } }] }));
    await expect(TrafficAnalysis.discover({ logs: [f] })).rejects.toThrow(/microseg:FlowLogUnreadable.*could not be read completely.*expected 13/);
    const g = path.join(dir, 'nsg.json');
    fs.writeFileSync(g, JSON.stringify({ records: [{ category: 'NetworkSecurityGroupFlowEvent', properties: { Version: 2, flows: [{ rule: 'r', flows: [{ mac: '00', flowTuples: ['1542110402,192.0.2.190,10.5.16.4,28746,443,X,I,D,B,,,,'] }] }] } }] }));
    await expect(TrafficAnalysis.discover({ logs: [g] })).rejects.toThrow(/microseg:FlowLogUnreadable.*not of version 1 or 2/);
  });

  it('discover on the VNet sample: the VM is the client of HTTPS, the denied attempts go to the VM', async () => {
    const r = await TrafficAnalysis.discover({ logs: [AZ('vnet-flowlog-v4-sample.json')] });
    expect(r.records).toEqual({ read: 19, traffic: 19, skipped: 0, rejected: 9 });
    expect(r.flows.map(f => [f.from, f.to, f.protocol, f.ports, f.records, f.bytes])).toEqual([['ipv4:10.0.0.6', 'ipv4:0.0.0.0/0', 'tcp', [443], 10, 47_820]]);
    expect(r.rejected.map(f => [f.from, f.to, f.ports])).toEqual([['ipv4:0.0.0.0/0', 'ipv4:10.0.0.6', [22, 119, 28184, 30472, 31244, 35945, 40129, 44357, 65515]]]);
    expect(r.window).toEqual({ start: '2022-09-14T08:59:49Z', end: '2022-09-14T09:00:22Z' });
  });
});

describe('GCP samples', () => {
  it('Cloud Logging entries, one per line, with comment and blank lines: 13 + 5 + 3 + 2 + 1 records', async () => {
    const expected: [string, number, number][] = [
      ['vpcflow-mozilla-foxsec-exfiltration1.txt', 13, 1_000_012_000],
      ['vpcflow-mozilla-foxsec-exfiltration2a.txt', 5, 1_000_004_000],
      ['vpcflow-mozilla-foxsec-exfiltration2b.txt', 3, 0],
      ['vpcflow-mozilla-foxsec-exfiltration2c.txt', 2, 2000],
      ['vpcflow-mozilla-foxsec-parsertest-record.json', 1, 100_875_973],
    ];
    for (const [file, n, bytes] of expected) {
      const fast = await relation([GCP(file)]).catch(() => undefined);
      const { kinds, rows } = await relation([GCP(file)], true);
      expect(kinds).toEqual(['gcp-json']);
      expect([file, rows.length, sum(rows, 'bytes')]).toEqual([file, n, bytes]);
      // files without comment lines read the same with the fast reader
      if (fast) expect(fast.rows).toEqual(rows);
    }
    const { rows } = await relation([GCP('vpcflow-mozilla-foxsec-parsertest-record.json')]);
    expect(rows).toEqual([{ src: '192.168.1.1', dst: '10.0.0.1', sport: 22, dport: 48478, proto: 6, packets: 5903, bytes: 100_875_973, tstart: 1594911428, tend: 1594911596, action: 'ACCEPT', status: 'OK', flags: null, orient: null }]);
  });

  it('discover reads every GCP sample of the folder (the comment lines need the tolerant reader)', async () => {
    const r = await TrafficAnalysis.discover({ logs: [path.join(FIX, 'gcp')] });
    expect(r.records).toEqual({ read: 24, traffic: 24, skipped: 0, rejected: 0 });
    expect(r.flows.reduce((s, f) => s + f.records, 0)).toBe(24);
  });

  it('the same entries as a JSON array, a BigQuery NDJSON export, a flattened CSV and Parquet', async () => {
    const dir = tmpDir('gcp-shapes-');
    const lines = fs.readFileSync(GCP('vpcflow-mozilla-foxsec-exfiltration1.txt'), 'utf8').split('\n').filter(l => l.startsWith('{'));
    const entries = lines.map(l => JSON.parse(l));
    const base = await relation([GCP('vpcflow-mozilla-foxsec-exfiltration1.txt')], true);
    const strip = (rows: Record<string, unknown>[]) => rows.map(r => ({ ...r }));

    const arr = path.join(dir, 'gcloud-logging-read.json');
    fs.writeFileSync(arr, JSON.stringify(entries, null, 2));
    const a = await relation([arr]);
    expect(a.kinds).toEqual(['gcp-json-array']);
    expect(strip(a.rows)).toEqual(strip(base.rows));

    // BigQuery's NDJSON extract: integers as numbers or strings, timestamps as "YYYY-MM-DD hh:mm:ss UTC"
    const bq = path.join(dir, 'bq-extract.json');
    const bqTime = (t: string) => t.replace('T', ' ').replace(/(\.\d{6})\d*Z$/, '$1 UTC').replace(/Z$/, ' UTC');
    fs.writeFileSync(bq, entries.map(e => JSON.stringify({ ...e, timestamp: bqTime(e.timestamp), jsonPayload: { ...e.jsonPayload, bytes_sent: Number(e.jsonPayload.bytes_sent), start_time: bqTime(e.jsonPayload.start_time), end_time: bqTime(e.jsonPayload.end_time) } })).join('\n') + '\n');
    expect(strip((await relation([bq])).rows)).toEqual(strip(base.rows));

    // a flattened query result exported as CSV (column names as BigQuery's paths)
    const csv = path.join(dir, 'bq-flat.csv');
    const cols = ['src_ip', 'src_port', 'dest_ip', 'dest_port', 'protocol', 'bytes_sent', 'packets_sent', 'start_time', 'end_time', 'reporter'];
    fs.writeFileSync(csv, [cols.map(c => (c.endsWith('_ip') || c.endsWith('_port') || c === 'protocol' ? `jsonPayload.connection.${c}` : `jsonPayload.${c}`)).join(','),
      ...entries.map(e => cols.map(c => String((e.jsonPayload.connection[c] ?? e.jsonPayload[c]) ?? '')).join(','))].join('\n') + '\n');
    const c = await relation([csv]);
    expect(c.kinds).toEqual(['gcp-csv']);
    expect(strip(c.rows)).toEqual(strip(base.rows));

    // the nested table written as Parquet (as `bq extract --destination_format PARQUET` does)
    const pq = path.join(dir, 'bq-extract.parquet');
    await db.run(`COPY (SELECT * FROM read_json(${sqlString(bq)}, format='newline_delimited')) TO ${sqlString(pq)} (FORMAT parquet)`);
    const p = await relation([pq]);
    expect(p.kinds).toEqual(['gcp-parquet']);
    expect(strip(p.rows)).toEqual(strip(base.rows));
  });

  it('a DEST report of a connection its source also reported is a duplicate, never traffic twice', async () => {
    const dir = tmpDir('gcp-dedup-');
    const entry = (reporter: string, src: string, dst: string, sp: number, dp: number) => JSON.stringify({ jsonPayload: {
      connection: { src_ip: src, dest_ip: dst, src_port: sp, dest_port: dp, protocol: 6 }, reporter, bytes_sent: '100', packets_sent: '2',
      start_time: '2026-11-01T00:00:00Z', end_time: '2026-11-01T00:00:05Z' } });
    const f = path.join(dir, 'flows.json');
    fs.writeFileSync(f, [entry('SRC', '10.0.0.2', '10.0.0.3', 40000, 5432), entry('DEST', '10.0.0.2', '10.0.0.3', 40000, 5432),
      entry('SRC', '10.0.0.3', '10.0.0.2', 5432, 40000), entry('DEST', '10.0.0.3', '10.0.0.2', 5432, 40000),
      entry('DEST', '198.51.100.7', '10.0.0.3', 50000, 5432)].join('\n'));
    const r = await TrafficAnalysis.discover({ logs: [f] });
    expect(r.records).toEqual({ read: 5, traffic: 3, skipped: 0, rejected: 0 });
    expect(r.flows.map(x => [x.from, x.to, x.ports, x.records, x.bytes])).toEqual([
      ['ipv4:0.0.0.0/0', 'ipv4:10.0.0.3', [5432], 1, 100],
      ['ipv4:10.0.0.2', 'ipv4:10.0.0.3', [5432], 2, 200],
    ]);
  });

  it('an entry without a connection, or unknown JSON, stops the read', async () => {
    const dir = tmpDir('gcp-bad-');
    const f = path.join(dir, 'flows.json');
    fs.writeFileSync(f, '{"jsonPayload": {"connection": {"src_ip": "10.0.0.1", "dest_ip": "10.0.0.2", "src_port": 1, "dest_port": 2, "protocol": 6}}}\n{"jsonPayload": {"message": "hello"}}\n');
    await expect(TrafficAnalysis.discover({ logs: [f] })).rejects.toThrow(/microseg:FlowLogUnreadable.*no jsonPayload.connection/);
    const g = path.join(dir, 'other.json');
    fs.writeFileSync(g, '{"Vpcs": []}');
    await expect(TrafficAnalysis.discover({ logs: [g] })).rejects.toThrow(/microseg:FlowLogUnreadable.*is JSON but not a recognised flow log/);
  });
});

describe('AWS Parquet', () => {
  it('the Parquet fixture (written by DuckDB from the v5 text sample) reads the same records as the text', async () => {
    const text = await relation([path.join(FIX, 'aws', 'v5-custom-traffic-path-flow-direction.log')]);
    const pq = await relation([path.join(FIX, 'aws', 'v5-custom-traffic-path-flow-direction.parquet')]);
    expect(pq.kinds).toEqual(['aws-parquet']);
    expect(pq.rows).toEqual(text.rows);
    expect(pq.rows).toHaveLength(2);
  });

  it('a Parquet file without ports is refused, not guessed', async () => {
    const dir = tmpDir('pq-bad-');
    const f = path.join(dir, 'x.parquet');
    await db.run(`COPY (SELECT '10.0.0.1' AS srcaddr, '10.0.0.2' AS dstaddr) TO ${sqlString(f)} (FORMAT parquet)`);
    await expect(TrafficAnalysis.discover({ logs: [f] })).rejects.toThrow(/microseg:FlowLogUnreadable.*lacks the fields srcport, dstport, protocol/);
  });
});

describe('Azure and GCP storage layouts are pruned by date', () => {
  it('pathRange reads y=/m=/d=/h= blobs and vpc_flows/yyyy/mm/dd/hh:00:00_... objects', async () => {
    const { pathRange } = await import('../../src/traffic/sources.js');
    const hour = (p: string) => { const r = pathRange(p)!; return [new Date(r.start).toISOString(), new Date(r.end).toISOString()]; };
    expect(hour('/sa/insights-logs-flowlogflowevent/flowLogResourceID=/SUB/y=2026/m=11/d=01/h=10/m=00/macAddress=00224871C205/PT1H.json'))
      .toEqual(['2026-11-01T10:00:00.000Z', '2026-11-01T11:00:00.000Z']);
    expect(hour('/bucket/compute.googleapis.com/vpc_flows/2026/11/01/10:00:00_10:59:59_S0.json')).toEqual(['2026-11-01T10:00:00.000Z', '2026-11-01T11:00:00.000Z']);
    expect(hour('/bucket/compute.googleapis.com/vpc_flows/2026/11')).toEqual(['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z']);
  });

  it('--since skips the generated Azure hour folders outside the window before reading', async () => {
    const { writeAzureV4 } = await import('../support/traffic-generator.js');
    const { SHOP } = await import('./helpers.js');
    const root = tmpDir('az-prune-');
    writeAzureV4(SHOP, { root, start: 1_790_000_000, seed: 3 });
    await expect(TrafficAnalysis.discover({ logs: [root], since: '2026-12-01T00:00:00Z' })).rejects.toThrow(/holds no flow log file in the window \(\d+ file\(s\) or folder\(s\) outside it\)/);
    const r = await TrafficAnalysis.discover({ logs: [root], since: new Date(1_790_000_000_000 - 60_000).toISOString() });
    expect(r.records.traffic).toBeGreaterThan(0);
  });
});

describe('the head of a file (format recognition)', () => {
  const header = 'version srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags';
  const line = (i: number) => `5 10.0.${i % 250}.${i % 200} 10.1.0.${i % 7} ${32768 + (i % 28000)} 443 6 10 ${i} 1700000000 1700000060 ACCEPT OK 2`;

  it('inflates only the text asked for: the gzip of 12 MB of text gives its first 64 KB, header first', () => {
    const dir = tmpDir();
    const text = [header, ...Array.from({ length: 150_000 }, (_, i) => line(i))].join('\n');
    const file = path.join(dir, 'big.log.gz');
    fs.writeFileSync(file, zlib.gzipSync(text));
    const h = fileHead(file);
    expect(h.gzip).toBe(true);
    expect(h.parquet).toBe(false);
    expect(h.text.length).toBe(65536);
    expect(h.text).toBe(text.slice(0, 65536));
    expect(fileHead(file, 100).text).toBe(text.slice(0, 100));
  });

  it('a small or highly compressible gzip gives all its text or the text asked for; plain text as is', () => {
    const dir = tmpDir();
    const small = path.join(dir, 'small.log.gz');
    fs.writeFileSync(small, zlib.gzipSync(`${header}\n${line(1)}\n`));
    expect(fileHead(small).text).toBe(`${header}\n${line(1)}\n`);
    const dense = path.join(dir, 'dense.log.gz');
    fs.writeFileSync(dense, zlib.gzipSync(`${header}\n${`${line(7)}\n`.repeat(200_000)}`));
    expect(fileHead(dense).text.startsWith(`${header}\n${line(7)}\n`)).toBe(true);
    expect(fileHead(dense).text.length).toBe(65536);
    const plain = path.join(dir, 'plain.log');
    fs.writeFileSync(plain, `${header}\n${line(2)}\n`);
    expect(fileHead(plain)).toEqual({ text: `${header}\n${line(2)}\n`, gzip: false, parquet: false });
  });

  it('a truncated or corrupt gzip is FlowLogUnreadable naming the file', () => {
    const dir = tmpDir();
    const bad = path.join(dir, 'bad.log.gz');
    const gz = zlib.gzipSync(`${header}\n${line(3)}\n`);
    gz[12] ^= 0xff; gz[13] ^= 0xff; gz[14] ^= 0xff;
    fs.writeFileSync(bad, gz);
    expect(() => fileHead(bad)).toThrow(expect.objectContaining({ code: 'FlowLogUnreadable', message: expect.stringContaining('bad.log.gz') }));
  });

  // gzip of `text` with a flush after `cutAt` characters, and only the bytes up to that flush: a
  // stream cut exactly at a line boundary, which DuckDB reads as if the file ended there
  const cutAtFlush = (text: string, cutAt: number) => {
    const z = zlib.createGzip();
    const first: Buffer[] = [];
    z.on('data', (c: Buffer) => first.push(c));
    return new Promise<Buffer>(resolve => {
      z.write(text.slice(0, cutAt), () => z.flush(zlib.constants.Z_FULL_FLUSH, () => resolve(Buffer.concat(first))));
    });
  };

  it('a gzip cut at a line boundary fails closed, small or large: FlowLogUnreadable, never a shorter read', async () => {
    const dir = tmpDir();
    const small = path.join(dir, 'small.log.gz');
    const shortText = [header, ...Array.from({ length: 100 }, (_, i) => line(i))].join('\n') + '\n';
    fs.writeFileSync(small, await cutAtFlush(shortText, shortText.indexOf('\n', shortText.length >> 1) + 1));
    expect(() => fileHead(small)).toThrow(expect.objectContaining({ code: 'FlowLogUnreadable', message: expect.stringContaining('truncated or corrupt gzip') }));

    const dir2 = tmpDir();
    const big = path.join(dir2, 'big.log.gz');
    const text = [header, ...Array.from({ length: 150_000 }, (_, i) => line(i))].join('\n') + '\n';
    const gz = await cutAtFlush(text, text.indexOf('\n', text.length >> 1) + 1);
    expect(gz.length).toBeGreaterThan(256 << 10);
    expect(gz.subarray(gz.length - 4)).toEqual(Buffer.from([0, 0, 0xff, 0xff]));
    fs.writeFileSync(big, gz);
    expect(fileHead(big).gzipSuspect).toBe(true);
    await expect(TrafficAnalysis.discover({ logs: [dir2] })).rejects.toThrow(expect.objectContaining({ code: 'FlowLogUnreadable', message: expect.stringMatching(/big\.log\.gz.*truncated or corrupt gzip/) }));
  });

  it('the end of a whole gzip stream is plausible; a flush marker or an impossible size is not', () => {
    const text = [header, ...Array.from({ length: 20_000 }, (_, i) => line(i))].join('\n');
    const gz = zlib.gzipSync(text);
    expect(gzipEndPlausible(gz.length, gz.subarray(gz.length - 8))).toBe(true);
    const tail = (isize: number) => { const b = Buffer.alloc(8); b.writeUInt32LE(isize, 4); return b; };
    expect(gzipEndPlausible(1_000_000, tail(12_000_000))).toBe(true);
    expect(gzipEndPlausible(1_000_000, tail(100_000_000))).toBe(false); // 100x: beyond any flow log text
    expect(gzipEndPlausible(1_000_000, tail(500_000))).toBe(false); // smaller than its compressed form
    expect(gzipEndPlausible(100_000_000, tail(1_000))).toBe(true); // 4 GB + 1,000 bytes of text, modulo 2^32
    expect(gzipEndPlausible(1_000_000, Buffer.from([1, 2, 3, 4, 0, 0, 0xff, 0xff]))).toBe(false);
  });

  it('a small gzip of much text is not inflated whole into memory: it is checked as a stream', async () => {
    const file = path.join(tmpDir(), 'dense.log.gz');
    fs.writeFileSync(file, zlib.gzipSync(`${header}\n${`${line(7)}\n`.repeat(600_000)}`)); // 50 MB of text
    expect(fs.statSync(file).size).toBeLessThan(256 << 10);
    const h = fileHead(file);
    expect(h.gzipSuspect).toBe(true);
    expect(h.text.startsWith(`${header}\n${line(7)}\n`)).toBe(true);
    await expect(verifyGzip(file)).resolves.toBeUndefined();
    const gz = fs.readFileSync(file);
    fs.writeFileSync(file, gz.subarray(0, gz.length - 100));
    await expect(verifyGzip(file)).rejects.toThrow(expect.objectContaining({ code: 'FlowLogUnreadable', message: expect.stringContaining('truncated or corrupt gzip') }));
  });

  it('a whole gzip whose end looks unusual (two members, the last small) is inflated whole and read completely', async () => {
    const dir = tmpDir();
    const lines = Array.from({ length: 150_000 }, (_, i) => line(i));
    const gz = Buffer.concat([zlib.gzipSync([header, ...lines].join('\n') + '\n'), zlib.gzipSync(`${line(150_000)}\n`)]);
    const file = path.join(dir, 'two-members.log.gz');
    fs.writeFileSync(file, gz);
    expect(fileHead(file).gzipSuspect).toBe(true);
    const r = await TrafficAnalysis.discover({ logs: [dir] });
    expect(r.records.read).toBe(150_001);
  });
});

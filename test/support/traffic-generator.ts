/**
 * Generated flow logs for tests and the bench: an estate (workloads with addresses), a call graph
 * (client workload -> server workload on a protocol and port), and the AWS VPC Flow Logs records
 * that such traffic produces, written as S3 delivers them (gzip, a header line, the
 * `AWSLogs/<acct>/vpcflowlogs/<region>/yyyy/mm/dd/` layout). Deterministic from a seed (sfc32).
 *
 * Shape of the traffic, as flow logs see it: each connection from a client address on an
 * ephemeral port (32768-60999, distinct per client address) to a server address on its listening
 * port appears as one record per direction per aggregation window; with `tcp-flags` the first
 * window of a connection carries SYN (2) from the client and SYN-ACK (18) from the server, later
 * windows (pooled, long-lived connections) carry none. Rejects are one SYN record each.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

/** sfc32: a small deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed; let b = 0x243f6a88; let c = 0xb7e15162; let d = seed >>> 0;
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0; a = b ^ (b >>> 9); b = (c + (c << 3)) | 0; c = (c << 21) | (c >>> 11); c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

export interface GenWorkload { name: string; zone: string; addresses: string[] }
export interface GenCall {
  /** Client: a workload name, or a raw address (internet or unknown host). */
  client: string;
  server: string;
  protocol: 'tcp' | 'udp';
  port: number;
  /** Connections to generate (>= 2 so the shape is visible without flags). */
  connections: number;
  /** Windows per connection (> 1: a pooled, long-lived connection). */
  windows: number;
  /** REJECT attempts instead of accepted traffic. */
  reject?: boolean;
}
export interface GenEstate { workloads: GenWorkload[]; calls: GenCall[] }

/** The fields written; `v2` is the default format (no flags), `v5` a custom order with flags. */
export const FORMATS = {
  v2: ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status'],
  v5: ['version', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'start', 'end', 'type', 'packets', 'bytes', 'account-id', 'vpc-id', 'subnet-id',
    'instance-id', 'interface-id', 'region', 'az-id', 'sublocation-type', 'sublocation-id', 'action', 'tcp-flags', 'pkt-srcaddr', 'pkt-dstaddr',
    'pkt-src-aws-service', 'pkt-dst-aws-service', 'traffic-path', 'flow-direction', 'log-status'],
} as const;

export interface GenOptions {
  readonly format: keyof typeof FORMATS;
  /** Start of the first window (epoch seconds). */
  readonly start: number;
  /** Window length in seconds. */
  readonly window?: number;
  /** NODATA/SKIPDATA records to add. */
  readonly nodata?: number;
  readonly seed: number;
}

/** Streams every record line of the estate's traffic (no header) to `emit`. */
export function generateRecords(estate: GenEstate, o: GenOptions, emit: (line: string) => void): number {
  const rnd = prng(o.seed);
  const win = o.window ?? 60;
  const fields = FORMATS[o.format];
  const byName = new Map(estate.workloads.map(w => [w.name, w]));
  const addrOf = (who: string) => { const w = byName.get(who); return w ? w.addresses[Math.floor(rnd() * w.addresses.length)] : who; };
  const listening = new Set(estate.calls.map(c => c.port));
  const nextPort = new Map<string, number>();
  const ephemeral = (addr: string) => {
    let p = nextPort.get(addr) ?? 32768 + Math.floor(rnd() * 1000);
    do { p = p >= 60999 ? 32768 : p + 1; } while (listening.has(p));
    nextPort.set(addr, p);
    return p;
  };
  let n = 0;
  const line = (v: Record<string, string | number>) => {
    emit(fields.map(f => (v[f] === undefined ? '-' : String(v[f]))).join(' '));
    n++;
  };
  const base = (src: string, dst: string, sp: number, dp: number, proto: number, t: number, action: string, flags: number, dir: string) => ({
    'version': o.format === 'v2' ? 2 : 5, 'account-id': '012345678901', 'interface-id': 'eni-0a1b2c3d4e5f60718', 'srcaddr': src, 'dstaddr': dst,
    'srcport': sp, 'dstport': dp, 'protocol': proto, 'packets': 1 + Math.floor(rnd() * 20), 'bytes': 40 + Math.floor(rnd() * 5000),
    'start': t, 'end': t + win, 'action': action, 'log-status': 'OK', 'type': 'IPv4', 'tcp-flags': flags, 'vpc-id': 'vpc-0123456789abcdef0',
    'subnet-id': 'subnet-0123456789abcdef0', 'instance-id': 'i-0123456789abcdef0', 'region': 'eu-west-1', 'az-id': 'euw1-az1',
    'pkt-srcaddr': src, 'pkt-dstaddr': dst, 'flow-direction': dir,
  });
  let t = o.start;
  for (const c of estate.calls) {
    const proto = c.protocol === 'tcp' ? 6 : 17;
    for (let k = 0; k < c.connections; k++) {
      const ca = addrOf(c.client); const sa = addrOf(c.server); const cp = ephemeral(ca);
      if (c.reject) {
        line(base(ca, sa, cp, c.port, proto, t, 'REJECT', proto === 6 ? 2 : 0, 'ingress'));
        continue;
      }
      for (let w = 0; w < c.windows; w++) {
        const first = w === 0 && proto === 6;
        line(base(ca, sa, cp, c.port, proto, t + w * win, 'ACCEPT', first ? 2 : 0, 'egress'));
        line(base(sa, ca, c.port, cp, proto, t + w * win, 'ACCEPT', first ? 18 : 0, 'ingress'));
      }
      t += 1;
    }
  }
  for (let i = 0; i < (o.nodata ?? 0); i++) {
    const v: Record<string, string | number> = { 'version': o.format === 'v2' ? 2 : 5, 'account-id': '012345678901', 'interface-id': 'eni-0a1b2c3d4e5f60718', 'start': o.start, 'end': o.start + win, 'log-status': i % 2 ? 'SKIPDATA' : 'NODATA' };
    line(v);
  }
  return n;
}

/** S3 key folder of a delivery time. */
export function s3Folder(root: string, epochSeconds: number, hive = false): string {
  const d = new Date(epochSeconds * 1000);
  const [y, m, day] = [d.getUTCFullYear(), String(d.getUTCMonth() + 1).padStart(2, '0'), String(d.getUTCDate()).padStart(2, '0')];
  return hive
    ? path.join(root, 'AWSLogs', 'aws-account-id=012345678901', 'aws-service=vpcflowlogs', 'aws-region=eu-west-1', `year=${y}`, `month=${m}`, `day=${day}`)
    : path.join(root, 'AWSLogs', '012345678901', 'vpcflowlogs', 'eu-west-1', String(y), m, day);
}

/** Writes the records as S3-delivered gzip files of at most `perFile` records. Returns the files. */
export function writeS3(estate: GenEstate, o: GenOptions & { root: string; perFile?: number; hive?: boolean; gzip?: boolean }): { files: string[]; records: number } {
  const lines: string[] = [];
  const records = generateRecords(estate, o, l => lines.push(l));
  const per = o.perFile ?? 100_000;
  const files: string[] = [];
  const header = FORMATS[o.format].join(' ');
  for (let i = 0; i * per < lines.length || i === 0; i++) {
    const dir = s3Folder(o.root, o.start, o.hive);
    fs.mkdirSync(dir, { recursive: true });
    const stamp = new Date(o.start * 1000).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
    const file = path.join(dir, `012345678901_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_${stamp}_${String(i).padStart(4, '0')}.log${o.gzip === false ? '' : '.gz'}`);
    const text = [header, ...lines.slice(i * per, (i + 1) * per)].join('\n') + '\n';
    fs.writeFileSync(file, o.gzip === false ? text : zlib.gzipSync(text));
    files.push(file);
  }
  return { files, records };
}

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
  /** The format docs/traffic.md recommends: the default fields and what microseg reads besides (version 5). */
  recommended: ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action',
    'log-status', 'tcp-flags', 'pkt-srcaddr', 'pkt-dstaddr', 'flow-direction'],
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

/** One generated connection (both clouds' writers below start from these). */
export interface GenConnection {
  client: string;
  server: string;
  clientPort: number;
  port: number;
  proto: 6 | 17;
  /** Start of its first window (epoch seconds). */
  t: number;
  windows: number;
  reject: boolean;
  /** Whether the client and the server are workloads (VMs whose interfaces write flow logs). */
  clientVm: boolean;
  serverVm: boolean;
}

/** The estate's connections: addresses drawn per connection, ephemeral client ports per address. */
export function generateConnections(estate: GenEstate, o: { start: number; seed: number; window?: number }): GenConnection[] {
  const rnd = prng(o.seed);
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
  const out: GenConnection[] = [];
  let t = o.start;
  for (const c of estate.calls) {
    for (let k = 0; k < c.connections; k++) {
      const client = addrOf(c.client); const server = addrOf(c.server);
      out.push({ client, server, clientPort: ephemeral(client), port: c.port, proto: c.protocol === 'tcp' ? 6 : 17, t, windows: c.reject ? 1 : c.windows,
        reject: !!c.reject, clientVm: byName.has(c.client), serverVm: byName.has(c.server) });
      t += 1;
    }
  }
  return out;
}

/**
 * Azure VNet flow logs (version 4) of the estate, one `PT1H.json` per interface (MAC) in the
 * storage account's layout: each VM interface writes its own tuples, initiator-first, state B in
 * the first window, C in the following ones and E in the last; denied attempts are state D at
 * the server's interface.
 */
export function writeAzureV4(estate: GenEstate, o: { root: string; start: number; seed: number; window?: number }): { files: string[]; records: number } {
  const win = o.window ?? 60;
  const rnd = prng(o.seed + 1);
  const perNic = new Map<string, { rule: string; tuples: string[] }[]>();
  const add = (nic: string, rule: string, tuple: string) => {
    const groups = perNic.get(nic) ?? [];
    let g = groups.find(x => x.rule === rule);
    if (!g) { g = { rule, tuples: [] }; groups.push(g); }
    g.tuples.push(tuple);
    perNic.set(nic, groups);
  };
  let records = 0;
  for (const c of generateConnections(estate, o)) {
    const tuple = (t: number, dir: string, state: string, counters: boolean) => {
      const n = counters ? [1 + Math.floor(rnd() * 20), 40 + Math.floor(rnd() * 5000), 1 + Math.floor(rnd() * 20), 40 + Math.floor(rnd() * 5000)] : [0, 0, 0, 0];
      return `${t * 1000 + Math.floor(rnd() * 1000)},${c.client},${c.server},${c.clientPort},${c.port},${c.proto},${dir},${state},NX,${n.join(',')}`;
    };
    const nics: [string, string][] = [...(c.clientVm ? [[c.client, 'O'] as [string, string]] : []), ...(c.serverVm ? [[c.server, 'I'] as [string, string]] : [])];
    for (const [nic, dir] of nics) {
      if (c.reject) {
        if (dir === 'I') { add(nic, 'DefaultRule_DenyAllInBound', tuple(c.t, dir, 'D', false)); records++; }
        continue;
      }
      for (let w = 0; w < c.windows; w++) {
        const t = c.t + w * win;
        if (w === 0) { add(nic, 'AllowVnet', tuple(t, dir, 'B', false)); records++; }
        add(nic, 'AllowVnet', tuple(t + 1, dir, w === c.windows - 1 ? 'E' : 'C', true));
        records++;
      }
    }
  }
  const d = new Date(o.start * 1000);
  const files: string[] = [];
  for (const [nic, groups] of [...perNic.entries()].sort()) {
    const mac = nic.split('.').map(x => Number(x).toString(16).padStart(2, '0').toUpperCase()).join('').padStart(12, '0');
    const dir = path.join(o.root, 'insights-logs-flowlogflowevent', 'flowLogResourceID=', 'SUBSCRIPTIONS', '00000000-0000-0000-0000-000000000000', 'RESOURCEGROUPS',
      'NETWORKWATCHERRG', 'PROVIDERS', 'MICROSOFT.NETWORK', 'NETWORKWATCHERS', 'NETWORKWATCHER_WESTEUROPE', 'FLOWLOGS', 'VNETFLOWLOG',
      `y=${d.getUTCFullYear()}`, `m=${String(d.getUTCMonth() + 1).padStart(2, '0')}`, `d=${String(d.getUTCDate()).padStart(2, '0')}`,
      `h=${String(d.getUTCHours()).padStart(2, '0')}`, 'm=00', `macAddress=${mac}`);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'PT1H.json');
    fs.writeFileSync(file, JSON.stringify({ records: [{
      time: d.toISOString(), flowLogVersion: 4, flowLogGUID: '00000000-0000-0000-0000-000000000001', macAddress: mac, category: 'FlowLogFlowEvent',
      flowLogResourceID: '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_WESTEUROPE/FLOWLOGS/VNETFLOWLOG',
      targetResourceID: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet', operationName: 'FlowLogFlowEvent',
      flowRecords: { flows: [{ aclID: '00000000-0000-0000-0000-000000000002', flowGroups: groups.map(g => ({ rule: g.rule, flowTuples: g.tuples })) }] },
    }] }, null, 1));
    files.push(file);
  }
  return { files, records };
}

/**
 * GCP VPC Flow Logs of the estate as Cloud Logging exports them (one entry per line, or a JSON
 * array): each VM reports both directions of its connections, as `SRC` for what it sent and
 * `DEST` for what it received, so a connection between two VMs is reported four times per
 * window; denied attempts are Firewall Rules Logging entries (`disposition: DENIED`).
 */
export function writeGcp(estate: GenEstate, o: { root: string; start: number; seed: number; window?: number; array?: boolean }): { files: string[]; records: number; duplicates: number } {
  const win = o.window ?? 5;
  const rnd = prng(o.seed + 2);
  const entries: string[] = [];
  let duplicates = 0;
  const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', `.${String(Math.floor(rnd() * 1e9)).padStart(9, '0')}Z`);
  const entry = (payload: Record<string, unknown>, t: number, log: string) => JSON.stringify({
    insertId: `id${entries.length}`, jsonPayload: payload, logName: `projects/p1/logs/compute.googleapis.com%2F${log}`,
    resource: { type: 'gce_subnetwork', labels: { project_id: 'p1', subnetwork_name: 'default', location: 'europe-west1-b' } }, timestamp: iso(t + win), receiveTimestamp: iso(t + win),
  });
  const vm = (yes: boolean, addr: string) => (yes ? { project_id: 'p1', region: 'europe-west1', zone: 'europe-west1-b', vm_name: `vm-${addr.replace(/[.:]/g, '-')}` } : undefined);
  for (const c of generateConnections(estate, o)) {
    if (c.reject) {
      entries.push(entry({ connection: { src_ip: c.client, src_port: c.clientPort, dest_ip: c.server, dest_port: c.port, protocol: c.proto }, disposition: 'DENIED',
        rule_details: { reference: 'network:default/firewall:deny-all', direction: 'INGRESS', action: 'DENY', priority: 65535 }, instance: vm(true, c.server) }, c.t, 'firewall'));
      continue;
    }
    for (let w = 0; w < c.windows; w++) {
      const t = c.t + w * win;
      const flow = (src: string, sp: number, dst: string, dp: number, reporter: string, srcVm: boolean, dstVm: boolean) => entries.push(entry({
        connection: { src_ip: src, src_port: sp, dest_ip: dst, dest_port: dp, protocol: c.proto }, reporter,
        bytes_sent: String(40 + Math.floor(rnd() * 5000)), packets_sent: String(1 + Math.floor(rnd() * 20)), rtt_msec: '1',
        start_time: iso(t), end_time: iso(t + win - 1), src_instance: vm(srcVm, src), dest_instance: vm(dstVm, dst),
      }, t, 'vpc_flows'));
      if (c.clientVm) {
        flow(c.client, c.clientPort, c.server, c.port, 'SRC', true, c.serverVm);
        flow(c.server, c.port, c.client, c.clientPort, 'DEST', c.serverVm, true);
      }
      if (c.clientVm && c.serverVm) duplicates += 2; // each direction reported by both VMs
      if (c.serverVm) {
        flow(c.client, c.clientPort, c.server, c.port, 'DEST', c.clientVm, true);
        flow(c.server, c.port, c.client, c.clientPort, 'SRC', true, c.clientVm);
      }
    }
  }
  fs.mkdirSync(o.root, { recursive: true });
  const file = path.join(o.root, o.array ? 'vpc_flows.json' : 'vpc_flows.jsonl');
  fs.writeFileSync(file, o.array ? `[\n${entries.join(',\n')}\n]\n` : entries.join('\n') + '\n');
  return { files: [file], records: entries.length, duplicates };
}

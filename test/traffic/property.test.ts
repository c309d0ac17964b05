/**
 * Properties on generated estates and traffic in all three clouds' formats (AWS S3 delivery,
 * version 2 without tcp-flags and a custom version 5 order with them; Azure VNet flow logs
 * version 4; GCP VPC Flow Logs as Cloud Logging exports them, JSON lines or a JSON array, with
 * SRC and DEST reports and firewall-log denials), run by `checkUntilAsync` until every format
 * has been checked:
 * - discover returns exactly the generated call graph: no reverse flows, no ephemeral ports, the
 *   internet folded, unknown hosts listed with their peers, rejects apart;
 * - simulate's verdict for every generated conversation equals the model's `modelAllows`.
 */
import * as fs from 'fs';
import * as fc from 'fast-check';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { Peer, Port } from '../../src';
import { modelAllows, PacketEnd, parseAddress } from '../../src/ir';
import { TrafficAnalysis } from '../../src/traffic';
import { parseAwsFields } from '../../src/traffic/aws-text';
import { checkUntilAsync } from '../support/property';
import { FORMATS as GEN_FORMATS, GenCall, GenEstate, writeAzureV4, writeGcp, writeS3 } from '../support/traffic-generator';
import { estateModel, tmpDir, writeManifest } from './helpers';

const PORTS = [22, 80, 443, 5432, 8080, 50051, 33000, 40000];

// recommended: the AWS format docs/traffic.md recommends (the default fields and tcp-flags, pkt-*, flow-direction)
const FORMATS = ['v2', 'v5', 'recommended', 'azure', 'gcp', 'gcp-array'] as const;
type Format = typeof FORMATS[number];

/** Writes the estate's traffic in one format under `root`; returns the record counts discover must report. */
function writeLogs(estate: GenEstate, format: Format, root: string): { read: number; traffic: number; skipped: number; rejected: number } {
  const rejected = estate.calls.filter(c => c.reject).reduce((s, c) => s + c.connections, 0);
  if (format === 'v2' || format === 'v5' || format === 'recommended') {
    const { records } = writeS3(estate, { format, start: 1_790_000_000, seed: 11, root, perFile: 50, nodata: 1 });
    return { read: records, traffic: records - 1, skipped: 1, rejected };
  }
  if (format === 'azure') {
    const { records } = writeAzureV4(estate, { root, start: 1_790_000_000, seed: 11 });
    return { read: records, traffic: records, skipped: 0, rejected };
  }
  const { records, duplicates } = writeGcp(estate, { root, start: 1_790_000_000, seed: 11, array: format === 'gcp-array' });
  return { read: records, traffic: records - duplicates, skipped: 0, rejected };
}

const estateArb: fc.Arbitrary<{ estate: GenEstate; format: Format; declared: boolean[]; anyInternet: boolean }> = fc.record({
  zones: fc.integer({ min: 1, max: 3 }),
  workloads: fc.array(fc.record({ zone: fc.nat(2), addresses: fc.integer({ min: 1, max: 2 }) }), { minLength: 2, maxLength: 6 }),
  calls: fc.array(fc.record({ c: fc.nat(5), s: fc.nat(5), port: fc.constantFrom(...PORTS), udp: fc.boolean(), connections: fc.integer({ min: 2, max: 4 }), windows: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 10 }),
  internet: fc.array(fc.record({ host: fc.integer({ min: 1, max: 200 }), s: fc.nat(5), port: fc.constantFrom(443, 8080) }), { maxLength: 2 }),
  unknown: fc.array(fc.record({ c: fc.nat(5), host: fc.integer({ min: 1, max: 9 }), port: fc.constantFrom(1521, 50051) }), { maxLength: 2 }),
  rejects: fc.array(fc.record({ c: fc.nat(5), s: fc.nat(5), port: fc.constantFrom(22, 3389) }), { maxLength: 2 }),
  format: fc.constantFrom(...FORMATS),
  declared: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
  anyInternet: fc.boolean(),
}).map(g => {
  const n = g.workloads.length;
  const workloads = g.workloads.map((w, i) => ({
    name: `w${i}`, zone: `z${w.zone % g.zones}`,
    addresses: Array.from({ length: w.addresses }, (_, k) => `10.${(w.zone % g.zones) + 1}.${i}.${k + 10}`),
  }));
  const seen = new Set<string>();
  const calls: GenCall[] = [];
  const add = (c: GenCall) => { const k = `${c.client}|${c.server}|${c.protocol}|${c.port}`; if (!seen.has(k) && c.client !== c.server) { seen.add(k); calls.push(c); } };
  for (const c of g.calls) add({ client: `w${c.c % n}`, server: `w${c.s % n}`, protocol: c.udp ? 'udp' : 'tcp', port: c.port, connections: c.connections, windows: c.windows });
  for (const c of g.internet) add({ client: `203.0.113.${c.host}`, server: `w${c.s % n}`, protocol: 'tcp', port: c.port, connections: 2, windows: 1 });
  for (const c of g.unknown) add({ client: `w${c.c % n}`, server: `10.200.0.${c.host}`, protocol: 'tcp', port: c.port, connections: 2, windows: 2 });
  for (const c of g.rejects) add({ client: `w${c.c % n}`, server: `w${c.s % n}`, protocol: 'tcp', port: c.port, connections: 2, windows: 1, reject: true });
  return { estate: { workloads, calls }, format: g.format, declared: g.declared, anyInternet: g.anyInternet };
});

const identity = (who: string) => (who.startsWith('w') ? `workload:${who}` : who.startsWith('203.') ? 'ipv4:0.0.0.0/0' : `ipv4:${who}`);
const key = (from: string, to: string, protocol: string, port: number) => `${from} > ${to} ${protocol}:${port}`;

describe('traffic properties', () => {
  it('discover returns exactly the generated call graph; simulate verdicts equal modelAllows', async () => {
    const tally = await checkUntilAsync(estateArb, async ({ estate, format, declared, anyInternet }, t) => {
      // no call survives (client = server after shrinking): Azure and GCP would write no file
      if (estate.calls.length === 0) { t.refuse(); return; }
      const dir = tmpDir('prop-');
      const logs = path.join(dir, 'logs');
      const counts = writeLogs(estate, format, logs);
      const accepted = estate.calls.filter(c => !c.reject);
      const decl = accepted.filter((_, i) => declared[i % declared.length]).map(c => (c.client.startsWith('203.') ? { ...c, client: anyInternet ? '0.0.0.0/0' : '203.0.113.0/24' } : c));
      const { policy, manifest } = estateModel(estate, decl, (_seg, w) => {
        // one flow that is never observed, on a port nobody uses
        const ws = [...w.values()];
        ws[0].allowTo(ws[ws.length - 1], Port.tcp(9999));
        void Peer;
      });
      const manifestFile = writeManifest(dir, manifest);

      // discover: exactly the call graph
      const d = await TrafficAnalysis.discover({ logs: [logs], manifest: manifestFile });
      expect(d.records).toEqual(counts);
      const expectedFlows = new Map<string, number[]>();
      for (const c of accepted) {
        const k = `${identity(c.client)} > ${identity(c.server)} ${c.protocol}`;
        expectedFlows.set(k, [...new Set([...(expectedFlows.get(k) ?? []), c.port])].sort((a, b) => a - b));
      }
      expect(Object.fromEntries(d.flows.map(f => [`${f.from} > ${f.to} ${f.protocol}`, f.ports]))).toEqual(Object.fromEntries(expectedFlows));
      const rejected = new Set(estate.calls.filter(c => c.reject).map(c => key(identity(c.client), identity(c.server), c.protocol, c.port)));
      expect(new Set(d.rejected.flatMap(f => f.ports.map(p => key(f.from, f.to, f.protocol, p))))).toEqual(rejected);
      const unknown = new Map<string, Set<string>>();
      for (const c of accepted.filter(x => x.server.startsWith('10.200.'))) unknown.set(c.server, new Set([...(unknown.get(c.server) ?? []), identity(c.client)]));
      expect(Object.fromEntries(d.unknown.map(u => [u.address, u.peers]))).toEqual(Object.fromEntries([...unknown].map(([a, p]) => [a, [...p].sort()])));

      // simulate: every generated conversation's verdict is the model's answer
      const s = await TrafficAnalysis.simulate({ logs: [logs], manifest: manifestFile });
      const rows = new Map<string, string[]>();
      for (const c of s.conversations) {
        const k = key(c.from, c.to, c.protocol, c.port ?? -1);
        rows.set(k, [...(rows.get(k) ?? []), c.verdict]);
      }
      const end = (who: string, addr: string): PacketEnd => (who.startsWith('w') ? { workload: who } : { family: 'ipv4', address: parseAddress(addr).value });
      for (const c of accepted) {
        const addr = (who: string) => estate.workloads.find(w => w.name === who)?.addresses[0] ?? who;
        const allowed = modelAllows(policy, { source: end(c.client, addr(c.client)), destination: end(c.server, addr(c.server)), protocol: c.protocol, port: c.port });
        const fromId = c.client.startsWith('203.') ? (decl.some(x => x.client === '203.0.113.0/24') ? 'ipv4:203.0.113.0/24' : 'ipv4:0.0.0.0/0') : identity(c.client);
        expect(rows.get(key(fromId, identity(c.server), c.protocol, c.port))).toEqual([allowed ? 'allowed' : 'wouldBlock']);
        t.add('conversations');
      }
      t.add(`format:${format}`);
      expect(s.unused.map(u => u.ports)).toContain('tcp:9999');
      expect(s.exitCode).toBe(s.conversations.some(c => c.verdict === 'wouldBlock') ? 1 : 0);
    }, { until: Object.fromEntries(FORMATS.map(f => [`format:${f}`, Number(process.env.TRAFFIC_RUNS ?? 2)])), batch: 5, maxRuns: 200 });
    expect(tally.get('conversations')).toBeGreaterThan(FORMATS.length * 2);
  }, 600_000);

  it('the AWS format the docs recommend is the one generated as `recommended`', () => {
    const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'traffic.md'), 'utf8');
    const m = /A\s+format with everything microseg reads:\s+`([^`]+)`/.exec(docs);
    expect(m).not.toBeNull();
    expect(parseAwsFields(m![1])).toEqual([...GEN_FORMATS.recommended]);
  });
});

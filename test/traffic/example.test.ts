/**
 * examples/traffic: discover then simulate on the shipped flow logs and inventory; the legacy
 * database nobody declared is found and would be blocked, the unused declared flow is reported.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from './helpers';

describe('examples/traffic', () => {
  it('discovers the shop from its logs and simulates the declared model', async () => {
    const { run } = await import('../../examples/traffic/main.js');
    const out = tmpDir('example-');
    const r = await run(path.join(out, 'traffic'));
    expect(r.exitCode).toBe(1);
    expect(r.lines[0]).toBe('discover: 212 record(s) read (4 NODATA/SKIPDATA, 8 rejected): 9 flow(s) between 7 workload(s) in 5 zone(s), 1 unknown address(es), 0 dropped below --min-records.');
    // the three clouds' logs, read together and recognised by content (GCP's reader is a WITH query)
    expect(r.lines.slice(1, 4)).toEqual([
      '  AWS VPC Flow Logs (S3, v5): 182 record(s), 6 flow(s)',
      '  Azure VNet flow logs (v4): 14 record(s), 1 flow(s)',
      '  GCP VPC Flow Logs (Cloud Logging): 16 record(s), 2 flow(s)',
    ]);
    expect(r.lines).toContain('  unknown host 10.0.2.250: 8 record(s), talked to by workload:checkout');
    expect(r.lines).toContain('  would block workload:checkout -> ipv4:10.0.2.250 tcp:1521 (8 records)');
    expect(r.lines).toContain('  would block workload:analytics -> workload:redis tcp:6379 (4 records)');
    expect(r.lines).toContain('  unused Shop/EmailToCart (workload:email -> workload:cart tcp:7000)');
    // the Azure and GCP workloads are named by their inventory and allowed by the declared flows
    const found = JSON.parse(fs.readFileSync(path.join(out, 'traffic', 'discovered.json'), 'utf8'));
    expect(found.flows.map((f: { from: string; to: string; ports: number[] }) => `${f.from} > ${f.to} ${f.ports.join(',')}`)).toEqual(expect.arrayContaining([
      'workload:checkout > workload:fraud 8443', 'workload:cart > workload:analytics 9092', 'workload:analytics > workload:redis 6379',
    ]));
    expect(found.zones.map((z: { name: string }) => z.name).sort()).toEqual(['analytics', 'data', 'fraud', 'services', 'web']);
    expect(found.rejected.map((f: { from: string; to: string; ports: number[] }) => `${f.from} > ${f.to} ${f.ports.join(',')}`)).toContain('ipv4:0.0.0.0/0 > workload:fraud 3389');
  });
});

describe('inventory names against a declared model', () => {
  it('the manifest names its workloads; inventory names it does not know never override them', async () => {
    const { TrafficAnalysis } = await import('../../src/traffic/index.js');
    const { compile } = await import('../../src/ir/compile.js');
    const { buildManifest, serializeManifest } = await import('../../src/ir/manifest.js');
    const { buildModel } = await import('../../examples/traffic/model.js');
    const fs = await import('fs');
    const dir = tmpDir('inv-');
    const manifest = path.join(dir, 'shop.microseg.json');
    fs.writeFileSync(manifest, serializeManifest(buildManifest(compile(buildModel()))));
    const ex = path.join(__dirname, '..', '..', 'examples', 'traffic');
    // default --group-by tag:Name gives names like "frontend-1" that the model does not have
    const r = await TrafficAnalysis.simulate({ logs: [path.join(ex, 'logs')], manifest, inventory: [path.join(ex, 'inventory', 'describe-instances.json')] });
    expect(r.conversations.filter(c => c.verdict === 'wouldBlock').map(c => `${c.from} -> ${c.to}`)).toEqual(['workload:checkout -> ipv4:10.0.2.250']);
    await expect(TrafficAnalysis.simulate({ logs: [path.join(ex, 'logs')], manifest, inventory: [manifest] })).rejects.toThrow(/microseg:InventoryUnreadable.*not a recognised inventory/);
  });
});

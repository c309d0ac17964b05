/**
 * examples/traffic: discover then simulate on the shipped flow logs and inventory; the legacy
 * database nobody declared is found and would be blocked, the unused declared flow is reported.
 */
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from './helpers';

describe('examples/traffic', () => {
  it('discovers the shop from its logs and simulates the declared model', async () => {
    const { run } = await import('../../examples/traffic/main');
    const out = tmpDir('example-');
    const r = await run(path.join(out, 'traffic'));
    expect(r.exitCode).toBe(1);
    expect(r.lines[0]).toBe('discover: 182 record(s) read (4 NODATA/SKIPDATA, 6 rejected): 6 flow(s) between 5 workload(s) in 3 zone(s), 1 unknown address(es), 0 dropped below --min-records.');
    expect(r.lines).toContain('  unknown host 10.0.2.250: 8 record(s), talked to by workload:checkout');
    expect(r.lines).toContain('  would block workload:checkout -> ipv4:10.0.2.250 tcp:1521 (8 records)');
    expect(r.lines).toContain('  unused Shop/EmailToCart (workload:email -> workload:cart tcp:7000)');
  });
});

describe('inventory names against a declared model', () => {
  it('the manifest names its workloads; inventory names it does not know never override them', async () => {
    const { TrafficAnalysis } = await import('../../src/traffic');
    const { compile } = await import('../../src/ir/compile');
    const { buildManifest, serializeManifest } = await import('../../src/ir/manifest');
    const { buildModel } = await import('../../examples/traffic/model');
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

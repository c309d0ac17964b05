/**
 * `microseg map` and `microseg report` through the command line: exit 0 written, exit 2 for an
 * unusable manifest or traffic file, an output that is an input, or a missing elkjs; the page is
 * self-contained; the same inputs give the same bytes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { workDir, writeFixture, NOW } from './fixture';

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''; let err = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await main(['node', 'microseg', ...args], { stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } }, env: process.env });
    return { code, out, err };
  } finally {
    process.env = saved;
  }
}

describe('microseg map (CLI)', () => {
  const dir = workDir('map-cli');
  const { manifest, traffic } = writeFixture(dir);

  it('writes one self-contained page and exits 0; the same inputs give the same bytes', async () => {
    const out = path.join(dir, 'out', 'map.html');
    const r = await run(['map', '--manifest', dir, '--traffic', traffic, '-o', out]);
    expect(r.err).toMatch(/Map of 3 zones, 7 workloads, 3 peers, \d+ edges with traffic .* Written: /);
    expect(r.code).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    // nothing the page could fetch: no external script, style, image, font or link
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).not.toMatch(/@import|@font-face/);
    for (const name of ['frontend', 'admin', 'cart', 'checkout', 'payments', 'redis', 'db', '10.200.0.0/16', 'Shop/NoSshToPayments']) expect(html).toContain(name);
    const again = path.join(dir, 'out', 'map2.html');
    expect((await run(['map', '--manifest', manifest, '--traffic', traffic, '-o', again])).code).toBe(0);
    expect(fs.readFileSync(again, 'utf8')).toBe(html);
  });

  it('exit 2: no manifest, not a manifest, a traffic file of another segmentation, an output that is an input', async () => {
    const out = path.join(dir, 'bad.html');
    const missing = await run(['map', '--manifest', path.join(dir, 'nope.json'), '-o', out]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/microseg:ManifestInvalid/);
    const notManifest = path.join(dir, 'other.json');
    fs.writeFileSync(notManifest, '{"hello": 1}');
    expect((await run(['map', '--manifest', notManifest, '-o', out])).err).toMatch(/microseg:ManifestInvalid.*schema version 1/);
    const otherSeg = path.join(dir, 'other-sim.json');
    fs.writeFileSync(otherSeg, JSON.stringify({ ...JSON.parse(fs.readFileSync(traffic, 'utf8')), segmentation: 'bank' }));
    const wrong = await run(['map', '--manifest', manifest, '--traffic', otherSeg, '-o', out]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/microseg:InvalidOption.*"bank".*not "shop"/);
    const before = fs.readFileSync(traffic, 'utf8');
    const over = await run(['map', '--manifest', manifest, '--traffic', traffic, '-o', traffic]);
    expect(over.code).toBe(2);
    expect(over.err).toMatch(/microseg:UnsafeOutput/);
    expect(fs.readFileSync(traffic, 'utf8')).toBe(before);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('exit 2 naming the npm i line when elkjs is missing', async () => {
    const r = await run(['map', '--manifest', manifest, '-o', path.join(dir, 'x.html')], { MICROSEG_HIDE_SDKS: 'elkjs' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/microseg:MissingDependency.*elkjs.*npm i elkjs/);
  });
});

describe('microseg report (CLI)', () => {
  const dir = workDir('report-cli');
  const { manifest, traffic } = writeFixture(dir);

  it('prints markdown for a pull request: surface, owners, expiring and unused flows, invariants', async () => {
    const r = await run(['report', '--manifest', manifest, '--traffic', traffic, '--now', NOW]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('## Segmentation report: shop (ENFORCE)');
    expect(r.out).toContain('| workloads covered by the model | 7 in 3 zones (7 named by a flow) |');
    expect(r.out).toMatch(/\| allowed workload pairs \(surface\) \| \d+ of 42 \(/);
    expect(r.out).toContain('| Shop/PaymentsToDb | workload:payments | workload:db | 2026-12-10 | 10 | payments-team |');
    const expiring = r.out.split('### Expiring flows')[1].split('###')[0];
    expect(expiring).not.toContain('Shop/OpsToAll'); // expires in 2027: outside 30 days
    expect(r.out).toContain('| Shop/DbBackup | workload:db | ipv4:10.200.0.0/16 | tcp:873 | data-team |');
    expect(r.out).toContain('| conversations that would be blocked | 2 |');
    expect(r.out).toContain('No invariants declared.');
  });

  it('writes JSON for dashboards; exit 2 for an output that is an input', async () => {
    const out = path.join(dir, 'report.json');
    const r = await run(['report', '--manifest', manifest, '--format', 'json', '--expiring-within', '400', '--now', NOW, '-o', out]);
    expect(r.code).toBe(0);
    const json = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(json).toMatchObject({ schemaVersion: 1, segmentation: 'shop', workloads: 7, totalPairs: 42, invariants: [], expiringWithinDays: 400 });
    expect(json.expiring.map((e: any) => e.flow)).toEqual(['Shop/PaymentsToDb', 'Shop/OpsToAll']);
    expect(json.owners).toEqual([
      { owner: 'data-team', flows: 2 }, { owner: 'payments-team', flows: 2 }, { owner: 'web-team', flows: 2 }, { owner: '(no owner)', flows: 1 },
    ]);
    expect(json).not.toHaveProperty('traffic');
    const before = fs.readFileSync(manifest, 'utf8');
    const over = await run(['report', '--manifest', manifest, '-o', manifest]);
    expect(over.code).toBe(2);
    expect(over.err).toMatch(/microseg:UnsafeOutput/);
    expect(fs.readFileSync(manifest, 'utf8')).toBe(before);
    expect((await run(['report', '--manifest', manifest, '--now', 'yesterday'])).err).toMatch(/microseg:InvalidDate/);
  });
});

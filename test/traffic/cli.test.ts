/**
 * `microseg traffic discover|simulate` end to end through the command line: exit codes 0/1/2,
 * fail-closed reads (a corrupt gzip, a truncated file, an unknown field set, a missing inventory
 * file, a missing engine), CloudWatch exports without a header, and output to a file.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { generateRecords, writeS3 } from '../support/traffic-generator';
import { estateModel, SHOP, tmpDir, writeManifest } from './helpers';

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

describe('microseg traffic (CLI)', () => {
  const dir = tmpDir();
  const logs = path.join(dir, 'logs');
  writeS3(SHOP, { format: 'v5', start: 1_790_000_000, seed: 3, root: logs });
  const full = writeManifest(fs.mkdtempSync(path.join(dir, 'full-')), estateModel(SHOP, SHOP.calls.filter(c => !c.reject).map(c => (/^\d/.test(c.client) ? { ...c, client: '0.0.0.0/0' } : c))).manifest);
  const partial = writeManifest(fs.mkdtempSync(path.join(dir, 'part-')), estateModel(SHOP, SHOP.calls.filter(c => c.port === 7070)).manifest);

  it('simulate exits 0 when nothing would be blocked, 1 when something would', async () => {
    const ok = await run(['traffic', 'simulate', '--manifest', full, '--logs', logs]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('Nothing would be blocked');
    const blocked = await run(['traffic', 'simulate', '--manifest', partial, '--logs', logs, '--format', 'json']);
    expect(blocked.code).toBe(1);
    const json = JSON.parse(blocked.out);
    expect(json.schemaVersion).toBe(1);
    expect(json.conversations.filter((c: any) => c.verdict === 'wouldBlock').length).toBeGreaterThan(0);
    expect(json).not.toHaveProperty('exitCode');
  });

  it('discover writes JSON or TypeScript to a file and exits 0', async () => {
    const out = path.join(dir, 'out', 'model.ts');
    const r = await run(['traffic', 'discover', '--manifest', full, '--logs', logs, '--format', 'ts', '-o', out]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toContain("new AllowFlow(segmentation, 'FrontendToCartTcp7070'".replace(/'/g, '"'));
  });

  it('reads CloudWatch exports without a header (--aws-fields, default v2 format)', async () => {
    const cw = path.join(dir, 'cw');
    fs.mkdirSync(cw);
    const lines: string[] = [];
    generateRecords(SHOP, { format: 'v2', start: 1_790_000_000, seed: 5 }, l => lines.push(l));
    fs.writeFileSync(path.join(cw, 'export-v2.txt'), lines.join('\n') + '\n');
    const r = await run(['traffic', 'discover', '--manifest', full, '--logs', cw]);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).flows).toHaveLength(6);
    const custom = path.join(dir, 'cw-custom');
    fs.mkdirSync(custom);
    const v5: string[] = [];
    generateRecords(SHOP, { format: 'v5', start: 1_790_000_000, seed: 5 }, l => v5.push(`2026-09-21T12:00:00.000Z ${l}`));
    fs.writeFileSync(path.join(custom, 'export.txt'), v5.join('\n') + '\n');
    const wrong = await run(['traffic', 'discover', '--logs', custom]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/microseg:FlowLogUnreadable.*--aws-fields/);
    const fields = 'version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status';
    const right = await run(['traffic', 'discover', '--manifest', full, '--logs', custom, '--aws-fields', fields]);
    expect(right.err).toBe('');
    expect(JSON.parse(right.out).flows).toHaveLength(6);
  });

  it('fails closed (exit 2): corrupt gzip, truncated gzip, truncated line, unknown fields, missing files', async () => {
    const good = fs.readdirSync(path.join(logs), { recursive: true }).map(String).find(f => f.endsWith('.gz'))!;
    const bytes = fs.readFileSync(path.join(logs, good));
    const cases: Record<string, Buffer | string> = {
      'corrupt.log.gz': Buffer.concat([bytes.subarray(0, 40), Buffer.from('garbage-garbage-garbage'), bytes.subarray(63)]),
      'truncated.log.gz': bytes.subarray(0, Math.floor(bytes.length / 2)),
      'cut-line.log': zlib.gunzipSync(bytes).toString('utf8').slice(0, -25),
      'unknown-field.log': 'version srcaddr dstaddr srcport dstport protocol ecs-cluster-name\n5 10.0.0.1 10.0.0.2 40000 443 6 x\n',
    };
    for (const [name, content] of Object.entries(cases)) {
      const d = fs.mkdtempSync(path.join(dir, 'bad-'));
      fs.copyFileSync(path.join(logs, good), path.join(d, 'good.log.gz'));
      fs.writeFileSync(path.join(d, name), content);
      const r = await run(['traffic', 'simulate', '--manifest', full, '--logs', d]);
      expect({ name, code: r.code }).toEqual({ name, code: 2 });
      expect(r.err).toMatch(/microseg:FlowLogUnreadable/);
    }
    const missing = await run(['traffic', 'discover', '--logs', path.join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    const inv = await run(['traffic', 'discover', '--logs', logs, '--inventory', path.join(dir, 'nope.json')]);
    expect(inv.code).toBe(2);
    expect(inv.err).toMatch(/microseg:InventoryUnreadable/);
  });

  it('a missing @duckdb/node-api is a coded error naming the npm i line (exit 2)', async () => {
    const r = await run(['traffic', 'discover', '--logs', logs], { MICROSEG_HIDE_SDKS: '@duckdb/node-api' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('[microseg:MissingDependency]');
    expect(r.err).toContain('npm i @duckdb/node-api');
  });
});

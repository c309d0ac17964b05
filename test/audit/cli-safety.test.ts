/**
 * The `microseg audit` command as a pipeline runs it: it never harms its inputs (a report never
 * overwrites the manifest, a `--from-file` input or the ignore file, not even through a symlink;
 * reports are written atomically; a FIFO is refused without hanging), acceptances are bounded
 * (wildcards never accept critical findings unless asked; expiries within a horizon),
 * `--fail-on` sets the failing severity, the timeouts are flags, and no secret is ever printed.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cloud } from '../../src';
import { fingerprint } from '../../src/audit/drift';
import { register } from 'tsx/cjs/api';
import { shopManifest } from './fixtures';
import { tmpDir, writeManifestFile } from './helpers';
import { Ec2Server, ec2StateFromManifest, fakeId, startEc2Server } from '../support/servers/aws-ec2-server';

const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

interface Run { code: number; stdout: string; stderr: string; ms: number }

/** Runs the command in a child process, as a pipeline does (used where the process itself matters). */
function cliProcess(name: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = Date.now();
  return new Promise(resolve => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: ROOT, env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', AWS_REGION: '', ...env }, timeout: 120_000,
    }, (err, stdout, stderr) => {
      const ms = Date.now() - started;
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      // eslint-disable-next-line no-console
      console.log(`hostile: cli ${name} -> exit ${code} in ${ms} ms`);
      resolve({ code, stdout, stderr, ms });
    });
  });
}

/**
 * Runs the command's `main` in this process (same code path, no process start-up), one at a
 * time; the command loads the audit with `require` (as the compiled package does), so TypeScript
 * sources are made requirable for these tests.
 */
let unregister: (() => void) | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadMain = (): typeof import('../../src/cli/main') => require(MAIN);
async function cli(name: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const saved = Object.fromEntries(Object.keys(env).map(k => [k, process.env[k]]));
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  const started = Date.now();
  try {
    const code = await loadMain().main(['node', 'microseg', ...args], {
      stdout: { write: (x: string) => { stdout += x; return true; } }, stderr: { write: (x: string) => { stderr += x; return true; } }, env: { NO_COLOR: '1' },
    });
    const ms = Date.now() - started;
    // eslint-disable-next-line no-console
    console.log(`hostile: cli ${name} -> exit ${code} in ${ms} ms`);
    return { code, stdout, stderr, ms };
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

const SECRETS = { AWS_SECRET_ACCESS_KEY: 'aws-SECRET-value-4711', MICROSEG_AZURE_ACCESS_TOKEN: 'azure-SECRET-token-4712', MICROSEG_GCP_ACCESS_TOKEN: 'gcp-SECRET-token-4713' };
let server: Ec2Server;
let hanging: Ec2Server;
let manifestFile: string;
let awsEnv: Record<string, string>;
const soon = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const SSH_KEY = 'unexpected sg:db|ingress|allow|tcp|22|cidr:0.0.0.0/0|*|';

beforeAll(async () => {
  unregister = register();
  const m = shopManifest();
  const state = ec2StateFromManifest(m);
  // drift: internet-wide SSH on the database group (critical)
  state.rules.push({ ruleId: 'sgr-0cli000000000001', groupId: fakeId('sg', 'shop/db'), isEgress: false, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' });
  server = await startEc2Server(state, { lifetimeMs: 300_000 });
  hanging = await startEc2Server(ec2StateFromManifest(m), { lifetimeMs: 300_000, hostile: () => ({ hang: true }) });
  manifestFile = writeManifestFile(m);
  awsEnv = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: SECRETS.AWS_SECRET_ACCESS_KEY, AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL_EC2: server.url };
});
afterAll(async () => { unregister?.(); await server.close(); await hanging.close(); });

describe('inputs are never harmed', () => {
  it('-o equal to the manifest is refused (UnsafeOutput, exit 2); the manifest is unchanged', async () => {
    const before = fs.readFileSync(manifestFile, 'utf8');
    const requests = server.requests.length;
    const r = await cli('-o = manifest', ['audit', '-m', manifestFile, '-c', 'aws', '-f', 'json', '-o', manifestFile], awsEnv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[microseg:UnsafeOutput\].*is the manifest/);
    expect(fs.readFileSync(manifestFile, 'utf8')).toBe(before);
    // refused before anything was read
    expect(server.requests.length).toBe(requests);
  });

  it('-o through a symlink to the manifest is refused; the link and its target are unchanged', async () => {
    const dir = tmpDir();
    const m = writeManifestFile(shopManifest(), dir);
    const link = path.join(dir, 'report.sarif');
    fs.symlinkSync(m, link);
    const before = fs.readFileSync(m, 'utf8');
    const r = await cli('-o symlink to the manifest', ['audit', '-m', m, '-c', 'aws', '-f', 'sarif', '-o', link], awsEnv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[microseg:UnsafeOutput\].*is the manifest .*through a link/);
    expect(fs.readFileSync(m, 'utf8')).toBe(before);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('-o equal to a --from-file input or to the ignore file is refused', async () => {
    const dir = tmpDir();
    const input = path.join(dir, 'fw.json');
    fs.writeFileSync(input, '[]');
    const ignore = path.join(dir, '.microsegignore');
    fs.writeFileSync(ignore, '# nothing accepted\n');
    const [a, b] = [
      await cli('-o = --from-file input', ['audit', '-m', manifestFile, '-c', 'gcp', '--from-file', input, '-o', input]),
      await cli('-o = ignore file', ['audit', '-m', manifestFile, '-c', 'aws', '--ignore-file', ignore, '-o', ignore], awsEnv),
    ];
    expect([a.code, b.code]).toEqual([2, 2]);
    expect(a.stderr).toMatch(/\[microseg:UnsafeOutput\].*is the --from-file input/);
    expect(b.stderr).toMatch(/\[microseg:UnsafeOutput\].*is the ignore file/);
    expect(fs.readFileSync(input, 'utf8')).toBe('[]');
    expect(fs.readFileSync(ignore, 'utf8')).toBe('# nothing accepted\n');
  });

  it('reports are written atomically: complete, replacing the previous one, no temporary file left', async () => {
    const dir = path.join(tmpDir(), 'reports', 'nested');
    const out = path.join(dir, 'drift.json');
    const first = await cli('-o new file (atomic)', ['audit', '-m', manifestFile, '-c', 'aws', '-f', 'json', '-o', out], awsEnv);
    expect(first.code).toBe(1);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).exitCode).toBe(1);
    fs.writeFileSync(out, 'previous report');
    const second = await cli('-o over a previous report', ['audit', '-m', manifestFile, '-c', 'aws', '-f', 'json', '-o', out], awsEnv);
    expect(second.code).toBe(1);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).summary.findings).toBe(1);
    expect(fs.readdirSync(dir)).toEqual(['drift.json']);
  });

  it('a FIFO as manifest, --from-file input or ignore file is refused without hanging (NotAFile, exit 2)', async () => {
    const dir = tmpDir();
    const fifo = path.join(dir, 'shop.microseg.json');
    execFileSync('mkfifo', [fifo]);
    const [m, f, i] = [
      await cli('manifest is a FIFO', ['audit', '-m', fifo, '-c', 'aws'], awsEnv),
      await cli('--from-file input is a FIFO', ['audit', '-m', manifestFile, '-c', 'gcp', '--from-file', fifo]),
      await cli('ignore file is a FIFO', ['audit', '-m', manifestFile, '-c', 'aws', '--ignore-file', fifo], awsEnv),
    ];
    for (const r of [m, f, i]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\[microseg:NotAFile\].*is a named pipe \(FIFO\), not a regular file/);
      expect(r.ms).toBeLessThan(30_000);
    }
  });
});

describe('acceptances are bounded', () => {
  it('"*" is refused; a wildcard never accepts a critical finding unless --accept-critical-wildcards', async () => {
    const [star, wildcard, allowed, exact] = [
      await cli('--accept "*"', ['audit', '-m', manifestFile, '-c', 'aws', '--accept', `* ; ${soon(30)} ; accept everything`], awsEnv),
      await cli('--accept wildcard on a critical finding', ['audit', '-m', manifestFile, '-c', 'aws', '--accept', `unexpected sg:db|* ; ${soon(30)} ; legacy`], awsEnv),
      await cli('--accept wildcard + --accept-critical-wildcards', ['audit', '-m', manifestFile, '-c', 'aws', '--accept', `unexpected sg:db|* ; ${soon(30)} ; legacy`, '--accept-critical-wildcards'], awsEnv),
      await cli('--accept the exact key of a critical finding', ['audit', '-m', manifestFile, '-c', 'aws', '--accept', `${SSH_KEY} ; ${soon(30)} ; break-glass, INC-1`], awsEnv),
    ];
    expect(star.code).toBe(2);
    expect(star.stderr).toMatch(/\[microseg:InvalidProp\] at --accept: "\*": is a wildcard pattern that does not name the kind/);
    expect(wildcard.code).toBe(1);
    expect(wildcard.stdout).toMatch(/DRIFT: 1 finding\(s\) \(1 critical\)/);
    expect(allowed.code).toBe(0);
    expect(exact.code).toBe(0);
  });

  it('an expiry past the horizon is refused (default 365 days; --max-accept-days raises it)', async () => {
    const fp = fingerprint(Cloud.AWS, SSH_KEY);
    const [far, raised] = [
      await cli('--accept expiry in 2099', ['audit', '-m', manifestFile, '-c', 'aws', '--accept', `${fp} ; 2099-12-31 ; forever`], awsEnv),
      await cli('--accept expiry in 500 days, --max-accept-days 600', ['audit', '-m', manifestFile, '-c', 'aws', '--accept', `${fp} ; ${soon(500)} ; long migration`, '--max-accept-days', '600'], awsEnv),
    ];
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/\[microseg:InvalidDate\] at --accept: "2099-12-31": is more than 365 days ahead/);
    expect(raised.code).toBe(0);
  });
});

describe('pipelines', () => {
  it('--fail-on: a critical finding fails at --fail-on critical; an accepted one leaves nothing to fail', async () => {
    const [critical, usage] = [
      await cli('--fail-on critical with a critical finding', ['audit', '-m', manifestFile, '-c', 'aws', '--fail-on', 'critical'], awsEnv),
      await cli('--fail-on bogus', ['audit', '-m', manifestFile, '-c', 'aws', '--fail-on', 'urgent'], awsEnv),
    ];
    expect(critical.code).toBe(1);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/expected critical, high, medium or low/);
  });

  it('--request-timeout and --timeout: a server that never answers ends in exit 2 within the deadline', async () => {
    const r = await cliProcess('server never answers, --request-timeout 1 --timeout 2', ['audit', '-m', manifestFile, '-c', 'aws', '--request-timeout', '1', '--timeout', '2', '-f', 'json'], { ...awsEnv, AWS_ENDPOINT_URL_EC2: hanging.url });
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.complete).toBe(false);
    expect(report.errors.join('\n')).toMatch(/DescribeSecurityGroups: Microseg(RequestTimeout|Deadline)/);
    expect(r.ms).toBeLessThan(20_000);
    const bad = await cli('--timeout abc', ['audit', '-m', manifestFile, '-c', 'aws', '--timeout', 'abc']);
    expect(bad.code).toBe(2);
  });

  it('no secret or environment value is printed, in any format; a non-loopback http Azure endpoint is refused', async () => {
    const env = { ...awsEnv, ...SECRETS };
    const runs = [];
    for (const f of ['table', 'sarif']) runs.push(await cliProcess(`secrets, -f ${f}`, ['audit', '-m', manifestFile, '-c', 'aws', '-f', f], env));
    for (const f of ['json', 'junit', 'markdown']) runs.push(await cli(`secrets, -f ${f}`, ['audit', '-m', manifestFile, '-c', 'aws', '-f', f], env));
    runs.push(await cliProcess('azure http endpoint off loopback', ['audit', '-m', manifestFile, '-c', 'azure', '--azure-endpoint', 'http://10.255.255.1:9', '--subscription', '00000000-0000-0000-0000-000000000001', '--timeout', '5'], env));
    for (const r of runs) for (const s of Object.values(SECRETS)) expect(r.stdout + r.stderr).not.toContain(s);
    const azure = runs[runs.length - 1];
    expect(azure.code).toBe(2);
    expect(azure.stdout + azure.stderr).toMatch(/allowInsecureConnection|https/i);
  });

  it('a wrong-typed manifest exits 2', async () => {
    const dir = tmpDir();
    const bad = path.join(dir, 'bad.microseg.json');
    fs.writeFileSync(bad, JSON.stringify({ schemaVersion: 1, generator: 'microseg', segmentation: null, clouds: { aws: { expected: 'all of them' } } }));
    const r = await cli('wrong-typed manifest', ['audit', '-m', bad, '-c', 'aws'], awsEnv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/microseg:ManifestInvalid|error:/);
  });
});

/**
 * The `microseg` command, run from source: exit codes, formats, start-up without SDKs, clear
 * errors. Where the process itself is what is tested (what `--help` and an AWS audit load, the
 * exit code and plain output of a real run) the command runs as a user runs it
 * (`node --import tsx src/cli/main.ts`); the other cases run its `main` in this process, the same
 * code path without a process start-up each (cheaper for CI).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { register } from 'tsx/cjs/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cloud } from '../../src';
import { fingerprint } from '../../src/audit/drift';
import { serializeManifest } from '../../src/ir/manifest';
import { shopManifest } from './fixtures';
import { tmpDir, writeManifestFile } from './helpers';
import { Ec2Server, ec2StateFromManifest, fakeId, startEc2Server } from '../support/servers/aws-ec2-server';
import { armStateFromManifest, startArmServer } from '../support/servers/azure-arm-server';
import { gcpStateFromManifest, startGcpServer } from '../support/servers/gcp-compute-server';

const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

interface Run { code: number; stdout: string; stderr: string }

/** The environment of the tests' commands (taken before any in-process run sets its own variables). */
const BASE_ENV = { ...process.env, NO_COLOR: '', FORCE_COLOR: '', AWS_REGION: '' };

/** Runs the command in a child process, as a user does (where the process itself is tested). */
function cliProcess(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Run> {
  return new Promise(resolve => {
    execFile(process.execPath, ['--import', 'tsx', ...nodeArgs, ...(nodeArgs.includes('-e') ? [] : [MAIN]), ...args], {
      cwd: ROOT, env: { ...BASE_ENV, ...env }, timeout: 240_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

/**
 * Runs the command's `main` in this process with `env` set (the SDKs read `process.env`), one run
 * at a time. The command loads the audit with `require`, as the compiled package does, so the
 * TypeScript sources are made requirable (tsx) for these runs.
 */
let unregister: (() => void) | undefined;
let queue: Promise<unknown> = Promise.resolve();
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const run = async (): Promise<Run> => {
    const vars = { NO_COLOR: '', FORCE_COLOR: '', AWS_REGION: '', ...env };
    const saved = Object.fromEntries(Object.keys(vars).map(k => [k, process.env[k]]));
    Object.assign(process.env, vars);
    let stdout = '';
    let stderr = '';
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { main } = require(MAIN) as typeof import('../../src/cli/main');
      const code = await main(['node', 'microseg', ...args], {
        stdout: { write: (x: string) => { stdout += x; return true; }, isTTY: false },
        stderr: { write: (x: string) => { stderr += x; return true; }, isTTY: false },
        env: { ...process.env },
      });
      return { code, stdout, stderr };
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  };
  const result = queue.then(run);
  queue = result.catch(() => undefined);
  return result;
}

let server: Ec2Server;
let manifestFile: string;
let awsEnv: Record<string, string>;

beforeAll(async () => {
  unregister = register();
  const m = shopManifest();
  const state = ec2StateFromManifest(m);
  // drift: internet-wide SSH on the database group
  state.rules.push({ ruleId: 'sgr-0cli000000000001', groupId: fakeId('sg', 'shop/db'), isEgress: false, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' });
  server = await startEc2Server(state);
  manifestFile = writeManifestFile(m);
  awsEnv = {
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL_EC2: server.url,
  };
});
afterAll(async () => { unregister?.(); await server.close(); });

describe.concurrent('microseg CLI', () => {
  it('--help loads no audit code, no cloud SDK and no CDK/CDKTF', async () => {
    const script = `
      const { main } = require(${JSON.stringify(MAIN)});
      const sink = { write() {}, isTTY: false };
      main(['node', 'microseg', '--help'], { stdout: sink, stderr: sink, env: {} }).then(code => {
        const mods = Object.keys(require.cache);
        console.log(JSON.stringify({
          code,
          heavy: mods.filter(m => /node_modules[\\\\/](@aws-sdk|@azure|@google-cloud|google-gax|aws-cdk-lib|cdktf|@cdktf)[\\\\/]/.test(m)),
          audit: mods.filter(m => /src[\\\\/]audit[\\\\/]/.test(m)),
          commander: mods.some(m => /node_modules[\\\\/]commander[\\\\/]/.test(m)),
        }));
      });`;
    const r = await cliProcess([], {}, ['-e', script]);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out).toEqual({ code: 0, heavy: [], audit: [], commander: true });
  });

  it('draws a progress line on stderr when it is a terminal; an AWS audit loads only the EC2 SDK', async () => {
    const script = `
      const { main } = require(${JSON.stringify(MAIN)});
      let err = '';
      const tty = { isTTY: true, columns: 120, write(s) { err += s; return true; }, cursorTo() { return true; }, clearLine() { return true; }, moveCursor() { return true; }, on() {}, removeListener() {} };
      const out = { isTTY: false, write() { return true; } };
      main(['node', 'microseg', 'audit', '-m', ${JSON.stringify(manifestFile)}, '-c', 'aws', '-f', 'json'], { stdout: out, stderr: tty, env: {} })
        .then(code => {
          const mods = Object.keys(require.cache);
          const loaded = ['@aws-sdk/client-ec2', '@azure/arm-network', '@azure/identity', '@google-cloud/compute', 'google-gax', 'aws-cdk-lib', 'cdktf']
            .filter(p => mods.some(m => m.includes('node_modules/' + p + '/')));
          console.log(JSON.stringify({ code, progress: /reading aws: \\d+ page\\(s\\)/.test(err), loaded }));
        });`;
    const r = await cliProcess([], awsEnv, ['-e', script]);
    // auditing AWS loads the EC2 SDK and no other cloud's SDK, no CDK, no CDKTF
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ code: 1, progress: true, loaded: ['@aws-sdk/client-ec2'] });
  });

  it('--help and --version exit 0; the drift-check example only uses options the command has', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: microseg/);
    expect(help.stdout).toMatch(/audit \[options\]/);
    const auditHelp = await cli(['audit', '--help']);
    expect(auditHelp.code).toBe(0);
    const workflow = fs.readFileSync(path.join(ROOT, 'examples', 'drift-check', 'drift-check.yml'), 'utf8');
    const used = new Set([...workflow.matchAll(/npx microseg audit[\s\S]*?--output \S+/g)].flatMap(m => m[0].match(/--[a-z-]+/g) ?? []));
    expect([...used].sort()).toEqual(['--cloud', '--format', '--manifest', '--output', '--region', '--subscription']);
    for (const o of used) expect(auditHelp.stdout).toContain(o);
    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('audit reports drift with exit 1 as a table (no colours when not a TTY) and as JSON', async () => {
    // a real process: its exit code, plain text when stdout is not a terminal, no progress on a non-terminal stderr
    const table = await cliProcess(['audit', '--manifest', manifestFile, '--cloud', 'aws', '--region', 'eu-west-1'], awsEnv);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/critical/);
    expect(table.stdout).toMatch(/ingress allow tcp 22 from cidr:0\.0\.0\.0\/0 to sg:db/);
    expect(table.stdout).toMatch(/DRIFT: 1 finding\(s\) \(1 critical\)/);
    expect(table.stdout).not.toMatch(/\u001b\[/);
    expect(table.stderr).not.toMatch(/reading aws/); // no progress when stderr is not a TTY
    const json = await cli(['audit', '-m', manifestFile, '-c', 'aws', '--format', 'json'], awsEnv);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ tool: 'microseg', segmentation: 'shop', cloud: 'aws', complete: true, exitCode: 1, summary: { findings: 1, bySeverity: { critical: 1 } } });
    expect(report.findings[0]).toMatchObject({ kind: 'unexpected', constructPath: 'Shop/Data/Db' });
  });

  it('writes SARIF 2.1.0 with locations at the manifest entry and construct path, and stable fingerprints', async () => {
    const dir = tmpDir();
    const out = path.join(dir, 'drift.sarif');
    const r = await cli(['audit', '-m', manifestFile, '-c', 'aws', '-f', 'sarif', '-o', out], awsEnv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DRIFT: 1 finding/);
    const sarif = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((x: any) => x.id)).toEqual(['microseg/unexpected-rule', 'microseg/missing-rule', 'microseg/modified-rule', 'microseg/opened-path', 'microseg/blocked-path', 'microseg/unmanaged-attachment', 'microseg/invariant-broken']);
    const res = run.results[0];
    expect(res).toMatchObject({ ruleId: 'microseg/unexpected-rule', ruleIndex: 0, level: 'error' });
    expect(res.locations[0].logicalLocations[0].fullyQualifiedName).toBe('Shop/Data/Db');
    expect(res.locations[0].physicalLocation.artifactLocation.uri).toMatch(/shop\.microseg\.json$/);
    const line = res.locations[0].physicalLocation.region.startLine;
    expect(fs.readFileSync(manifestFile, 'utf8').split('\n')[line - 1]).toMatch(/"sg:db": \{/);
    // the fingerprint is a hash of the cloud and the finding key: the same on every run
    expect(res.partialFingerprints['microsegFinding/v1']).toBe(fingerprint(Cloud.AWS, res.properties.key));
  });

  it('writes JUnit and Markdown reports', async () => {
    const junit = await cli(['audit', '-m', manifestFile, '-c', 'aws', '-f', 'junit'], awsEnv);
    expect(junit.code).toBe(1);
    expect(junit.stdout).toMatch(/^<\?xml/);
    expect(junit.stdout).toMatch(/<testcase classname="microseg\.shop\.aws" name="sg:db"><failure message="1 drift finding\(s\)" type="Drift">/);
    expect(junit.stdout).toMatch(/<testcase classname="microseg\.shop\.aws" name="sg:api"\/>/);
    const md = await cli(['audit', '-m', manifestFile, '-c', 'aws', '-f', 'markdown'], awsEnv);
    expect(md.stdout).toMatch(/### microseg audit: `shop` on aws/);
    expect(md.stdout).toMatch(/\| 🟥 critical \| unexpected \| `sg:db` \|/);
  });

  it('audits Azure and GCP through --azure-endpoint / --gcp-endpoint with pre-fetched tokens', async () => {
    const m = shopManifest();
    const arm = await startArmServer(armStateFromManifest(m));
    const gce = await startGcpServer(gcpStateFromManifest(m));
    try {
      const [az, gc] = await Promise.all([
        cli(['audit', '-m', manifestFile, '-c', 'azure', '--azure-endpoint', arm.url, '--subscription', '00000000-0000-0000-0000-000000000001', '-f', 'json'], { MICROSEG_AZURE_ACCESS_TOKEN: 'cli-azure-token' }),
        cli(['audit', '-m', manifestFile, '-c', 'gcp', '--gcp-endpoint', gce.url, '-f', 'json'], { MICROSEG_GCP_ACCESS_TOKEN: 'cli-gcp-token' }),
      ]);
      expect([az.code, JSON.parse(az.stdout).verdict]).toEqual([0, expect.stringMatching(/^No drift/)]);
      expect([gc.code, JSON.parse(gc.stdout).verdict]).toEqual([0, expect.stringMatching(/^No drift/)]);
      expect(arm.requests.every(r => r.method === 'GET' && r.authorization === 'Bearer cli-azure-token')).toBe(true);
      expect(gce.requests.every(r => r.method === 'GET' && r.authorization === 'Bearer cli-gcp-token')).toBe(true);
    } finally {
      await arm.close();
      await gce.close();
    }
  });

  it('accepts drift from an ignore file (exit 0)', async () => {
    const dir = tmpDir();
    const ignore = path.join(dir, '.microsegignore');
    const key = 'unexpected sg:db|ingress|allow|tcp|22|cidr:0.0.0.0/0|*|';
    const soon = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    fs.writeFileSync(ignore, `# known\n${fingerprint(Cloud.AWS, key)} ; ${soon} ; tolerated in this test\n`);
    const r = await cli(['audit', '-m', manifestFile, '-c', 'aws', '--ignore-file', ignore], awsEnv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No drift: .*\(1 accepted finding\(s\)\)/);
  });

  it('exits 2 with a clear message: unreadable manifest, wrong schema version, missing cloud section, missing SDK, bad usage', async () => {
    const dir = tmpDir();
    const missing = await cli(['audit', '-m', path.join(dir, 'nope.json'), '-c', 'aws']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\[microseg:ManifestInvalid\].*cannot be read/);
    const old = path.join(dir, 'old.microseg.json');
    fs.writeFileSync(old, serializeManifest({ ...shopManifest(), schemaVersion: 99 }));
    const wrong = await cli(['audit', '-m', old, '-c', 'aws']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/\[microseg:ManifestInvalid\].*schema version 1/);
    const onlyAws = path.join(dir, 'aws-only');
    fs.mkdirSync(onlyAws);
    const m = shopManifest();
    fs.writeFileSync(path.join(onlyAws, 'shop.microseg.json'), serializeManifest({ ...m, clouds: { aws: m.clouds.aws } }));
    const noSection = await cli(['audit', '-m', onlyAws, '-c', 'gcp']);
    expect(noSection.code).toBe(2);
    expect(noSection.stderr).toMatch(/has no gcp section \(clouds in it: aws\)/);
    const noSdk = await cli(['audit', '-m', manifestFile, '-c', 'aws'], { ...awsEnv, MICROSEG_HIDE_SDKS: '@aws-sdk/client-ec2' });
    expect(noSdk.code).toBe(2);
    expect(noSdk.stderr).toMatch(/\[microseg:MissingSdk\].*"@aws-sdk\/client-ec2".*npm i @aws-sdk\/client-ec2/);
    const usage = await cli(['audit', '-m', manifestFile, '-c', 'oracle']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Allowed choices are aws, azure, gcp/);
  });
});

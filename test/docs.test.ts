/**
 * The documents are true when tried: every claim below is checked against what the code does.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App as TfApp, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { Port, Segmentation } from '../src';
import { resolveManifestFile } from '../src/audit/run';
import { ERROR_CODES } from '../src/model/errors';
import { SDK_INSTALL } from '../src/audit/sdk';
import { AwsSegmentation } from '../src/aws';
import { AzureTerraform } from '../src/azure';
import { GcpSegmentation } from '../src/gcp';
import { importedVpc, subnetFor } from './aws/helpers';

const root = path.resolve(__dirname, '..');
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');

/** Text files of the project that people read or run (not generated, not dependencies). */
function projectFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!['node_modules', '.work', '__snapshots__', 'out'].includes(e.name)) walk(rel);
      } else if (/\.(ts|mts|js|md|yml|json)$/.test(e.name) && e.name !== 'results.json') {
        out.push(rel);
      }
    }
  };
  for (const d of ['src', 'test', 'docs', 'bench', 'examples', 'scripts']) walk(d);
  return [...out, 'README.md', '.projenrc.ts'];
}

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('contributor docs live in docs/', () => {
  it('nothing cites the design document the project does not contain', () => {
    const needle = ['design', 'md'].join('.');
    const citing = projectFiles().filter(f => read(f).includes(needle));
    expect(citing).toEqual([]);
  });

  it('docs/architecture.md holds the layering rules, the determinism contract and the performance targets', () => {
    const doc = read('docs/architecture.md');
    for (const heading of ['## One model, one IR, a backend per cloud', '## Determinism and diff stability', '## Performance targets', '## Bad input']) {
      expect(doc).toContain(heading);
    }
    expect(read('test/layering.test.ts')).toContain('docs/architecture.md');
    expect(read('bench/README.md')).toContain('docs/architecture.md');
  });
});

describe('the drift-check workflow', () => {
  it('installs the SDK each job audits with, before the audit runs', () => {
    const yml = read('examples/drift-check/drift-check.yml');
    const jobs = yml.split(/^  (?=aws:|azure:|gcp:)/m).slice(1);
    expect(jobs.map(j => j.split(':')[0])).toEqual(['aws', 'azure', 'gcp']);
    const sdkOf: Record<string, string> = { aws: '@aws-sdk/client-ec2', azure: '@azure/arm-network', gcp: '@google-cloud/compute' };
    for (const job of jobs) {
      const cloud = job.split(':')[0];
      const install = SDK_INSTALL[sdkOf[cloud]];
      const installAt = job.indexOf(install.replace(/^npm i /, 'npm i --no-save '));
      const auditAt = job.indexOf('npx microseg audit');
      expect(installAt, `${cloud}: "${install}"`).toBeGreaterThan(0);
      expect(installAt, cloud).toBeLessThan(auditAt);
    }
  });
});

describe('audit commands in the docs', () => {
  it('every AWS audit command against the cloud says the region (the quick start stack has no env, so its manifest names none)', () => {
    const commands = ['README.md', 'docs/audit.md', 'examples/drift-check/README.md', 'examples/drift-check/drift-check.yml']
      .flatMap(f => read(f).replace(/>-\n((?:\s+\S.*\n)+)/g, (_m, block: string) => block.replace(/\n\s+/g, ' ') + '\n').split('\n')
        .filter(l => /microseg audit/.test(l) && /(--cloud|-c) aws/.test(l) && !/--from-file/.test(l)).map(l => `${f}: ${l.trim()}`));
    expect(commands.length).toBeGreaterThanOrEqual(4);
    expect(commands.filter(c => !/(--region|-r) [a-z]{2}-[a-z]+-\d/.test(c))).toEqual([]);
  });

  it('the Azure backend records the subscription in the manifest, as docs/audit.md says', () => {
    const seg = Segmentation.root('Shop');
    const web = seg.addZone('Web', { cidrs: ['10.0.0.0/24'] }).addWorkload('Frontend');
    seg.addZone('App', { cidrs: ['10.0.1.0/24'] }).addWorkload('Api').allowFrom(web, Port.tcp(8080));
    const sub = '00000000-0000-0000-0000-000000000001';
    const [, manifest] = AzureTerraform.write(tmp('microseg-doc-az-'), { segmentation: seg, resourceGroupName: 'rg', location: 'westeurope', subscriptionId: sub });
    expect(JSON.parse(fs.readFileSync(manifest, 'utf8')).clouds.azure.settings.subscriptionId).toBe(sub);
    const line = read('docs/audit.md').split('\n').find(l => l.startsWith('| `--subscription'))!;
    expect(line).not.toMatch(/does not record/);
    expect(line).toMatch(/the manifest's/);
  });

  it('the ManifestInvalid hint names the folder a CDKTF app writes the manifest to', () => {
    const outdir = tmp('microseg-doc-tf-');
    const app = new TfApp({ outdir });
    const stack = new TerraformStack(app, 'shop-stack');
    new GoogleProvider(stack, 'google', {});
    const seg = new Segmentation(stack, 'Shop');
    const web = seg.addZone('Web', { cidrs: ['10.0.0.0/24'] }).addWorkload('Frontend');
    seg.addZone('App', { cidrs: ['10.0.1.0/24'] }).addWorkload('Api').allowFrom(web, Port.tcp(8080));
    new GcpSegmentation(stack, 'Gcp', { segmentation: seg, network: 'vpc' });
    app.synth();
    // cdktf.out/ itself, not cdktf.out/stacks/<stack>/
    expect(fs.existsSync(path.join(outdir, 'shop.microseg.json'))).toBe(true);
    expect(fs.existsSync(path.join(outdir, 'stacks', 'shop-stack', 'shop.microseg.json'))).toBe(false);
    let hint = '';
    try { resolveManifestFile(path.join(outdir, 'missing.microseg.json')); } catch (e) { hint = (e as { hint?: string }).hint ?? ''; }
    expect(hint).toMatch(/cdktf\.out\//);
    expect(hint).not.toMatch(/stacks/);
  });
});

describe('bench/README.md', () => {
  it('arguments after `--` reach the bench script, as the README says', () => {
    expect(read('bench/README.md')).toMatch(/npm run bench -- --only/);
    expect(read('bench/README.md')).not.toMatch(/does not pass arguments/);
    const r = spawnSync('npm', ['run', 'bench', '--', '--sizes', 'XL'], { cwd: root, encoding: 'utf8', env: { ...process.env, BENCH_ARGS: '' } });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/unknown size XL/);
  });
});

describe('TypeScript apps', () => {
  it('the README says what runs a TypeScript app, and every example uses it', () => {
    const readme = read('README.md');
    expect(readme).toMatch(/`tsx`/);
    expect(readme).toMatch(/typescript@~5\.9/);
    const configs = execFileSync('git', ['ls-files', 'examples/*/cdk.json', 'examples/*/cdktf.json'], { cwd: root, encoding: 'utf8' }).trim().split('\n');
    expect(configs.length).toBeGreaterThanOrEqual(3);
    for (const c of configs) expect(JSON.parse(read(c)).app, c).toMatch(/^npx tsx /);
  });
});

describe('README: network ACLs', () => {
  it('the table says ACLs come with `subnets`, and only zones given subnets get one', () => {
    expect(read('README.md')).toMatch(/\| AWS \| [^|]*network ACL[^|]*`subnets`/);
    process.env.CDK_VALIDATION = 'false';
    const app = new App();
    const stack = new Stack(app, 'Acl');
    const vpc = importedVpc(stack);
    const seg = new Segmentation(stack, 'Shop');
    const web = seg.addZone('Web', { cidrs: ['10.0.0.0/24'] }).addWorkload('Frontend');
    seg.addZone('App', { cidrs: ['10.0.1.0/24'] }).addWorkload('Api').allowFrom(web, Port.tcp(8080));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc, subnets: { app: subnetFor(stack, 'app') } });
    const resources = Object.values<any>(app.synth().getStackByName('Acl').template.Resources);
    const acls = resources.filter(r => r.Type === 'AWS::EC2::NetworkAcl');
    expect(acls).toHaveLength(1);
    expect(JSON.stringify(acls[0])).toMatch(/app/);
  });
});

describe('error codes', () => {
  it('every stable error code is documented in docs/', () => {
    const docs = fs.readdirSync(path.join(root, 'docs')).filter(f => f.endsWith('.md')).map(f => read(path.join('docs', f))).join('\n');
    expect(ERROR_CODES.filter(c => !docs.includes(`\`${c}\``))).toEqual([]);
  });
});

/**
 * An AWS-only user installs `microseg aws-cdk-lib constructs` and nothing else. This test packs
 * the library as npm would publish it, installs the tarball into an empty project whose only
 * other packages are aws-cdk-lib and constructs, and proves that importing `microseg` and its
 * `aws` submodule works there and loads no cdktf, no provider and no cloud SDK.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
let project: string;

function run(script: string): string {
  return execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
}

beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'lib', 'index.js'))) {
    throw new Error('lib/ is missing: the test command compiles first (`npm test`); run `npx projen compile`.');
  }
  if (!/get: function \(\) \{ return require\("\.\/aws"\)/.test(fs.readFileSync(path.join(root, 'lib', 'index.js'), 'utf8'))) {
    throw new Error('lib/index.js was compiled by a bare `jsii` run, without the lazy submodule index: run `npx projen compile` (what `npm test` does).');
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-packed-'));
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
  project = path.join(work, 'app');
  const pkgDir = path.join(project, 'node_modules', 'microseg');
  fs.mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', pkgDir, '--strip-components=1']);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'aws-only-user', private: true }));
  // The user's own dependencies: aws-cdk-lib and constructs, nothing else.
  for (const dep of ['aws-cdk-lib', 'constructs']) {
    fs.symlinkSync(path.join(root, 'node_modules', dep), path.join(project, 'node_modules', dep), 'dir');
  }
}, 300_000);

describe('packed install with only aws-cdk-lib and constructs', () => {
  it('ships the compiled library, the jsii assembly, the CLI and the bundled helpers, not the sources', () => {
    const pkgDir = path.join(project, 'node_modules', 'microseg');
    expect(fs.existsSync(path.join(pkgDir, 'lib', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, '.jsii'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'bin', 'microseg'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'node_modules', 'ip-num'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'src'))).toBe(false);
    expect(fs.existsSync(path.join(pkgDir, 'test'))).toBe(false);
  });

  it('imports the root module without loading any cloud library', () => {
    const out = run(`
      const m = require('microseg');
      const seg = m.Segmentation.root('Shop');
      seg.addZone('Web').addWorkload('Frontend');
      const loaded = Object.keys(require.cache).filter(f => /node_modules\\/(aws-cdk-lib|cdktf|@cdktf|@aws-sdk|@azure|@google-cloud)\\//.test(f));
      console.log(JSON.stringify({ zones: seg.zones.length, loaded: loaded.length }));
    `);
    expect(JSON.parse(out)).toEqual({ zones: 1, loaded: 0 });
  });

  it('synthesizes a stack with the aws submodule and never loads cdktf or a provider', () => {
    const out = run(`
      const cdk = require('aws-cdk-lib');
      const ec2 = require('aws-cdk-lib/aws-ec2');
      const m = require('microseg');
      const app = new cdk.App({ outdir: require('path').join(process.cwd(), 'cdk.out') });
      const stack = new cdk.Stack(app, 'Shop');
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
      const seg = new m.Segmentation(stack, 'Shop');
      const web = seg.addZone('Web', { cidrs: ['10.0.0.0/24'] }).addWorkload('Frontend');
      const api = seg.addZone('App', { cidrs: ['10.0.1.0/24'] }).addWorkload('Api');
      api.allowFrom(web, m.Port.tcp(8080));
      new m.aws.AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc });
      const assembly = app.synth();
      const template = assembly.getStackByName('Shop').template;
      const groups = Object.values(template.Resources).filter(r => r.Type === 'AWS::EC2::SecurityGroup').length;
      const loaded = Object.keys(require.cache).filter(f => /node_modules\\/(cdktf|@cdktf|@aws-sdk|@azure|@google-cloud)\\//.test(f));
      const cdkLoaded = Object.keys(require.cache).some(f => /node_modules\\/aws-cdk-lib\\//.test(f));
      console.log(JSON.stringify({ groups, loaded, cdkLoaded }));
    `);
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.loaded).toEqual([]);
    expect(result.cdkLoaded).toBe(true); // the module filter does see packages when they load
    expect(result.groups).toBeGreaterThanOrEqual(2);
  });

  it('renders Azure and GCP as plain Terraform JSON without cdktf installed', () => {
    const out = run(`
      const m = require('microseg');
      const seg = m.Segmentation.root('Shop');
      const web = seg.addZone('Web', { cidrs: ['10.0.0.0/24'] }).addWorkload('Frontend');
      const api = seg.addZone('App', { cidrs: ['10.0.1.0/24'] }).addWorkload('Api');
      api.allowFrom(web, m.Port.tcp(8080));
      const az = JSON.parse(m.azure.AzureTerraform.render({ segmentation: seg, resourceGroupName: 'rg', location: 'westeurope' }));
      const gc = JSON.parse(m.gcp.GcpTerraform.render({ segmentation: seg, network: 'vpc' }));
      const loaded = Object.keys(require.cache).filter(f => /node_modules\\/(cdktf|@cdktf|aws-cdk-lib)\\//.test(f));
      console.log(JSON.stringify({ azure: Object.keys(az.resource).sort(), gcp: Object.keys(gc.resource).sort(), loaded }));
    `);
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.loaded).toEqual([]);
    expect(result.azure).toContain('azurerm_network_security_rule');
    expect(result.gcp).toEqual(['google_compute_firewall']);
  });
});


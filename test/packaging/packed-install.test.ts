/**
 * Installs as users do. The library is packed as npm would publish it, then:
 * - an AWS-only project (`microseg aws-cdk-lib constructs`, nothing else) imports `microseg` and
 *   its `aws` submodule, synthesizes, and loads no cdktf, no provider and no cloud SDK;
 * - a Terraform-only project is made with a plain `npm install <tarball> constructs` (every cloud
 *   library is an optional peer, so npm installs none of them) and writes `*.tf.json`;
 * - the tarball holds only the files of an allow-list.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
let project: string;
let work: string;
let tarballPath: string;

function run(script: string): string {
  return execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
}

beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'lib', 'index.js'))) {
    throw new Error('lib/ is missing: the test command compiles first (`npm test`); run `npx projen compile`.');
  }
  if (!/get: function \(\) \{ (try \{ )?return require\("\.\/aws"\)/.test(fs.readFileSync(path.join(root, 'lib', 'index.js'), 'utf8'))) {
    throw new Error('lib/index.js was compiled by a bare `jsii` run, without the lazy submodule index: run `npx projen compile` (what `npm test` does).');
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-packed-'));
  // Outputs users create in the checkout (`npm run examples` writes .tmp/examples/) must never ship.
  const probe = path.join(root, '.tmp', 'pack-probe');
  fs.mkdirSync(probe, { recursive: true });
  fs.writeFileSync(path.join(probe, 'probe.json'), '{}');
  let tarball: string;
  try {
    tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
  tarballPath = path.join(work, tarball);
  project = path.join(work, 'app');
  const pkgDir = path.join(project, 'node_modules', 'microseg');
  fs.mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['-xzf', tarballPath, '-C', pkgDir, '--strip-components=1']);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'aws-only-user', private: true }));
  // The user's own dependencies: aws-cdk-lib and constructs, nothing else.
  for (const dep of ['aws-cdk-lib', 'constructs']) {
    fs.symlinkSync(path.join(root, 'node_modules', dep), path.join(project, 'node_modules', dep), 'dir');
  }
}, 300_000);

describe('packed install with only aws-cdk-lib and constructs', () => {
  it('ships the compiled library, the jsii assembly, the CLI, the bundled helpers and the sources its source maps name, not the tests', () => {
    const pkgDir = path.join(project, 'node_modules', 'microseg');
    expect(fs.existsSync(path.join(pkgDir, 'lib', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, '.jsii'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'bin', 'microseg'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'node_modules', 'ip-num'))).toBe(true);
    expect(fs.existsSync(path.join(pkgDir, 'src', 'index.ts'))).toBe(true);
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

  it('renders Kubernetes NetworkPolicy YAML without cdk8s installed; the cdk8s construct names the npm i line', () => {
    const out = run(`
      const m = require('microseg');
      const seg = m.Segmentation.root('Shop');
      const web = seg.addZone('Web').addWorkload('Frontend');
      const api = seg.addZone('App').addWorkload('Api');
      api.allowFrom(web, m.Port.tcp(8080));
      const yaml = m.k8s.KubernetesManifests.render({ segmentation: seg });
      let missing = '';
      try { new m.k8s.KubernetesSegmentation(seg, 'K8s', { segmentation: seg }); } catch (e) { missing = e.message; }
      const loaded = Object.keys(require.cache).filter(f => /node_modules\\/(cdk8s|cdktf|@cdktf|aws-cdk-lib)\\//.test(f));
      console.log(JSON.stringify({ policies: (yaml.match(/^kind: NetworkPolicy$/gm) || []).length, missing, loaded }));
    `);
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.loaded).toEqual([]);
    expect(result.policies).toBe(6);
    expect(result.missing).toMatch(/microseg:MissingDependency.*npm i cdk8s/);
  });
});


/** The packages npm bundles into the tarball: the bundled dependencies and what they depend on. */
function bundledClosure(): Set<string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const out = new Set<string>();
  const queue: string[] = [...(pkg.bundledDependencies ?? [])];
  while (queue.length) {
    const name = queue.pop()!;
    if (out.has(name)) continue;
    out.add(name);
    const dep = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8'));
    queue.push(...Object.keys(dep.dependencies ?? {}), ...Object.keys(dep.optionalDependencies ?? {}));
  }
  return out;
}

describe('the tarball', () => {
  // The allow-list of published files. Anything else (configs, scripts, test or example output)
  // is a packaging bug.
  const allowed: RegExp[] = [
    /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^API\.md$/, /^\.jsii$/, /^bin\/microseg$/,
    /^docs\/[a-z0-9-]+\.md$/,
    /^lib\/.+\.(js|d\.ts)$/,
    /^src\/.+\.ts$/,
  ];

  function files(): string[] {
    return execFileSync('tar', ['-tzf', tarballPath], { encoding: 'utf8' }).trim().split('\n')
      .map(f => f.replace(/^package\//, '')).filter(f => f && !f.endsWith('/'));
  }

  it('holds only the files of the allow-list and the bundled dependencies', () => {
    const bundled = bundledClosure();
    const outside = files().filter(f => {
      const nm = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
      if (nm) return !bundled.has(nm[1]);
      return !allowed.some(r => r.test(f));
    });
    expect(outside).toEqual([]);
    const list = files();
    for (const never of ['vitest.config.mts', 'scripts/run-examples.ts', 'scripts/lazy-index.js', '.projenrc.ts', 'tsconfig.json']) {
      expect(list).not.toContain(never);
    }
    expect(list.filter(f => f.startsWith('.tmp/') || f.startsWith('test/') || f.startsWith('examples/'))).toEqual([]);
    expect(list).toContain('lib/index.js');
    expect(list).toContain('src/index.ts');
  });

  it('declares every cloud library an optional peer', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', 'microseg', 'package.json'), 'utf8'));
    for (const peer of Object.keys(pkg.peerDependencies)) {
      if (peer === 'constructs') continue;
      expect(pkg.peerDependenciesMeta?.[peer]?.optional, peer).toBe(true);
    }
    expect(pkg.peerDependenciesMeta?.constructs?.optional).toBeUndefined();
  });

  it('stack traces resolve to shipped source files under --enable-source-maps', () => {
    const out = execFileSync(process.execPath, ['--enable-source-maps', '-e', `
      const m = require('microseg');
      try { m.Port.tcp(1); m.Segmentation.of({ node: { scopes: [], path: 'x' } }); } catch (e) {
        console.log(JSON.stringify(e.stack.split('\\n').filter(l => /node_modules\\/microseg\\//.test(l)).map(l => /\\(([^()]+):\\d+:\\d+\\)$/.exec(l)?.[1]).filter(Boolean)));
      }
    `], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    const frames: string[] = JSON.parse(out.trim().split('\n').pop()!);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames[0]).toMatch(/node_modules\/microseg\/src\/model\/errors\.ts$/);
    for (const f of frames) expect(fs.existsSync(f), f).toBe(true);
  });
});

describe('Terraform-only install: npm install <tarball> constructs', () => {
  let app: string;

  beforeAll(() => {
    app = path.join(work, 'tf-only');
    fs.mkdirSync(app, { recursive: true });
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'terraform-only-user', private: true }));
    // A plain install, as the README says: no flags. Packages come from npm's cache when they are
    // there (prefer-offline), so the test needs the registry only for a cold cache.
    execFileSync('npm', ['install', tarballPath, 'constructs'], {
      cwd: app, encoding: 'utf8', stdio: 'pipe',
      env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
    });
  }, 300_000);

  it('installs microseg and constructs, and no cloud library', () => {
    const installed = fs.readdirSync(path.join(app, 'node_modules')).filter(n => !n.startsWith('.'));
    expect(installed.sort()).toEqual(['constructs', 'microseg']);
  });

  it('writes Azure and GCP *.tf.json and never loads aws-cdk-lib or cdktf', () => {
    const out = execFileSync(process.execPath, ['-e', `
      const m = require('microseg');
      const seg = m.Segmentation.root('Shop');
      const web = seg.addZone('Web', { cidrs: ['10.0.0.0/24'] }).addWorkload('Frontend');
      const api = seg.addZone('App', { cidrs: ['10.0.1.0/24'] }).addWorkload('Api');
      api.allowFrom(web, m.Port.tcp(8080));
      const files = [
        ...m.azure.AzureTerraform.write('out', { segmentation: seg, resourceGroupName: 'rg', location: 'westeurope' }),
        ...m.gcp.GcpTerraform.write('out', { segmentation: seg, network: 'vpc' }),
      ];
      const loaded = Object.keys(require.cache).filter(f => !/node_modules\\/(microseg|constructs)\\//.test(f));
      console.log(JSON.stringify({ files, loaded }));
    `], { cwd: app, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.loaded).toEqual([]);
    expect(result.files.filter((f: string) => f.endsWith('.tf.json')).sort()).toEqual(['out/shop.azure.tf.json', 'out/shop.gcp.tf.json']);
    const gcp = JSON.parse(fs.readFileSync(path.join(app, 'out', 'shop.gcp.tf.json'), 'utf8'));
    expect(Object.keys(gcp.resource)).toEqual(['google_compute_firewall']);
  });

  it('names the npm i line when the aws submodule is used without aws-cdk-lib', () => {
    const out = execFileSync(process.execPath, ['-e', `
      try { require('microseg').aws; console.log('loaded'); } catch (e) { console.log(e.message); }
    `], { cwd: app, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    expect(out).toMatch(/\[microseg:MissingDependency\] at microseg: "aws-cdk-lib": is needed by the aws submodule but is not installed\. Install it next to microseg: npm i aws-cdk-lib constructs/);
  });

  it('names the npm i line when a cdktf construct is created without cdktf', () => {
    const out = execFileSync(process.execPath, ['-e', `
      const { Construct } = require('constructs');
      const m = require('microseg');
      const seg = m.Segmentation.root('Shop');
      seg.addZone('Web').addWorkload('Frontend');
      for (const make of [
        () => new m.gcp.GcpSegmentation(new Construct(undefined, 'App'), 'Gcp', { segmentation: seg, network: 'vpc' }),
        () => new m.azure.AzureSegmentation(new Construct(undefined, 'App'), 'Azure', { segmentation: seg, resourceGroupName: 'rg', location: 'westeurope' }),
      ]) {
        try { make(); console.log('created'); } catch (e) { console.log(e.message); }
      }
    `], { cwd: app, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    const lines = out.trim().split('\n');
    expect(lines).toEqual([
      '[microseg:MissingDependency] at App/Gcp: "cdktf": is needed by GcpSegmentation but is not installed. Install it next to microseg: npm i cdktf@^0.21 constructs',
      '[microseg:MissingDependency] at App/Azure: "cdktf": is needed by AzureSegmentation but is not installed. Install it next to microseg: npm i cdktf@^0.21 constructs',
    ]);
  });
});

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../examples/multi-cloud/main';

const EXAMPLE = path.resolve(__dirname, '../../examples/multi-cloud');
const read = (dir: string, stack: string) => fs.readFileSync(path.join(dir, 'stacks', stack, 'cdk.tf.json'), 'utf8');

describe('examples/multi-cloud', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-mc-'));
  const started = Date.now();
  buildApp(outdir).synth();
  const synthMs = Date.now() - started;

  it('renders the Azure part (api zone) and the GCP part (analytics zone) of one model', () => {
    const az = JSON.parse(read(outdir, 'shop-azure'));
    expect(Object.keys(az.resource.azurerm_application_security_group).sort()).toEqual(['shop_orders', 'shop_payments']);
    expect(Object.keys(az.resource.azurerm_network_security_group)).toEqual(['shop_api']);
    const rules = Object.values<any>(az.resource.azurerm_network_security_rule);
    // web (on AWS) -> orders: the frontend zone's cidrs
    expect(rules.find(r => r.name === 'allow-in-zone.frontend-to-asgs-tcp-8443')).toMatchObject({ source_address_prefixes: ['10.10.0.0/16'], destination_port_range: '8443' });
    // api -> ingest (on GCP): the analytics zone's cidrs
    expect(rules.find(r => r.name === 'allow-out-asgs-to-zone.analytics-tcp-443')).toMatchObject({ destination_address_prefixes: ['10.30.0.0/16'], destination_port_range: '443' });
    const gcp = JSON.parse(read(outdir, 'shop-gcp'));
    const fws = Object.values<any>(gcp.resource.google_compute_firewall);
    expect(fws.find(r => r.name === 'shop-allow-in-ingest-tcp-443-ranges')).toMatchObject({ source_ranges: ['10.20.0.0/16'], target_tags: ['shop-ingest'], project: 'shop-analytics', network: 'analytics-vpc' });
    expect(fws.find(r => r.name === 'shop-deny-in-ingest-all-ranges')).toMatchObject({ priority: 900, source_ranges: ['10.10.0.0/16'], deny: [{ protocol: 'all' }] });
    expect(fws.find(r => r.name === 'shop-analytics-in-v4-monitor-catchall')).toMatchObject({ priority: 64999 });
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'shop.microseg.json'), 'utf8'));
    expect(Object.keys(manifest.clouds)).toEqual(['azure', 'gcp']);
    expect(manifest.clouds.azure.zones).toEqual(['api']);
    expect(manifest.clouds.gcp.zones).toEqual(['analytics']);
    expect(synthMs).toBeGreaterThan(0);
    console.log(`multi-cloud example: app.synth() ${synthMs} ms`);
  });

  it('matches the golden Terraform JSON', async () => {
    // without the local backend block, whose state path follows the working directory
    const golden = (stack: string) => { const j = JSON.parse(read(outdir, stack)); delete j.terraform; return JSON.stringify(j, null, 2) + '\n'; };
    await expect(golden('shop-azure')).toMatchFileSnapshot('__snapshots__/multi-cloud.shop-azure.tf.json');
    await expect(golden('shop-gcp')).toMatchFileSnapshot('__snapshots__/multi-cloud.shop-gcp.tf.json');
  });

  it('synthesizes offline with the real cdktf CLI, byte-identical to app.synth()', () => {
    const cliOut = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-mc-cli-'));
    const rc = path.join(cliOut, 'empty.tfrc');
    fs.writeFileSync(rc, '');
    const started = Date.now();
    const log = execFileSync('npx', ['cdktf', 'synth', '--output', path.join(cliOut, 'out')], {
      cwd: EXAMPLE,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', DISABLE_VERSION_CHECK: '1', CDKTF_DISABLE_PLUGIN_CACHE_ENV: '1', CI: '1', TF_CLI_CONFIG_FILE: rc, FORCE_COLOR: '0' },
    });
    console.log(`multi-cloud example: npx cdktf synth ${Date.now() - started} ms`);
    expect(log).toMatch(/Generated Terraform code for the stacks: shop-azure, shop-gcp/);
    // identical but for the local state path, which follows the working directory
    const strip = (text: string) => { const j = JSON.parse(text); delete j.terraform; return JSON.stringify(j); };
    for (const stack of ['shop-azure', 'shop-gcp']) expect(strip(read(path.join(cliOut, 'out'), stack))).toBe(strip(read(outdir, stack)));
    expect(fs.existsSync(path.join(cliOut, 'out', 'shop.microseg.json'))).toBe(true);
  }, 200_000);
});

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { AllowFlow, Peer, Port, Segmentation } from '../../src';
import { AwsSegmentation } from '../../src/aws';
import { Manifest, modelAllows, Packet, PacketEnd, parseAddress } from '../../src/ir';
import { AwsEvaluator } from '../support/aws-evaluator';
import * as selectorsMonitor from '../../examples/aws-selectors-monitor/main';
import * as threeTier from '../../examples/aws-three-tier/main';
import { importedVpc } from './helpers';

const root = path.resolve(__dirname, '../..');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-aws-ex-'));

function synthExample(build: (outdir: string) => App, stackName: string) {
  const outdir = tmp();
  const app = build(outdir);
  const assembly = app.synth();
  const template = assembly.getStackByName(stackName).template;
  return { outdir, app, template, stack: app.node.findChild(stackName) as Stack };
}

/** Unacknowledged cdk-nag findings in the assembly's validation report. */
function nagFindings(outdir: string): string[] {
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  return (report.pluginReports ?? []).flatMap((r: any) => (r.violations ?? []).map((v: any) => `${v.ruleName}: ${JSON.stringify(v.violatingConstructs ?? v).slice(0, 200)}`));
}

describe('examples', () => {
  beforeAll(() => { process.env.CDK_VALIDATION = 'true'; });

  it('aws-three-tier synthesizes into a valid template (golden snapshot) and writes the manifest', async () => {
    const { outdir, template } = synthExample(threeTier.buildApp, 'ShopThreeTier');
    // CDK's built-in CloudFormation validation found nothing.
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect((report.pluginReports ?? []).flatMap((r: any) => r.violations ?? [])).toEqual([]);
    const types = Object.values<any>(template.Resources).map(r => r.Type);
    expect(types.filter(t => t === 'AWS::EC2::SecurityGroup')).toHaveLength(4 + 4 + 3); // per workload its own and its source group, one per zone
    expect(types.filter(t => t === 'AWS::EC2::NetworkAcl')).toHaveLength(3);
    expect(types.filter(t => t === 'AWS::EC2::SubnetNetworkAclAssociation')).toHaveLength(6);
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'shop.microseg.json'), 'utf8')) as Manifest;
    expect(Object.keys(manifest.clouds.aws!.identities)).toEqual(['api', 'frontend', 'postgres', 'worker']);
    expect(manifest.clouds.aws!.expected.some(r => r.container === 'nacl:web' && r.action === 'deny' && r.peer === 'cidr:10.0.4.0/23')).toBe(true);
    await expect(JSON.stringify(template, null, 2) + '\n').toMatchFileSnapshot('./__snapshots__/aws-three-tier.template.json');
  });

  it('aws-three-tier: the evaluator on the real template agrees with the model for every pair and port of interest', () => {
    const app = new App({ outdir: tmp() });
    const stack = new Stack(app, 'ShopThreeTier');
    const seg = threeTier.buildModel();
    const backend = threeTier.buildStack(stack, seg);
    const template = app.synth().getStackByName('ShopThreeTier').template;
    const policy = backend._policy!;
    const ev = new AwsEvaluator(template, backend, policy);
    expect(ev.naclZones).toEqual(['app', 'db', 'web']);
    const ends: PacketEnd[] = [
      ...policy.workloads.map(w => ({ workload: w.name })),
      ...['203.0.113.9', '198.51.100.7', '8.8.8.8'].map(a => ({ address: parseAddress(a).value, family: 'ipv4' as const })),
    ];
    let allowed = 0; let checked = 0;
    for (const source of ends) for (const destination of ends) {
      if (!('workload' in source) && !('workload' in destination)) continue;
      for (const [protocol, port] of [['tcp', 443], ['tcp', 8080], ['tcp', 5432], ['tcp', 22], ['udp', 53], ['icmp', 8]] as const) {
        const p: Packet = { source, destination, protocol, port, ...(protocol === 'icmp' ? { code: 0 } : {}) };
        const want = modelAllows(policy, p);
        expect(ev.allows(p), JSON.stringify(p, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(want);
        if (want) allowed++;
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
    // 3 internet addresses -> frontend 443, frontend -> api 8080, api and worker -> postgres 5432, worker -> 203.0.113.9 443
    expect(allowed).toBe(7);
  });

  it('aws-selectors-monitor synthesizes (golden snapshot) with the catch-all on the MONITOR zone only', async () => {
    const { template, outdir } = synthExample(selectorsMonitor.buildApp, 'PlatformSelectorsMonitor');
    // The catch-all is deliberate: CloudFormation validation's open-ingress warning is acknowledged with the reason.
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect((report.pluginReports ?? []).flatMap((r: any) => r.violations ?? [])).toEqual([]);
    const groups = Object.values<any>(template.Resources).filter(r => r.Type === 'AWS::EC2::SecurityGroup');
    const tag = (g: any, k: string) => g.Properties.Tags.find((t: any) => t.Key === k)?.Value;
    for (const g of groups) {
      // Zone groups are source identities only: no catch-all (their members' own groups carry it).
      const monitored = tag(g, 'microseg:zone') === 'platform' && tag(g, 'microseg:workload') !== undefined;
      expect(tag(g, 'microseg:monitor')).toBe(monitored ? 'catchall' : undefined);
      expect(JSON.stringify(g).includes('platform-monitor-catchall')).toBe(monitored);
    }
    expect(selectorsMonitor.segmentation.workloads).toHaveLength(5);
    await expect(JSON.stringify(template, null, 2) + '\n').toMatchFileSnapshot('./__snapshots__/aws-selectors-monitor.template.json');
  });

  it('cdk-nag AwsSolutions raises nothing on the three-tier example', () => {
    const app = new App({ outdir: tmp() });
    const stack = new Stack(app, 'ShopThreeTier');
    threeTier.buildStack(stack, threeTier.buildModel());
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const a = Annotations.fromStack(stack);
    expect(a.findError('*', Match.stringLikeRegexp('AwsSolutions-'))).toEqual([]);
    expect(a.findWarning('*', Match.stringLikeRegexp('AwsSolutions-'))).toEqual([]);
    expect(nagFindings(app.outdir)).toEqual([]);
  });

  it('cdk-nag: a declared internet-facing flow rendered verbatim is suppressed with the flow description as the reason', () => {
    const outdir = tmp();
    const app = new App({ outdir });
    const stack = new Stack(app, 'Open');
    const seg = new Segmentation(stack, 'Shop');
    const web = seg.addZone('Web', { cidrs: ['10.1.0.0/16'] }).addWorkload('Frontend');
    new AllowFlow(seg, 'Public', { from: Peer.anyIpv4(), to: web, ports: [Port.tcp(443)], description: 'Customers reach the storefront over HTTPS' });
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), excludeZoneRangesFromPeers: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-EC23'))).toEqual([]);
    expect(nagFindings(outdir)).toEqual([]);
    const group = stack.node.findAll().find(c => c.node.id === 'sg-frontend')!;
    const ack = JSON.stringify(group.node.metadata.filter(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map(m => m.data));
    expect(ack).toContain('AwsSolutions-EC23');
    expect(ack).toContain('Customers reach the storefront over HTTPS');
  });

  it('the real CLI synthesizes the example, and cdk diff --template shows only the added flow', () => {
    const out = tmp();
    // Offline: no version check, no notices, no telemetry, no instance metadata lookups.
    const env = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_VALIDATION: 'false', AWS_EC2_METADATA_DISABLED: 'true', MICROSEG_EXAMPLE_EXTRA_FLOW: '' };
    const cdk = (args: string[], extra: Record<string, string> = {}) => {
      // the installed binaries directly: npx resolves the package on every call (4 per run)
      const r = spawnSync(path.join(root, 'node_modules', '.bin', 'cdk'), [...args, '--no-notices', '--no-version-reporting'], {
        cwd: root, env: { ...env, ...extra }, encoding: 'utf8', timeout: 170_000,
      });
      expect(r.status, r.stderr).toBe(0);
      return `${r.stdout}\n${r.stderr}`;
    };
    cdk(['synth', '--app', 'node_modules/.bin/tsx examples/aws-three-tier/main.ts', '-o', path.join(out, 'a'), '--quiet']);
    const old = path.join(out, 'a', 'ShopThreeTier.template.json');
    expect(fs.existsSync(old)).toBe(true);
    expect(fs.existsSync(path.join(out, 'a', 'shop.microseg.json'))).toBe(true);
    const diff = cdk(['diff', '--app', 'node_modules/.bin/tsx examples/aws-three-tier/main.ts', '-o', path.join(out, 'b'), '--template', old, 'ShopThreeTier'], { MICROSEG_EXAMPLE_EXTRA_FLOW: '1' });
    const changes = diff.split('\n').filter(l => /^\[[+~-]\]/.test(l));
    // One egress rule on the worker's group, and the app zone's NACL request + return entries.
    expect(changes).toEqual([
      expect.stringMatching(/^\[\+\] AWS::EC2::NetworkAclEntry Microseg\/ShopAppNacl/),
      expect.stringMatching(/^\[\+\] AWS::EC2::NetworkAclEntry Microseg\/ShopAppNacl/),
      expect.stringMatching(/^\[~\] AWS::EC2::SecurityGroup Microseg\/sg-worker ShopWorkerSg/),
    ]);
    expect(diff).toMatch(/198\.51\.100\.0\/24/);
    expect(diff).not.toMatch(/\[-\]/);
  }, 400_000);
});

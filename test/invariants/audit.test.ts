/**
 * `microseg audit` evaluates the manifest's invariants on the live rules: real SDK clients against
 * local servers speaking each cloud's wire format, live state injected with drift that breaks an
 * invariant. A broken invariant is a critical finding, in every report format.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cloud } from '../../src';
import { render } from '../../src/audit/report';
import { runAudit } from '../../src/audit/run';
import { compile } from '../../src/ir/compile';
import { Manifest } from '../../src/ir/manifest';
import { Isolation, MustReach, NeverReach, Peer, Port } from '../../src/model';
import { FIXTURE_NOW, shopManifest, shopModel } from '../audit/fixtures';
import { fakeAwsEnv, writeManifestFile } from '../audit/helpers';
import { Ec2Server, ec2StateFromManifest, fakeId, startEc2Server } from '../support/servers/aws-ec2-server';
import { GcpServer, GcpState, gcpStateFromManifest, startGcpServer } from '../support/servers/gcp-compute-server';

/** The audit fixtures' shop, with three invariants that hold as declared. */
function manifestWithInvariants(): Manifest {
  const { seg, data, app, api, db } = shopModel();
  new Isolation(seg, 'DataIsolated', { target: data, except: [app], owner: 'team-sec', description: 'PCI scope' });
  new NeverReach(seg, 'InternetNeverReachesData', { from: Peer.anyIpv4(), to: data, owner: 'team-sec' });
  new MustReach(seg, 'ApiReachesDb', { from: api, to: db, ports: [Port.tcp(5432)], owner: 'team-app' });
  const { invariants } = compile(seg, { now: FIXTURE_NOW });
  const m = shopManifest();
  return { ...m, model: { ...m.model, invariants } };
}

let gcp: GcpServer | undefined;
let ec2: Ec2Server | undefined;
afterEach(async () => {
  await gcp?.close(); gcp = undefined;
  await ec2?.close(); ec2 = undefined;
  delete process.env.MICROSEG_GCP_ACCESS_TOKEN;
});

async function auditGcp(mutate?: (s: GcpState) => void) {
  const manifest = manifestWithInvariants();
  const state = gcpStateFromManifest(manifest);
  mutate?.(state);
  gcp = await startGcpServer(state, { maxPage: 5 });
  process.env.MICROSEG_GCP_ACCESS_TOKEN = 'gcp-test-token';
  return runAudit({ manifestFile: writeManifestFile(manifest), cloud: Cloud.GCP, gcpEndpoint: gcp.url });
}

const NET = 'https://www.googleapis.com/compute/v1/projects/shop-prod/global/networks/prod';

describe('audit: invariants on the live rules', () => {
  it('a faithful GCP estate keeps every invariant: no finding', async () => {
    const out = await auditGcp();
    expect(out.errors).toEqual([]);
    expect(out.findings).toEqual([]);
    expect(out.exitCode).toBe(0);
  });

  it('GCP: a firewall rule opening the database to the internet breaks Isolation and NeverReach: critical invariant findings first, with the live hop', async () => {
    const out = await auditGcp(s => {
      s.firewalls.push({ name: 'hotfix-db', network: NET, direction: 'INGRESS', priority: 900, sourceRanges: ['0.0.0.0/0'], targetTags: ['db'], allowed: [{ IPProtocol: 'tcp', ports: ['5432'] }] });
    });
    expect(out.exitCode).toBe(1);
    const inv = out.findings.filter(f => f.kind === 'invariant');
    expect(inv.map(f => [f.severity, f.constructPath, f.container, f.manifestEntry])).toEqual([
      ['critical', 'Shop/DataIsolated', 'invariant:Shop/DataIsolated', 'model.invariants[1]'],
      ['critical', 'Shop/InternetNeverReachesData', 'invariant:Shop/InternetNeverReachesData', 'model.invariants[2]'],
    ]);
    expect(out.findings.slice(0, 2).every(f => f.kind === 'invariant')).toBe(true);
    expect(inv[1].message).toBe('NeverReach "ipv4:0.0.0.0/0 never reaches zone:data" (owner: team-sec) is broken on the live gcp rules: 0.0.0.0/0 -[tcp:5432 by no flow of the model]-> db.');
    expect(inv[0].message).toMatch(/^Isolation "PCI scope" \(owner: team-sec\) is broken on the live gcp rules: 0\.0\.0\.0\/\d+ -\[tcp:5432 by no flow of the model\]-> db\.$/);
    expect(inv[0].fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('GCP: the database\'s ingress rule deleted: MustReach broken, named as blocked by the live rules', async () => {
    const out = await auditGcp(s => {
      s.firewalls = s.firewalls.filter(f => !(f.direction === 'INGRESS' && f.targetTags?.includes('db') && f.allowed));
    });
    const inv = out.findings.filter(f => f.kind === 'invariant');
    expect(inv.map(f => [f.severity, f.constructPath])).toEqual([['critical', 'Shop/ApiReachesDb']]);
    expect(inv[0].message).toBe('MustReach "workload:api must reach workload:db" (owner: team-app) does not hold on the live gcp rules: api -> db tcp:5432: the rendered gcp rules block it although the model allows it.');
  });

  it('AWS: the database group\'s ingress rule revoked: MustReach broken; an injected internet rule stopped by the data zone\'s network ACL breaks nothing', async () => {
    const manifest = manifestWithInvariants();
    const state = ec2StateFromManifest(manifest);
    const db = fakeId('sg', 'shop/db');
    state.rules = state.rules.filter(r => !(r.groupId === db && !r.isEgress && r.fromPort === 5432));
    state.rules.push({ ruleId: 'sgr-0hotfix00000001', groupId: db, isEgress: false, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' });
    ec2 = await startEc2Server(state);
    fakeAwsEnv(ec2.url);
    const out = await runAudit({ manifestFile: writeManifestFile(manifest), cloud: Cloud.AWS });
    expect(out.errors).toEqual([]);
    const inv = out.findings.filter(f => f.kind === 'invariant');
    expect(inv.map(f => [f.severity, f.constructPath])).toEqual([['critical', 'Shop/ApiReachesDb']]);
    expect(inv[0].message).toContain('does not hold on the live aws rules: api -> db tcp:5432');
    expect(out.findings.some(f => f.kind === 'unexpected' && f.live?.ports === '22')).toBe(true);
  });

  it('every report format carries the broken invariant as critical', async () => {
    const out = await auditGcp(s => {
      s.firewalls.push({ name: 'hotfix-db', network: NET, direction: 'INGRESS', priority: 900, sourceRanges: ['0.0.0.0/0'], targetTags: ['db'], allowed: [{ IPProtocol: 'tcp', ports: ['5432'] }] });
    });
    const json = JSON.parse(render(out, 'json'));
    expect(json.summary.byKind.invariant).toBe(2);
    expect(json.findings.filter((f: any) => f.kind === 'invariant').every((f: any) => f.severity === 'critical')).toBe(true);
    const sarif = JSON.parse(render(out, 'sarif'));
    const rule = sarif.runs[0].tool.driver.rules.find((r: any) => r.id === 'microseg/invariant-broken');
    expect(rule).toBeTruthy();
    const results = sarif.runs[0].results.filter((r: any) => r.ruleId === 'microseg/invariant-broken');
    expect(results.map((r: any) => [r.level, r.properties.severity, r.locations[0].logicalLocations[0].fullyQualifiedName])).toEqual([
      ['error', 'critical', 'Shop/DataIsolated'], ['error', 'critical', 'Shop/InternetNeverReachesData'],
    ]);
    expect(render(out, 'junit')).toMatch(/\[critical\] invariant [0-9a-f]{16}: NeverReach .* is broken on the live gcp rules/);
    expect(render(out, 'markdown')).toMatch(/\| invariant \| `invariant:Shop\/InternetNeverReachesData` \| NeverReach .* \| `Shop\/InternetNeverReachesData` \|/);
    const table = render(out, 'table');
    expect(table).toMatch(/│ critical │ invariant  │ invariant:Shop\/… │ NeverReach "ipv4:0\.0\.0\.0\/0 never reaches zone:data"/);
    expect(table).toContain('Shop/InternetNeverReachesData');
  });
});

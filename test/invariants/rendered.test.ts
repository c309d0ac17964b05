/**
 * Invariants on rendered rules: what the cloud lets through can differ from the model (a MONITOR
 * zone's catch-all, a narrowing), and the check on the rendered rules says so, with the hop that
 * only the cloud opens and, for a MustReach, that the cloud blocks what the model allows.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { AwsSegmentation } from '../../src/aws';
import { AzureTerraform } from '../../src/azure';
import { GcpTerraform } from '../../src/gcp';
import { KubernetesManifests } from '../../src/k8s';
import { Cloud, EnforcementMode, MustReach, NeverReach, Port, Segmentation } from '../../src';
import { checkInvariants, checkRenderedInvariants, verifyInvariants } from '../../src/analysis/invariants';
import { checkManifestInvariants } from '../../src/analysis/invariants-on-rules';
import { gcpNetworkTag, planGcp } from '../../src/gcp/plan';
import { compile, Packet, PacketEnd, parseAddress } from '../../src/ir';
import { terraformJson } from '../../src/terraform/util';
import { GcpFirewallEvaluator } from '../support/gcp-evaluator';

function model(mode: EnforcementMode) {
  const seg = Segmentation.root('Shop');
  const web = seg.addZone('Web', { cidrs: ['10.1.0.0/16'], mode });
  const data = seg.addZone('Data', { cidrs: ['10.3.0.0/16'], mode });
  const frontend = web.addWorkload('Frontend', { cidrs: ['10.1.0.0/24'] });
  const db = data.addWorkload('Db', { cidrs: ['10.3.0.0/24'] });
  const api = web.addWorkload('Api', { cidrs: ['10.1.1.0/24'] });
  api.allowFrom(frontend, Port.tcp(8080));
  db.allowFrom(api, Port.tcp(5432));
  new NeverReach(seg, 'WebNeverReachesDbDirectly', { from: frontend, to: db, owner: 'team-sec' });
  new MustReach(seg, 'ApiReachesDb', { from: api, to: db, ports: [Port.tcp(5432)] });
  return seg;
}

function gcpOracle(seg: Segmentation, drop?: (r: any) => boolean) {
  const policy = compile(seg);
  const plan = planGcp(policy, { backendPath: 'Gcp', network: 'vpc', identity: 'NETWORK_TAG' });
  const tf = terraformJson(plan.resources) as any;
  if (drop) for (const [k, r] of Object.entries<any>(tf.resource.google_compute_firewall)) if (drop(r)) delete tf.resource.google_compute_firewall[k];
  const ev = new GcpFirewallEvaluator(tf, w => ({ tags: [gcpNetworkTag(policy.segmentation.name, w)] }));
  const addr = (w: string) => parseAddress(policy.workloads.find(x => x.name === w)!.cidrs[0].replace('.0/24', '.10')).value;
  const end = (e: PacketEnd) => ('workload' in e ? { workload: e.workload, address: addr(e.workload), family: 'ipv4' as const } : { address: e.address, family: e.family });
  return { policy, allows: (p: Packet) => ev.allows({ source: end(p.source), destination: end(p.destination), protocol: p.protocol, port: p.port }) };
}

describe('invariants on rendered rules', () => {
  it('ENFORCE: the rendered GCP rules keep what the model keeps', () => {
    const { policy, allows } = gcpOracle(model(EnforcementMode.ENFORCE));
    expect(checkRenderedInvariants(policy, { cloud: 'gcp', allows }).map(r => [r.checkedOn, r.holds])).toEqual([['gcp', true], ['gcp', true]]);
    expect(() => verifyInvariants(policy, { cloud: 'gcp', allows })).not.toThrow();
  });

  it('MONITOR zones: the model holds, the rendered catch-all breaks the NeverReach (a hop no flow of the model opens)', () => {
    const { policy, allows } = gcpOracle(model(EnforcementMode.MONITOR));
    expect(checkInvariants(policy).every(r => r.holds)).toBe(true);
    const [must, never] = checkRenderedInvariants(policy, { cloud: 'gcp', allows });
    expect(must.holds).toBe(true);
    expect(never).toMatchObject({ holds: false, checkedOn: 'gcp', hops: [{ from: 'frontend', to: 'db', flows: [] }] });
    expect(never.message).toMatch(/^NeverReach ".*" \(owner: team-sec\) is broken on the rendered gcp rules: frontend -\[.*by no flow of the model\]-> db\.$/);
    expect(() => verifyInvariants(policy, { cloud: 'gcp', allows })).toThrow(/\[microseg:InvariantViolated\] at Shop\/WebNeverReachesDbDirectly: .* on the rendered gcp rules/);
  });

  it('a MustReach the model keeps but the rendered rules break names the cloud as the blocker', () => {
    const { policy, allows } = gcpOracle(model(EnforcementMode.ENFORCE), r => r.direction === 'INGRESS' && JSON.stringify(r.allow ?? []).includes('5432'));
    const must = checkRenderedInvariants(policy, { cloud: 'gcp', allows })[0];
    expect(must).toMatchObject({ holds: false, blockers: ['api -> db tcp:5432: the rendered gcp rules block it although the model allows it'] });
  });

  it('invariants with an end outside the covered workloads are not checked on that cloud', () => {
    const { policy, allows } = gcpOracle(model(EnforcementMode.MONITOR));
    expect(checkRenderedInvariants(policy, { cloud: 'gcp', allows, workloads: ['frontend', 'api'] })).toEqual([]);
  });

  it('at synth: every backend checks its rendered rules (MONITOR zones: the model holds, the catch-alls break it; nothing is written)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'inv-'));
    const rendered = (cloud: string) => new RegExp(`\\[microseg:InvariantViolated\\] at (S/)?Shop/WebNeverReachesDbDirectly: .* is broken on the rendered ${cloud} rules: frontend -\\[`);
    expect(() => GcpTerraform.write(out, { segmentation: model(EnforcementMode.MONITOR), network: 'vpc' })).toThrow(rendered('gcp'));
    expect(() => AzureTerraform.write(out, { segmentation: model(EnforcementMode.MONITOR), resourceGroupName: 'rg', location: 'westeurope' })).toThrow(rendered('azure'));
    expect(fs.readdirSync(out)).toEqual([]);
    const app = new App();
    const stack = new Stack(app, 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc', { ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/8'), natGateways: 0, subnetConfiguration: [] });
    const seg = new Segmentation(stack, 'Shop');
    const web = seg.addZone('Web', { cidrs: ['10.1.0.0/16'], mode: EnforcementMode.MONITOR });
    const data = seg.addZone('Data', { cidrs: ['10.3.0.0/16'], mode: EnforcementMode.MONITOR });
    const frontend = web.addWorkload('Frontend');
    data.addWorkload('Db').allowFrom(web.addWorkload('Api'), Port.tcp(5432));
    new NeverReach(seg, 'WebNeverReachesDbDirectly', { from: frontend, to: data });
    new AwsSegmentation(stack, 'Microseg', { segmentation: seg, vpc });
    expect(() => app.synth()).toThrow(rendered('aws'));
    // the same model in ENFORCE synthesizes
    for (const mode of [EnforcementMode.ENFORCE]) {
      expect(() => GcpTerraform.write(out, { segmentation: model(mode), network: 'vpc' })).not.toThrow();
      expect(() => KubernetesManifests.write(out, { segmentation: model(mode) })).not.toThrow();
    }
  });

  it('from the manifest alone: the same verdicts; the recorded rules keep them; a drifted rule set breaks them', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'inv-'));
    const seg = model(EnforcementMode.ENFORCE);
    GcpTerraform.write(out, { segmentation: seg, network: 'vpc' });
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'shop.microseg.json'), 'utf8'));
    const strip = (rs: any[]) => rs.map(r => [r.invariant, r.holds, r.message.replace(/ on the .*?:/, ':')]);
    expect(strip(checkManifestInvariants(manifest))).toEqual(strip(checkInvariants(compile(model(EnforcementMode.ENFORCE)))));
    const expected = manifest.clouds.gcp.expected;
    expect(checkManifestInvariants(manifest, Cloud.GCP, expected).map(r => [r.checkedOn, r.holds])).toEqual([['gcp', true], ['gcp', true]]);
    // drift: the database's ingress names the frontend's tag instead of the api's, and the
    // frontend's egress was widened to everything
    const dbIngress = expected.find((r: any) => r.direction === 'ingress' && r.action === 'allow' && r.ports === '5432');
    const feEgress = expected.find((r: any) => r.direction === 'egress' && r.action === 'allow' && r.target === 'tag:shop-frontend');
    const drifted = [
      ...expected.filter((r: any) => r !== dbIngress && r !== feEgress),
      { ...dbIngress, peer: 'tag:shop-frontend', name: 'hotfix' },
      { ...feEgress, peer: 'cidr:0.0.0.0/0', name: 'hotfix-out' },
    ];
    const [must, never] = checkManifestInvariants(manifest, Cloud.GCP, drifted);
    expect(must).toMatchObject({ holds: false, blockers: ['api -> db tcp:5432: the rendered gcp rules block it although the model allows it'] });
    expect(never).toMatchObject({ holds: false, hops: [{ from: 'frontend', to: 'db', services: ['tcp:5432'], flows: [] }] });
  });
});

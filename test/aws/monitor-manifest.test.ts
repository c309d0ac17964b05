import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EnforcementMode, Peer, Port, Segmentation } from '../../src';
import { AwsSegmentation, AwsWarnings } from '../../src/aws';
import { Manifest } from '../../src/ir';
import { AwsEvaluator } from '../support/aws-evaluator';
import { ModelSpec } from '../support/model-arbitrary';
import { importedVpc, renderSpec, subnetFor } from './helpers';

describe('MONITOR mode', () => {
  it('renders the declared rules plus a clearly named, tagged catch-all', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Shop', { mode: EnforcementMode.MONITOR });
    const web = seg.addZone('Web', { cidrs: ['10.1.0.0/16'] });
    const db = seg.addZone('Db', { cidrs: ['10.3.0.0/16'], mode: EnforcementMode.ENFORCE });
    const fe = web.addWorkload('Fe');
    const pg = db.addWorkload('Pg');
    pg.allowFrom(fe, Port.tcp(5432));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      Tags: Match.arrayWith([{ Key: 'microseg:monitor', Value: 'catchall' }, { Key: 'microseg:workload', Value: 'fe' }]),
      // The catch-all admits the VPC range, not the internet.
      SecurityGroupIngress: [{ CidrIp: '10.0.0.0/8', IpProtocol: '-1', Description: 'shop-monitor-catchall' }],
      SecurityGroupEgress: [
        { CidrIp: '0.0.0.0/0', IpProtocol: '-1', Description: 'shop-monitor-catchall' },
        { CidrIp: '10.3.0.0/16', IpProtocol: '-1' },
      ],
    });
    // The enforced zone keeps default deny.
    const pgGroup = Object.values(t.findResources('AWS::EC2::SecurityGroup', { Properties: { Tags: Match.arrayWith([{ Key: 'microseg:workload', Value: 'pg' }]) } }))[0];
    expect(JSON.stringify(pgGroup)).not.toMatch(/catchall/);
    expect(pgGroup.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
    // Nothing to acknowledge for cdk-nag: the catch-all is not open to the internet.
    const feGroup = Object.values(t.findResources('AWS::EC2::SecurityGroup', { Properties: { Tags: Match.arrayWith([{ Key: 'microseg:workload', Value: 'fe' }]) } }))[0];
    expect(feGroup.Metadata?.cdk_nag).toBeUndefined();
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp(AwsWarnings.MONITOR_OPEN_TO_INTERNET));
  });

  it('admits the internet only when asked for (monitorIngressFromInternet), with a warning and the cdk-nag acknowledgement', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Shop', { mode: EnforcementMode.MONITOR });
    seg.addZone('Web', { cidrs: ['10.1.0.0/16'] }).addWorkload('Fe');
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), monitorIngressFromInternet: true });
    const t = Template.fromStack(stack);
    const fe = Object.values(t.findResources('AWS::EC2::SecurityGroup', { Properties: { Tags: Match.arrayWith([{ Key: 'microseg:workload', Value: 'fe' }]) } }))[0];
    expect(fe.Properties.SecurityGroupIngress).toEqual([{ CidrIp: '0.0.0.0/0', IpProtocol: '-1', Description: 'shop-monitor-catchall' }]);
    expect(fe.Metadata.cdk_nag.rules_to_suppress[0].id).toBe('AwsSolutions-EC23');
    Annotations.fromStack(stack).hasWarning('/S/Aws', Match.stringLikeRegexp(`internet.*fe.*${AwsWarnings.MONITOR_OPEN_TO_INTERNET}`));
  });
});

describe('MONITOR next to ENFORCE stays exact (issue 8\'s fuzzer case, on AWS)', () => {
  const tcp = (source: string, destination: string, port: number) => ({ source: { workload: source }, destination: { workload: destination }, protocol: 'tcp' as const, port });
  it('declare only m1 -> db:5432: m0 -> db:5432 does not pass; declare only e -> m1:5432: e -> m0:5432 does not pass (with and without network ACLs)', () => {
    const spec: ModelSpec = {
      zones: [{ workloads: [{ labels: {} }, { labels: {} }], monitor: true }, { workloads: [{ labels: {} }] }, { workloads: [{ labels: {} }] }],
      flows: [
        { from: { kind: 'workload', zone: 0, workload: 1 }, to: { kind: 'workload', zone: 1, workload: 0 }, ports: [{ kind: 'tcp', from: 5432, to: 5432 }] },
        { from: { kind: 'workload', zone: 2, workload: 0 }, to: { kind: 'workload', zone: 0, workload: 1 }, ports: [{ kind: 'tcp', from: 5432, to: 5432 }] },
      ],
      denies: [],
    };
    for (const nacls of [false, true]) {
      const r = renderSpec(spec, { nacls });
      const ev = new AwsEvaluator(r.template, r.backend, r.backend._policy!);
      expect(ev.allows(tcp('w0-1', 'w1-0', 5432))).toBe(true);
      expect(ev.allows(tcp('w0-0', 'w1-0', 5432))).toBe(false);
      expect(ev.allows(tcp('w2-0', 'w0-1', 5432))).toBe(true);
      expect(ev.allows(tcp('w2-0', 'w0-0', 5432))).toBe(false);
      expect(ev.allows(tcp('w2-0', 'w0-1', 22))).toBe(false);
    }
  });
});

describe('manifest', () => {
  function synth() {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-aws-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Shop', { env: { account: '123456789012', region: 'eu-west-1' } });
    const seg = new Segmentation(stack, 'Shop');
    const web = seg.addZone('Web', { cidrs: ['10.1.0.0/16'] });
    const db = seg.addZone('Db', { cidrs: ['10.3.0.0/16'], mode: EnforcementMode.MONITOR });
    const fe = web.addWorkload('Fe');
    const pg = db.addWorkload('Pg');
    pg.allowFrom(fe, Port.tcp(5432));
    fe.allowFrom(Peer.ipv4('203.0.113.0/24'), Port.tcp(443));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), subnets: { web: subnetFor(stack, 'web') } });
    app.synth();
    return JSON.parse(fs.readFileSync(path.join(outdir, 'shop.microseg.json'), 'utf8')) as Manifest;
  }

  it('records settings, identities, containers and every expected rule canonically', () => {
    const m = synth();
    const aws = m.clouds.aws!;
    expect(aws.backendPath).toBe('Shop/Aws');
    expect(aws.zones).toEqual(['db', 'web']);
    expect(aws.settings).toEqual({
      stackName: 'Shop', region: 'eu-west-1', account: '123456789012', vpcId: 'vpc-0123456789abcdef0', vpcLogicalId: '',
      vpcCidr: '10.0.0.0/8', ephemeralPorts: '1024-65535',
    });
    expect(aws.identities.fe).toEqual({
      securityGroupLogicalId: expect.stringMatching(/^ShopFeSg[0-9A-F]{8}$/), securityGroupName: 'fe', zone: 'web', stackName: 'Shop',
      securityGroupNames: 'fe,zone.web,src.fe', securityGroupLogicalIds: expect.stringMatching(/^ShopFeSg[0-9A-F]{8},ShopZoneWebSg[0-9A-F]{8},ShopSrcFeSg[0-9A-F]{8}$/),
      'tag:microseg:group': 'fe', 'tag:microseg:segmentation': 'shop', 'tag:microseg:workload': 'fe', 'tag:microseg:zone': 'web',
    });
    expect(aws.containers['sg:pg']).toMatchObject({ kind: 'securityGroup', groupKind: 'workload', 'tag:microseg:monitor': 'catchall' });
    expect(aws.containers['sg:zone.web']).toEqual({
      kind: 'securityGroup', groupKind: 'zone', logicalId: expect.stringMatching(/^ShopZoneWebSg[0-9A-F]{8}$/), stackName: 'Shop',
      'tag:microseg:group': 'zone.web', 'tag:microseg:segmentation': 'shop', 'tag:microseg:zone': 'web',
    });
    expect(aws.expected.filter(r => r.container === 'sg:zone.web').map(r => `${r.direction} ${r.protocol} ${r.ports} ${r.peer}`)).toEqual(['egress icmp 252/86 cidr:255.255.255.255/32']);
    expect(aws.containers['nacl:web']).toMatchObject({ kind: 'networkAcl', logicalId: expect.stringMatching(/^ShopWebNacl/), subnetIds: expect.stringMatching(/^subnet-/) });
    const rules = aws.expected.map(r => `${r.container} ${r.direction} ${r.action} ${r.protocol} ${r.ports} ${r.peer}${r.priority !== undefined ? ' #' + r.priority : ''}`);
    // pg's zone is MONITOR (its catch-all admits the VPC): egress towards it names pg's source group with the flow's port.
    expect(rules).toContain('sg:fe egress allow tcp 5432 sg:src.pg');
    expect(rules).toContain('sg:pg ingress allow tcp 5432 sg:fe');
    expect(rules).toContain('sg:pg ingress allow all * cidr:10.0.0.0/8');
    expect(rules).toContain('sg:pg egress allow all * cidr:0.0.0.0/0');
    expect(rules).toContain('sg:fe ingress allow tcp 443 cidr:203.0.113.0/24');
    expect(rules.filter(r => r.startsWith('nacl:web')).map(r => r.replace(/ #\d+$/, ''))).toEqual([
      'nacl:web egress allow tcp 1024-65535 cidr:203.0.113.0/24',
      'nacl:web egress allow tcp 5432 cidr:10.3.0.0/16',
      'nacl:web ingress allow tcp 1024-65535 cidr:10.3.0.0/16',
      'nacl:web ingress allow tcp 443 cidr:203.0.113.0/24',
    ]);
    expect(aws.expected.find(r => r.container === 'sg:fe' && r.direction === 'ingress')!.origin).toBe('Shop/Shop/Web/Fe/From-ipv4:203.0.113.0_24-tcp:443');
    expect(m.model.workloads.map(w => w.name)).toEqual(['fe', 'pg']);
  });

  it('records the match-nothing egress rule literally', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-aws-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Quiet');
    seg.addZone('Z').addWorkload('Lonely');
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
    app.synth();
    const m = JSON.parse(fs.readFileSync(path.join(outdir, 'quiet.microseg.json'), 'utf8')) as Manifest;
    expect(m.clouds.aws!.expected).toEqual([
      { container: 'sg:lonely', direction: 'egress', action: 'allow', protocol: 'icmp', ports: '252/86', peer: 'cidr:255.255.255.255/32' },
      { container: 'sg:src.lonely', direction: 'egress', action: 'allow', protocol: 'icmp', ports: '252/86', peer: 'cidr:255.255.255.255/32' },
      { container: 'sg:zone.z', direction: 'egress', action: 'allow', protocol: 'icmp', ports: '252/86', peer: 'cidr:255.255.255.255/32' },
    ]);
  });
});

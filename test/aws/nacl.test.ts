import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DenyFlow, EnforcementMode, Peer, Port, Segmentation } from '../../src';
import { AwsSegmentation } from '../../src/aws';
import { NACL_BANDS, NACL_MONITOR_NUMBERS } from '../../src/aws/plan';
import { importedVpc, setup, subnetFor } from './helpers';

const ENTRY = 'AWS::EC2::NetworkAclEntry';

function entriesOf(t: Template, naclId: string): any[] {
  return Object.values(t.findResources(ENTRY)).map(r => r.Properties).filter(p => p.NetworkAclId.Ref === naclId);
}

function naclId(t: Template, zone: string): string {
  const found = Object.entries(t.findResources('AWS::EC2::NetworkAcl')).find(([, r]) => r.Properties.Tags.some((x: any) => x.Key === 'microseg:zone' && x.Value === zone));
  return found![0];
}

describe('network ACLs', () => {
  function threeTier() {
    const s = setup();
    s.frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    s.api.allowFrom(s.frontend, Port.tcp(8080));
    s.postgres.allowFrom(s.api, Port.tcp(5432));
    new DenyFlow(s.seg, 'NoWebToDb', { from: s.web, to: s.db, description: 'web never talks to the database' });
    new AwsSegmentation(s.stack, 'Aws', {
      segmentation: s.seg, vpc: s.vpc,
      subnets: { web: subnetFor(s.stack, 'web'), app: subnetFor(s.stack, 'app'), db: subnetFor(s.stack, 'db') },
    });
    return { ...s, t: Template.fromStack(s.stack) };
  }

  it('creates one network ACL per zone with subnets, associated with them', () => {
    const { t } = threeTier();
    t.resourceCountIs('AWS::EC2::NetworkAcl', 3);
    t.resourceCountIs('AWS::EC2::SubnetNetworkAclAssociation', 3);
    const web = naclId(t, 'web');
    t.hasResourceProperties('AWS::EC2::NetworkAcl', { VpcId: 'vpc-0123456789abcdef0', Tags: [{ Key: 'microseg:segmentation', Value: 'shop' }, { Key: 'microseg:zone', Value: 'web' }] });
    t.hasResourceProperties('AWS::EC2::SubnetNetworkAclAssociation', { NetworkAclId: { Ref: web }, SubnetId: Match.stringLikeRegexp('^subnet-') });
  });

  it('allows flow ports between zone ranges and the stateless return traffic on ephemeral ports', () => {
    const { t } = threeTier();
    const app = entriesOf(t, naclId(t, 'app'));
    const allow = (egress: boolean, cidr: string, from: number, to: number) => app.find(e => e.Egress === egress && e.CidrBlock === cidr && e.Protocol === 6 && e.PortRange.From === from && e.PortRange.To === to && e.RuleAction === 'allow');
    expect(allow(false, '10.1.0.0/16', 8080, 8080)).toBeDefined(); // request in from web
    expect(allow(true, '10.1.0.0/16', 1024, 65535)).toBeDefined(); // return to web
    expect(allow(true, '10.3.0.0/16', 5432, 5432)).toBeDefined(); // request out to db
    expect(allow(false, '10.3.0.0/16', 1024, 65535)).toBeDefined(); // return from db
    expect(app).toHaveLength(4);
  });

  it('renders DenyFlows as deny entries below every allow of the request band', () => {
    const { t } = threeTier();
    const web = entriesOf(t, naclId(t, 'web'));
    const db = entriesOf(t, naclId(t, 'db'));
    const deny = web.find(e => e.RuleAction === 'deny');
    expect(deny).toMatchObject({ Egress: true, CidrBlock: '10.3.0.0/16', Protocol: -1 });
    expect(db.find(e => e.RuleAction === 'deny')).toMatchObject({ Egress: false, CidrBlock: '10.1.0.0/16', Protocol: -1 });
    for (const e of web.filter(x => x.RuleAction === 'allow' && x.Egress && x.PortRange?.From !== 1024)) expect(e.RuleNumber).toBeGreaterThan(deny.RuleNumber);
    expect(deny.RuleNumber).toBeGreaterThanOrEqual(NACL_BANDS.deny.from);
    expect(deny.RuleNumber).toBeLessThanOrEqual(NACL_BANDS.deny.to);
  });

  it('numbers entries from their content: adding a flow does not renumber the others', () => {
    const numbers = (t: Template) => Object.fromEntries(Object.entries(t.findResources(ENTRY)).map(([id, r]) => [id, r.Properties.RuleNumber]));
    const before = numbers(threeTier().t);
    const s = setup();
    s.frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    s.api.allowFrom(s.frontend, Port.tcp(8080));
    s.postgres.allowFrom(s.api, Port.tcp(5432));
    s.postgres.allowFrom(s.api, Port.udp(5000)); // the new flow
    new DenyFlow(s.seg, 'NoWebToDb', { from: s.web, to: s.db, description: 'web never talks to the database' });
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: { web: subnetFor(s.stack, 'web'), app: subnetFor(s.stack, 'app'), db: subnetFor(s.stack, 'db') } });
    const after = numbers(Template.fromStack(s.stack));
    for (const [id, n] of Object.entries(before)) expect(after[id]).toBe(n);
    expect(Object.keys(after).length).toBe(Object.keys(before).length + 4);
    // Unique per direction per NACL.
    const t = Template.fromStack(s.stack);
    const seen = new Set<string>();
    for (const e of Object.values(t.findResources(ENTRY)).map(r => r.Properties)) {
      const k = `${e.NetworkAclId.Ref}|${e.Egress}|${e.RuleNumber}`;
      expect(seen.has(k)).toBe(false);
      seen.add(k);
    }
  });

  it('renders ICMP with type and code, and ICMPv6 for IPv6 ranges', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const z = seg.addZone('Z', { cidrs: ['10.1.0.0/16', '2001:db8:1::/48'] });
    const w = z.addWorkload('W');
    w.allowFrom(Peer.ipv6('2001:db8:ff::/48'), Port.icmp(128, 0));
    w.allowFrom(Peer.ipv4('198.51.100.0/24'), Port.icmp(8));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), subnets: { z: subnetFor(stack, 'z') } });
    const t = Template.fromStack(stack);
    t.hasResourceProperties(ENTRY, { Ipv6CidrBlock: '2001:db8:ff::/48', Protocol: 58, Icmp: { Type: 128, Code: 0 }, Egress: false, RuleAction: 'allow' });
    t.hasResourceProperties(ENTRY, { CidrBlock: '198.51.100.0/24', Protocol: 1, Icmp: { Type: 8, Code: -1 }, Egress: false });
    t.hasResourceProperties(ENTRY, { CidrBlock: '198.51.100.0/24', Protocol: 1, Icmp: { Type: -1, Code: -1 }, Egress: true });
  });

  it('MONITOR zones: allow-all from the VPC range (not the internet), egress everywhere and its return traffic, just before the implicit deny', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const z = seg.addZone('Z', { cidrs: ['10.1.0.0/16'], mode: EnforcementMode.MONITOR });
    z.addWorkload('W');
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), subnets: { z: subnetFor(stack, 'z') } });
    const t = Template.fromStack(stack);
    const monitor = Object.values(t.findResources(ENTRY)).map(r => r.Properties).filter(p => p.RuleNumber > 32000)
      .map(p => `${p.Egress ? 'out' : 'in'} ${p.RuleNumber} ${p.Protocol} ${p.CidrBlock} ${p.PortRange ? `${p.PortRange.From}-${p.PortRange.To}` : ''}`.trim()).sort();
    expect(monitor).toEqual([
      `in ${NACL_MONITOR_NUMBERS.returnIcmp4} 1 0.0.0.0/0`,
      `in ${NACL_MONITOR_NUMBERS.returnUdp4} 17 0.0.0.0/0 1024-65535`,
      `in ${NACL_MONITOR_NUMBERS.returnTcp4} 6 0.0.0.0/0 1024-65535`,
      `in ${NACL_MONITOR_NUMBERS.ipv4} -1 10.0.0.0/8`,
      `out ${NACL_MONITOR_NUMBERS.ipv4} -1 0.0.0.0/0`,
    ]);
    t.hasResourceProperties('AWS::EC2::NetworkAcl', { Tags: [{ Key: 'microseg:monitor', Value: 'catchall' }, { Key: 'microseg:segmentation', Value: 'seg' }, { Key: 'microseg:zone', Value: 'z' }] });
  });

  it('MONITOR zones admit the internet only with monitorIngressFromInternet; a VPC range unknown at synth is referenced', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    seg.addZone('Z', { cidrs: ['10.1.0.0/16'], mode: EnforcementMode.MONITOR }).addWorkload('W');
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), subnets: { z: subnetFor(stack, 'z') }, monitorIngressFromInternet: true });
    const t = Template.fromStack(stack);
    for (const egress of [true, false]) {
      t.hasResourceProperties(ENTRY, { Egress: egress, RuleNumber: NACL_MONITOR_NUMBERS.ipv4, CidrBlock: '0.0.0.0/0', Protocol: -1, RuleAction: 'allow' });
    }
    expect(Object.values(t.findResources(ENTRY)).filter(r => r.Properties.RuleNumber === NACL_MONITOR_NUMBERS.returnTcp4)).toHaveLength(0);

    const app2 = new App();
    const stack2 = new Stack(app2, 'S');
    const seg2 = new Segmentation(stack2, 'Seg');
    seg2.addZone('Z', { cidrs: ['10.1.0.0/16'], mode: EnforcementMode.MONITOR }).addWorkload('W');
    const param = new CfnParameter(stack2, 'VpcCidr');
    const vpc = ec2.Vpc.fromVpcAttributes(stack2, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], vpcCidrBlock: param.valueAsString });
    new AwsSegmentation(stack2, 'Aws', { segmentation: seg2, vpc, subnets: { z: subnetFor(stack2, 'z') } });
    Template.fromStack(stack2).hasResourceProperties(ENTRY, { Egress: false, RuleNumber: NACL_MONITOR_NUMBERS.ipv4, CidrBlock: { Ref: 'VpcCidr' }, Protocol: -1 });
  });

  it('a zone with subnets whose CIDRs CDK does not know, and no cidrs, is an error', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    seg.addZone('Z').addWorkload('W');
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), subnets: { z: subnetFor(stack, 'z') } });
    expect(() => app.synth()).toThrow(/microseg:UnresolvedRange.*zone "z" takes its ranges from its subnets.*ipv4CidrBlock/);
    expect(stack.node.findAll().filter(c => c.node.id.startsWith('nacl-'))).toHaveLength(0);
  });

  it('a zone with a NACL that talks to a zone without cidrs is an error naming that zone', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const a = seg.addZone('A', { cidrs: ['10.1.0.0/16'] }).addWorkload('A1');
    const b = seg.addZone('B').addWorkload('B1');
    b.allowFrom(a, Port.tcp(80));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), subnets: { a: subnetFor(stack, 'a') } });
    expect(() => app.synth()).toThrow(/microseg:MissingCidrs.*zone "b", which has no cidrs/);
  });

  it('subnets for an unknown zone are an error', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    seg.addZone('A', { cidrs: ['10.1.0.0/16'] }).addWorkload('A1');
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), subnets: { nope: subnetFor(stack, 'nope') } });
    expect(() => app.synth()).toThrow(/microseg:UnknownZone/);
  });
});

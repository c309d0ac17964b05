import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DenyFlow, EnforcementMode, Peer, Port, Segmentation } from '../../src';
import { AwsSegmentation } from '../../src/aws';
import { NACL_BANDS, NACL_MONITOR_NUMBERS } from '../../src/aws/plan';
import { renderedAllows } from '../../src/ir';
import { AwsEvaluator } from '../support/aws-evaluator';
import { ModelSpec } from '../support/model-arbitrary';
import { importedVpc, renderSpec, setup, subnetFor } from './helpers';

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

  it('ICMPv4 types towards an IPv6 Peer render as their ICMPv6 counterparts, in security groups and ACLs (echo request 8 is 128, 3/4 is 2/0, echo reply 0 is 129)', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const w = seg.addZone('Z', { cidrs: ['10.1.0.0/16'] }).addWorkload('W');
    w.allowTo(Peer.ipv6('2001:db8::/32'), Port.icmp(8), Port.icmp(3, 4), Port.icmp(0, 0));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), subnets: { z: subnetFor(stack, 'z') } });
    const t = Template.fromStack(stack);
    const sg = Object.values(t.findResources('AWS::EC2::SecurityGroup')).find(r => r.Properties.Tags.some((x: any) => x.Key === 'microseg:group' && x.Value === 'w'))!;
    expect(sg.Properties.SecurityGroupEgress.map((r: any) => `${r.CidrIpv6} ${r.IpProtocol} ${r.FromPort}/${r.ToPort}`).sort())
      .toEqual(['2001:db8::/32 58 128/-1', '2001:db8::/32 58 129/0', '2001:db8::/32 58 2/0']);
    const out = entriesOf(t, naclId(t, 'z')).filter(e => e.Egress && e.Ipv6CidrBlock).map(e => `${e.Protocol} ${e.Icmp.Type}/${e.Icmp.Code}`).sort();
    expect(out).toEqual(['58 128/-1', '58 129/0', '58 2/0']);
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

describe('network ACLs: replies of what a MONITOR catch-all lets through', () => {
  const tcp = (source: string, destination: string, port: number) => ({ source: { workload: source }, destination: { workload: destination }, protocol: 'tcp' as const, port });
  const lines = (template: any, zone: string) => Object.values(template.Resources as Record<string, any>)
    .filter(r => r.Type === ENTRY && r.Properties.NetworkAclId.Ref.startsWith(`Seg${zone}Nacl`))
    .map(r => r.Properties)
    .filter(p => p.RuleNumber < NACL_BANDS.allow.from)
    .map(p => `${p.Egress ? 'out' : 'in'} ${p.RuleAction} ${p.RuleNumber < NACL_BANDS.deny.from ? 'return' : 'deny'} ${p.Protocol} ${p.CidrBlock ?? p.Ipv6CidrBlock} ${p.PortRange ? `${p.PortRange.From}-${p.PortRange.To}` : p.Icmp ? `icmp ${p.Icmp.Type}/${p.Icmp.Code}` : ''}`.trim())
    .sort();

  // The shape FC_SEED=239202769 found: two MONITOR zones, a guardrail from zone z1 towards
  // app=web (all of zone z0). w0-0 -> w1-0 is allowed (both catch-alls), and its reply (z1 -> z0,
  // to an ephemeral port) must not hit the deny entries of z1's egress and z0's ingress.
  const spec = (z0Monitor: boolean): ModelSpec => ({
    zones: [
      { workloads: [{ labels: { app: 'web' } }], monitor: z0Monitor },
      { workloads: [{ labels: {} }, { labels: { app: 'web', team: 'ops' } }], monitor: true },
    ],
    flows: [],
    denies: [{ from: { kind: 'zone', zone: 1 }, to: { kind: 'selector', label: 'app=web' }, ports: [{ kind: 'all' }] }],
  });

  it('a deny between two MONITOR zones lets the replies of the opposite direction pass (TCP, UDP, ICMP echo) and still blocks its own direction', () => {
    const r = renderSpec(spec(true), { nacls: true });
    const policy = r.backend._policy!;
    const ev = new AwsEvaluator(r.template, r.backend, policy);
    // the opposite direction, allowed by the model and by the security groups, now passes the ACLs
    for (const p of [tcp('w0-0', 'w1-0', 22), { ...tcp('w0-0', 'w1-0', 53), protocol: 'udp' as const }, { ...tcp('w0-0', 'w1-0', 8), protocol: 'icmp' as const, code: 0 }, { ...tcp('w0-0', 'w1-0', 3), protocol: 'icmp' as const, code: 4 }]) {
      expect(renderedAllows(policy, p), JSON.stringify(p)).toBe(true);
      expect(ev.securityGroupsAllow(p)).toBe(true);
      expect(ev.naclsAllow(p), JSON.stringify(p)).toBe(true);
    }
    // the guarded direction stays blocked by the ACLs (security groups cannot deny: MonitorDenyNotEnforced)
    for (const p of [tcp('w1-0', 'w0-0', 22), { ...tcp('w1-0', 'w0-0', 53), protocol: 'udp' as const }, { ...tcp('w1-0', 'w0-0', 8), protocol: 'icmp' as const, code: 0 }]) {
      expect(renderedAllows(policy, p)).toBe(false);
      expect(ev.allows(p), JSON.stringify(p)).toBe(false);
    }
    expect(r.backend.node.metadata.some(m => String(m.data).includes('microseg:MonitorDenyNotEnforced'))).toBe(true);
    // exact rendering: the replies the deny covers pass first, in the return band
    expect(lines(r.template, 'Z1')).toEqual([
      'out allow return 1 10.1.0.0/16 icmp 0/-1',
      'out allow return 17 10.1.0.0/16 1024-65535',
      'out allow return 6 10.1.0.0/16 1024-65535',
      'out deny deny -1 10.1.0.0/16',
    ]);
    expect(lines(r.template, 'Z0')).toEqual([
      'in allow return 1 10.2.0.0/16 icmp 0/-1',
      'in allow return 17 10.2.0.0/16 1024-65535',
      'in allow return 6 10.2.0.0/16 1024-65535',
      'in deny deny -1 10.2.0.0/16',
    ]);
  });

  it('towards an ENFORCE zone the deny stays whole (connections from there are declared flows, with their own return entries)', () => {
    const r = renderSpec(spec(false), { nacls: true });
    expect(lines(r.template, 'Z1')).toEqual(['out deny deny -1 10.1.0.0/16']);
    expect(lines(r.template, 'Z0')).toEqual(['in deny deny -1 10.2.0.0/16']);
  });

  it('a deny between a MONITOR zone and a Peer range: replies pass where the catch-all lets the Peer connect', () => {
    const peer = (cidr: string, out: boolean): ModelSpec => ({
      zones: [{ workloads: [{ labels: {} }], monitor: true }],
      flows: [],
      denies: [out ? { from: { kind: 'zone', zone: 0 }, to: { kind: 'peer', cidr }, ports: [{ kind: 'tcp', from: 1000, to: 2000 }] }
        : { from: { kind: 'peer', cidr }, to: { kind: 'zone', zone: 0 }, ports: [{ kind: 'tcp', from: 1000, to: 2000 }] }],
    });
    // outbound deny towards a range outside the VPC: the catch-all admits only the VPC range, nothing to reply to
    expect(lines(renderSpec(peer('192.0.2.0/24', true), { nacls: true }).template, 'Z0')).toEqual(['out deny deny 6 192.0.2.0/24 1000-2000']);
    // towards a range inside the VPC (outside every zone): it may connect, its replies pass (only the ports the deny covers)
    expect(lines(renderSpec(peer('10.200.0.0/16', true), { nacls: true }).template, 'Z0')).toEqual(['out allow return 6 10.200.0.0/16 1024-2000', 'out deny deny 6 10.200.0.0/16 1000-2000']);
    // inbound deny from anywhere: the catch-all egress reaches it, its replies pass
    expect(lines(renderSpec(peer('192.0.2.0/24', false), { nacls: true }).template, 'Z0')).toEqual(['in allow return 6 192.0.2.0/24 1024-2000', 'in deny deny 6 192.0.2.0/24 1000-2000']);
  });
});

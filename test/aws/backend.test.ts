import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, EnforcementMode, Peer, Port, Segmentation } from '../../src';
import { AwsSegmentation, AwsWarnings } from '../../src/aws';
import { importedVpc, setup } from './helpers';

const SG = 'AWS::EC2::SecurityGroup';

function groupOf(t: Template, workload: string): { id: string; props: any } {
  const found = t.findResources(SG, { Properties: { Tags: Match.arrayWith([{ Key: 'microseg:workload', Value: workload }]) } });
  const [id] = Object.keys(found);
  return { id, props: found[id].Properties };
}

describe('security groups', () => {
  it('renders one security group per workload, tagged, with no GroupName and a stable description', () => {
    const s = setup();
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const t = Template.fromStack(s.stack);
    t.resourceCountIs(SG, 3 + 3 + 3); // per workload its own and its source group, and one per zone
    t.hasResourceProperties(SG, {
      GroupDescription: 'microseg shop workload api',
      VpcId: 'vpc-0123456789abcdef0',
      Tags: [
        { Key: 'microseg:group', Value: 'api' },
        { Key: 'microseg:segmentation', Value: 'shop' },
        { Key: 'microseg:workload', Value: 'api' },
        { Key: 'microseg:zone', Value: 'app' },
      ],
    });
    for (const r of Object.values(t.findResources(SG))) expect(r.Properties.GroupName).toBeUndefined();
  });

  it('gives a group with no egress the explicit match-nothing egress rule', () => {
    const s = setup();
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const t = Template.fromStack(s.stack);
    expect(groupOf(t, 'postgres').props.SecurityGroupEgress).toEqual([
      { CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic', FromPort: 252, IpProtocol: 'icmp', ToPort: 86 },
    ]);
  });

  it('renders each flow as exact ingress at the destination and range egress at the source', () => {
    const s = setup();
    s.postgres.allowFrom(s.api, Port.tcp(5432));
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const t = Template.fromStack(s.stack);
    const api = groupOf(t, 'api');
    const pg = groupOf(t, 'postgres');
    // Towards a zone placed here, egress is one all-traffic rule per block of the zones' ranges
    // (ingress is exact): App's 10.2.0.0/16 and Db's 10.3.0.0/16 are one block.
    expect(api.props.SecurityGroupEgress).toEqual([{ CidrIp: '10.2.0.0/15', IpProtocol: '-1' }]);
    // api < postgres in canonical order: the reference is inline (no cycle possible); no generated description.
    expect(pg.props.SecurityGroupIngress).toEqual([
      { FromPort: 5432, IpProtocol: 'tcp', SourceSecurityGroupId: { 'Fn::GetAtt': [api.id, 'GroupId'] }, ToPort: 5432 },
    ]);
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('with exactEgressPorts and generatedRuleDescriptions, egress names the flows\' ports and rules are described', () => {
    const s = setup();
    s.postgres.allowFrom(s.api, Port.tcp(5432));
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, exactEgressPorts: true, generatedRuleDescriptions: true });
    const t = Template.fromStack(s.stack);
    expect(groupOf(t, 'api').props.SecurityGroupEgress).toEqual([
      { CidrIp: '10.3.0.0/16', Description: 'workload:api to workload:postgres on tcp:5432', FromPort: 5432, IpProtocol: 'tcp', ToPort: 5432 },
    ]);
    expect(groupOf(t, 'postgres').props.SecurityGroupIngress).toEqual([expect.objectContaining({ Description: 'workload:api to workload:postgres on tcp:5432' })]);
  });

  it('references later groups and itself through their source groups, inline (no separate resource, no cycle)', () => {
    const s = setup();
    // Canonical group order: zone range first (web 10.1 < app 10.2 < db 10.3), then names.
    s.api.allowFrom(s.frontend, Port.tcp(8080)); // frontend (web) before api (app): its own group
    s.frontend.allowFrom(s.api, Port.tcp(9000)); // api after frontend: api's source group
    s.api.allowFrom(s.api, Port.tcp(7000)); // self: api's source group
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const t = Template.fromStack(s.stack);
    const api = groupOf(t, 'api');
    const fe = groupOf(t, 'frontend');
    const apiSource = s.stack.resolve(backend.securityGroupsFor(s.api)[2].securityGroupId)['Fn::GetAtt'][0];
    expect(apiSource).toMatch(/^ShopSrcApiSg[0-9A-F]{8}$/);
    expect(t.toJSON().Resources[apiSource].Properties).toEqual({
      GroupDescription: 'microseg shop source api', VpcId: 'vpc-0123456789abcdef0',
      SecurityGroupEgress: [{ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic', FromPort: 252, IpProtocol: 'icmp', ToPort: 86 }],
      Tags: [{ Key: 'microseg:group', Value: 'src.api' }, { Key: 'microseg:segmentation', Value: 'shop' }],
    });
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    expect(fe.props.SecurityGroupIngress).toEqual([expect.objectContaining({ SourceSecurityGroupId: { 'Fn::GetAtt': [apiSource, 'GroupId'] }, FromPort: 9000 })]);
    expect(api.props.SecurityGroupIngress).toEqual([
      expect.objectContaining({ SourceSecurityGroupId: { 'Fn::GetAtt': [fe.id, 'GroupId'] }, FromPort: 8080 }),
      expect.objectContaining({ SourceSecurityGroupId: { 'Fn::GetAtt': [apiSource, 'GroupId'] }, FromPort: 7000 }),
    ]);
  });

  it('merges ports into ranges and renders Peer CIDRs inline, IPv6 with CidrIpv6 and ICMPv6', () => {
    const s = setup();
    s.api.allowTo(Peer.ipv4('203.0.113.0/24'), Port.tcp(443), Port.tcp(444), Port.tcpRange(445, 450));
    s.api.allowTo(Peer.ipv6('2001:db8::/32'), Port.icmp(128), Port.tcp(443));
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const egress = groupOf(Template.fromStack(s.stack), 'api').props.SecurityGroupEgress;
    expect(egress).toEqual([
      expect.objectContaining({ CidrIpv6: '2001:db8::/32', IpProtocol: '58', FromPort: 128, ToPort: -1 }),
      expect.objectContaining({ CidrIpv6: '2001:db8::/32', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      expect.objectContaining({ CidrIp: '203.0.113.0/24', IpProtocol: 'tcp', FromPort: 443, ToPort: 450 }),
    ]);
  });

  it('renders a Peer range as ONE ingress rule; in-model sources reach the exposed destination by its source group and the flows\' ports', () => {
    const s = setup();
    s.frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    s.frontend.allowFrom(s.api, Port.tcp(8443));
    s.api.allowTo(Peer.anyIpv4(), Port.tcp(443));
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const t = Template.fromStack(s.stack);
    const fe = groupOf(t, 'frontend');
    expect(fe.props.SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, SourceSecurityGroupId: expect.anything() }),
    ]);
    // The declared internet-facing flow suppresses cdk-nag's finding with the flow's description.
    expect(t.toJSON().Resources[fe.id].Metadata.cdk_nag.rules_to_suppress).toEqual([
      { id: 'AwsSolutions-EC23', reason: 'Declared internet-facing flow: ' },
    ]);
    // api -> frontend names frontend's source group on 8443 only (not the Web zone's range), and
    // api's egress to the internet leaves the Web zone out: api never passes frontend's 443.
    const egress: any[] = groupOf(t, 'api').props.SecurityGroupEgress;
    const srcFrontend = Object.keys(t.findResources(SG, { Properties: { Tags: Match.arrayWith([{ Key: 'microseg:group', Value: 'src.frontend' }]) } }))[0];
    expect(egress.filter(r => r.DestinationSecurityGroupId)).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, DestinationSecurityGroupId: { 'Fn::GetAtt': [srcFrontend, 'GroupId'] } }),
    ]);
    const peerRanges = egress.filter(r => r.CidrIp).map(r => r.CidrIp);
    expect(peerRanges).not.toContain('0.0.0.0/0');
    expect(peerRanges).not.toContain('10.1.0.0/16');
    expect(peerRanges).toContain('10.2.0.0/15');
    expect(peerRanges).toContain('128.0.0.0/1');
  });

  it('uses the VPC range for egress to zones without cidrs, with a stable warning', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const vpc = importedVpc(stack);
    const seg = new Segmentation(stack, 'Seg');
    const a = seg.addZone('A').addWorkload('A1');
    const b = seg.addZone('B').addWorkload('B1');
    b.allowFrom(a, Port.udp(53));
    const backend = new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc });
    const t = Template.fromStack(stack);
    expect(groupOf(t, 'a1').props.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '10.0.0.0/8', IpProtocol: 'udp', FromPort: 53 })]);
    Annotations.fromStack(stack).hasWarning('/S/Aws', Match.stringLikeRegexp(`Zone "b" has no cidrs.*S/Seg/B/B1/From-workload:a1-udp:53.*${AwsWarnings.EGRESS_TO_VPC_RANGE}`));
    expect(backend.node.path).toBe('S/Aws');
  });

  it('egress towards a Peer leaves the whole VPC range out when an exposed zone has no cidrs, warned microseg:PeerEgressLeavesVpcOut; with cidrs, only the zone', () => {
    const build = (cidrs?: string[]) => {
      const app = new App();
      const stack = new Stack(app, 'S');
      const seg = new Segmentation(stack, 'Seg');
      const a = seg.addZone('A', { cidrs: ['10.1.0.0/16'] }).addWorkload('A1');
      const b = seg.addZone('B', cidrs ? { cidrs } : {}).addWorkload('B1');
      b.allowFrom(Peer.ipv4('10.0.0.0/8'), Port.icmp(0)); // exposes zone B: the range covers the model
      a.allowTo(Peer.anyIpv4(), Port.tcp(443));
      new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
      const t = Template.fromStack(stack);
      return { ranges: (groupOf(t, 'a1').props.SecurityGroupEgress as any[]).map(r => r.CidrIp), warnings: Annotations.fromStack(stack) };
    };
    const without = build();
    expect(without.ranges).not.toContain('10.0.0.0/8');
    expect(without.ranges.some(r => r.startsWith('10.'))).toBe(false); // 10.200.0.5, in the VPC and in no zone, is not reached
    without.warnings.hasWarning('/S/Aws', Match.stringLikeRegexp(`Peer range 0.0.0.0/0 leaves out the whole VPC range 10.0.0.0/8: zone\\(s\\) "b" \\(open to Peer ranges that cover the model\\) must be left out and have no cidrs.*S/Seg/A/A1/To-ipv4:0.0.0.0_0-tcp:443.*${AwsWarnings.PEER_EGRESS_LEAVES_VPC_OUT}`));
    const withCidrs = build(['10.2.0.0/16']);
    expect(withCidrs.ranges).toContain('10.0.0.0/15');
    expect(withCidrs.ranges).not.toContain('10.2.0.0/16');
    withCidrs.warnings.hasNoWarning('*', Match.stringLikeRegexp(AwsWarnings.PEER_EGRESS_LEAVES_VPC_OUT));
  });

  it('a Peer range inside the VPC range it must leave out renders no egress and says why (FC_SEED=188555425: only PeerInsideZones was given)', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const a = seg.addZone('A').addWorkload('A1');
    seg.addZone('M', { mode: EnforcementMode.MONITOR }).addWorkload('M1');
    a.allowTo(Peer.ipv4('10.0.0.0/8'), Port.icmp(3, 4));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
    const t = Template.fromStack(stack);
    expect((groupOf(t, 'a1').props.SecurityGroupEgress as any[]).filter(r => r.IpProtocol === 'icmp' && r.FromPort === 3)).toEqual([]);
    const warnings = Annotations.fromStack(stack);
    warnings.hasWarning('/S/Aws', Match.stringLikeRegexp(`Peer range 10.0.0.0/8 leaves out the whole VPC range 10.0.0.0/8: zone\\(s\\) "m" \\(in MONITOR mode\\).*${AwsWarnings.PEER_EGRESS_LEAVES_VPC_OUT}`));
    warnings.hasWarning('/S/Aws', Match.stringLikeRegexp(AwsWarnings.PEER_INSIDE_ZONES));
  });

  it('renders the VPC CidrBlock attribute when the VPC range is a token', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const cfnVpc = new ec2.CfnVPC(stack, 'Imported', { cidrBlock: '10.0.0.0/16' });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: cfnVpc.ref, availabilityZones: ['us-east-1a'], vpcCidrBlock: cfnVpc.attrCidrBlock });
    const seg = new Segmentation(stack, 'Seg');
    const a = seg.addZone('A').addWorkload('A1');
    seg.addZone('B').addWorkload('B1').allowFrom(a, Port.udp(53));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc });
    expect(groupOf(Template.fromStack(stack), 'a1').props.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: { 'Fn::GetAtt': ['Imported', 'CidrBlock'] } }),
    ]);
  });

  it('acknowledged warnings are not reported', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const a = seg.addZone('A').addWorkload('A1');
    seg.addZone('B').addWorkload('B1').allowFrom(a, Port.udp(53));
    seg.acknowledgeWarning(AwsWarnings.EGRESS_TO_VPC_RANGE, 'the VPC holds only segmented workloads');
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
    Template.fromStack(stack);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  it('renders lazily: a flow declared after the backend counts', () => {
    const s = setup();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const groups = backend.securityGroupsFor(s.postgres);
    new AllowFlow(s.seg, 'Late', { from: s.app_, to: s.postgres, ports: [Port.tcp(5432)], description: 'app tier reads the database' });
    const t = Template.fromStack(s.stack);
    expect(groups).toHaveLength(3); // its own group, its zone's group and its source group
    const pg = groupOf(t, 'postgres');
    expect(s.stack.resolve(groups[0].securityGroupId)).toEqual({ 'Fn::GetAtt': [pg.id, 'GroupId'] });
    expect(pg.props.SecurityGroupIngress).toEqual([expect.objectContaining({ FromPort: 5432, Description: 'app tier reads the database' })]);
  });

  it('derives logical ids from names, not from declaration order', () => {
    const s = setup();
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const ids = Object.keys(Template.fromStack(s.stack).findResources(SG)).sort();
    expect(ids).toEqual(expect.arrayContaining([expect.stringMatching(/^ShopApiSg[0-9A-F]{8}$/), expect.stringMatching(/^ShopFrontendSg[0-9A-F]{8}$/), expect.stringMatching(/^ShopPostgresSg[0-9A-F]{8}$/)]));
  });

  it('sanitises descriptions into what EC2 accepts', () => {
    const s = setup();
    new AllowFlow(s.seg, 'Odd', { from: s.api, to: s.postgres, ports: [Port.tcp(5432)], description: 'api -> db "quotes" <tag> é' });
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const pg = groupOf(Template.fromStack(s.stack), 'postgres');
    expect(pg.props.SecurityGroupIngress[0].Description).toBe('api -_ db _quotes_ _tag_ _');
  });

  it('surfaces compiler warnings as CDK warnings with the flow path', () => {
    const s = setup();
    new AllowFlow(s.seg, 'Broad', { from: s.api, to: s.postgres, ports: [Port.tcpRange(5000, 6000)] });
    new DenyFlow(s.seg, 'NoPg', { from: s.app_, to: s.db, ports: [Port.tcp(5432)] });
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const t = Template.fromStack(s.stack);
    Annotations.fromStack(s.stack).hasWarning('/Shop/Aws', Match.stringLikeRegexp('DenyFlow guardrails remove part of this allow.*\\[Shop/Shop/Broad\\].*microseg:PartialShadow'));
    expect(groupOf(t, 'postgres').props.SecurityGroupIngress.map((r: any) => `${r.FromPort}-${r.ToPort}`)).toEqual(['5000-5431', '5433-6000']);
  });

  it('renders a Peer range inside a zone; warns when egress towards a Peer lies inside an exposed zone (nothing to render)', () => {
    const s = setup();
    s.api.allowFrom(Peer.ipv4('10.1.2.0/24'), Port.tcp(80));
    s.frontend.allowTo(Peer.ipv4('10.2.5.0/24'), Port.tcp(80));
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const t = Template.fromStack(s.stack);
    expect(groupOf(t, 'api').props.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: '10.1.2.0/24', FromPort: 80 })]);
    expect(groupOf(t, 'frontend').props.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
    Annotations.fromStack(s.stack).hasWarning('/Shop/Aws', Match.stringLikeRegexp(`10.2.5.0/24 lies inside the ranges of zones whose workloads are open to Peer ranges.*${AwsWarnings.PEER_INSIDE_ZONES}`));
  });

  it('cross-cloud pairs nobody declared: a source placed elsewhere is named by its own cidrs (exact; it rendered no rule at all before); without them by its zone\'s, warned microseg:CrossCloudWidened with the pairs', () => {
    const build = (workloadCidrs: boolean) => {
      const app = new App();
      const stack = new Stack(app, 'S');
      const seg = new Segmentation(stack, 'Seg');
      const a = seg.addZone('A', { cidrs: ['192.168.0.0/16'] });
      const a0 = a.addWorkload('A0', workloadCidrs ? { cidrs: ['192.168.0.0/24'] } : {});
      const a1 = a.addWorkload('A1', workloadCidrs ? { cidrs: ['192.168.1.0/24'] } : {});
      const b = seg.addZone('B', { cidrs: ['10.2.0.0/16'] });
      b.addWorkload('B0').allowFrom(a0, Port.tcp(5432));
      b.addWorkload('B1').allowFrom(a1, Port.tcp(5432));
      new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), zones: ['b'], externalRanges: ['192.168.0.0/16'] });
      const t = Template.fromStack(stack);
      const ingress = (w: string) => (groupOf(t, w).props.SecurityGroupIngress ?? []).map((r: any) => `${r.CidrIp} ${r.FromPort}`);
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('microseg:CrossCloudWidened')).map(x => String(x.entry.data));
      return { b0: ingress('b0'), b1: ingress('b1'), warnings };
    };
    const exact = build(true);
    expect(exact.b0).toEqual(['192.168.0.0/24 5432']);
    expect(exact.b1).toEqual(['192.168.1.0/24 5432']);
    expect(exact.warnings).toEqual([]);
    const wide = build(false);
    expect(wide.b0).toEqual(['192.168.0.0/16 5432']);
    expect(wide.warnings).toHaveLength(1);
    expect(wide.warnings[0]).toMatch(/a0 -> b1 on tcp:5432/);
    expect(wide.warnings[0]).toMatch(/a1 -> b0 on tcp:5432/);
  });

  it('places only the given zones; flows to other zones use their cidrs', () => {
    const s = setup();
    s.postgres.allowFrom(s.api, Port.tcp(5432));
    s.api.allowFrom(s.frontend, Port.tcp(8080));
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, zones: ['app'] });
    const t = Template.fromStack(s.stack);
    t.resourceCountIs(SG, 3); // api, src.api and zone.app
    const api = groupOf(t, 'api');
    expect(api.props.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: '10.1.0.0/16', FromPort: 8080 })]);
    expect(api.props.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '10.3.0.0/16', FromPort: 5432 })]);
    expect(backend.securityGroupsFor(s.api)).toHaveLength(3);
  });
});

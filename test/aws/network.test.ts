/**
 * The AWS backend checks the model against the network it renders into: zone ranges learnt from
 * subnets, ranges inside the VPC, disjoint zones, workloads inside their zone, and members that
 * carry all of their workload's groups in the workload's zone (`attach`).
 */
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { Peer, Port, Segmentation } from '../../src';
import { AwsSegmentation } from '../../src/aws';
import { aggregate } from '../../src/aws/ranges';
import { importedVpc } from './helpers';

const AMI = ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' });
const TYPE = new ec2.InstanceType('t3.micro');

/** A real VPC: subnet groups web, app, db, /24 each, in two AZs (10.0.0.0/24 ... 10.0.5.0/24). */
function realVpc() {
  const app = new App();
  const stack = new Stack(app, 'Shop', { env: { account: '111111111111', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'), maxAzs: 2, natGateways: 0,
    subnetConfiguration: [
      { name: 'web', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      { name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
  });
  const seg = new Segmentation(stack, 'Shop');
  const web = seg.addZone('Web');
  const tier = seg.addZone('App');
  const db = seg.addZone('Db');
  const frontend = web.addWorkload('Frontend');
  const api = tier.addWorkload('Api');
  const pg = db.addWorkload('Pg');
  api.allowFrom(frontend, Port.tcp(8080));
  pg.allowFrom(api, Port.tcp(5432));
  const subnets = { web: { subnetGroupName: 'web' }, app: { subnetGroupName: 'app' }, db: { subnetGroupName: 'db' } };
  return { app, stack, vpc, seg, web, tier, db, frontend, api, pg, subnets };
}

/** The shop on a real VPC with the api instance and the pg database attached to their workloads. */
function attachedApiAndDb() {
  const s = realVpc();
  const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
  const instance = new ec2.Instance(s.stack, 'Api1', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'app' }, instanceType: TYPE, machineImage: AMI, securityGroup: backend.securityGroupsFor(s.api)[0] });
  backend.attach(s.api, instance);
  const db = new rds.DatabaseInstance(s.stack, 'Pg', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'db' }, engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }), securityGroups: [backend.securityGroupsFor(s.pg)[0]] });
  backend.attach(s.pg, db);
  return { s, backend, instance, db };
}


function groupOf(t: Template, name: string): { id: string; props: any } {
  const found = t.findResources('AWS::EC2::SecurityGroup');
  const id = Object.keys(found).find(k => (found[k].Properties.Tags ?? []).some((x: any) => x.Key === 'microseg:group' && x.Value === name))!;
  return { id, props: found[id].Properties };
}

describe('zones learn their ranges from their subnets', () => {
  it('egress towards a zone names its subnets\' CIDRs; the manifest records them', () => {
    const s = realVpc();
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    const t = Template.fromStack(s.stack);
    // app's subnets 10.0.2.0/24 and 10.0.3.0/24 are one range; db's 10.0.4.0/24 and 10.0.5.0/24 too.
    // Zone-wide egress names the block that holds the zone: web's and app's ranges are one /22.
    expect(groupOf(t, 'frontend').props.SecurityGroupEgress.map((r: any) => r.CidrIp)).toEqual(['10.0.0.0/22']);
    expect(groupOf(t, 'api').props.SecurityGroupEgress.map((r: any) => r.CidrIp)).toEqual(['10.0.4.0/23']);
  });

  it('declared cidrs must contain every subnet of the zone', () => {
    const s = realVpc();
    const seg = new Segmentation(s.stack, 'Other');
    seg.addZone('App', { cidrs: ['10.0.2.0/24'] }).addWorkload('Api2').allowFrom(Peer.ipv4('198.51.100.0/24'), Port.tcp(443));
    new AwsSegmentation(s.stack, 'Aws', { segmentation: seg, vpc: s.vpc, subnets: { app: { subnetGroupName: 'app' } } });
    expect(() => s.app.synth()).toThrow(/microseg:OutsideZone\] at Shop\/Other\/App: "10.0.3.0\/24": subnet .* lies outside the zone's cidrs \(10.0.2.0\/24\)/);
  });

  it('an imported subnet with ipv4CidrBlock gives its zone that range (a network ACL can name it)', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const z = seg.addZone('Z');
    const w = z.addWorkload('W');
    w.allowTo(seg.addZone('Y', { cidrs: ['10.9.0.0/16'] }).addWorkload('V'), Port.tcp(80));
    const sub = ec2.Subnet.fromSubnetAttributes(stack, 'Sub', { subnetId: 'subnet-0aaaaaaaaaaaaaaaa', availabilityZone: 'us-east-1a', ipv4CidrBlock: '10.7.1.0/24' });
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), subnets: { z: { subnets: [sub] } } });
    const t = Template.fromStack(stack);
    expect(groupOf(t, 'w').props.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '10.9.0.0/16' })]);
    t.hasResourceProperties('AWS::EC2::NetworkAclEntry', { CidrBlock: '10.9.0.0/16', Egress: true, PortRange: { From: 80, To: 80 } });
  });
});

describe('every concrete range is checked against the network', () => {
  it('aggregates subnets into the fewest ranges covering the same addresses', () => {
    expect(aggregate(['10.0.6.0/23', '10.0.4.0/23', '10.0.9.0/24', '10.0.4.0/24'])).toEqual(['10.0.4.0/22', '10.0.9.0/24']);
    expect(aggregate(['10.0.1.0/24', '10.0.2.0/24'])).toEqual(['10.0.1.0/24', '10.0.2.0/24']);
    expect(aggregate(['10.0.0.0/24', '10.0.64.0/24', '10.0.128.0/24'])).toEqual(['10.0.0.0/24', '10.0.128.0/24', '10.0.64.0/24']);
  });

  it('a zone range outside the VPC is RangeOutsideNetwork, unless declared in externalRanges', () => {
    for (const externalRanges of [undefined, ['192.168.0.0/16']]) {
      const app = new App();
      const stack = new Stack(app, 'S');
      const seg = new Segmentation(stack, 'Seg');
      seg.addZone('Onprem', { cidrs: ['192.168.10.0/24'] }).addWorkload('Mainframe').allowFrom(Peer.ipv4('198.51.100.0/24'), Port.tcp(443));
      new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), externalRanges });
      if (externalRanges) expect(() => app.synth()).not.toThrow();
      else expect(() => app.synth()).toThrow(/microseg:RangeOutsideNetwork\] at S\/Seg\/Onprem: "192.168.10.0\/24": .*outside the VPC's ranges \(10.0.0.0\/8\).*externalRanges/);
    }
  });

  it('overlapping zones and workload cidrs outside their zone are reported together', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const a = seg.addZone('A', { cidrs: ['10.1.0.0/16'] });
    const b = seg.addZone('B', { cidrs: ['10.1.128.0/17'] });
    const w = a.addWorkload('W', { cidrs: ['10.2.0.0/24'] });
    w.allowTo(b.addWorkload('V'), Port.tcp(80));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
    let err: Error | undefined;
    try { app.synth(); } catch (e) { err = e as Error; }
    expect(err?.message).toMatch(/\[microseg:OverlappingRanges\] at S\/Seg\/B: "10.1.128.0\/17": zone "b" overlaps zone "a" \(10.1.0.0\/16\)/);
    expect(err?.message).toMatch(/\[microseg:OutsideZone\] at S\/Seg\/A\/W: "10.2.0.0\/24": workload "w" has this range, outside its zone "a"/);
  });

  it('a token zone range of a zone open to the internet is UnresolvedRange (never more open than the model)', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const range = new CfnParameter(stack, 'WebRange', { default: '10.1.0.0/16' }).valueAsString;
    const web = seg.addZone('Web', { cidrs: [range] });
    web.addWorkload('Fe').allowFrom(Peer.anyIpv4(), Port.tcp(443));
    seg.addZone('App', { cidrs: ['10.2.0.0/16'] }).addWorkload('Api').allowTo(Peer.anyIpv4(), Port.tcp(443));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
    expect(() => app.synth()).toThrow(/microseg:UnresolvedRange\] at S\/Seg\/Web: .*unknown at synth.*Use a concrete CIDR/);
  });
});

describe('token ranges (a CfnParameter, an imported subnet)', () => {
  const tokenSetup = () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const param = (id: string, v: string) => new CfnParameter(stack, id, { default: v }).valueAsString;
    return { app, stack, seg, param };
  };

  it('a token zone range renders where exactness does not need it to be known: egress names the parameter', () => {
    const { stack, seg, param } = tokenSetup();
    const db = seg.addZone('Db', { cidrs: [param('DbRange', '10.3.0.0/16')] }).addWorkload('Pg');
    seg.addZone('App', { cidrs: ['10.2.0.0/16'] }).addWorkload('Api').allowTo(db, Port.tcp(5432));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupEgress: [{ CidrIp: { Ref: 'DbRange' }, IpProtocol: '-1' }] });
  });

  it('egress towards a token Peer range cannot leave exposed zones out: UnresolvedRange at the flow', () => {
    const { app, stack, seg, param } = tokenSetup();
    seg.addZone('Web', { cidrs: ['10.1.0.0/16'] }).addWorkload('Fe').allowFrom(Peer.anyIpv4(), Port.tcp(443));
    seg.addZone('App', { cidrs: ['10.2.0.0/16'] }).addWorkload('Api').allowTo(Peer.ipv4(param('Partner', '203.0.113.0/24')), Port.tcp(443));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
    expect(() => app.synth()).toThrow(/microseg:UnresolvedRange\] at S\/Seg\/App\/Api\/To-.*: .*Peer range .* unknown at synth.*zones whose workloads are open to Peer ranges/);
  });

  it('ingress from a token Peer range cannot leave zones placed elsewhere out: UnresolvedRange at the flow', () => {
    const { app, stack, seg, param } = tokenSetup();
    seg.addZone('OnPrem', { cidrs: ['192.168.0.0/16'] }).addWorkload('Erp');
    seg.addZone('Web', { cidrs: ['10.1.0.0/16'] }).addWorkload('Fe').allowFrom(Peer.ipv4(param('Partner', '203.0.113.0/24')), Port.tcp(443));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), zones: ['web'] });
    expect(() => app.synth()).toThrow(/microseg:UnresolvedRange\] at S\/Seg\/Web\/Fe\/From-.*: .*Peer range .* unknown at synth.*zones placed on other backends/);
  });

  it('a token Peer range towards a workload exposes its zone: egress of the model\'s sources towards it stays exact', () => {
    const { stack, seg, param } = tokenSetup();
    const fe = seg.addZone('Web', { cidrs: ['10.1.0.0/16'] }).addWorkload('Fe');
    fe.allowFrom(Peer.ipv4(param('Partner', '203.0.113.0/24')), Port.tcp(443));
    seg.addZone('App', { cidrs: ['10.2.0.0/16'] }).addWorkload('Api').allowTo(fe, Port.tcp(8443));
    const backend = new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack) });
    Template.fromStack(stack);
    const api = backend._plan!.groups.find(g => g.name === 'api')!;
    expect(api.egress.map(r => `${r.protocol}:${r.from} ${r.peer.kind === 'sg' ? r.peer.group : ''}`)).toEqual(['tcp:8443 src.fe']);
  });
});

describe('attach', () => {
  it('adds all of the workload\'s groups to instances, Auto Scaling groups, launch templates, Lambda functions, RDS and load balancers', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    const app = { subnetGroupName: 'app' };
    const instance = new ec2.Instance(s.stack, 'Api1', { vpc: s.vpc, vpcSubnets: app, instanceType: TYPE, machineImage: AMI });
    const asg = new autoscaling.AutoScalingGroup(s.stack, 'ApiAsg', { vpc: s.vpc, vpcSubnets: app, instanceType: TYPE, machineImage: AMI });
    const lt = new ec2.LaunchTemplate(s.stack, 'ApiLt', { instanceType: TYPE, machineImage: AMI });
    const fn = new lambda.Function(s.stack, 'ApiFn', { vpc: s.vpc, vpcSubnets: app, runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;') });
    const db = new rds.DatabaseInstance(s.stack, 'Pg', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'db' }, engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }) });
    const alb = new elbv2.ApplicationLoadBalancer(s.stack, 'Lb', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'web' }, internetFacing: true });
    backend.attach(s.api, instance, asg, lt, fn);
    backend.attach(s.pg, db);
    backend.attach(s.frontend, alb);
    const t = Template.fromStack(s.stack).toJSON();
    const ids = (name: string) => ({ 'Fn::GetAtt': [groupOf(Template.fromStack(s.stack), name).id, 'GroupId'] });
    const carried = (type: string, pick: (p: any) => any[]) => Object.values<any>(t.Resources).filter(r => r.Type === type).map(r => pick(r.Properties));
    const api = [ids('api'), ids('zone.app'), ids('src.api')];
    expect(carried('AWS::EC2::Instance', p => p.SecurityGroupIds)[0]).toEqual(expect.arrayContaining(api));
    expect(carried('AWS::EC2::LaunchTemplate', p => p.LaunchTemplateData.SecurityGroupIds ?? []).some(l => api.every(g => JSON.stringify(l).includes(JSON.stringify(g))))).toBe(true);
    expect(carried('AWS::Lambda::Function', p => p.VpcConfig.SecurityGroupIds)[0]).toEqual(expect.arrayContaining(api));
    expect(carried('AWS::RDS::DBInstance', p => p.VPCSecurityGroups)[0]).toEqual(expect.arrayContaining([ids('pg'), ids('zone.db'), ids('src.pg')]));
    expect(carried('AWS::ElasticLoadBalancingV2::LoadBalancer', p => p.SecurityGroups)[0]).toEqual(expect.arrayContaining([ids('frontend'), ids('zone.web'), ids('src.frontend')]));
  });

  it('adds all groups to ECS services, RDS clusters, Auto Scaling groups from an attached launch template, and any ec2.IConnectable (an interface endpoint)', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    const app = { subnetGroupName: 'app' };
    const cluster = new ecs.Cluster(s.stack, 'Cluster', { vpc: s.vpc });
    const task = new ecs.FargateTaskDefinition(s.stack, 'Task');
    task.addContainer('api', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:latest') });
    const service = new ecs.FargateService(s.stack, 'ApiService', { cluster, taskDefinition: task, vpcSubnets: app });
    const lt = new ec2.LaunchTemplate(s.stack, 'ApiLt', { instanceType: TYPE, machineImage: AMI });
    backend.attach(s.api, service, lt);
    new autoscaling.AutoScalingGroup(s.stack, 'ApiAsg', { vpc: s.vpc, vpcSubnets: app, launchTemplate: lt });
    const pgCluster = new rds.DatabaseCluster(s.stack, 'PgCluster', {
      vpc: s.vpc, vpcSubnets: { subnetGroupName: 'db' }, engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.provisioned('writer'),
    });
    backend.attach(s.pg, pgCluster);
    const endpoint = new ec2.InterfaceVpcEndpoint(s.stack, 'Ssm', { vpc: s.vpc, service: ec2.InterfaceVpcEndpointAwsService.SSM, subnets: { subnetGroupName: 'web' }, open: false });
    backend.attach(s.frontend, endpoint);
    const t = Template.fromStack(s.stack).toJSON();
    const ids = (name: string) => ({ 'Fn::GetAtt': [groupOf(Template.fromStack(s.stack), name).id, 'GroupId'] });
    const carried = (type: string, pick: (p: any) => any[]) => Object.values<any>(t.Resources).filter(r => r.Type === type).map(r => pick(r.Properties));
    expect(carried('AWS::ECS::Service', p => p.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups)[0]).toEqual(expect.arrayContaining([ids('api'), ids('zone.app'), ids('src.api')]));
    expect(carried('AWS::RDS::DBCluster', p => p.VpcSecurityGroupIds)[0]).toEqual(expect.arrayContaining([ids('pg'), ids('zone.db'), ids('src.pg')]));
    expect(carried('AWS::EC2::VPCEndpoint', p => p.SecurityGroupIds)[0]).toEqual(expect.arrayContaining([ids('frontend'), ids('zone.web'), ids('src.frontend')]));
  });

  it('an endpoint open to the VPC range (a token) is UnmodelledConnection saying how to declare it', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    backend.attach(s.frontend, new ec2.InterfaceVpcEndpoint(s.stack, 'Ssm', { vpc: s.vpc, service: ec2.InterfaceVpcEndpointAwsService.SSM, subnets: { subnetGroupName: 'web' } }));
    expect(() => s.app.synth()).toThrow(/microseg:UnmodelledConnection\] at Shop\/Aws: "frontend from an address range unknown at synth .* on 443": .*declare it with a Peer range/);
  });

  it('an Auto Scaling group created from a launch template is refused with the fix: attach the launch template', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    const lt = new ec2.LaunchTemplate(s.stack, 'ApiLt', { instanceType: TYPE, machineImage: AMI, securityGroup: backend.securityGroupsFor(s.api)[0] });
    const asg = new autoscaling.AutoScalingGroup(s.stack, 'ApiAsg', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'app' }, launchTemplate: lt });
    expect(() => backend.attach(s.api, asg)).toThrow(/microseg:InvalidProp\] at Shop\/ApiAsg: "api": cannot be attached to workload "api": .*attach the launch template instead/);
  });

  it('the synth-time walk checks ECS services and Lambda functions too: missing groups and placement outside the zone, all at once', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    const cluster = new ecs.Cluster(s.stack, 'Cluster', { vpc: s.vpc });
    const task = new ecs.FargateTaskDefinition(s.stack, 'Task');
    task.addContainer('api', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:latest') });
    new ecs.FargateService(s.stack, 'ApiService', { cluster, taskDefinition: task, vpcSubnets: { subnetGroupName: 'app' }, securityGroups: [backend.securityGroupsFor(s.api)[0]] });
    const fn = new lambda.Function(s.stack, 'ApiFn', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'web' }, allowPublicSubnet: true, runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;') });
    backend.attach(s.api, fn);
    let err: Error | undefined;
    try { s.app.synth(); } catch (e) { err = e as Error; }
    expect(err?.message).toMatch(/microseg:IncompleteMembership\] at Shop\/ApiService\/Service: "api": carries security groups of workload "api" but not zone.app, src.api/);
    expect(err?.message).toMatch(/microseg:OutsideZone\] at Shop\/ApiFn\/Resource: "10.0.\d.0\/24": is a member of workload "api" but sits in a subnet .* outside its zone "app"/);
  });

  it('a resource carrying only some of a workload\'s groups is IncompleteMembership naming the resource, the workload and the fix', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    new ec2.Instance(s.stack, 'Api1', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'app' }, instanceType: TYPE, machineImage: AMI, securityGroup: backend.securityGroupsFor(s.api)[0] });
    expect(() => s.app.synth()).toThrow(/microseg:IncompleteMembership\] at Shop\/Api1\/Resource: "api": carries security groups of workload "api" but not zone.app, src.api.*attach\(api, resource\)/);
  });

  it('a member in a subnet outside its zone is OutsideZone naming the subnet range and the zone', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    const instance = new ec2.Instance(s.stack, 'Api1', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'web' }, instanceType: TYPE, machineImage: AMI });
    backend.attach(s.api, instance);
    expect(() => s.app.synth()).toThrow(/microseg:OutsideZone\] at Shop\/Api1\/Resource: "10.0.0.0\/24": is a member of workload "api" but sits in a subnet .* outside its zone "app" \(10.0.2.0\/23\)/);
  });

  it('a member of a zone whose ranges are tokens, placed in another zone\'s subnet, is OutsideZone (zone ranges are disjoint)', () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'us-east-1' } });
    const vpc = importedVpc(stack);
    const sub = (id: string, cidr: string) => ec2.Subnet.fromSubnetAttributes(stack, id, { subnetId: `subnet-${id.toLowerCase().padEnd(17, '0')}`, availabilityZone: 'us-east-1a', ipv4CidrBlock: cidr });
    const webSubnet = sub('web', new CfnParameter(stack, 'WebRange', { default: '10.1.0.0/24' }).valueAsString);
    const appSubnet = sub('app', '10.2.0.0/24');
    const seg = new Segmentation(stack, 'Seg');
    const fe = seg.addZone('Web').addWorkload('Fe');
    seg.addZone('App').addWorkload('Api').allowFrom(fe, Port.tcp(8080));
    const backend = new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc, subnets: { web: { subnets: [webSubnet] }, app: { subnets: [appSubnet] } } });
    backend.attach(fe, new ec2.Instance(stack, 'Fe1', { vpc, vpcSubnets: { subnets: [webSubnet] }, instanceType: TYPE, machineImage: AMI }));
    backend.attach(fe, new ec2.Instance(stack, 'Fe2', { vpc, vpcSubnets: { subnets: [appSubnet] }, instanceType: TYPE, machineImage: AMI }));
    let err: Error | undefined;
    try { app.synth(); } catch (e) { err = e as Error; }
    expect(err?.message).toMatch(/microseg:OutsideZone\] at S\/Fe2\/Resource: "10.2.0.0\/24": is a member of workload "fe" but sits in a subnet .* outside its zone "web"/);
    expect(err?.message).not.toMatch(/at S\/Fe1/);
  });

  it('rejects what cannot carry security groups, with a coded error', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    expect(() => backend.attach(s.api, new Stack(s.app, 'Other'))).toThrow(/microseg:InvalidProp\] at Other: "api": cannot be attached/);
  });
});

describe('CDK connections become flows of the model, or coded errors', () => {
  it('allowFrom a Peer range, allowFrom another member, and a load balancer target become flows, rendered once', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    const instance = new ec2.Instance(s.stack, 'Api1', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'app' }, instanceType: TYPE, machineImage: AMI, securityGroup: backend.securityGroupsFor(s.api)[0] });
    backend.attach(s.api, instance);
    const alb = new elbv2.ApplicationLoadBalancer(s.stack, 'Lb', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'web' }, securityGroup: backend.securityGroupsFor(s.frontend)[0] });
    backend.attach(s.frontend, alb);
    const cache = new ec2.Instance(s.stack, 'Cache1', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'db' }, instanceType: TYPE, machineImage: AMI, securityGroup: backend.securityGroupsFor(s.pg)[0] });
    backend.attach(s.pg, cache);

    instance.connections.allowFrom(ec2.Peer.ipv4('198.51.100.0/24'), ec2.Port.tcp(22), 'bastion');
    cache.connections.allowFrom(instance, ec2.Port.tcp(6379));
    const asg = new autoscaling.AutoScalingGroup(s.stack, 'ApiAsg', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'app' }, instanceType: TYPE, machineImage: AMI, securityGroup: backend.securityGroupsFor(s.api)[0] });
    backend.attach(s.api, asg);
    alb.addListener('Http', { port: 80, open: false }).addTargets('Api', { port: 9000, protocol: elbv2.ApplicationProtocol.HTTP, targets: [asg] });

    const t = Template.fromStack(s.stack);
    const api = groupOf(t, 'api').props.SecurityGroupIngress;
    expect(api).toEqual(expect.arrayContaining([
      expect.objectContaining({ CidrIp: '198.51.100.0/24', FromPort: 22, ToPort: 22, Description: 'bastion (CDK connections)' }),
      expect.objectContaining({ FromPort: 9000, ToPort: 9000, SourceSecurityGroupId: expect.anything() }),
    ]));
    expect(groupOf(t, 'pg').props.SecurityGroupIngress).toEqual(expect.arrayContaining([expect.objectContaining({ FromPort: 6379, ToPort: 6379 })]));
    // No rule resource outside microseg's groups: nothing CDK added was dropped or duplicated.
    expect(Object.keys(t.findResources('AWS::EC2::SecurityGroupIngress'))).toEqual([]);
    const flows = backend._policy!.flows.map(f => `${f.from.key} -> ${f.to.key} ${f.services.map(x => `${x.protocol}:${x.from}`).join(',')}`);
    expect(flows).toEqual(expect.arrayContaining(['ipv4:198.51.100.0/24 -> workload:api tcp:22', 'workload:api -> workload:pg tcp:6379', 'workload:frontend -> workload:api tcp:9000']));
  });

  it('addIngressRule/addEgressRule on a microseg group and connections.allowTo become flows too; an RDS allowDefaultPortFrom (a port known only at deploy) is UnmodelledConnection naming the flow to declare', () => {
    const { s, backend, instance } = attachedApiAndDb();
    const [apiGroup] = backend.securityGroupsFor(s.api);
    apiGroup.addIngressRule(ec2.Peer.ipv4('203.0.113.0/24'), ec2.Port.tcp(8443), 'partner');
    apiGroup.addEgressRule(ec2.Peer.ipv4('198.51.100.10/32'), ec2.Port.udp(514), 'syslog');
    instance.connections.allowTo(ec2.Peer.ipv4('192.0.2.0/24'), ec2.Port.tcp(443));
    const t = Template.fromStack(s.stack);
    const flows = backend._policy!.flows.map(f => `${f.from.key} -> ${f.to.key} ${f.services.map(x => `${x.protocol}:${x.from}`).join(',')}`);
    expect(flows).toEqual(expect.arrayContaining([
      'ipv4:203.0.113.0/24 -> workload:api tcp:8443',
      'workload:api -> ipv4:198.51.100.10/32 udp:514',
      'workload:api -> ipv4:192.0.2.0/24 tcp:443',
    ]));
    expect(groupOf(t, 'api').props.SecurityGroupIngress).toEqual(expect.arrayContaining([expect.objectContaining({ CidrIp: '203.0.113.0/24', FromPort: 8443, Description: 'partner (CDK connections)' })]));
    expect(groupOf(t, 'api').props.SecurityGroupEgress).toEqual(expect.arrayContaining([
      expect.objectContaining({ CidrIp: '198.51.100.10/32', IpProtocol: 'udp', FromPort: 514 }),
      expect.objectContaining({ CidrIp: '192.0.2.0/24', IpProtocol: 'tcp', FromPort: 443 }),
    ]));
    expect(Object.keys(t.findResources('AWS::EC2::SecurityGroupIngress'))).toEqual([]);
    expect(Object.keys(t.findResources('AWS::EC2::SecurityGroupEgress'))).toEqual([]);

    const { s: s2, instance: i2, db: pg } = attachedApiAndDb();
    pg.connections.allowDefaultPortFrom(i2);
    expect(() => s2.app.synth()).toThrow(/microseg:UnmodelledConnection\] at Shop\/Aws\/sg-api-ref: "pg from workload:api on .*\(a token\)": .*known only at deploy time .*allowDefaultPortFrom.*Declare the flow workload:api -> workload:pg on the model with the concrete port/);
  });

  it('a member that also carries a group microseg does not manage (CDK\'s default instance group) is warned microseg:UnmanagedGroup', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    backend.attach(s.api, new ec2.Instance(s.stack, 'Api1', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'app' }, instanceType: TYPE, machineImage: AMI }));
    s.app.synth();
    const warnings = Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('microseg:UnmanagedGroup'));
    expect(warnings.map(w => `${w.id} ${String(w.entry.data)}`)).toEqual([expect.stringMatching(/^\/Shop\/Aws .*is a member of a workload but also carries 1 security group\(s\) microseg does not manage \(Api1InstanceSecurityGroup\w+\).*securityGroupsFor\(workload\)\[0\].*\[Shop\/Api1\/Resource\]/)]);
  });

  it('a rule towards a group microseg does not manage is UnmodelledConnection saying how to declare it', () => {
    const s = realVpc();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: s.subnets });
    const instance = new ec2.Instance(s.stack, 'Api1', { vpc: s.vpc, vpcSubnets: { subnetGroupName: 'app' }, instanceType: TYPE, machineImage: AMI, securityGroup: backend.securityGroupsFor(s.api)[0] });
    backend.attach(s.api, instance);
    const other = new ec2.SecurityGroup(s.stack, 'Legacy', { vpc: s.vpc });
    instance.connections.allowFrom(other, ec2.Port.tcp(80));
    expect(() => s.app.synth()).toThrow(/microseg:UnmodelledConnection\] at Shop\/Legacy: "api from .* on 80": CDK added a rule .*backend.attach\(workload, resource\)/);
  });
});

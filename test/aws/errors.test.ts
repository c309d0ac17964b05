import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DenyFlow, Peer, Port, Segmentation } from '../../src';
import { AwsSegmentation, AwsSharding } from '../../src/aws';
import { planAws } from '../../src/aws/plan';
import { compile, placeRules } from '../../src/ir';
import { importedVpc, setup, subnetFor } from './helpers';

function emitted(stack: Stack): number {
  return stack.node.findAll().filter(c => CfnResource.isCfnResource(c)).length;
}

describe('errors', () => {
  it('model errors surface at synth before any resource is emitted', () => {
    const s = setup();
    s.api.allowTo(Peer.ipv4('10.0.0.0/33'), Port.tcp(443));
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    expect(() => s.app.synth()).toThrow(/microseg:InvalidCidr/);
    expect(backend.node.findAll().filter(c => CfnResource.isCfnResource(c))).toHaveLength(0);
  });

  it('too many ingress rules per security group is QuotaExceeded naming the workload, count, limit and remedy', () => {
    const s = setup();
    for (let i = 0; i < 7; i++) s.postgres.allowFrom(Peer.ipv4(`198.51.100.${i * 16}/28`), Port.tcp(5432));
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, maxRulesPerSecurityGroup: 6 });
    expect(() => s.app.synth()).toThrow(/microseg:QuotaExceeded.*Shop\/Shop\/Db\/Postgres.*"postgres" needs 7 ingress IPv4 rules, more than the limit of 6.*maxRulesPerSecurityGroup/);
    expect(emitted(s.stack)).toBe(0);
  });

  it('counts IPv4 and IPv6 rules separately', () => {
    // Ranges that are not adjacent halves (adjacent ones merge into one rule).
    const s = setup();
    for (let i = 0; i < 4; i++) s.api.allowTo(Peer.ipv4(`198.51.100.${i * 32}/28`), Port.tcp(443));
    for (let i = 0; i < 4; i++) s.api.allowTo(Peer.ipv6(`2001:db8:${i * 2}::/48`), Port.tcp(443));
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, maxRulesPerSecurityGroup: 4 });
    expect(() => s.app.synth()).not.toThrow();
    const s2 = setup();
    for (let i = 0; i < 5; i++) s2.api.allowTo(Peer.ipv6(`2001:db8:${i * 2}::/48`), Port.tcp(443));
    new AwsSegmentation(s2.stack, 'Aws', { segmentation: s2.seg, vpc: s2.vpc, maxRulesPerSecurityGroup: 4 });
    expect(() => s2.app.synth()).toThrow(/microseg:QuotaExceeded.*5 egress IPv6 rules.*zone/);
  });

  it('too many network ACL entries per direction is QuotaExceeded', () => {
    const s = setup();
    for (let i = 0; i < 11; i++) s.frontend.allowFrom(Peer.ipv4(`198.51.100.${i * 16}/28`), Port.tcp(443));
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, subnets: { web: subnetFor(s.stack, 'web') }, maxRulesPerSecurityGroup: 100, maxNaclEntriesPerDirection: 10 });
    expect(() => s.app.synth()).toThrow(/microseg:QuotaExceeded.*network ACL of zone "web" needs 11 inbound IPv4 entries, more than the limit of 10.*maxNaclEntriesPerDirection/);
  });

  it('too many resources in the stack is QuotaExceeded', () => {
    const s = setup();
    for (let i = 0; i < 5; i++) new CfnResource(s.stack, `Other${i}`, { type: 'AWS::SNS::Topic' });
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, maxResourcesPerStack: 7, sharding: AwsSharding.NONE });
    expect(() => s.app.synth()).toThrow(/microseg:QuotaExceeded.*14 resources \(9 from microseg\), more than the limit of 7/);
  });

  it('sharded, the parent stack still counts its nested stacks against the limit', () => {
    const s = setup();
    for (let i = 0; i < 5; i++) new CfnResource(s.stack, `Other${i}`, { type: 'AWS::SNS::Topic' });
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, maxResourcesPerStack: 7 });
    expect(() => s.app.synth()).toThrow(/microseg:QuotaExceeded.*11 resources \(6 nested stacks of microseg\), more than the limit of 7/);
  });

  it('too many security groups per interface is QuotaExceeded (plan level)', () => {
    const s = setup();
    const policy = compile(s.seg);
    expect(() => planAws(policy, placeRules(policy, undefined, 'B'), { backendPath: 'B', quotas: { rulesPerSecurityGroup: 60, securityGroupsPerInterface: 2, naclEntriesPerDirection: 20, resourcesPerStack: 500 } }))
      .toThrow(/microseg:QuotaExceeded.*must carry 3 security groups, more than the limit of 2 per network interface/);
  });

  it('invalid quota props are InvalidProp at construction', () => {
    const s = setup();
    expect(() => new AwsSegmentation(s.stack, 'A1', { segmentation: s.seg, vpc: s.vpc, maxNaclEntriesPerDirection: 41 })).toThrow(/microseg:InvalidProp.*maxNaclEntriesPerDirection/);
    expect(() => new AwsSegmentation(s.stack, 'A2', { segmentation: s.seg, vpc: s.vpc, maxRulesPerSecurityGroup: 200, maxSecurityGroupsPerInterface: 6 })).toThrow(/microseg:InvalidProp.*1,000/);
    expect(() => new AwsSegmentation(s.stack, 'A3', { segmentation: s.seg, vpc: s.vpc, ephemeralPortRange: { startPort: 65535, endPort: 1024 } })).toThrow(/microseg:InvalidProp.*starts after it ends/);
    expect(() => new AwsSegmentation(s.stack, 'A4', { segmentation: s.seg, vpc: s.vpc, maxSecurityGroupsPerInterface: 17 })).toThrow(/microseg:InvalidProp/);
  });

  it('securityGroupsFor a workload of another segmentation or zone is UnknownWorkload', () => {
    const s = setup();
    const other = Segmentation.root('Other');
    const stranger = other.addZone('X').addWorkload('Y');
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, zones: ['web', 'app'] });
    expect(() => backend.securityGroupsFor(stranger)).toThrow(/microseg:UnknownWorkload/);
    expect(() => backend.securityGroupsFor(s.postgres)).toThrow(/microseg:UnknownWorkload.*zone "db", which is not placed/);
  });

  it('an unknown zone in `zones` is UnknownZone', () => {
    const s = setup();
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, zones: ['web', 'nope'] });
    expect(() => s.app.synth()).toThrow(/microseg:UnknownZone/);
  });

  it('a flow to a zone placed elsewhere without cidrs is MissingCidrs', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const seg = new Segmentation(stack, 'Seg');
    const a = seg.addZone('A', { cidrs: ['10.1.0.0/16'] }).addWorkload('A1');
    seg.addZone('Onprem').addWorkload('Mainframe').allowFrom(a, Port.tcp(23));
    new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc: importedVpc(stack), zones: ['a'] });
    expect(() => app.synth()).toThrow(/microseg:MissingCidrs.*onprem/);
  });

  it('a fully shadowed allow is ShadowedFlow (from the compiler) at synth', () => {
    const s = setup();
    s.postgres.allowFrom(s.frontend, Port.tcp(5432));
    new DenyFlow(s.seg, 'No', { from: s.web, to: s.db });
    new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    expect(() => s.app.synth()).toThrow(/microseg:ShadowedFlow/);
  });
});

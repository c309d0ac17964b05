/**
 * NeverReach invariants as AWS Network Access Analyzer access scopes (opt-in), through real CDK
 * synthesis: one scope per NeverReach, match paths from the source's groups or range to the
 * destination's on the invariant's ports, tagged back to the invariant.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { Isolation, MustReach, NeverReach, Peer, Port, Segmentation } from '../../src';
import { AwsSegmentation } from '../../src/aws';

function app(networkAccessScopes?: boolean) {
  const a = new App();
  const stack = new Stack(a, 'Shop');
  const vpc = new ec2.Vpc(stack, 'Vpc', { ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'), natGateways: 0, subnetConfiguration: [] });
  const seg = new Segmentation(stack, 'Shop');
  const web = seg.addZone('Web', { cidrs: ['10.0.1.0/24'] });
  const app_ = seg.addZone('App', { cidrs: ['10.0.2.0/24'] });
  const data = seg.addZone('Data', { cidrs: ['10.0.3.0/24'] });
  const frontend = web.addWorkload('Frontend');
  const api = app_.addWorkload('Api');
  const db = data.addWorkload('Db');
  frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
  api.allowFrom(frontend, Port.tcp(8080));
  db.allowFrom(api, Port.tcp(5432));
  new NeverReach(seg, 'InternetNeverReachesData', { from: Peer.anyIpv4(), to: data, maxHops: 2, owner: 'team-sec', description: 'PCI DSS 1.3' });
  new NeverReach(seg, 'WebNeverReachesDb', { from: web, to: db, ports: [Port.tcp(5432), Port.tcpRange(6000, 6010), Port.udp(53), Port.icmp()] });
  new NeverReach(seg, 'DataNeverReachesPartner', { from: data, to: Peer.ipv4('198.51.100.0/24') });
  new Isolation(seg, 'DataIsolated', { target: data, except: [app_] });
  new MustReach(seg, 'ApiReachesDb', { from: api, to: db, ports: [Port.tcp(5432)] });
  new AwsSegmentation(stack, 'Microseg', { segmentation: seg, vpc, ...(networkAccessScopes === undefined ? {} : { networkAccessScopes }) });
  return { a, stack };
}

const groupOf = (template: Template, workload: string) => {
  const [id] = Object.entries(template.findResources('AWS::EC2::SecurityGroup')).find(([, r]) => (r as any).Properties.Tags?.some((t: any) => t.Key === 'microseg:group' && t.Value === workload))!;
  return { 'Fn::GetAtt': [id, 'GroupId'] };
};

describe('NeverReach as Network Access Analyzer scopes', () => {
  it('off by default: no access scope is rendered', () => {
    const { a, stack } = app();
    a.synth();
    Template.fromStack(stack).resourceCountIs('AWS::EC2::NetworkInsightsAccessScope', 0);
    const off = app(false);
    off.a.synth();
    Template.fromStack(off.stack).resourceCountIs('AWS::EC2::NetworkInsightsAccessScope', 0);
  });

  it('one scope per NeverReach: internet gateways or ranges, security groups, TCP/UDP ports; ICMP left out with a warning', () => {
    const { a, stack } = app(true);
    a.synth();
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::EC2::NetworkInsightsAccessScope', 3);
    t.hasResourceProperties('AWS::EC2::NetworkInsightsAccessScope', {
      MatchPaths: [{
        Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] }, PacketHeaderStatement: {} },
        Destination: { ResourceStatement: { Resources: [groupOf(t, 'db')] } },
      }],
      Tags: Match.arrayWith([
        { Key: 'microseg:invariant', Value: 'Shop/Shop/InternetNeverReachesData' },
        { Key: 'microseg:owner', Value: 'team-sec' },
        { Key: 'Name', Value: 'shop: PCI DSS 1.3' },
      ]),
    });
    t.hasResourceProperties('AWS::EC2::NetworkInsightsAccessScope', {
      MatchPaths: [
        {
          Source: { ResourceStatement: { Resources: [groupOf(t, 'frontend')] }, PacketHeaderStatement: { Protocols: ['tcp'] } },
          Destination: { ResourceStatement: { Resources: [groupOf(t, 'db')] }, PacketHeaderStatement: { Protocols: ['tcp'], DestinationPorts: ['5432', '6000-6010'] } },
        },
        {
          Source: { ResourceStatement: { Resources: [groupOf(t, 'frontend')] }, PacketHeaderStatement: { Protocols: ['udp'] } },
          Destination: { ResourceStatement: { Resources: [groupOf(t, 'db')] }, PacketHeaderStatement: { Protocols: ['udp'], DestinationPorts: ['53'] } },
        },
      ],
      Tags: Match.arrayWith([{ Key: 'microseg:invariant', Value: 'Shop/Shop/WebNeverReachesDb' }]),
    });
    t.hasResourceProperties('AWS::EC2::NetworkInsightsAccessScope', {
      MatchPaths: [{
        Source: { ResourceStatement: { Resources: [groupOf(t, 'db')] } },
        Destination: { PacketHeaderStatement: { DestinationAddresses: ['198.51.100.0/24'] } },
      }],
    });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('microseg:AccessScopeIcmp'));
    expect(warnings.map(w => String(w.entry.data))).toEqual([expect.stringContaining('the ICMP of Shop/Shop/WebNeverReachesDb is not part of its access scope')]);
  });
});

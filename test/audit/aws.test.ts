/**
 * The AWS reader with the real `@aws-sdk/client-ec2` client against a local EC2 Query/XML server
 * (found through AWS_ENDPOINT_URL_EC2, as the SDK resolves it), state built from a manifest.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cloud } from '../../src';
import { runAudit } from '../../src/audit/run';
import { Manifest } from '../../src/ir/manifest';
import { awsManifest, largePolicy, shopManifest } from './fixtures';
import { fakeAwsEnv, writeManifestFile } from './helpers';
import { Ec2Server, Ec2ServerOptions, Ec2State, ec2StateFromManifest, fakeId, minimumEc2Pages, startEc2Server, THROTTLE } from '../support/servers/aws-ec2-server';

let server: Ec2Server | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

async function setup(mutate?: (s: Ec2State) => void, options?: Ec2ServerOptions, manifest: Manifest = shopManifest()) {
  const state = ec2StateFromManifest(manifest);
  mutate?.(state);
  server = await startEc2Server(state, options);
  fakeAwsEnv(server.url);
  return { file: writeManifestFile(manifest), state, server };
}

const gid = (name: string) => fakeId('sg', `shop/${name}`);

describe('AWS reader against a local EC2 endpoint', () => {
  beforeEach(() => { delete process.env.AWS_REGION; });

  it('reports no drift for a faithful deployment, with Describe calls of 1,000 per page only', async () => {
    const { file, server: s } = await setup();
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.errors).toEqual([]);
    expect(out.findings).toEqual([]);
    expect(out.exitCode).toBe(0);
    expect(out.complete).toBe(true);
    expect(out.liveRules).toBe(out.expectedRules);
    expect(out.containers.map(c => c.container).sort()).toEqual(['nacl:data', 'sg:api', 'sg:db', 'sg:frontend']);
    // the manifest's region, the endpoint from AWS_ENDPOINT_URL_EC2, filtered by the segmentation tag
    expect(s.requests.map(r => r.action).sort()).toEqual(['DescribeNetworkAcls', 'DescribeNetworkInterfaces', 'DescribeSecurityGroupRules', 'DescribeSecurityGroups']);
    for (const r of s.requests) {
      expect(r.method).toBe('POST');
      expect(r.params.MaxResults).toBe('1000');
      expect(r.region).toBe('eu-west-1');
    }
    const sgs = s.requests.find(r => r.action === 'DescribeSecurityGroups')!;
    expect(sgs.params['Filter.1.Name']).toBe('tag:microseg:segmentation');
    expect(sgs.params['Filter.1.Value.1']).toBe('shop');
  });

  it('reports an injected internet-wide SSH rule as a critical unexpected finding at the workload', async () => {
    const { file } = await setup(s => s.rules.push({ ruleId: 'sgr-0injected000000001', groupId: gid('db'), isEgress: false, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' }));
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.exitCode).toBe(1);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({
      kind: 'unexpected', severity: 'critical', container: 'sg:db', constructPath: 'Shop/Data/Db', manifestEntry: 'clouds.aws.containers["sg:db"]',
      live: { container: 'sg:db', direction: 'ingress', action: 'allow', protocol: 'tcp', ports: '22', peer: 'cidr:0.0.0.0/0' },
    });
    expect(out.findings[0].fingerprint).toMatch(/^[0-9a-f]{16}$/);
    // the live rule's ids, to revoke it: aws ec2 revoke-security-group-ingress --group-id ... --security-group-rule-ids ...
    expect(out.findings[0].liveIds).toEqual([`${gid('db')}/sgr-0injected000000001`]);
    expect(out.findings[0].message).toContain('sgr-0injected000000001');
  });

  it('reports a deleted rule as missing, pointing at its flow and manifest entry', async () => {
    const { file } = await setup(s => { s.rules = s.rules.filter(r => !(r.groupId === gid('db') && !r.isEgress)); });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.exitCode).toBe(1);
    // the rule, and its meaning: the declared flow api -> db:5432 no longer passes (an outage)
    expect(out.findings.map(f => f.kind)).toEqual(['blocked', 'missing']);
    expect(out.findings[0]).toMatchObject({
      kind: 'blocked', severity: 'high', container: 'workload:api -> workload:db', constructPath: 'Shop/Data/Db/From-workload:api-tcp:5432',
      reachability: { from: 'workload:api', to: 'workload:db', protocol: 'tcp', ports: '5432', modelAllows: true, declaredAllows: true, liveAllows: false, flows: ['Shop/Data/Db/From-workload:api-tcp:5432'] },
    });
    const f = out.findings[1];
    expect(f).toMatchObject({ kind: 'missing', severity: 'low', container: 'sg:db', constructPath: 'Shop/Data/Db/From-workload:api-tcp:5432', expected: { direction: 'ingress', ports: '5432', peer: 'sg:api' } });
    const m = shopManifest();
    const index = Number(/expected\[(\d+)\]/.exec(f.manifestEntry)![1]);
    expect(m.clouds.aws!.expected[index]).toMatchObject({ container: 'sg:db', direction: 'ingress', peer: 'sg:api' });
  });

  it('semantic drift: a live rule pair that opens a pair the model forbids, a deletion that blocks a declared flow', async () => {
    const { file } = await setup(s => {
      // frontend may now reach api on SSH (egress at frontend AND ingress at api: security groups need both)
      s.rules.push({ ruleId: 'sgr-0opened0000000001', groupId: gid('frontend'), isEgress: true, ipProtocol: 'tcp', fromPort: 22, toPort: 22, referencedGroupId: gid('api') });
      s.rules.push({ ruleId: 'sgr-0opened0000000002', groupId: gid('api'), isEgress: false, ipProtocol: 'tcp', fromPort: 22, toPort: 22, referencedGroupId: gid('frontend') });
      // the declared flow frontend -> api:8080-8081 loses its ingress
      s.rules = s.rules.filter(r => !(r.groupId === gid('api') && !r.isEgress && r.referencedGroupId === gid('frontend') && r.fromPort === 8080));
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.exitCode).toBe(1);
    const semantic = out.findings.filter(f => f.reachability);
    expect(semantic.map(f => [f.kind, f.severity, f.container, f.reachability!.protocol, f.reachability!.ports])).toEqual([
      ['opened', 'critical', 'workload:frontend -> workload:api', 'tcp', '22'],
      ['blocked', 'high', 'workload:frontend -> workload:api', 'tcp', '8080-8081'],
    ]);
    expect(semantic[0]).toMatchObject({ constructPath: 'Shop/App/Api, Shop/Web/Frontend', reachability: { modelAllows: false, declaredAllows: false, liveAllows: true } });
    expect(semantic[0].message).toBe('the live rules let workload:frontend -> workload:api on tcp 22 through, which the declared rules block and the model forbids.');
    expect(semantic[1]).toMatchObject({ constructPath: 'Shop/App/Api/From-workload:frontend-tcp:8080+tcp:8081', reachability: { modelAllows: true, liveAllows: false, flows: ['Shop/App/Api/From-workload:frontend-tcp:8080+tcp:8081'] } });
    // the rule findings are still there, next to what they mean: at api the rule diff pairs the
    // deleted 8080-8081 ingress with the new SSH one as one "modified" rule; the packets tell both stories
    expect(out.findings.filter(f => !f.reachability).map(f => [f.kind, f.container])).toEqual([['unexpected', 'sg:frontend'], ['modified', 'sg:api']]);
    expect(out.packetsEvaluated).toBeGreaterThan(0);
  });

  it('reports a widened port range as modified', async () => {
    const { file } = await setup(s => { const r = s.rules.find(x => x.groupId === gid('db') && !x.isEgress)!; r.toPort = 5433; });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({ kind: 'modified', severity: 'medium', container: 'sg:db', expected: { ports: '5432' }, live: { ports: '5432-5433' } });
    expect(out.exitCode).toBe(1);
  });

  it('treats the same rules written differently (split ranges, duplicates, protocol numbers) as no drift', async () => {
    const { file } = await setup(s => {
      const r = s.rules.find(x => x.groupId === gid('api') && !x.isEgress && x.fromPort === 8080)!;
      expect(r.toPort).toBe(8081);
      r.toPort = 8080;
      s.rules.push({ ...r, ruleId: 'sgr-0split00000000001', fromPort: 8081, toPort: 8081, ipProtocol: '6' });
      s.rules.push({ ...r, ruleId: 'sgr-0dup000000000001', description: 'same rule again' });
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.findings).toEqual([]);
    expect(out.exitCode).toBe(0);
  });

  it('reports a foreign group on a segmented ENI as unmanaged', async () => {
    const { file } = await setup(s => {
      s.securityGroups.push({ groupId: 'sg-0legacy0000000001', groupName: 'legacy-ssh', vpcId: 'vpc-0a1b2c3d4e5f00001', tags: {} });
      s.networkInterfaces.find(e => e.groupIds.includes(gid('frontend')))!.groupIds.push('sg-0legacy0000000001');
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({
      kind: 'unmanaged', severity: 'high', container: 'sg-id:sg-0legacy0000000001', constructPath: 'Shop/Web/Frontend',
      unmanaged: { name: 'legacy-ssh', attachedTo: fakeId('eni', 'shop/frontend'), workloads: ['frontend'] },
    });
    expect(out.exitCode).toBe(1);
  });

  it('retries throttled calls (RequestLimitExceeded) and then succeeds', async () => {
    const { file, server: s } = await setup(undefined, { fault: r => r.action === 'DescribeSecurityGroupRules' && r.count === 1 ? THROTTLE : undefined });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.exitCode).toBe(0);
    const calls = s.requests.filter(r => r.action === 'DescribeSecurityGroupRules');
    expect(calls.map(c => c.status)).toEqual([503, 200]);
    expect(out.requests).toBe(s.requests.length);
  });

  it('fails closed with exit 2 when a page keeps failing, naming the call', async () => {
    const { file } = await setup(undefined, {
      maxPage: 2,
      fault: r => r.action === 'DescribeSecurityGroupRules' && r.page === 2 ? { status: 500, code: 'InternalError', message: 'An internal error has occurred' } : undefined,
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS, awsMaxAttempts: 2 });
    expect(out.complete).toBe(false);
    expect(out.exitCode).toBe(2);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatch(/aws eu-west-1 DescribeSecurityGroupRules: InternalError \(HTTP 500\)/);
  });

  it('fails closed with exit 2 when a rules page silently lacks a rule (checked against the groups\' inline rules)', async () => {
    const { file } = await setup(undefined, {
      // a server that answers DescribeSecurityGroupRules without db's ingress rule, as a truncated page would
      rulesFilter: r => !(r.groupId === gid('db') && !r.isEgress),
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.exitCode).toBe(2);
    expect(out.errors[0]).toMatch(new RegExp(`DescribeSecurityGroupRules and DescribeSecurityGroups disagree on 1 group\\(s\\) \\(${gid('db')}\\)`));
  });

  it('fails closed with exit 2 on a missing permission', async () => {
    const { file } = await setup(undefined, {
      fault: r => r.action === 'DescribeNetworkAcls' ? { status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' } : undefined,
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.exitCode).toBe(2);
    expect(out.errors[0]).toMatch(/DescribeNetworkAcls: UnauthorizedOperation \(HTTP 403\)/);
  });

  it('reads several regions', async () => {
    const { file, server: s } = await setup();
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS, regions: ['eu-west-1', 'us-east-1'] });
    expect(out.complete).toBe(true);
    expect([...new Set(s.requests.map(r => r.region))].sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(out.containers.filter(c => c.container === 'sg:db').map(c => c.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(out.exitCode).toBe(0);
  });

  it('checks each region on its own: a rule missing in one region is drift even when another region has it', async () => {
    const m = shopManifest();
    const east = ec2StateFromManifest(m);
    east.rules = east.rules.filter(r => !(r.groupId === gid('db') && !r.isEgress));
    const { file } = await setup(undefined, { regions: { 'us-east-1': east } }, m);
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS, regions: ['eu-west-1', 'us-east-1'] });
    expect(out.findings.map(f => [f.kind, f.region, f.container])).toEqual([['blocked', 'us-east-1', 'workload:api -> workload:db'], ['missing', 'us-east-1', 'sg:db']]);
    for (const f of out.findings) expect(f.message).toMatch(/^\[us-east-1\] /);
    expect(out.exitCode).toBe(1);
  });

  it('reads a large state with the minimum number of pages', async () => {
    const manifest = awsManifest(largePolicy(5, 60));
    const state = ec2StateFromManifest(manifest);
    server = await startEc2Server(state);
    fakeAwsEnv(server.url);
    const file = writeManifestFile(manifest);
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS });
    expect(out.exitCode).toBe(0);
    expect(state.securityGroups.length).toBe(300);
    expect(state.rules.length).toBeGreaterThan(1000);
    expect(server.requests.length).toBe(minimumEc2Pages(state));
    expect(out.pages).toBe(minimumEc2Pages(state));
    expect(server.requests.filter(r => r.action === 'DescribeSecurityGroupRules').length).toBeGreaterThan(2);
  });
});

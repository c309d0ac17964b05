/**
 * End to end: manifests synthesized by the real backends from the repository's examples
 * (examples/aws-three-tier with `aws.AwsSegmentation`, examples/multi-cloud's CDKTF app with
 * `azure.AzureSegmentation` and `gcp.GcpSegmentation`),
 * deployed faithfully into local API servers, audited by the real SDK clients; then drift is
 * injected and reported exactly. Every request the servers receive is a read (read-only guarantee).
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cloud } from '../../src';
import { runAudit } from '../../src/audit/run';
import { Manifest } from '../../src/ir/manifest';
import { readManifest, synthAwsExample, synthMultiCloud } from './e2e-apps';
import { azureTestCredential, fakeAwsEnv, tmpDir } from './helpers';
import { awsCliOutputs, ec2StateFromManifest, fakeId, startEc2Server } from '../support/servers/aws-ec2-server';
import { armId, armStateFromManifest, startArmServer } from '../support/servers/azure-arm-server';
import { gcpStateFromManifest, startGcpServer } from '../support/servers/gcp-compute-server';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => { while (closers.length) await closers.pop()!(); delete process.env.MICROSEG_GCP_ACCESS_TOKEN; });

const READ_ACTIONS = /^Describe[A-Za-z]+$/;

describe('AWS: the aws-three-tier example\'s CDK manifest against a local EC2 endpoint', () => {
  let file: string;
  let manifest: Manifest;
  beforeAll(async () => { file = await synthAwsExample(); manifest = readManifest(file); });

  it('no drift for the faithful deployment; only Describe* calls', async () => {
    const state = ec2StateFromManifest(manifest);
    const server = await startEc2Server(state);
    closers.push(server.close);
    fakeAwsEnv(server.url);
    // the example's stack is environment-agnostic: the manifest has no region, so it is given
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS, regions: ['eu-west-1'] });
    expect(out.errors).toEqual([]);
    expect(out.findings).toEqual([]);
    expect(out.exitCode).toBe(0);
    expect(out.expectedRules).toBe(manifest.clouds.aws!.expected.length);
    expect(out.containers.map(c => c.container).sort()).toEqual(Object.keys(manifest.clouds.aws!.containers).sort());
    expect(out.containers.map(c => c.container)).toEqual(expect.arrayContaining(['nacl:app', 'nacl:db', 'nacl:web', 'sg:api', 'sg:frontend', 'sg:postgres', 'sg:worker']));
    expect(server.requests.length).toBeGreaterThan(0);
    for (const r of server.requests) expect(r.action).toMatch(READ_ACTIONS);
  });

  it('an injected, a deleted and a modified rule, a deleted NACL guardrail and an unmanaged group are each reported exactly; only Describe* calls', async () => {
    const state = ec2StateFromManifest(manifest);
    const gid = (name: string) => fakeId('sg', `shop/${name}`);
    // injected: RDP from anywhere on the api group
    state.rules.push({ ruleId: 'sgr-0e2e000000000001', groupId: gid('api'), isEgress: false, ipProtocol: 'tcp', fromPort: 3389, toPort: 3389, cidrIpv4: '0.0.0.0/0' });
    // deleted: postgres's ingress from a group (whichever the backend rendered for the app zone)
    const deleted = manifest.clouds.aws!.expected.find(r => r.container === 'sg:postgres' && r.direction === 'ingress' && r.peer.startsWith('sg:'))!;
    state.rules = state.rules.filter(r => !(r.groupId === gid('postgres') && !r.isEgress && r.referencedGroupId === gid(deleted.peer.slice(3))));
    // modified: api's ingress from frontend widened to 8080-8081
    state.rules.find(r => r.groupId === gid('api') && !r.isEgress && r.referencedGroupId === gid('frontend'))!.toPort = 8081;
    // deleted NACL guardrail: the db zone's deny from the web zone
    const dbAcl = state.networkAcls.find(a => a.tags['microseg:zone'] === 'db')!;
    dbAcl.entries = dbAcl.entries.filter(e => !(e.ruleAction === 'deny' && e.ruleNumber < 32767));
    // unmanaged: a hand-made group on the worker's ENI
    state.securityGroups.push({ groupId: 'sg-0handmade00000001', groupName: 'debug-access', vpcId: 'vpc-x', tags: {} });
    state.networkInterfaces.find(e => e.groupIds.includes(gid('worker')))!.groupIds.push('sg-0handmade00000001');
    const server = await startEc2Server(state);
    closers.push(server.close);
    fakeAwsEnv(server.url);
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS, regions: ['eu-west-1'] });
    expect(out.exitCode).toBe(1);
    // what the changed rules mean: the deleted ingress cuts both app workloads off postgres; the
    // RDP rule, the widened port and the deleted guardrail open nothing (the app zone's network
    // ACL, the frontend's egress and the security groups still stop those packets)
    expect(out.findings.filter(f => f.reachability).map(f => [f.kind, f.severity, f.container, `${f.reachability!.protocol} ${f.reachability!.ports}`, f.constructPath])).toEqual([
      ['blocked', 'high', 'workload:api -> workload:postgres', 'tcp 5432', deleted.origin],
      ['blocked', 'high', 'workload:worker -> workload:postgres', 'tcp 5432', deleted.origin],
    ]);
    out.findings.splice(0, out.findings.length, ...out.findings.filter(f => !f.reachability));
    expect(out.findings.map(f => [f.kind, f.severity, f.container])).toEqual([
      ['unexpected', 'critical', 'sg:api'],
      ['unmanaged', 'high', 'sg-id:sg-0handmade00000001'],
      ['missing', 'high', 'nacl:db'],
      ['modified', 'medium', 'sg:api'],
      ['missing', 'low', 'sg:postgres'],
    ]);
    expect(out.findings.map(f => f.constructPath)).toEqual([
      'Shop/App/Api', 'Shop/App/Worker', 'Shop/WebNeverReachesDb', 'Shop/App/Api/From-workload:frontend-tcp:8080', deleted.origin,
    ]);
    expect(out.findings[4].expected).toMatchObject({ container: 'sg:postgres', peer: deleted.peer, ports: deleted.ports });
    expect(out.findings[2].expected).toMatchObject({ action: 'deny', protocol: 'all', peer: 'cidr:10.0.0.0/23' });
    expect(out.findings[3]).toMatchObject({ expected: { ports: '8080', peer: 'sg:frontend' }, live: { ports: '8080-8081' } });
    for (const r of server.requests) expect(r.action).toMatch(READ_ACTIONS);
  });

  it('NACL associations: a zone subnet taken off its NACL is missing, a foreign subnet on it unexpected, an unknown subnet exit 2', async () => {
    const state = ec2StateFromManifest(manifest);
    expect(state.subnets!.length).toBe(6); // found live by their CloudFormation tags
    const db = state.networkAcls.find(a => a.tags['microseg:zone'] === 'db')!;
    const web = state.networkAcls.find(a => a.tags['microseg:zone'] === 'web')!;
    const removed = db.associations!.shift()!;
    web.associations!.push('subnet-0foreign000000001');
    const server = await startEc2Server(state);
    closers.push(server.close);
    fakeAwsEnv(server.url);
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS, regions: ['eu-west-1'] });
    expect(out.exitCode).toBe(1);
    expect(out.findings.map(f => [f.kind, f.severity, f.container, f.key])).toEqual([
      ['missing', 'high', 'nacl:db', `missing association nacl:db on subnet ${removed}`],
      ['unexpected', 'medium', 'nacl:web', 'unexpected association nacl:web on subnet subnet-0foreign000000001'],
    ]);
    expect(server.requests.filter(r => r.action === 'DescribeSubnets').map(r => r.params['Filter.1.Name'])).toEqual(['tag:aws:cloudformation:stack-name']);
    // the same from saved CLI outputs: the subnets file is needed (the manifest knows them by logical id)
    const dir = tmpDir();
    const saved = awsCliOutputs(state);
    const files = Object.entries(saved).map(([cmd, doc]) => { const f = path.join(dir, `${cmd}.json`); fs.writeFileSync(f, JSON.stringify(doc)); return f; });
    const fromFiles = await runAudit({ manifestFile: file, cloud: Cloud.AWS, fromFiles: files });
    expect(fromFiles.findings.map(f => f.key)).toEqual(out.findings.map(f => f.key));
    const noSubnets = await runAudit({ manifestFile: file, cloud: Cloud.AWS, fromFiles: files.filter(f => !f.endsWith('describe-subnets.json')) });
    expect(noSubnets.exitCode).toBe(2);
    expect(noSubnets.errors.join('\n')).toMatch(/no `aws ec2 describe-subnets` output, so the network ACL associations/);
    // a zone subnet that cannot be found live: the association cannot be checked (exit 2)
    state.subnets = state.subnets!.slice(1);
    const partial = await runAudit({ manifestFile: file, cloud: Cloud.AWS, regions: ['eu-west-1'] });
    expect(partial.exitCode).toBe(2);
    expect(partial.errors.join('\n')).toMatch(/DescribeSubnets: subnet \S+ of stack ShopThreeTier \(zone \w+\) was not found/);
  });
});

describe('Azure and GCP: the multi-cloud example\'s CDKTF manifest against local ARM and Compute endpoints', () => {
  let file: string;
  let manifest: Manifest;
  beforeAll(async () => { file = await synthMultiCloud(); manifest = readManifest(file); });

  it('Azure: no drift, then an injected, a deleted and a re-prioritised rule and a NIC-level NSG; GET only', async () => {
    const subscriptionId = '00000000-0000-0000-0000-0000000000aa';
    const state = { ...armStateFromManifest(manifest), subscriptionId };
    const server = await startArmServer(state, { pageSize: 1 });
    closers.push(server.close);
    const clean = await runAudit({ manifestFile: file, cloud: Cloud.AZURE, azureEndpoint: server.url, subscriptionId, azureCredential: azureTestCredential });
    expect(clean.errors).toEqual([]);
    expect(clean.findings).toEqual([]);
    expect(clean.exitCode).toBe(0);

    const nsg = state.networkSecurityGroups[0];
    const rules = nsg.properties.securityRules;
    rules.push({ name: 'temp-ssh', properties: { protocol: 'Tcp', access: 'Allow', direction: 'Inbound', priority: 300, sourcePortRange: '*', destinationPortRange: '22', sourceAddressPrefix: '*', destinationAddressPrefix: '*' } });
    const removed = rules.splice(rules.findIndex((r: any) => r.name.startsWith('allow-out-asgs-to-cidr')), 1)[0];
    const moved = rules.find((r: any) => r.name.startsWith('allow-in-zone.api-to-asgs'));
    const oldPriority = moved.properties.priority;
    moved.properties.priority = 4000;
    state.networkInterfaces.find(n => n.name === 'nic-orders')!.properties.networkSecurityGroup = { id: armId(state, 'networkSecurityGroups', 'hand-made') };
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AZURE, azureEndpoint: server.url, subscriptionId, azureCredential: azureTestCredential });
    expect(out.exitCode).toBe(1);
    // what they mean: SSH from anywhere reaches both workloads of the zone, payments no longer
    // reaches its partner range; the new priority (still before the deny-all) changes nothing
    expect(out.findings.filter(f => f.reachability).map(f => [f.kind, f.severity, f.container, `${f.reachability!.protocol} ${f.reachability!.ports}`])).toEqual([
      ['opened', 'critical', 'ipv4:0.0.0.0/0 -> workload:orders', 'tcp 22'],
      ['opened', 'critical', 'ipv4:0.0.0.0/0 -> workload:payments', 'tcp 22'],
      ['blocked', 'high', 'workload:payments -> ipv4:203.0.113.0/24', 'tcp 443'],
    ]);
    out.findings.splice(0, out.findings.length, ...out.findings.filter(f => !f.reachability));
    expect(out.findings.map(f => [f.kind, f.container])).toEqual([
      ['unexpected', `nsg:${nsg.name}`],
      ['unmanaged', 'nsg-id:hand-made'],
      ['modified', `nsg:${nsg.name}`],
      ['missing', `nsg:${nsg.name}`],
    ]);
    expect(out.findings[0]).toMatchObject({ severity: 'critical', live: { name: 'temp-ssh', peer: '*', ports: '22' } });
    expect(out.findings[2]).toMatchObject({ expected: { priority: oldPriority }, live: { priority: 4000 } });
    expect(out.findings[3].expected!.name).toBe(removed.name);
    expect(server.requests.every(r => r.method === 'GET')).toBe(true);
  });

  it('Azure: a zone NSG taken off its subnet (another NSG there) is a high missing association', async () => {
    const subscriptionId = '00000000-0000-0000-0000-0000000000aa';
    const state = { ...armStateFromManifest(manifest), subscriptionId };
    const nsg = state.networkSecurityGroups[0];
    const subnets = nsg.properties.subnets;
    expect(subnets).toHaveLength(1);
    delete nsg.properties.subnets;
    state.networkSecurityGroups.push({ name: 'legacy-open', id: armId(state, 'networkSecurityGroups', 'legacy-open'), properties: { securityRules: [], subnets } });
    const server = await startArmServer(state);
    closers.push(server.close);
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AZURE, azureEndpoint: server.url, subscriptionId, azureCredential: azureTestCredential });
    expect(out.exitCode).toBe(1);
    expect(out.findings.map(f => [f.kind, f.severity, f.container, f.constructPath])).toEqual([['missing', 'high', `nsg:${nsg.name}`, 'Shop/Api']]);
    expect(out.findings[0].message).toBe(`nsg:${nsg.name} is not attached to subnet api (nsg-id:legacy-open is attached there instead): none of its rules apply there.`);
  });

  it('GCP: no drift, then an injected, a deleted and a modified firewall rule; GET only', async () => {
    const state = gcpStateFromManifest(manifest);
    const server = await startGcpServer(state, { maxPage: 2 });
    closers.push(server.close);
    process.env.MICROSEG_GCP_ACCESS_TOKEN = 'e2e-token';
    const clean = await runAudit({ manifestFile: file, cloud: Cloud.GCP, gcpEndpoint: server.url });
    expect(clean.errors).toEqual([]);
    expect(clean.findings).toEqual([]);
    expect(clean.exitCode).toBe(0);
    expect(server.requests.length).toBe(Math.ceil(state.firewalls.length / 2));

    const net = state.firewalls[0].network;
    state.firewalls.push({ name: 'allow-mongo', network: net, direction: 'INGRESS', priority: 500, sourceRanges: ['0.0.0.0/0'], targetTags: ['shop-warehouse'], allowed: [{ IPProtocol: 'tcp', ports: ['27017'] }] });
    const deleted = state.firewalls.find(f => f.direction === 'INGRESS' && (f.allowed ?? []).some((a: any) => (a.ports ?? []).includes('5432')))!;
    state.firewalls = state.firewalls.filter(f => f !== deleted);
    const modified = state.firewalls.find(f => f.direction === 'INGRESS' && (f.allowed ?? []).some((a: any) => (a.ports ?? []).includes('443')))!;
    modified.allowed = [{ IPProtocol: 'tcp', ports: ['443', '8443'] }];
    const out = await runAudit({ manifestFile: file, cloud: Cloud.GCP, gcpEndpoint: server.url });
    expect(out.exitCode).toBe(1);
    expect(out.findings.map(f => [f.kind, f.severity])).toEqual([['unmanaged', 'critical'], ['unexpected', 'medium'], ['missing', 'low']]);
    // a rule microseg did not render, on a segmented workload's tag: unmanaged, as severe as its rule
    expect(out.findings[0]).toMatchObject({ kind: 'unmanaged', severity: 'critical', container: 'firewall:allow-mongo', unmanaged: { attachedTo: 'tag:shop-warehouse' } });
    expect(out.findings.find(f => f.kind === 'missing')!.expected!.name).toBe(deleted.name);
    // 443 and 8443 are not adjacent: the extra port is an unexpected rule of the same firewall rule
    expect(out.findings.find(f => f.live?.ports === '8443')).toMatchObject({ kind: 'unexpected', live: { name: modified.name } });
    expect(server.requests.every(r => r.method === 'GET')).toBe(true);
  });
});

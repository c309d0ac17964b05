/**
 * `--live`: the inventory read through the real SDK clients (`@aws-sdk/client-ec2`,
 * `@azure/arm-network`, `@google-cloud/compute`) against local servers speaking each cloud's wire
 * format, turned into the same identities as the saved CLI documents; an API error stops the read.
 */
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { IdentityMap } from '../../src/traffic/identity';
import { inventoryDocsEntries } from '../../src/traffic/inventory';
import { liveInventory } from '../../src/traffic/live';
import { startArmInventoryServer, startEc2InventoryServer, startGcpInventoryServer } from '../support/servers/inventory-servers';
import { writeAzureV4 } from '../support/traffic-generator';
import { SHOP, tmpDir } from './helpers';

const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'MICROSEG_AZURE_ACCESS_TOKEN', 'MICROSEG_GCP_ACCESS_TOKEN']) saved[k] = process.env[k];
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', MICROSEG_AZURE_ACCESS_TOKEN: 'az-token', MICROSEG_GCP_ACCESS_TOKEN: 'gcp-token' });
});
afterAll(() => { for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } });

const resolver = (docs: Awaited<ReturnType<typeof liveInventory>>, groupBy: string) => {
  const map = new IdentityMap(inventoryDocsEntries(docs, { groupBy, zonesBy: 'subnet' }));
  return (a: string) => { const r = map.resolve(a); return [r.identity, r.zone ?? null]; };
};

describe('traffic --live', () => {
  it('AWS: instances, interfaces, subnets and security groups through EC2Client', async () => {
    const server = await startEc2InventoryServer({
      Reservations: [{ ReservationId: 'r-1', Instances: [{ InstanceId: 'i-1', PrivateIpAddress: '10.0.1.5', SubnetId: 'subnet-a', Tags: [{ Key: 'app', Value: 'Web' }],
        NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', SubnetId: 'subnet-a', PrivateIpAddress: '10.0.1.5', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.5' }], Groups: [{ GroupId: 'sg-9' }] }] }] }],
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-2', SubnetId: 'subnet-a', PrivateIpAddress: '10.0.1.6', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.6' }], Groups: [{ GroupId: 'sg-1' }], TagSet: [] }],
      Subnets: [{ SubnetId: 'subnet-a', CidrBlock: '10.0.1.0/24', Tags: [{ Key: 'Name', Value: 'Web Tier' }] }],
      SecurityGroups: [{ GroupId: 'sg-1', GroupName: 'db', Tags: [{ Key: 'microseg:workload', Value: 'db' }] }],
    });
    try {
      const docs = await liveInventory({ cloud: 'aws', regions: ['eu-west-1'], endpoint: server.url });
      const id = resolver(docs, 'tag:app');
      expect(id('10.0.1.5')).toEqual(['workload:web', 'web-tier']);
      expect(id('10.0.1.6')).toEqual(['workload:db', 'web-tier']);
      expect(id('10.0.1.7')).toEqual(['ipv4:10.0.1.7', 'web-tier']);
      expect(server.requests.map(r => r.split(' ')[2])).toEqual(['DescribeInstances', 'DescribeNetworkInterfaces', 'DescribeSubnets', 'DescribeSecurityGroups']);
    } finally {
      await server.close();
    }
  });

  it('Azure: NICs, ASGs and VNet subnets through NetworkManagementClient', async () => {
    const sub = '00000000-0000-0000-0000-000000000001';
    const net = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Network`;
    const server = await startArmInventoryServer({
      subscriptionId: sub,
      networkInterfaces: [{ id: `${net}/networkInterfaces/nic1`, name: 'nic1', type: 'Microsoft.Network/networkInterfaces', tags: { app: 'api' }, properties: {
        virtualMachine: { id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-api-1` },
        ipConfigurations: [{ id: `${net}/networkInterfaces/nic1/ipConfigurations/ipconfig1`, name: 'ipconfig1', properties: {
          privateIPAddress: '10.1.2.4', subnet: { id: `${net}/virtualNetworks/vnet1/subnets/app` }, applicationSecurityGroups: [{ id: `${net}/applicationSecurityGroups/shop-api` }] } }] } }],
      applicationSecurityGroups: [{ id: `${net}/applicationSecurityGroups/shop-api`, name: 'shop-api', type: 'Microsoft.Network/applicationSecurityGroups', properties: {} }],
      virtualNetworks: [{ id: `${net}/virtualNetworks/vnet1`, name: 'vnet1', type: 'Microsoft.Network/virtualNetworks', properties: { addressSpace: { addressPrefixes: ['10.1.0.0/16'] },
        subnets: [{ id: `${net}/virtualNetworks/vnet1/subnets/app`, name: 'app', properties: { addressPrefix: '10.1.2.0/24' } }] } }],
    });
    try {
      const docs = await liveInventory({ cloud: 'azure', subscriptionId: sub, endpoint: server.url });
      expect(resolver(docs, 'asg:shop-')('10.1.2.4')).toEqual(['workload:api', 'app']);
      expect(resolver(docs, 'tag:Name')('10.1.2.4')).toEqual(['workload:vm-api-1', 'app']);
      expect(resolver(docs, 'asg:shop-')('10.1.2.9')).toEqual(['ipv4:10.1.2.9', 'app']);
      await liveInventory({ cloud: 'azure', subscriptionId: sub, resourceGroup: 'rg', endpoint: server.url });
      expect(server.requests.map(r => r.split(' ').slice(0, 2).join(' ').replace(`/subscriptions/${sub}`, ''))).toEqual([
        'GET /providers/Microsoft.Network/networkInterfaces', 'GET /providers/Microsoft.Network/applicationSecurityGroups', 'GET /providers/Microsoft.Network/virtualNetworks',
        'GET /resourceGroups/rg/providers/Microsoft.Network/networkInterfaces', 'GET /resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups', 'GET /resourceGroups/rg/providers/Microsoft.Network/virtualNetworks']);
    } finally {
      await server.close();
    }
  });

  it('GCP: instances and subnetworks through the Compute clients (REST)', async () => {
    const link = 'https://www.googleapis.com/compute/v1/projects/p1/regions/europe-west1/subnetworks';
    const server = await startGcpInventoryServer({ project: 'p1',
      instances: [{ kind: 'compute#instance', name: 'web-1', zone: 'https://www.googleapis.com/compute/v1/projects/p1/zones/europe-west1-b', labels: { app: 'web' }, tags: { items: ['shop-frontend'] },
        networkInterfaces: [{ networkIP: '10.2.1.2', subnetwork: `${link}/web`, aliasIpRanges: [{ ipCidrRange: '10.4.0.0/24' }] }] }],
      subnetworks: [{ kind: 'compute#subnetwork', name: 'web', region: 'https://www.googleapis.com/compute/v1/projects/p1/regions/europe-west1', ipCidrRange: '10.2.1.0/24', selfLink: `${link}/web` }],
    });
    try {
      const docs = await liveInventory({ cloud: 'gcp', project: 'p1', endpoint: server.url });
      const id = resolver(docs, 'network-tag:shop-');
      expect(id('10.2.1.2')).toEqual(['workload:frontend', 'web']);
      expect(id('10.4.0.9')).toEqual(['workload:frontend', 'web']);
      expect(id('10.2.1.77')).toEqual(['ipv4:10.2.1.77', 'web']);
      expect(resolver(docs, 'tag:app')('10.2.1.2')).toEqual(['workload:web', 'web']);
    } finally {
      await server.close();
    }
  });

  it('an API error stops the read (InventoryUnreadable), never a partial inventory', async () => {
    const aws = await startEc2InventoryServer({}, 'DescribeSubnets');
    const sub = '00000000-0000-0000-0000-000000000002';
    const azure = await startArmInventoryServer({ subscriptionId: sub, networkInterfaces: [], applicationSecurityGroups: [], virtualNetworks: [] }, 'virtualNetworks');
    const gcp = await startGcpInventoryServer({ project: 'p1', instances: [], subnetworks: [] }, 'subnetworks');
    try {
      await expect(liveInventory({ cloud: 'aws', regions: ['eu-west-1'], endpoint: aws.url })).rejects.toThrow(/microseg:InventoryUnreadable.*--live aws.*could not read Subnets in eu-west-1/);
      await expect(liveInventory({ cloud: 'azure', subscriptionId: sub, endpoint: azure.url })).rejects.toThrow(/microseg:InventoryUnreadable.*--live azure.*could not read virtual networks/);
      await expect(liveInventory({ cloud: 'gcp', project: 'p1', endpoint: gcp.url })).rejects.toThrow(/microseg:InventoryUnreadable.*--live gcp.*could not read subnetworks/);
      await expect(liveInventory({ cloud: 'oci' })).rejects.toThrow(/microseg:InvalidOption/);
      process.env.MICROSEG_HIDE_SDKS = '@google-cloud/compute';
      await expect(liveInventory({ cloud: 'gcp', project: 'p1' })).rejects.toThrow(/microseg:MissingSdk.*npm i @google-cloud\/compute/);
    } finally {
      delete process.env.MICROSEG_HIDE_SDKS;
      await Promise.all([aws.close(), azure.close(), gcp.close()]);
    }
  });
});

describe('traffic discover --live (CLI)', () => {
  const run = async (args: string[]) => {
    let out = ''; let err = '';
    const code = await main(['node', 'microseg', 'traffic', ...args], { stdout: { write: (x: string) => { out += x; } }, stderr: { write: (x: string) => { err += x; } }, env: process.env });
    return { code, out, err };
  };

  it('names the Azure flow log\'s addresses by the ASGs read live', async () => {
    const root = path.join(tmpDir('live-az-'), 'logs');
    writeAzureV4(SHOP, { root, start: 1_790_000_000, seed: 5 });
    const sub = '00000000-0000-0000-0000-000000000003';
    const net = `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Network`;
    const server = await startArmInventoryServer({
      subscriptionId: sub,
      networkInterfaces: SHOP.workloads.flatMap(w => w.addresses.map((a, i) => ({ id: `${net}/networkInterfaces/${w.name}-${i}`, name: `${w.name}-${i}`, type: 'Microsoft.Network/networkInterfaces', properties: {
        ipConfigurations: [{ name: 'ipconfig1', properties: { privateIPAddress: a, subnet: { id: `${net}/virtualNetworks/vnet/subnets/${w.zone}` }, applicationSecurityGroups: [{ id: `${net}/applicationSecurityGroups/shop-${w.name}` }] } }] } }))),
      applicationSecurityGroups: [],
      virtualNetworks: [],
    });
    try {
      const r = await run(['discover', '--logs', root, '--live', '--cloud', 'azure', '--subscription', sub, '--endpoint', server.url, '--group-by', 'asg:shop-']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const d = JSON.parse(r.out);
      expect(d.flows.map((f: any) => [f.from, f.to, f.protocol, f.ports])).toEqual([
        ['ipv4:0.0.0.0/0', 'workload:frontend', 'tcp', [8080]],
        ['workload:cart', 'workload:redis', 'tcp', [6379]],
        ['workload:checkout', 'ipv4:10.0.2.250', 'tcp', [1521]],
        ['workload:checkout', 'workload:payments', 'tcp', [50051]],
        ['workload:frontend', 'workload:cart', 'tcp', [7070]],
        ['workload:frontend', 'workload:redis', 'udp', [53000]],
      ]);
      expect(Object.fromEntries(d.zones.map((z: any) => [z.name, z.workloads.map((w: any) => w.name)]))).toMatchObject({ web: ['frontend'], data: ['redis'] });
    } finally {
      await server.close();
    }
  });

  it('--live needs --cloud, and --cloud needs --live (exit 2)', async () => {
    const root = path.join(tmpDir('live-opt-'), 'logs');
    writeAzureV4(SHOP, { root, start: 1_790_000_000, seed: 5 });
    const a = await run(['discover', '--logs', root, '--live']);
    expect([a.code, a.err]).toEqual([2, expect.stringMatching(/microseg:InvalidOption.*--live.*needs --cloud/)]);
    const b = await run(['discover', '--logs', root, '--cloud', 'aws']);
    expect([b.code, b.err]).toEqual([2, expect.stringMatching(/microseg:InvalidOption.*--cloud.*only used with --live/)]);
  });
});

/**
 * Inventory files to identities: recognised by content; an interface whose security group carries
 * `microseg:workload` is that workload; `--group-by tag:<key>` and Lambda descriptions otherwise;
 * zones by subnet Name tag or by an instance tag; unreadable files are coded errors.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { IdentityMap } from '../../src/traffic/identity';
import { inventoryEntries, toName } from '../../src/traffic/inventory';
import { tmpDir } from './helpers';

const dir = tmpDir('inv-');
const write = (name: string, doc: unknown) => { const f = path.join(dir, name); fs.writeFileSync(f, JSON.stringify(doc)); return f; };

const enis = write('enis.json', { NetworkInterfaces: [
  { NetworkInterfaceId: 'eni-1', SubnetId: 'subnet-a', Groups: [{ GroupId: 'sg-1' }], TagSet: [{ Key: 'app', Value: 'Ignored' }], PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.5' }, { PrivateIpAddress: '10.0.1.6' }], Ipv6Addresses: [{ Ipv6Address: '2001:db8::5' }] },
  { NetworkInterfaceId: 'eni-2', SubnetId: 'subnet-b', Groups: [{ GroupId: 'sg-2' }], TagSet: [{ Key: 'app', Value: 'Billing API' }, { Key: 'tier', Value: 'app' }], PrivateIpAddresses: [{ PrivateIpAddress: '10.0.2.7' }] },
  { NetworkInterfaceId: 'eni-3', SubnetId: 'subnet-b', Groups: [], Description: 'AWS Lambda VPC ENI-resize-images-0a1b2c3d-1234-5678-9abc-def012345678', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.2.8' }] },
  { NetworkInterfaceId: 'eni-4', SubnetId: 'subnet-b', Groups: [], PrivateIpAddresses: [{ PrivateIpAddress: '10.0.2.9' }] },
] });
const sgs = write('sgs.json', { SecurityGroups: [{ GroupId: 'sg-1', Tags: [{ Key: 'microseg:workload', Value: 'frontend' }] }, { GroupId: 'sg-2', Tags: [] }] });
const subnets = write('subnets.json', { Subnets: [{ SubnetId: 'subnet-a', CidrBlock: '10.0.1.0/24', Tags: [{ Key: 'Name', Value: 'Web Tier' }] }, { SubnetId: 'subnet-b', CidrBlock: '10.0.2.0/24' }] });

describe('inventory', () => {
  it('names workloads by microseg tag, then --group-by, then Lambda function; zones by subnet', () => {
    const map = new IdentityMap(inventoryEntries([enis, sgs, subnets], { groupBy: 'tag:app', zonesBy: 'subnet' }));
    const id = (a: string) => { const r = map.resolve(a); return [r.identity, r.zone ?? null]; };
    expect(id('10.0.1.5')).toEqual(['workload:frontend', 'web-tier']);
    expect(id('10.0.1.6')).toEqual(['workload:frontend', 'web-tier']);
    expect(id('2001:db8::5')).toEqual(['workload:frontend', 'web-tier']);
    expect(id('10.0.2.7')).toEqual(['workload:billing-api', 'subnet-b']);
    expect(id('10.0.2.8')).toEqual(['workload:resize-images', 'subnet-b']);
    expect(id('10.0.2.9')).toEqual(['ipv4:10.0.2.9', 'subnet-b']);
    expect(map.resolve('10.0.2.9').unknown).toBe(true);
    expect(map.resolve('8.8.8.8').identity).toBe('ipv4:0.0.0.0/0');
  });

  it('zones by an instance tag', () => {
    const map = new IdentityMap(inventoryEntries([enis], { groupBy: 'tag:app', zonesBy: 'tag:tier' }));
    expect(map.resolve('10.0.2.7').zone).toBe('app');
  });

  it('names are valid microseg names', () => {
    expect(toName('Billing API (prod)')).toBe('billing-api-prod');
    expect(toName('42-things')).toBe('w-42-things');
    expect(toName('x'.repeat(60))).toHaveLength(40);
  });

  it('unreadable or unrecognised files are coded errors', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"Reservations": [');
    expect(() => inventoryEntries([bad], { groupBy: 'tag:Name', zonesBy: 'subnet' })).toThrow(/microseg:InventoryUnreadable.*not readable JSON/);
    const other = write('other.json', { Vpcs: [] });
    expect(() => inventoryEntries([other], { groupBy: 'tag:Name', zonesBy: 'subnet' })).toThrow(/microseg:InventoryUnreadable.*not a recognised inventory/);
  });
});

describe('Azure and GCP inventories', () => {
  const sub = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets';
  const asgId = (n: string) => `/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/${n}`;
  // `az network nic list` (the CLI's flattened objects)
  const nics = write('az-nics.json', [
    { name: 'vm1-nic', type: 'Microsoft.Network/networkInterfaces', tags: { app: 'Web', tier: 'front' }, virtualMachine: { id: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-web-1' },
      ipConfigurations: [{ name: 'ipconfig1', privateIPAddress: '10.1.1.4', subnet: { id: `${sub}/web` }, applicationSecurityGroups: [{ id: asgId('shop-frontend') }] }] },
    { name: 'vm2-nic', type: 'Microsoft.Network/networkInterfaces', virtualMachine: { id: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-db-1' },
      ipConfigurations: [{ name: 'ipconfig1', privateIpAddress: '10.1.2.4', subnet: { id: `${sub}/data` }, applicationSecurityGroups: [{ id: asgId('shop-db') }, { id: asgId('monitoring') }] }] },
  ]);
  // the REST API's shape (`properties`, `{ value: [...] }`) is read too
  const restNics = write('az-nics-rest.json', { value: [
    { name: 'vm3-nic', id: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm3-nic', type: 'Microsoft.Network/networkInterfaces',
      properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { privateIPAddress: '10.1.2.5', subnet: { id: `${sub}/data` }, applicationSecurityGroups: [{ id: asgId('shop-db') }] } }] } },
  ] });
  const asgs = write('az-asgs.json', [{ id: asgId('shop-frontend'), name: 'shop-frontend', type: 'Microsoft.Network/applicationSecurityGroups' }]);
  const azSubnets = write('az-subnets.json', [
    { id: `${sub}/web`, name: 'web', addressPrefix: '10.1.1.0/24', type: 'Microsoft.Network/virtualNetworks/subnets' },
    { id: `${sub}/data`, name: 'data', addressPrefixes: ['10.1.2.0/24', 'fd00:1::/64'], type: 'Microsoft.Network/virtualNetworks/subnets' },
  ]);
  // `gcloud compute instances list --format=json` and `gcloud compute networks subnets list --format=json`
  const link = 'https://www.googleapis.com/compute/v1/projects/p1/regions/europe-west1/subnetworks';
  const instances = write('gce-instances.json', [
    { kind: 'compute#instance', name: 'web-1', labels: { app: 'web', tier: 'front' }, tags: { items: ['http-server', 'shop-frontend'] },
      networkInterfaces: [{ networkIP: '10.2.1.2', subnetwork: `${link}/web`, aliasIpRanges: [{ ipCidrRange: '10.4.0.0/24' }] }] },
    { kind: 'compute#instance', name: 'db-1', tags: { items: ['shop-db'] }, networkInterfaces: [{ networkIP: '10.2.2.2', subnetwork: `${link}/data` }] },
  ]);
  const gceSubnets = write('gce-subnets.json', [
    { kind: 'compute#subnetwork', name: 'web', ipCidrRange: '10.2.1.0/24', selfLink: `${link}/web`, secondaryIpRanges: [{ rangeName: 'pods', ipCidrRange: '10.4.0.0/14' }] },
    { kind: 'compute#subnetwork', name: 'data', ipCidrRange: '10.2.2.0/24', selfLink: `${link}/data` },
  ]);
  const resolve = (files: string[], groupBy: string, zonesBy = 'subnet') => {
    const map = new IdentityMap(inventoryEntries(files, { groupBy, zonesBy }));
    return (a: string) => { const r = map.resolve(a); return [r.identity, r.zone ?? null]; };
  };

  it('Azure: workloads by ASG (prefix stripped), NIC tag or VM name; zones by subnet name with its prefixes', () => {
    const byAsg = resolve([nics, restNics, asgs, azSubnets], 'asg:shop-');
    expect(byAsg('10.1.1.4')).toEqual(['workload:frontend', 'web']);
    expect(byAsg('10.1.2.4')).toEqual(['workload:db', 'data']);
    expect(byAsg('10.1.2.5')).toEqual(['workload:db', 'data']);
    expect(byAsg('10.1.2.99')).toEqual(['ipv4:10.1.2.99', 'data']);
    expect(byAsg('fd00:1::9')).toEqual(['ipv6:fd00:1::9', 'data']);
    expect(resolve([nics], 'asg')('10.1.2.4')).toEqual(['workload:monitoring', 'data']);
    expect(resolve([nics], 'tag:app')('10.1.1.4')).toEqual(['workload:web', 'web']);
    expect(resolve([nics], 'tag:Name')('10.1.2.4')).toEqual(['workload:vm-db-1', 'data']);
    expect(resolve([nics], 'tag:app', 'tag:tier')('10.1.1.4')).toEqual(['workload:web', 'front']);
  });

  it('GCP: workloads by network tag (prefix stripped), label or instance name; zones by subnetwork with secondary ranges', () => {
    const byTag = resolve([instances, gceSubnets], 'network-tag:shop-');
    expect(byTag('10.2.1.2')).toEqual(['workload:frontend', 'web']);
    expect(byTag('10.4.0.7')).toEqual(['workload:frontend', 'web']);
    expect(byTag('10.2.2.2')).toEqual(['workload:db', 'data']);
    expect(byTag('10.5.0.1')).toEqual(['ipv4:10.5.0.1', 'web']);
    expect(resolve([instances], 'tag:app')('10.2.1.2')).toEqual(['workload:web', 'web']);
    expect(resolve([instances], 'tag:Name')('10.2.2.2')).toEqual(['workload:db-1', 'data']);
    expect(resolve([instances], 'network-tag')('10.2.1.2')).toEqual(['workload:http-server', 'web']);
    expect(resolve([instances], 'tag:app', 'tag:tier')('10.2.1.2')).toEqual(['workload:web', 'front']);
  });

  it('unsupported grouping options are coded errors', () => {
    expect(() => inventoryEntries([nics], { groupBy: 'label', zonesBy: 'subnet' })).toThrow(/microseg:InvalidOption.*--group-by/);
    expect(() => inventoryEntries([nics], { groupBy: 'asg', zonesBy: 'vnet' })).toThrow(/microseg:InvalidOption.*--zones-by/);
  });
});

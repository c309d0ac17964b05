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

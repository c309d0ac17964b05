/** `--from-file`: the published sample outputs of the cloud CLIs/APIs parse into canonical rules. */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { Cloud } from '../../src';
import { computeDrift } from '../../src/audit/drift';
import { fromIpPermissions, fromNetworkAcl, fromSecurityGroupRule } from '../../src/audit/readers/aws-convert';
import { fromNsg } from '../../src/audit/readers/azure-convert';
import { fromFirewall } from '../../src/audit/readers/gcp-convert';
import { nsgsOf, parseLenientJson, readFromFiles } from '../../src/audit/readers/from-file';
import { runAudit } from '../../src/audit/run';
import { shopManifest } from './fixtures';
import { tmpDir, writeManifestFile } from './helpers';

const SAMPLES = path.join(__dirname, '..', 'fixtures', 'samples');
const sample = (p: string) => path.join(SAMPLES, p);
const read = (p: string): any => parseLenientJson(fs.readFileSync(sample(p), 'utf8'));

describe('AWS CLI samples', () => {
  it('describe-security-groups (as published, with its trailing comma) parses into canonical rules', () => {
    const doc = read('aws/describe-security-groups.output1.as-published.json');
    const sg = doc.SecurityGroups[0];
    const rules = fromIpPermissions(sg, new Map([[sg.GroupId, sg.GroupName]]));
    expect(rules).toEqual([
      { container: 'sg:MySecurityGroup', direction: 'ingress', action: 'allow', protocol: 'all', ports: '*', peer: 'sg:MySecurityGroup', id: 'sg-903004f8' },
      { container: 'sg:MySecurityGroup', direction: 'ingress', action: 'allow', protocol: 'tcp', ports: '22', peer: 'cidr:203.0.113.0/24', id: 'sg-903004f8' },
      { container: 'sg:MySecurityGroup', direction: 'egress', action: 'allow', protocol: 'all', ports: '*', peer: 'cidr:0.0.0.0/0', id: 'sg-903004f8' },
    ]);
  });

  it('describe-security-group-rules parses (self reference, IPv4 and IPv6 egress)', () => {
    const doc = read('aws/describe-security-group-rules.output1.json');
    const names = new Map([['sg-1234567890abcdef0', 'web']]);
    expect(doc.SecurityGroupRules.map((r: any) => fromSecurityGroupRule(r, 'sg:web', names))).toEqual([
      { container: 'sg:web', direction: 'ingress', action: 'allow', protocol: 'all', ports: '*', peer: 'sg:web', id: 'sg-1234567890abcdef0/sgr-abcdef01234567890' },
      { container: 'sg:web', direction: 'egress', action: 'allow', protocol: 'all', ports: '*', peer: 'cidr:::/0', id: 'sg-1234567890abcdef0/sgr-bcdef01234567890a' },
      { container: 'sg:web', direction: 'egress', action: 'allow', protocol: 'all', ports: '*', peer: 'cidr:0.0.0.0/0', id: 'sg-1234567890abcdef0/sgr-cdef01234567890ab' },
    ]);
  });

  it('describe-network-acls parses; the default * entries (32767, 32768) are not listed', () => {
    const doc = read('aws/describe-network-acls.output1.json');
    const rules = doc.NetworkAcls.flatMap((a: any) => fromNetworkAcl(a));
    expect(rules).toHaveLength(6);
    expect(rules).toContainEqual({ container: 'nacl:acl-0e2a78e4e2EXAMPLE', direction: 'ingress', action: 'allow', protocol: 'all', ports: '*', peer: 'cidr:::/0', priority: 101, id: 'acl-0e2a78e4e2EXAMPLE#ingress/101' });
    expect(rules.every((r: any) => r.priority < 32767)).toBe(true);
  });

  it('readFromFiles keeps only the segmentation\'s tagged groups and rejects --query projections', () => {
    const dir = tmpDir();
    const doc = read('aws/describe-security-groups.output1.as-published.json');
    doc.SecurityGroups.push({ ...doc.SecurityGroups[0], GroupId: 'sg-0tagged', Tags: [{ Key: 'microseg:segmentation', Value: 'shop' }, { Key: 'microseg:group', Value: 'frontend' }] });
    fs.writeFileSync(path.join(dir, 'sgs.json'), JSON.stringify(doc));
    const live = readFromFiles([path.join(dir, 'sgs.json'), sample('aws/describe-security-groups.output2.json')], { cloud: Cloud.AWS, segmentation: 'shop' });
    expect(live.rules.map(r => r.container)).toEqual(['sg:frontend', 'sg:frontend', 'sg:frontend']);
    expect(live.notes[0]).toMatch(/1 security group\(s\) .* do not carry microseg:segmentation=shop/);
    expect(live.errors).toHaveLength(1);
    expect(live.errors[0]).toMatch(/describe-security-groups\.output2\.json: not an `aws ec2 describe-security-groups`.*--query projections cannot be audited/);
  });

  it('an audit from saved files with an unreadable file is incomplete (exit 2)', async () => {
    const file = writeManifestFile(shopManifest());
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'broken.json'), '{ "SecurityGroups": [');
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AWS, fromFiles: [path.join(dir, 'broken.json')] });
    expect(out.exitCode).toBe(2);
    expect(out.errors[0]).toMatch(/broken\.json: cannot be read as JSON/);
  });
});

describe('Azure samples', () => {
  it('NetworkSecurityGroupGet (ARM example) parses; default rules are not the NSG\'s own', () => {
    const nsgs = nsgsOf(read('azure/NetworkSecurityGroupGet.2024-05-01.json'))!;
    expect(nsgs).toHaveLength(1);
    const { rules } = fromNsg(nsgs[0]);
    expect(rules).toEqual([{
      container: 'nsg:testnsg', direction: 'ingress', action: 'allow', protocol: 'all', ports: '80', peer: '*', target: '*', priority: 130, name: 'rule1',
      id: '/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg/securityRules/rule1',
    }]);
    // '*' source: internet-wide; port 80 is not an admin port: high
    const [f] = computeDrift([], rules, [], { cloud: Cloud.AZURE });
    expect(f).toMatchObject({ kind: 'unexpected', severity: 'high' });
  });

  it('az network nsg show (flattened) gives the same rules as the ARM shape', () => {
    const arm = nsgsOf(read('azure/NetworkSecurityGroupGet.2024-05-01.json'))![0] as any;
    const flat = { name: arm.name, id: arm.id, securityRules: arm.properties.securityRules.map((r: any) => ({ name: r.name, id: r.id, ...r.properties })) };
    expect(fromNsg(flat).rules).toEqual(fromNsg(arm).rules);
  });

  it('readFromFiles: a list of ASGs is no NSG or NIC output: both are named as missing', () => {
    const live = readFromFiles([sample('azure/ApplicationSecurityGroupList.2024-05-01.json')], { cloud: Cloud.AZURE, segmentation: 'shop', declares: { nsgs: true, asgs: true } });
    expect(live.errors).toHaveLength(2);
    expect(live.errors[0]).toMatch(/the saved view has no `az network nsg list --resource-group <group>` output/);
    expect(live.errors[1]).toMatch(/the saved view has no `az network nic list --resource-group <group>` output/);
  });
});

describe('GCP samples', () => {
  it('firewalls.list pages parse into canonical rules (ports, protocols, sources)', () => {
    const items = [...read('gcp/forseti-firewalls_list_page1.json').items, ...read('gcp/forseti-firewalls_list_page2.json').items];
    const rules = items.flatMap((f: any) => fromFirewall(f));
    expect(rules).toContainEqual({ container: 'network:default1', direction: 'ingress', action: 'allow', protocol: 'tcp', ports: '3389', peer: 'cidr:0.0.0.0/0', target: '*', priority: 1000, name: 'default-allow-rdp' });
    expect(rules).toContainEqual({ container: 'network:default1', direction: 'ingress', action: 'allow', protocol: 'udp', ports: '1-65535', peer: 'cidr:10.0.0.0/8', target: '*', priority: 1000, name: 'default-allow-internal' });
    expect(rules).toHaveLength(6);
    const findings = computeDrift([], rules, [], { cloud: Cloud.GCP });
    expect(findings.map(f => `${f.severity} ${f.live!.name}`)).toEqual([
      'critical default-allow-ssh', 'critical default-allow-rdp', 'high default-allow-icmp',
      'medium default-allow-internal', 'medium default-allow-internal', 'medium default-allow-internal',
    ]);
  });

  it('an audit from a gcloud list output compares the manifest\'s network only', async () => {
    const m = shopManifest();
    const file = writeManifestFile(m);
    const dir = tmpDir();
    const items = read('gcp/forseti-firewalls_list_page1.json').items;
    fs.writeFileSync(path.join(dir, 'fw.json'), JSON.stringify(items));
    const out = await runAudit({ manifestFile: file, cloud: Cloud.GCP, fromFiles: [path.join(dir, 'fw.json')] });
    // the samples are on network default1; the manifest's network is prod: everything declared is missing
    expect(out.notes[0]).toMatch(/2 firewall rule\(s\) .* belong to other networks/);
    // and nothing declared passes any more (the declared flows are blocked), while egress, without
    // the deny-all rule, is open to everything (GCP's implied egress allow)
    expect(new Set(out.findings.map(f => f.kind))).toEqual(new Set(['missing', 'blocked', 'opened']));
    expect(out.findings.filter(f => f.kind === 'opened').map(f => f.container)).toEqual(expect.arrayContaining(['workload:db -> ipv4:0.0.0.0/0']));
    expect(out.findings.filter(f => f.kind === 'blocked').map(f => f.container)).toEqual(expect.arrayContaining(['workload:api -> workload:db', 'workload:frontend -> workload:api']));
    expect(out.exitCode).toBe(1);
  });
});

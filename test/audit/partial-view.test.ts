/**
 * `--from-file` with a saved view that does not cover what the audit needs is exit 2 naming the
 * missing CLI output, never "no drift" (exit 0) and never "everything missing" (exit 1). The
 * complete views of the same states are the controls (exit 0).
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/run';
import { Manifest } from '../../src/ir/manifest';
import { shopManifest } from './fixtures';
import { tmpDir, writeManifestFile } from './helpers';
import { Ec2State, ec2StateFromManifest } from '../support/servers/aws-ec2-server';
import { armStateFromManifest } from '../support/servers/azure-arm-server';
import { gcpStateFromManifest } from '../support/servers/gcp-compute-server';

const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));

/** The state as `aws ec2 describe-*` prints it (JSON output). */
function awsCliOutputs(s: Ec2State): Record<string, unknown> {
  const perm = (r: Ec2State['rules'][number]) => ({
    IpProtocol: r.ipProtocol, ...(r.ipProtocol === '-1' ? {} : { FromPort: r.fromPort, ToPort: r.toPort }),
    IpRanges: r.cidrIpv4 ? [{ CidrIp: r.cidrIpv4 }] : [], Ipv6Ranges: r.cidrIpv6 ? [{ CidrIpv6: r.cidrIpv6 }] : [],
    PrefixListIds: r.prefixListId ? [{ PrefixListId: r.prefixListId }] : [], UserIdGroupPairs: r.referencedGroupId ? [{ GroupId: r.referencedGroupId }] : [],
  });
  return {
    'describe-security-groups': { SecurityGroups: s.securityGroups.map(g => ({
      GroupId: g.groupId, GroupName: g.groupName, VpcId: g.vpcId, Tags: tags(g.tags),
      IpPermissions: s.rules.filter(r => r.groupId === g.groupId && !r.isEgress).map(perm),
      IpPermissionsEgress: s.rules.filter(r => r.groupId === g.groupId && r.isEgress).map(perm),
    })) },
    'describe-network-acls': { NetworkAcls: s.networkAcls.map(a => ({
      NetworkAclId: a.networkAclId, VpcId: a.vpcId, Tags: tags(a.tags),
      Associations: (a.associations ?? []).map(SubnetId => ({ NetworkAclId: a.networkAclId, SubnetId })),
      Entries: a.entries.map(e => ({
        RuleNumber: e.ruleNumber, Protocol: e.protocol, RuleAction: e.ruleAction, Egress: e.egress, CidrBlock: e.cidrBlock, Ipv6CidrBlock: e.ipv6CidrBlock,
        ...(e.icmp ? { IcmpTypeCode: { Type: e.icmp.type, Code: e.icmp.code } } : {}), ...(e.portRange ? { PortRange: { From: e.portRange.from, To: e.portRange.to } } : {}),
      })),
    })) },
    'describe-network-interfaces': { NetworkInterfaces: s.networkInterfaces.map(e => ({ NetworkInterfaceId: e.networkInterfaceId, Groups: e.groupIds.map(GroupId => ({ GroupId })) })) },
    'describe-subnets': { Subnets: (s.subnets ?? []).map(x => ({ SubnetId: x.subnetId, VpcId: x.vpcId, Tags: tags(x.tags) })) },
  };
}

function write(outputs: Record<string, unknown>, names: string[]): string[] {
  const dir = tmpDir();
  return names.map(n => {
    const f = path.join(dir, `${n}.json`);
    fs.writeFileSync(f, JSON.stringify(outputs[n]));
    return f;
  });
}

async function audit(m: Manifest, cloud: 'aws' | 'azure' | 'gcp', files: string[]) {
  const started = Date.now();
  const out = await runAudit({ manifestFile: writeManifestFile(m), cloud, fromFiles: files });
  // eslint-disable-next-line no-console
  console.log(`hostile: ${cloud} --from-file ${files.map(f => path.basename(f)).join(',')} -> exit ${out.exitCode} in ${Date.now() - started} ms`);
  return out;
}

describe('AWS saved views', () => {
  const m = shopManifest();
  const outputs = awsCliOutputs(ec2StateFromManifest(m));
  const all = ['describe-security-groups', 'describe-network-acls', 'describe-network-interfaces'];

  it('the complete view: no drift (control)', async () => {
    const out = await audit(m, 'aws', write(outputs, all));
    expect(out.errors).toEqual([]);
    expect(out.exitCode).toBe(0);
  });

  it.each([
    [['describe-security-groups'], ['describe-network-interfaces', 'describe-network-acls']],
    [['describe-network-interfaces'], ['describe-security-groups', 'describe-network-acls']],
    [['describe-network-acls'], ['describe-security-groups', 'describe-network-interfaces']],
    [['describe-security-groups', 'describe-network-acls'], ['describe-network-interfaces']],
  ])('only %j: exit 2 naming %j', async (given, missing) => {
    const out = await audit(m, 'aws', write(outputs, given));
    expect(out.exitCode).toBe(2);
    for (const cmd of missing) expect(out.errors.join('\n')).toContain(`\`aws ec2 ${cmd}`);
    expect(out.errors).toHaveLength(missing.length);
  });
});

describe('Azure saved views', () => {
  const m = shopManifest();
  const st = armStateFromManifest(m);
  const outputs = { nsgs: { value: st.networkSecurityGroups }, nics: st.networkInterfaces, asgs: st.applicationSecurityGroups };

  it('the complete view (az network nsg list, az network nic list): no drift (control)', async () => {
    const out = await audit(m, 'azure', write(outputs, ['nsgs', 'nics', 'asgs']));
    expect(out.errors).toEqual([]);
    expect(out.exitCode).toBe(0);
  });

  it.each([
    [['nsgs'], ['az network nic list']],
    [['nics'], ['az network nsg list']],
    [['asgs'], ['az network nsg list', 'az network nic list']],
  ])('only %j: exit 2 naming %j', async (given, missing) => {
    const out = await audit(m, 'azure', write(outputs, given));
    expect(out.exitCode).toBe(2);
    for (const cmd of missing) expect(out.errors.join('\n')).toContain(`\`${cmd}`);
  });
});

describe('GCP saved views', () => {
  const m = shopManifest();
  const outputs = { firewalls: gcpStateFromManifest(m).firewalls, nsgs: { value: armStateFromManifest(m).networkSecurityGroups } };

  it('the gcloud list: no drift (control)', async () => {
    const out = await audit(m, 'gcp', write(outputs, ['firewalls']));
    expect(out.exitCode).toBe(0);
  });

  it('another cloud\'s output instead of the firewall rules: exit 2 naming gcloud compute firewall-rules list', async () => {
    const out = await audit(m, 'gcp', write(outputs, ['nsgs']));
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toContain('`gcloud compute firewall-rules list --format=json`');
  });
});

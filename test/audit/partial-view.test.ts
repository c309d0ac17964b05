/**
 * `--from-file` with a saved view that does not cover what the audit needs is exit 2 naming the
 * missing CLI output, never "no drift" (exit 0) and never "everything missing" (exit 1). The
 * complete views of the same states are the controls (exit 0).
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { Cloud } from '../../src';
import { runAudit } from '../../src/audit/run';
import { Manifest } from '../../src/ir/manifest';
import { shopManifest } from './fixtures';
import { tmpDir, writeManifestFile } from './helpers';
import { awsCliOutputs, ec2StateFromManifest } from '../support/servers/aws-ec2-server';
import { armStateFromManifest } from '../support/servers/azure-arm-server';
import { gcpStateFromManifest } from '../support/servers/gcp-compute-server';

function write(outputs: Record<string, unknown>, names: string[]): string[] {
  const dir = tmpDir();
  return names.map(n => {
    const f = path.join(dir, `${n}.json`);
    fs.writeFileSync(f, JSON.stringify(outputs[n]));
    return f;
  });
}

async function audit(m: Manifest, cloud: Cloud, files: string[]) {
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
    const out = await audit(m, Cloud.AWS, write(outputs, all));
    expect(out.errors).toEqual([]);
    expect(out.exitCode).toBe(0);
  });

  it.each([
    [['describe-security-groups'], ['describe-network-interfaces', 'describe-network-acls']],
    [['describe-network-interfaces'], ['describe-security-groups', 'describe-network-acls']],
    [['describe-network-acls'], ['describe-security-groups', 'describe-network-interfaces']],
    [['describe-security-groups', 'describe-network-acls'], ['describe-network-interfaces']],
  ])('only %j: exit 2 naming %j', async (given, missing) => {
    const out = await audit(m, Cloud.AWS, write(outputs, given));
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
    const out = await audit(m, Cloud.AZURE, write(outputs, ['nsgs', 'nics', 'asgs']));
    expect(out.errors).toEqual([]);
    expect(out.exitCode).toBe(0);
  });

  it.each([
    [['nsgs'], ['az network nic list']],
    [['nics'], ['az network nsg list']],
    [['asgs'], ['az network nsg list', 'az network nic list']],
  ])('only %j: exit 2 naming %j', async (given, missing) => {
    const out = await audit(m, Cloud.AZURE, write(outputs, given));
    expect(out.exitCode).toBe(2);
    for (const cmd of missing) expect(out.errors.join('\n')).toContain(`\`${cmd}`);
  });
});

describe('GCP saved views', () => {
  const m = shopManifest();
  const outputs = { firewalls: gcpStateFromManifest(m).firewalls, nsgs: { value: armStateFromManifest(m).networkSecurityGroups } };

  it('the gcloud list: no drift (control)', async () => {
    const out = await audit(m, Cloud.GCP, write(outputs, ['firewalls']));
    expect(out.exitCode).toBe(0);
  });

  it('another cloud\'s output instead of the firewall rules: exit 2 naming gcloud compute firewall-rules list', async () => {
    const out = await audit(m, Cloud.GCP, write(outputs, ['nsgs']));
    expect(out.exitCode).toBe(2);
    expect(out.errors.join('\n')).toContain('`gcloud compute firewall-rules list --format=json`');
  });
});

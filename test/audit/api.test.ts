/** The jsii API of the `audit` submodule: DriftAudit.run / compare / render with plain structs. */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { AuditCloud, DriftAudit, DriftKind, DriftSeverity, ReportFormat } from '../../src/audit';
import { firewallsOf } from '../support/servers/gcp-compute-server';
import { shopManifest } from './fixtures';
import { tmpDir, writeManifestFile } from './helpers';

describe('DriftAudit (jsii API)', () => {
  it('runs from saved files and renders every format from the plain result', async () => {
    const m = shopManifest();
    const file = writeManifestFile(m);
    const dir = tmpDir();
    // gcloud output: the declared rules minus one, plus internet-wide SSH
    const firewalls = firewallsOf('shop-prod', m.clouds.gcp!.expected).filter((f: any) => f.name !== 'shop-in-2');
    firewalls.push({ name: 'ssh', network: 'projects/shop-prod/global/networks/prod', direction: 'INGRESS', priority: 1000, sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] });
    fs.writeFileSync(path.join(dir, 'fw.json'), JSON.stringify(firewalls));
    const result = await DriftAudit.run({ manifestFile: file, cloud: AuditCloud.GCP, fromFiles: [path.join(dir, 'fw.json')], now: '2026-11-21T00:00:00Z' });
    expect(result.exitCode).toBe(1);
    expect(result.complete).toBe(true);
    expect(result.findings.map(f => [f.kind, f.severity])).toEqual([[DriftKind.UNEXPECTED, DriftSeverity.CRITICAL], [DriftKind.MISSING, DriftSeverity.LOW]]);
    // plain data: survives a JSON round trip (as across jsii languages)
    const copy = JSON.parse(JSON.stringify(result));
    const json = JSON.parse(DriftAudit.render(copy, ReportFormat.JSON));
    expect(json.summary.findings).toBe(2);
    const sarif = JSON.parse(DriftAudit.render(copy, ReportFormat.SARIF, { baseDir: path.dirname(file) }));
    expect(sarif.runs[0].results).toHaveLength(2);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('shop.microseg.json');
    expect(DriftAudit.render(copy, ReportFormat.JUNIT)).toMatch(/<testsuites name="microseg audit" tests="\d+" failures="1"/);
    expect(DriftAudit.render(copy, ReportFormat.MARKDOWN)).toMatch(/❌ \*\*Drift found\*\*/);
    expect(DriftAudit.render(copy, ReportFormat.TABLE)).toMatch(/DRIFT: 2 finding\(s\) \(1 critical, 1 low\)/);
  });

  it('asks for the region when neither the manifest nor the environment has one', async () => {
    const m = shopManifest();
    const noRegion = { ...m, clouds: { ...m.clouds, aws: { ...m.clouds.aws!, settings: { region: '' } } } };
    const saved = [process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION];
    delete process.env.AWS_REGION; delete process.env.AWS_DEFAULT_REGION;
    try {
      await expect(DriftAudit.run({ manifestFile: writeManifestFile(noRegion), cloud: AuditCloud.AWS })).rejects.toThrow(/microseg:ManifestInvalid.*AWS region.*Pass --region/);
    } finally {
      if (saved[0] !== undefined) process.env.AWS_REGION = saved[0];
      if (saved[1] !== undefined) process.env.AWS_DEFAULT_REGION = saved[1];
    }
  });

  it('rejects an unusable manifest with a coded error', async () => {
    await expect(DriftAudit.run({ manifestFile: path.join(tmpDir(), 'none.json'), cloud: AuditCloud.AWS })).rejects.toThrow(/microseg:ManifestInvalid/);
  });
});

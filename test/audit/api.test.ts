/** The jsii API of the `audit` submodule: DriftAudit.run / compare / render with plain structs. */
import * as fs from 'fs';
import * as path from 'path';
import { register } from 'tsx/cjs/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditCloud, DriftAudit, DriftKind, DriftSeverity, ReportFormat } from '../../src/audit';
import { firewallsOf } from '../support/servers/gcp-compute-server';
import { shopManifest } from './fixtures';
import { tmpDir, writeManifestFile } from './helpers';

const MAIN = path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts');

afterEach(() => { vi.useRealTimers(); });

describe('DriftAudit (jsii API)', () => {
  it('API and CLI reports agree byte for byte in every format (one result type in and out)', async () => {
    // a fixed clock: the result's duration is then the same in both runs
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-21T10:00:00Z') });
    const m = shopManifest();
    const file = writeManifestFile(m);
    const dir = tmpDir();
    const firewalls = firewallsOf('shop-prod', m.clouds.gcp!.expected).filter((f: any) => f.name !== 'shop-in-2');
    firewalls.push({ name: 'ssh', network: 'projects/shop-prod/global/networks/prod', direction: 'INGRESS', priority: 1000, sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] });
    firewalls.push({ name: 'mon', network: 'projects/shop-prod/global/networks/prod', direction: 'INGRESS', priority: 900, sourceRanges: ['10.9.0.0/16'], allowed: [{ IPProtocol: 'tcp', ports: ['9100'] }] });
    const fw = path.join(dir, 'fw.json');
    fs.writeFileSync(fw, JSON.stringify(firewalls));
    const accept = 'unexpected network:prod|ingress|allow|tcp|9100|* ; 2026-12-31 ; monitoring, OPS-7';
    const unregister = register();
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { main } = require(MAIN) as typeof import('../../src/cli/main');
      for (const format of Object.values(ReportFormat)) {
        const out = path.join(dir, `report.${format}`);
        const sink = { write: () => true };
        const code = await main(['node', 'microseg', 'audit', '-m', file, '-c', 'gcp', '--from-file', fw, '--accept', accept, '-f', format, '-o', out], { stdout: sink, stderr: sink, env: {} });
        const result = await DriftAudit.run({ manifestFile: file, cloud: AuditCloud.GCP, fromFiles: [fw], accept: [accept] });
        expect(code).toBe(result.exitCode);
        expect(DriftAudit.render(JSON.parse(JSON.stringify(result)), format)).toBe(fs.readFileSync(out, 'utf8'));
      }
    } finally {
      unregister();
    }
    const junit = fs.readFileSync(path.join(dir, 'report.junit'), 'utf8');
    // one test case for reading, one per container read, one per accepted finding (the API used to drop the containers)
    expect(junit).toMatch(/<testsuites name="microseg audit" tests="3"/);
    expect(junit).toMatch(/<testcase classname="microseg\.shop\.gcp" name="network:prod">/);
    expect(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')).toMatch(/"accepted": \[/);
  });

  it('failOn: findings less severe than the threshold are reported with exit code 0', async () => {
    const m = shopManifest();
    const file = writeManifestFile(m);
    const dir = tmpDir();
    const firewalls = firewallsOf('shop-prod', m.clouds.gcp!.expected);
    firewalls.push({ name: 'mon', network: 'projects/shop-prod/global/networks/prod', direction: 'INGRESS', priority: 900, sourceRanges: ['10.9.0.0/16'], allowed: [{ IPProtocol: 'tcp', ports: ['9100'] }] });
    fs.writeFileSync(path.join(dir, 'fw.json'), JSON.stringify(firewalls));
    const run = (failOn?: DriftSeverity) => DriftAudit.run({ manifestFile: file, cloud: AuditCloud.GCP, fromFiles: [path.join(dir, 'fw.json')], failOn });
    const [all, high, medium] = [await run(), await run(DriftSeverity.HIGH), await run(DriftSeverity.MEDIUM)];
    expect(all.findings.map(f => f.severity)).toEqual([DriftSeverity.MEDIUM]);
    expect([all.exitCode, high.exitCode, medium.exitCode]).toEqual([1, 0, 1]);
    expect(DriftAudit.render(high, ReportFormat.TABLE)).toMatch(/Drift below the --fail-on severity: 1 finding\(s\) \(1 medium\); exit 0\./);
  });

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

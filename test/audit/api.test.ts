/** The jsii API of the `audit` submodule: DriftAudit.run / compare / render with plain structs. */
import * as fs from 'fs';
import * as path from 'path';
import { register } from 'tsx/cjs/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cloud } from '../../src';
import { DriftAudit, DriftKind, DriftSeverity, ReportFormat } from '../../src/audit';
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
        const result = await DriftAudit.run({ manifestFile: file, cloud: Cloud.GCP, fromFiles: [fw], accept: [accept] });
        expect(code).toBe(result.exitCode);
        expect(DriftAudit.render(JSON.parse(JSON.stringify(result)), format)).toBe(fs.readFileSync(out, 'utf8'));
      }
    } finally {
      unregister();
    }
    const junit = fs.readFileSync(path.join(dir, 'report.junit'), 'utf8');
    // one test case for reading, one per container read, one per end pair with semantic drift (ssh from
    // anywhere to each workload, api -> db blocked), one per accepted finding (the API used to drop the
    // containers); the accepted monitoring rule's consequences are accepted with it
    expect(junit).toMatch(/<testsuites name="microseg audit" tests="7"/);
    expect(junit).toMatch(/<testcase classname="microseg\.shop\.gcp" name="ipv4:0\.0\.0\.0\/0 -&gt; workload:db"><failure/);
    expect(junit).not.toMatch(/10\.9\.0\.0/);
    expect(junit).toMatch(/<testcase classname="microseg\.shop\.gcp" name="network:prod">/);
    expect(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')).toMatch(/"accepted": \[/);
  });

  it('failOn: findings less severe than the threshold are reported with exit code 0', async () => {
    const m = shopManifest();
    const file = writeManifestFile(m);
    const dir = tmpDir();
    const firewalls = firewallsOf('shop-prod', m.clouds.gcp!.expected);
    // a medium finding with no semantic consequence: it targets a tag no workload carries
    firewalls.push({ name: 'mon', network: 'projects/shop-prod/global/networks/prod', direction: 'INGRESS', priority: 900, sourceRanges: ['10.9.0.0/16'], targetTags: ['metrics'], allowed: [{ IPProtocol: 'tcp', ports: ['9100'] }] });
    fs.writeFileSync(path.join(dir, 'fw.json'), JSON.stringify(firewalls));
    const run = (failOn?: DriftSeverity) => DriftAudit.run({ manifestFile: file, cloud: Cloud.GCP, fromFiles: [path.join(dir, 'fw.json')], failOn });
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
    const result = await DriftAudit.run({ manifestFile: file, cloud: Cloud.GCP, fromFiles: [path.join(dir, 'fw.json')], now: '2026-11-21T00:00:00Z' });
    expect(result.exitCode).toBe(1);
    expect(result.complete).toBe(true);
    // the rules, and what they mean: SSH from anywhere reaches every workload, api no longer reaches db
    expect(result.findings.map(f => [f.kind, f.severity, f.container])).toEqual([
      [DriftKind.OPENED, DriftSeverity.CRITICAL, 'ipv4:0.0.0.0/0 -> workload:api'],
      [DriftKind.OPENED, DriftSeverity.CRITICAL, 'ipv4:0.0.0.0/0 -> workload:db'],
      [DriftKind.OPENED, DriftSeverity.CRITICAL, 'ipv4:0.0.0.0/0 -> workload:frontend'],
      [DriftKind.UNEXPECTED, DriftSeverity.CRITICAL, 'network:prod'],
      [DriftKind.BLOCKED, DriftSeverity.HIGH, 'workload:api -> workload:db'],
      [DriftKind.MISSING, DriftSeverity.LOW, 'network:prod'],
    ]);
    expect(result.packetsEvaluated).toBeGreaterThan(0);
    // plain data: survives a JSON round trip (as across jsii languages)
    const copy = JSON.parse(JSON.stringify(result));
    const json = JSON.parse(DriftAudit.render(copy, ReportFormat.JSON));
    expect(json.summary.findings).toBe(6);
    expect(json.summary.byKind).toMatchObject({ opened: 3, blocked: 1, unexpected: 1, missing: 1 });
    expect(json.findings[1].reachability).toEqual({
      from: 'ipv4:0.0.0.0/0', to: 'workload:db', protocol: 'tcp', ports: '22', sampleAddresses: ['0.0.0.1', '-'],
      modelAllows: false, declaredAllows: false, liveAllows: true,
    });
    const sarif = JSON.parse(DriftAudit.render(copy, ReportFormat.SARIF, { baseDir: path.dirname(file) }));
    expect(sarif.runs[0].results).toHaveLength(6);
    expect(sarif.runs[0].results[1]).toMatchObject({ ruleId: 'microseg/opened-path', level: 'error', properties: { kind: 'opened', reachability: { to: 'workload:db' } } });
    expect(sarif.runs[0].results[4]).toMatchObject({ ruleId: 'microseg/blocked-path', properties: { reachability: { flows: ['Shop/Data/Db/From-workload:api-tcp:5432'] } } });
    expect(sarif.runs[0].tool.driver.rules.map((r: any) => r.id)).toEqual(expect.arrayContaining(['microseg/opened-path', 'microseg/blocked-path']));
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('shop.microseg.json');
    expect(DriftAudit.render(copy, ReportFormat.JUNIT)).toMatch(/<testsuites name="microseg audit" tests="\d+" failures="5"/);
    const markdown = DriftAudit.render(copy, ReportFormat.MARKDOWN);
    expect(markdown).toMatch(/❌ \*\*Drift found\*\*/);
    expect(markdown).toContain('| 🟥 critical | opened | `ipv4:0.0.0.0/0 -> workload:db` | ipv4:0.0.0.0/0 (0.0.0.1) -> workload:db tcp 22: live allows, declared block, model forbids |');
    const table = DriftAudit.render(copy, ReportFormat.TABLE);
    expect(table).toMatch(/DRIFT: 6 finding\(s\) \(4 critical, 1 high, 1 low\)/);
    expect(table).toMatch(/blocked/);
  });

  it('asks for the region when neither the manifest nor the environment has one', async () => {
    const m = shopManifest();
    const noRegion = { ...m, clouds: { ...m.clouds, aws: { ...m.clouds.aws!, settings: { region: '' } } } };
    const saved = [process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION];
    delete process.env.AWS_REGION; delete process.env.AWS_DEFAULT_REGION;
    try {
      await expect(DriftAudit.run({ manifestFile: writeManifestFile(noRegion), cloud: Cloud.AWS })).rejects.toThrow(/microseg:ManifestInvalid.*AWS region.*Pass --region/);
    } finally {
      if (saved[0] !== undefined) process.env.AWS_REGION = saved[0];
      if (saved[1] !== undefined) process.env.AWS_DEFAULT_REGION = saved[1];
    }
  });

  it('rejects an unusable manifest with a coded error', async () => {
    await expect(DriftAudit.run({ manifestFile: path.join(tmpDir(), 'none.json'), cloud: Cloud.AWS })).rejects.toThrow(/microseg:ManifestInvalid/);
  });
});

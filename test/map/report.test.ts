/**
 * The report's invariants: verdicts computed on the policy (from a model or from its manifest),
 * a broken one with the path that breaks it; a model without invariants says so.
 */
import { describe, expect, it } from 'vitest';
import { AllowFlow, NeverReach, MustReach, Peer, Port, Segmentation } from '../../src';
import { compile } from '../../src/ir/compile';
import { buildManifest } from '../../src/ir/manifest';
import { ReportFormat, SegmentationReport } from '../../src/map';
import { buildReport } from '../../src/map/report';
import { policyOfManifest } from '../../src/ir/manifest-policy';

function model(): Segmentation {
  const seg = Segmentation.root('Bank', { name: 'bank' });
  const web = seg.addZone('Web', { name: 'web' }).addWorkload('Frontend', { name: 'frontend' });
  const api = seg.addZone('App', { name: 'app' }).addWorkload('Api', { name: 'api' });
  const vault = seg.addZone('Pci', { name: 'pci' }).addWorkload('Vault', { name: 'vault' });
  new AllowFlow(seg, 'Public', { from: Peer.anyIpv4(), to: web, ports: [Port.tcp(443)] });
  new AllowFlow(seg, 'WebToApi', { from: web, to: api, ports: [Port.tcp(8080)], owner: 'web' });
  new AllowFlow(seg, 'ApiToVault', { from: api, to: vault, ports: [Port.tcp(8200)], owner: 'pci' });
  new NeverReach(seg, 'NoInternetToVault', { from: Peer.anyIpv4(), to: vault, maxHops: 3, owner: 'security' });
  new MustReach(seg, 'ApiReachesVault', { from: api, to: vault, ports: [Port.tcp(8200)] });
  return seg;
}

describe('report: invariants', () => {
  it('a broken NeverReach is reported with its path, hop by hop; the others hold', () => {
    const r = SegmentationReport.of({ segmentation: model() });
    expect(r.invariants.map(i => [i.name, i.kind, i.holds])).toEqual([
      ['Bank/ApiReachesVault', 'MUST_REACH', true],
      ['Bank/NoInternetToVault', 'NEVER_REACH', false],
    ]);
    expect(r.invariants[1].detail).toBe('0.0.0.0/0 -[tcp:443 by Bank/Public]-> frontend -[tcp:8080 by Bank/WebToApi]-> api -[tcp:8200 by Bank/ApiToVault]-> vault');
    const md = SegmentationReport.render(r, ReportFormat.MARKDOWN);
    expect(md).toContain('| invariants | 1 of 2 hold |');
    expect(md).toContain('| Bank/NoInternetToVault | NEVER_REACH | **broken** | security |');
  });

  it('the manifest gives the same verdicts as the model', () => {
    const policy = compile(model());
    const fromManifest = policyOfManifest(JSON.parse(JSON.stringify(buildManifest(policy))), 'bank.microseg.json');
    const now = new Date('2026-11-30T00:00:00Z');
    const a = buildReport({ policy, now }, 30);
    const b = buildReport({ policy: fromManifest, now }, 30);
    expect(b.invariants).toEqual(a.invariants);
    expect(b.invariants).toHaveLength(2);
  });

  it('no invariants: an empty list and "No invariants declared."', () => {
    const seg = Segmentation.root('Tiny', { name: 'tiny' });
    seg.addZone('A', { name: 'a' }).addWorkload('W', { name: 'w' });
    const r = SegmentationReport.of({ segmentation: seg });
    expect(r.invariants).toEqual([]);
    expect(SegmentationReport.render(r, ReportFormat.MARKDOWN)).toContain('No invariants declared.');
  });
});

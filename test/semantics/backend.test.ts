/**
 * Every backend speaks the one backend interface (`ISegmentationBackend`): its cloud, the
 * identity a member must carry, its manifest section and its rendered plan are exactly what it
 * writes into the manifest at synth.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { buildApp as buildK8sApp } from '../../examples/k8s/main';
import { buildApp as buildTfApp, shop } from '../../examples/multi-cloud/main';
import { orders, web } from '../../examples/multi-cloud/model';
import { Cloud, ISegmentationBackend, RuleAction, RuleDirection, Workload } from '../../src';
import { AzureSegmentation } from '../../src/azure';
import { GcpSegmentation } from '../../src/gcp';
import { canonicalRuleKey, Manifest, manifestFileName } from '../../src/ir';
import { KubernetesSegmentation } from '../../src/k8s';

function backendsOf(app: { node: { findAll(): unknown[] } }): ISegmentationBackend[] {
  return app.node.findAll().filter((c): c is ISegmentationBackend =>
    c instanceof AzureSegmentation || c instanceof GcpSegmentation || c instanceof KubernetesSegmentation);
}

function check(backends: ISegmentationBackend[], manifestFile: string, workloads: Workload[]): void {
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  for (const b of backends) {
    const written = manifest.clouds[b.cloud];
    expect(written, b.cloud).toBeDefined();
    // the section as written, the plan as its expected rules (in canonical order)
    expect(JSON.parse(JSON.stringify(b.manifestSection()))).toEqual(written);
    expect(b.plannedRules()).toEqual(b.manifestSection().expected);
    const keys = b.plannedRules().map(canonicalRuleKey);
    expect(keys).toEqual(keys.slice().sort());
    expect(b.plannedRules().length).toBeGreaterThan(0);
    for (const r of b.plannedRules()) {
      expect(Object.values(RuleDirection)).toContain(r.direction);
      expect(Object.values(RuleAction)).toContain(r.action);
    }
    // the identity a member must carry, for every workload placed on the backend; others are refused
    for (const w of workloads) {
      if (written!.identities[w.name]) {
        expect(b.memberIdentity(w)).toEqual(written!.identities[w.name]);
      } else {
        expect(() => b.memberIdentity(w), `${b.cloud} ${w.name}`).toThrow(/microseg:UnknownWorkload/);
      }
    }
  }
}

describe('ISegmentationBackend', () => {
  it('Azure and GCP (CDKTF): cloud, member identities, manifest section and plan are what synth writes', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-backend-'));
    const app = buildTfApp(outdir);
    const backends = backendsOf(app);
    expect(backends.map(b => b.cloud).sort()).toEqual([Cloud.AZURE, Cloud.GCP]);
    app.synth();
    const all = shop.node.findAll().filter((c): c is Workload => c instanceof Workload);
    check(backends, path.join(outdir, manifestFileName(shop.name)), all);
    const azure = backends.find(b => b.cloud === Cloud.AZURE)!;
    expect(azure.memberIdentity(orders)).toMatchObject({ asgName: expect.any(String), zone: 'api' });
    expect(() => azure.memberIdentity(web)).toThrow(/microseg:UnknownWorkload/);
    const gcp = backends.find(b => b.cloud === Cloud.GCP)!;
    expect(Object.keys(gcp.manifestSection().identities).length).toBeGreaterThan(0);
    expect(Object.values(gcp.manifestSection().identities).every(i => typeof i.networkTag === 'string')).toBe(true);
  });

  it('Kubernetes (cdk8s): cloud, member identities, manifest section and plan are what synth writes', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-backend-k8s-'));
    const app = buildK8sApp(outdir);
    const backends = backendsOf(app);
    expect(backends.map(b => b.cloud)).toEqual([Cloud.KUBERNETES]);
    app.synth();
    const seg = backends[0].segmentation;
    const all = seg.node.findAll().filter((c): c is Workload => c instanceof Workload);
    check(backends, path.join(outdir, manifestFileName(seg.name)), all);
    const some = all.find(w => backends[0].manifestSection().identities[w.name])!;
    expect(backends[0].memberIdentity(some)).toMatchObject({ namespace: expect.any(String), podLabels: expect.any(String) });
  });
});

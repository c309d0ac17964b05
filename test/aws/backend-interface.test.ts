/**
 * The AWS backend speaks the one backend interface (`ISegmentationBackend`): its cloud, the
 * identity a member must carry, its manifest section and its rendered plan are exactly what it
 * writes into the manifest at synth, whether asked after synth or before it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stage } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildAwsApp, shop } from '../../examples/multi-cloud/aws';
import { Cloud, ISegmentationBackend, Port, RuleAction, RuleDirection, Workload } from '../../src';
import { AwsSegmentation } from '../../src/aws';
import { canonicalRuleKey, Manifest, manifestFileName } from '../../src/ir';
import { setup } from './helpers';

function written(outdir: string, segmentation: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(outdir, manifestFileName(segmentation)), 'utf8')) as Manifest;
}

describe('AwsSegmentation as ISegmentationBackend', () => {
  it('cloud, member identities, manifest section and plan are what synth writes (multi-cloud shop, AWS zones and network ACL)', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-aws-backend-'));
    const app = buildAwsApp(outdir);
    const backend: ISegmentationBackend = app.node.findAll().find((c): c is AwsSegmentation => c instanceof AwsSegmentation)!;
    expect(backend.cloud).toBe(Cloud.AWS);
    app.synth();
    const section = written(outdir, shop.name).clouds.aws!;
    expect(JSON.parse(JSON.stringify(backend.manifestSection()))).toEqual(section);
    expect(backend.plannedRules()).toEqual(section.expected);
    const keys = backend.plannedRules().map(canonicalRuleKey);
    expect(keys).toEqual(keys.slice().sort());
    expect(backend.plannedRules().some(r => r.container.startsWith('nacl:'))).toBe(true);
    for (const r of backend.plannedRules()) {
      expect(Object.values(RuleDirection)).toContain(r.direction);
      expect(Object.values(RuleAction)).toContain(r.action);
    }
    const workloads = shop.node.findAll().filter((c): c is Workload => c instanceof Workload);
    const placed = workloads.filter(w => w.zone.name === 'frontend');
    expect(placed.length).toBeGreaterThan(0);
    for (const w of workloads) {
      if (placed.includes(w)) {
        const identity = backend.memberIdentity(w);
        expect(identity).toEqual(section.identities[w.name]);
        expect(identity.securityGroupNames.split(',')).toEqual([w.name, `zone.${w.zone.name}`, `src.${w.name}`]);
      } else {
        expect(() => backend.memberIdentity(w), w.name).toThrow(/microseg:UnknownWorkload/);
      }
    }
  });

  it('asked before synth, it renders once; synth then writes the same section', () => {
    const s = setup();
    s.api.allowFrom(s.frontend, Port.tcp(8080));
    s.postgres.allowFrom(s.api, Port.tcp(5432));
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc });
    const before = JSON.parse(JSON.stringify(backend.manifestSection()));
    expect(backend.memberIdentity(s.api)).toMatchObject({ securityGroupName: 'api', zone: 'app' });
    s.app.synth();
    expect(written(Stage.of(s.stack)!.outdir, s.seg.name).clouds.aws).toEqual(before);
    expect(backend.plannedRules().filter(r => r.container === 'sg:postgres' && r.direction === RuleDirection.INGRESS))
      .toEqual([expect.objectContaining({ protocol: 'tcp', ports: '5432', peer: 'sg:api' })]);
  });

  it('a model that cannot be rendered fails the same way every time it is asked', () => {
    const s = setup();
    const backend = new AwsSegmentation(s.stack, 'Aws', { segmentation: s.seg, vpc: s.vpc, maxRulesPerSecurityGroup: 1 });
    s.api.allowFrom(s.frontend, Port.tcp(80));
    s.api.allowFrom(s.frontend, Port.tcp(443));
    s.api.allowFrom(s.frontend, Port.udp(53));
    expect(() => backend.manifestSection()).toThrow(/microseg:QuotaExceeded/);
    expect(() => backend.plannedRules()).toThrow(/microseg:QuotaExceeded/);
  });
});

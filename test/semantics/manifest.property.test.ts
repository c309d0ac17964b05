/**
 * The canonical rules a backend records in the manifest (its plan, the audit's expected side)
 * mean exactly what it rendered: the semantic layer's evaluator on `clouds.<cloud>.expected`,
 * with the deployment the manifest records, answers every packet as the reader of the rendered
 * output (CloudFormation template, Terraform JSON) does.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planAzure } from '../../src/azure/plan';
import { gcpNetworkTag, planGcp } from '../../src/gcp/plan';
import { buildManifest, Cloud, Manifest, manifestFileName, Packet, withCloud } from '../../src/ir';
import { evaluatorFor } from '../../src/semantics';
import { terraformJson } from '../../src/terraform/util';
import { renderSpec } from '../aws/helpers';
import { AwsEvaluator } from '../support/aws-evaluator';
import { AzureNsgEvaluator } from '../support/azure-evaluator';
import { evalPacket, show, withoutIcmpTypes } from '../support/exactness';
import { GcpFirewallEvaluator } from '../support/gcp-evaluator';
import { compileOrRefuse, modelArb, packetArb } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

const PACKETS = 25;
const VNET = ['10.0.0.0/8'];
const arb = (icmpTypes: boolean) => modelArb().map(s => (icmpTypes ? s : withoutIcmpTypes(s)))
  .chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: PACKETS, maxLength: PACKETS })));

/** The packet with the addresses the Terraform readers give workloads (`w<i>-<j>` at 10.<i+1>.<j>.10). */
const addressed = (p: Packet): Packet => evalPacket(p) as unknown as Packet;

describe('the manifest\'s expected rules evaluate as the rendered output', () => {
  it('AWS: security groups and network ACLs', () => {
    const s = checkUntil(arb(true), ([spec, packets], tally) => {
      let r;
      try {
        r = renderSpec(spec, { nacls: true, props: { maxRulesPerSecurityGroup: 200, maxNaclEntriesPerDirection: 40 } });
      } catch (e) {
        expect(String(e)).toMatch(/microseg:(ShadowedFlow|QuotaExceeded)/);
        tally.refuse();
        return;
      }
      const policy = r.backend._policy!;
      const manifest = JSON.parse(fs.readFileSync(path.join(r.app.outdir, manifestFileName(policy.segmentation.name)), 'utf8')) as Manifest;
      const semantic = evaluatorFor(manifest, Cloud.AWS, manifest.clouds.aws!.expected)!;
      const rendered = new AwsEvaluator(r.template, r.backend, policy);
      for (const p of packets) {
        expect(semantic.allows(p), show(p)).toBe(rendered.allows(p));
        tally.add('packets');
        if (rendered.allows(p)) tally.add('allowed');
      }
    }, { until: { packets: 600, allowed: 20 }, batch: 10, maxRuns: 1_000 });
    expect(s.get('packets')).toBeGreaterThanOrEqual(600);
  }, 600_000);

  it('Azure: NSG rules', () => {
    const s = checkUntil(arb(false), ([spec, packets], tally) => {
      const policy = compileOrRefuse(spec, tally);
      if (!policy) return;
      const plan = planAzure(policy, { backendPath: 'Azure', resourceGroupName: 'rg', location: 'westeurope' });
      const manifest = withCloud(buildManifest(policy), Cloud.AZURE, plan.section);
      const semantic = evaluatorFor(manifest, Cloud.AZURE, manifest.clouds.azure!.expected, { virtualNetworkRanges: VNET })!;
      const rendered = new AzureNsgEvaluator(terraformJson(plan.resources), VNET);
      for (const p of packets) {
        const want = rendered.allows(evalPacket(p));
        expect(semantic.allows(addressed(p)), show(p)).toBe(want);
        tally.add('packets');
        if (want) tally.add('allowed');
      }
    }, { until: { packets: 1_500, allowed: 30 }, batch: 20, maxRuns: 2_000 });
    expect(s.get('packets')).toBeGreaterThanOrEqual(1_500);
  }, 600_000);

  for (const identity of ['NETWORK_TAG', 'SERVICE_ACCOUNT'] as const) {
    it(`GCP: firewall rules (${identity})`, () => {
      const s = checkUntil(arb(false), ([spec, packets], tally) => {
        const policy = compileOrRefuse(spec, tally);
        if (!policy) return;
        const sa = (w: string) => `${w}@p.iam.gserviceaccount.com`;
        const serviceAccounts = Object.fromEntries(policy.workloads.map(w => [w.name, sa(w.name)]));
        const plan = planGcp(policy, { backendPath: 'Gcp', network: 'vpc', identity, ...(identity === 'SERVICE_ACCOUNT' ? { serviceAccounts } : {}) });
        const manifest = withCloud(buildManifest(policy), Cloud.GCP, plan.section);
        const semantic = evaluatorFor(manifest, Cloud.GCP, manifest.clouds.gcp!.expected)!;
        const rendered = new GcpFirewallEvaluator(terraformJson(plan.resources), w => (identity === 'SERVICE_ACCOUNT' ? { tags: [], serviceAccount: sa(w) } : { tags: [gcpNetworkTag(policy.segmentation.name, w)] }));
        for (const p of packets) {
          const want = rendered.allows(evalPacket(p));
          expect(semantic.allows(addressed(p)), show(p)).toBe(want);
          tally.add('packets');
          if (want) tally.add('allowed');
        }
      }, { until: { packets: 1_500, allowed: 30 }, batch: 20, maxRuns: 2_000 });
      expect(s.get('packets')).toBeGreaterThanOrEqual(1_500);
    }, 600_000);
  }
});

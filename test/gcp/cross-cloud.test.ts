import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AzureTerraform } from '../../src/azure';
import { planAzure } from '../../src/azure/plan';
import { GcpTerraform } from '../../src/gcp';
import { gcpNetworkTag, planGcp } from '../../src/gcp/plan';
import { compile, IrPolicy, modelAllows, Packet, PacketEnd } from '../../src/ir';
import { terraformJson } from '../../src/terraform/util';
import { AzureNsgEvaluator } from '../support/azure-evaluator';
import { GcpFirewallEvaluator } from '../support/gcp-evaluator';
import { buildModel, ModelSpec, modelArb, packetArb, workloadAddress } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

function withoutIcmpTypes(spec: ModelSpec): ModelSpec {
  const fix = (f: ModelSpec['flows'][number]) => ({ ...f, ports: f.ports.map(p => (p.kind === 'icmp' ? { kind: 'icmp' as const } : p)) });
  return { ...spec, flows: spec.flows.map(fix), denies: spec.denies.map(fix) };
}
const zoneIndex = (w: string) => Number(w.slice(1).split('-')[0]);
const endOf = (e: PacketEnd) => {
  if ('workload' in e) {
    const [i, j] = e.workload.slice(1).split('-').map(Number);
    return { workload: e.workload, address: workloadAddress(i, j), family: 'ipv4' as const };
  }
  return { address: e.address, family: e.family };
};
const show = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));

/**
 * One model split across clouds: even zones on Azure, odd zones on GCP. A packet passes when
 * every cloud it touches lets it through (Azure NSGs for Azure ends, the GCP firewall for GCP
 * ends). Flows that cross clouds are rendered with the other side's zone ranges, so enforcement
 * of a cross-cloud packet is exact at the sending workload and zone-wide at the receiving side.
 */
describe('one model on Azure and GCP', () => {
  it('never blocks what the model allows; exact within a cloud; zone-granular across clouds', () => {
    const arb = modelArb({ maxZones: 4 }).filter(s => s.zones.length >= 2).map(withoutIcmpTypes).chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: 40, maxLength: 40 })));
    const t = checkUntil(arb, ([spec, packets], tally) => {
      const { seg } = buildModel(spec);
      let policy: IrPolicy;
      try { policy = compile(seg); } catch (e) { expect(String(e)).toMatch(/microseg:ShadowedFlow/); tally.refuse(); return; }
      const azureZones = policy.zones.filter(z => Number(z.name.slice(1)) % 2 === 0).map(z => z.name);
      const gcpZones = policy.zones.filter(z => !azureZones.includes(z.name)).map(z => z.name);
      const az = new AzureNsgEvaluator(terraformJson(planAzure(policy, { backendPath: 'A', resourceGroupName: 'rg', location: 'l', zones: azureZones }).resources), ['10.0.0.0/8']);
      const gcp = new GcpFirewallEvaluator(terraformJson(planGcp(policy, { backendPath: 'G', network: 'n', identity: 'NETWORK_TAG', zones: gcpZones }).resources),
        w => (gcpZones.includes(`z${zoneIndex(w)}`) ? { tags: [gcpNetworkTag(policy.segmentation.name, w)] } : undefined));
      for (const p of packets as Packet[]) {
        const cp = { source: endOf(p.source), destination: endOf(p.destination), protocol: p.protocol, port: p.port };
        const clouds = az.allows(cp) && gcp.allows(cp);
        const want = modelAllows(policy, p);
        if (want && !clouds) expect.fail(`clouds block ${show(p)}`);
        const cloudOf = (e: PacketEnd) => ('workload' in e ? (azureZones.includes(`z${zoneIndex(e.workload)}`) ? 'azure' : 'gcp') : 'external');
        const cs = cloudOf(p.source); const cd = cloudOf(p.destination);
        if (cs === 'external' || cd === 'external' || cs === cd) {
          tally.add('same');
          if (clouds !== want) expect.fail(`clouds ${clouds ? 'allow' : 'block'} ${show(p)}`);
        } else if (clouds && !want) {
          tally.add('cross');
          // allowed only because another workload of the sending zone may reach the destination,
          // and the sender may reach another workload of the destination's zone
          const s = (p.source as { workload: string }).workload; const d = (p.destination as { workload: string }).workload;
          const zs = policy.workloads.find(w => w.name === s)!.zone; const zd = policy.workloads.find(w => w.name === d)!.zone;
          const peersOf = (zone: string) => policy.zones.find(z => z.name === zone)!.workloads;
          expect(peersOf(zs).some(w => modelAllows(policy, { ...p, source: { workload: w } }))).toBe(true);
          expect(peersOf(zd).some(w => modelAllows(policy, { ...p, destination: { workload: w } }))).toBe(true);
        }
      }
    }, { until: { same: 2_000 }, batch: 20, maxRuns: 1_500 });
    expect(t.get('same')).toBeGreaterThanOrEqual(2_000);
    console.log(`cross-cloud: ${t.get('same')} packets exact, ${t.get('cross')} cross-cloud packets allowed at zone granularity only`);
  });
});

describe('determinism on random models', () => {
  it('Azure and GCP Terraform JSON is byte-identical for any declaration order', () => {
    fc.assert(fc.property(modelArb(), fc.integer({ min: 1, max: 1000 }), (spec, seed) => {
      const render = (s: number) => {
        const { seg } = buildModel(spec, { shuffleSeed: s });
        try {
          return AzureTerraform.render({ segmentation: seg, resourceGroupName: 'rg', location: 'l', zones: ['z0', 'z2'].filter(z => Number(z.slice(1)) < spec.zones.length) })
            + GcpTerraform.render({ segmentation: seg, network: 'n', zones: ['z1', 'z3'].filter(z => Number(z.slice(1)) < spec.zones.length) });
        } catch (e) { return String((e as Error).message); }
      };
      expect(render(seed)).toBe(render(0));
    }), { numRuns: 60 });
  });
});

import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, Peer, Port, Segmentation, Zone } from '../../src';
import { planAzure } from '../../src/azure/plan';
import { gcpNetworkTag, planGcp } from '../../src/gcp/plan';
import { cidr, cidrHas, compile, IrPolicy, Packet, renderedAllows } from '../../src/ir';
import { terraformJson } from '../../src/terraform/util';
import { AzureNsgEvaluator } from '../support/azure-evaluator';
import { evalPacket, packet, show, withoutIcmpTypes } from '../support/exactness';
import { GcpFirewallEvaluator } from '../support/gcp-evaluator';
import { buildModel, compileOrRefuse, ModelSpec, modelArb, packetArb } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

/** Issue 8, "exactness the fuzzer broke": the GCP side, alone and next to Azure (cross-cloud). */
const VNET = ['10.0.0.0/8'];
const vnet = VNET.map(cidr);
const inVnet = (e: { address: bigint; family: 'ipv4' | 'ipv6' }) => vnet.some(c => cidrHas(c, e.family, e.address));
const gbase = { backendPath: 'Gcp', network: 'vpc', identity: 'NETWORK_TAG' as const };
const abase = { backendPath: 'Azure', resourceGroupName: 'rg', location: 'westeurope' };
type GOpts = Partial<Parameters<typeof planGcp>[1]>;

/**
 * Zones of cloud 0 on GCP, zones of cloud 1 on Azure (when the spec has any): a packet passes
 * when both clouds' evaluators let it through (each checks the ends it holds).
 */
function clouds(policy: IrPolicy, spec: ModelSpec, opts: GOpts = {}) {
  const zonesOf = (c: number) => spec.zones.map((z, i) => ((z.cloud ?? 0) === c ? `z${i}` : '')).filter(Boolean);
  const mixed = zonesOf(1).length > 0;
  const gcpZones = zonesOf(0);
  const gcp = planGcp(policy, { ...gbase, ...opts, zones: mixed ? gcpZones : undefined });
  const onGcp = new Set(policy.workloads.filter(w => gcpZones.includes(w.zone)).map(w => w.name));
  const gev = new GcpFirewallEvaluator(terraformJson(gcp.resources), w => (onGcp.has(w) ? { tags: [gcpNetworkTag(policy.segmentation.name, w)] } : undefined));
  const az = mixed ? planAzure(policy, { ...abase, zones: zonesOf(1) }) : undefined;
  const aev = az ? new AzureNsgEvaluator(terraformJson(az.resources), VNET) : undefined;
  return {
    allows: (p: Packet) => gev.allows(evalPacket(p)) && (aev?.allows(evalPacket(p)) ?? true),
    warnings: [...gcp.warnings, ...(az?.warnings ?? [])],
    gcp,
    onGcp,
  };
}

const w = () => ({ labels: {} });
const tcp = (port: number) => ({ kind: 'tcp' as const, from: port, to: port });

describe('GCP: MONITOR sources never widen an ENFORCE destination', () => {
  const spec = (sourceCloud: number): ModelSpec => ({
    zones: [{ workloads: [w(), w()], monitor: true, cloud: sourceCloud }, { workloads: [w()] }],
    flows: [{ from: { kind: 'workload', zone: 0, workload: 1 }, to: { kind: 'workload', zone: 1, workload: 0 }, ports: [tcp(5432)] }],
    denies: [],
  });
  it('declare only m1 -> db:5432; m0 -> db:5432 does not pass (both zones on GCP)', () => {
    const s = spec(0);
    const c = clouds(compile(buildModel(s).seg), s);
    expect(c.allows(packet('w0-1', 'w1-0', 'tcp', 5432))).toBe(true);
    expect(c.allows(packet('w0-0', 'w1-0', 'tcp', 5432))).toBe(false);
  });
  it('declare only m1 -> db:5432; m0 -> db:5432 does not pass (MONITOR zone on Azure, its workloads with cidrs)', () => {
    const s = spec(1);
    const c = clouds(compile(buildModel(s).seg), s);
    expect(c.allows(packet('w0-1', 'w1-0', 'tcp', 5432))).toBe(true);
    expect(c.allows(packet('w0-0', 'w1-0', 'tcp', 5432))).toBe(false);
    expect(c.warnings.map(x => x.id)).not.toContain('microseg:CrossCloudWidened');
  });
  it('MONITOR zone on Azure, its workloads without cidrs: the GCP receiver names the zone and warns CrossCloudWidened (MONITOR)', () => {
    const s = spec(1);
    const c = clouds(compile(buildModel(s, { workloadCidrs: false }).seg), s);
    const x = c.warnings.find(y => y.id === 'microseg:CrossCloudWidened')!;
    expect(x.path).toBe('Gcp');
    expect(x.message).toMatch(/zone z0 \(MONITOR\) on another cloud have no cidrs.*1 pair the model does not declare: w0-0 -> w1-0 on tcp:5432/);
  });
});

describe('GCP: cross-cloud pairs nobody declared (Azure a0, a1 -> GCP b0, b1)', () => {
  const spec: ModelSpec = {
    zones: [{ workloads: [w(), w()], cloud: 1 }, { workloads: [w(), w()] }],
    flows: [
      { from: { kind: 'workload', zone: 0, workload: 0 }, to: { kind: 'workload', zone: 1, workload: 0 }, ports: [tcp(5432)] },
      { from: { kind: 'workload', zone: 0, workload: 1 }, to: { kind: 'workload', zone: 1, workload: 1 }, ports: [tcp(5432)] },
    ],
    denies: [],
  };
  it('a0 -> b1 does not pass when the workloads have cidrs (each side names the other workload\'s own range)', () => {
    const c = clouds(compile(buildModel(spec).seg), spec);
    expect(c.allows(packet('w0-0', 'w1-0', 'tcp', 5432))).toBe(true);
    expect(c.allows(packet('w0-1', 'w1-1', 'tcp', 5432))).toBe(true);
    expect(c.allows(packet('w0-0', 'w1-1', 'tcp', 5432))).toBe(false);
    expect(c.allows(packet('w0-1', 'w1-0', 'tcp', 5432))).toBe(false);
    expect(c.warnings).toEqual([]);
  });
  it('without workload cidrs, both backends warn with the pairs they widen', () => {
    const c = clouds(compile(buildModel(spec, { workloadCidrs: false }).seg), spec);
    const x = c.warnings.filter(y => y.id === 'microseg:CrossCloudWidened');
    expect(x.map(y => y.path)).toEqual(['Gcp']);
    expect(x[0].message).toMatch(/w0-0 -> w1-1 on tcp:5432; w0-1 -> w1-0 on tcp:5432/);
  });
});

describe('GCP: the MONITOR catch-all admits the model\'s ranges, the internet only on purpose', () => {
  const spec: ModelSpec = { zones: [{ workloads: [w()], monitor: true }, { workloads: [w()] }], flows: [{ from: { kind: 'workload', zone: 1, workload: 0 }, to: { kind: 'workload', zone: 0, workload: 0 }, ports: [tcp(443)] }], denies: [] };
  it('ingress catch-all names the zone ranges (networkRanges too when given); no IPv6 catch-all without IPv6 ranges', () => {
    const policy = compile(buildModel(spec).seg);
    const c = clouds(policy, spec);
    const fw = (n: string) => c.gcp.resources.find(r => r.attributes.name === n)?.attributes;
    expect(fw('seg-z0-in-v4-monitor-catchall')).toMatchObject({ source_ranges: ['10.1.0.0/16', '10.2.0.0/16'], allow: [{ protocol: 'all' }] });
    expect(fw('seg-z0-in-v6-monitor-catchall')).toBeUndefined();
    expect(fw('seg-z0-out-v4-monitor-catchall')).toMatchObject({ destination_ranges: ['0.0.0.0/0'] });
    expect(c.allows(packet('8.8.8.8', 'w0-0', 'tcp', 22))).toBe(false);
    expect(c.allows(packet('w1-0', 'w0-0', 'tcp', 443))).toBe(true);
    expect(c.warnings).toEqual([]);
    const net = planGcp(policy, { ...gbase, networkRanges: ['10.0.0.0/8'] });
    expect(net.resources.find(r => r.attributes.name === 'seg-z0-in-v4-monitor-catchall')!.attributes.source_ranges).toEqual(['10.0.0.0/8', '10.1.0.0/16', '10.2.0.0/16']);
  });
  it('monitorOpenToInternet admits every address and warns', () => {
    const policy = compile(buildModel(spec).seg);
    const plan = planGcp(policy, { ...gbase, monitorOpenToInternet: true });
    expect(plan.resources.find(r => r.attributes.name === 'seg-z0-in-v4-monitor-catchall')!.attributes.source_ranges).toEqual(['0.0.0.0/0']);
    expect(plan.warnings).toEqual([expect.objectContaining({ id: 'microseg:MonitorOpenToInternet', path: 'Gcp' })]);
  });
});

describe('GCP: typed ICMP guardrails, unknown zone addresses next to peers, O(1) peer rules', () => {
  it('a typed ICMP DenyFlow rendered as every ICMP type warns naming the declared ICMP it blocks', () => {
    const seg = Segmentation.root('Icmp');
    const a = seg.addZone('A', { cidrs: ['10.1.0.0/16'] }).addWorkload('Api');
    const b = seg.addZone('B', { cidrs: ['10.2.0.0/16'] }).addWorkload('Db');
    new AllowFlow(seg, 'Pmtu', { from: a, to: b, ports: [Port.icmp(3, 4)] });
    new DenyFlow(seg, 'NoPing', { from: a, to: b, ports: [Port.icmp(8)] });
    const x = planGcp(compile(seg), gbase).warnings.find(y => y.id === 'microseg:IcmpDenyWidened')!;
    expect(x).toMatchObject({ path: 'Icmp/NoPing' });
    expect(x.message).toMatch(/GCP rules cannot match ICMP types.*Icmp\/Pmtu \(icmp:3\/4\)/);
  });
  it('a zone without cidrs (nor workload cidrs) next to a Peer fails with MissingCidrs; networkRanges render it', () => {
    const seg = Segmentation.root('Np');
    const z = seg.addZone('Blind');
    const b = z.addWorkload('Batch');
    const api = seg.addZone('Api', { cidrs: ['10.1.0.0/16'] }).addWorkload('Api');
    api.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    b.allowTo(api, Port.tcp(8080));
    expect(() => planGcp(compile(seg), gbase)).toThrow(/\[microseg:MissingCidrs\] at Np\/Blind: "0.0.0.0\/0": zone "blind" has no cidrs/);
    const plan = planGcp(compile(seg), { ...gbase, networkRanges: ['10.0.0.0/8'] });
    const rule = plan.resources.find(r => r.attributes.name === 'np-allow-in-api-tcp-443-ranges')!;
    expect(rule.attributes.source_ranges).toHaveLength(8);
    expect(plan.warnings.map(x => x.id)).toContain('microseg:PeerOverlapsNetwork');
  });
  it('40 scattered zone ranges: the internet rule needs several rules of 256 ranges carved, one with networkRanges', () => {
    const build = (networkRanges?: string[]) => {
      const seg = Segmentation.root('Scatter');
      for (let i = 0; i < 40; i++) seg.addZone(`Z${i}`, { cidrs: [`10.0.${i * 6 + 1}.0/24`] }).addWorkload(`W${i}`).allowFrom(Peer.anyIpv4(), Port.tcp(443));
      const plan = planGcp(compile(seg), { ...gbase, networkRanges });
      return plan.resources.filter(r => r.attributes.direction === 'INGRESS' && String(r.attributes.name).startsWith('scatter-allow-in-w0-')).map(r => (r.attributes.source_ranges as string[]).length);
    };
    const carved = build();
    const net = build(['10.0.0.0/16']);
    console.log(`gcp internet ingress for one workload, 40 scattered /24 zones: ${carved.length} rules (${carved.join('+')} ranges) carved, ${net.length} rule (${net.join('+')} ranges) with networkRanges`);
    expect(net).toEqual([16]);
    expect(carved.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
  });
});

describe('GCP: edge-case models (MONITOR next to ENFORCE, zones on GCP and Azure, zones without ranges, private and IPv6 peers, overlapping denies)', () => {
  for (const exactEgressPorts of [false, true]) {
    it(`rendered rules on both clouds allow exactly what the model (with its MONITOR catch-alls) allows${exactEgressPorts ? ' (exactEgressPorts)' : ''}`, () => {
      const arb = modelArb({ edge: true }).map(withoutIcmpTypes).chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec, { edge: true }), { minLength: 40, maxLength: 40 })));
      const t = checkUntil(arb, ([spec, packets], tally) => {
        const policy = compileOrRefuse(spec, tally);
        if (!policy) return;
        let c;
        try { c = clouds(policy, spec, { exactEgressPorts }); } catch (e) {
          expect(String(e)).toMatch(/microseg:QuotaExceeded/);
          tally.refuse();
          return;
        }
        if (spec.zones.some(z => z.monitor) && spec.zones.some(z => !z.monitor)) tally.add('mixedModes');
        if (new Set(spec.zones.map(z => z.cloud ?? 0)).size > 1) tally.add('crossCloud');
        const zoneOf = new Map(policy.workloads.map(x => [x.name, x.zone]));
        for (const p of packets as Packet[]) {
          // what a MONITOR catch-all admits inbound: the VNet on Azure, the model's ranges on GCP
          const dstOnAzure = 'workload' in p.destination && !c.onGcp.has(p.destination.workload) && zoneOf.has(p.destination.workload);
          const want = renderedAllows(policy, p, { internal: e => dstOnAzure && inVnet(e) });
          if (c.allows(p) !== want) expect.fail(`GCP/Azure ${want ? 'block' : 'allow'} ${show(p)}`);
          tally.add('packets'); if (want) tally.add('allowed');
        }
      }, { until: { packets: 3000, allowed: 300, mixedModes: 20, crossCloud: 20 }, batch: 20, maxRuns: 2000 });
      console.log(`gcp+azure edge-case evaluator${exactEgressPorts ? ' (exactEgressPorts)' : ''}: ${t}`);
    });
  }
});

describe('GCP: what it cannot render exactly it warns, naming it', () => {
  it('egress towards a MONITOR destination without cidrs names its zone: microseg:MonitorWidened lists the pair (the zone mates pass too)', () => {
    const s: ModelSpec = {
      zones: [{ workloads: [w()] }, { workloads: [w(), w()], monitor: true }],
      flows: [{ from: { kind: 'workload', zone: 0, workload: 0 }, to: { kind: 'workload', zone: 1, workload: 0 }, ports: [tcp(5432)] }],
      denies: [],
    };
    const c = clouds(compile(buildModel(s, { workloadCidrs: false }).seg), s);
    const warned = c.warnings.filter(x => x.id === 'microseg:MonitorWidened');
    expect(warned.map(x => x.message)).toEqual([expect.stringContaining('w0-0 -> zone z1')]);
    expect(warned[0].path).toBe('Gcp');
    expect(c.allows(packet('w0-0', 'w1-0', 'tcp', 5432))).toBe(true);
    expect(c.allows(packet('w0-0', 'w1-1', 'tcp', 5432))).toBe(true); // what the warning says
    // with workload cidrs the sources stay exact, and nothing is warned
    const exact = clouds(compile(buildModel(s).seg), s);
    expect(exact.warnings.map(x => x.id)).not.toContain('microseg:MonitorWidened');
    expect(exact.allows(packet('w0-0', 'w1-1', 'tcp', 5432))).toBe(false);
  });

  it('a guardrail towards a workload on the other cloud without cidrs: microseg:GuardrailPartial at the DenyFlow; the other cloud still blocks it', () => {
    const s: ModelSpec = {
      zones: [{ workloads: [w()] }, { workloads: [w(), w()], cloud: 1 }],
      flows: [{ from: { kind: 'workload', zone: 0, workload: 0 }, to: { kind: 'zone', zone: 1 }, ports: [tcp(5432)] }],
      denies: [{ from: { kind: 'workload', zone: 0, workload: 0 }, to: { kind: 'workload', zone: 1, workload: 1 }, ports: [tcp(5432)] }],
    };
    const built = buildModel(s, { workloadCidrs: false });
    const c = clouds(compile(built.seg), s);
    const warned = c.warnings.filter(x => x.id === 'microseg:GuardrailPartial');
    expect(warned.map(x => `${x.path} ${x.message}`)).toEqual([expect.stringMatching(/Deny0 Workload "w1-1" is not on GCP and has no cidrs/)]);
    expect(c.allows(packet('w0-0', 'w1-0', 'tcp', 5432))).toBe(true);
    expect(c.allows(packet('w0-0', 'w1-1', 'tcp', 5432))).toBe(false);
  });
});

describe('Azure and GCP: a Peer range unknown at synth (a Terraform variable)', () => {
  // The rule cannot leave the zones' ranges out of the variable: resolved to 10.0.0.0/8 it would
  // let web reach db on 5432, which the model forbids (web's egress towards the data zone is
  // coarse, since db's inbound rules are taken to be exact).
  function model() {
    const { Lazy } = require('cdktf') as typeof import('cdktf');
    const office = Lazy.stringValue({ produce: () => '${var.office}' });
    const seg = Segmentation.root('Tok');
    const web = seg.addZone('Web', { cidrs: ['10.1.0.0/16'] }).addWorkload('Frontend');
    const data = seg.addZone('Data', { cidrs: ['10.3.0.0/16'] });
    const db = data.addWorkload('Db');
    const cache = data.addWorkload('Cache');
    cache.allowFrom(web, Port.tcp(6379));
    return { seg, office, web, db };
  }

  it('inbound from it is UnresolvedRange at the flow on both clouds (nothing rendered)', () => {
    for (const plan of [(p: IrPolicy) => planGcp(p, gbase), (p: IrPolicy) => planAzure(p, abase)]) {
      const { seg, office, db } = model();
      new AllowFlow(seg, 'Office', { from: Peer.ipv4(office), to: db, ports: [Port.tcp(5432)] });
      expect(() => plan(compile(seg))).toThrow(/\[microseg:UnresolvedRange\] at Tok\/Office: "\$\{TfToken\[TOKEN\.\d+\]\}": an inbound allow from a Peer range unknown at synth.*Give the Peer a literal range/);
    }
  });

  it('a guardrail from it is rendered uncarved with the warning UnresolvedPeerDeny on both clouds', () => {
    const { seg, office } = model();
    const data = seg.node.findChild('Data') as Zone;
    new DenyFlow(seg, 'Blocklist', { from: Peer.ipv4(office), to: data });
    const policy = compile(seg);
    for (const plan of [planGcp(policy, gbase), planAzure(policy, abase)]) {
      const w = plan.warnings.filter(x => x.id === 'microseg:UnresolvedPeerDeny');
      expect(w.map(x => x.path)).toEqual(['Tok/Blocklist']);
      expect(w[0].message).toMatch(/unknown at synth.*also blocks the model's own workloads there/);
      expect(JSON.stringify(plan.resources)).toContain('TfToken');
    }
  });

  it('egress towards it is rendered as the token, and the Azure rule is named without it (Azure refuses "/" in a name)', () => {
    const { seg, office, web } = model();
    new AllowFlow(seg, 'ToOffice', { from: web, to: Peer.ipv4(office), ports: [Port.tcp(443)] });
    const policy = compile(seg);
    const az = planAzure(policy, abase).resources.find(r => r.attributes.direction === 'Outbound' && JSON.stringify(r.attributes.destination_address_prefixes ?? []).includes('TfToken'))!;
    expect(az.attributes.destination_address_prefixes).toEqual([office]);
    expect(az.attributes.name).toMatch(/^allow-out-asgs-to-cidr\.unresolved-[0-9a-f]{8}-tcp(-[0-9.]+)?(-\d+)?$/);
    expect(az.attributes.name).not.toContain('$');
    const gcp = planGcp(policy, gbase).resources.find(r => JSON.stringify(r.attributes.destination_ranges ?? []).includes('TfToken'))!;
    expect(gcp.attributes).toMatchObject({ direction: 'EGRESS', destination_ranges: [office], allow: [{ protocol: 'tcp', ports: ['443'] }] });
  });
});

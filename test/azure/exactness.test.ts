import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, Peer, Port, Segmentation } from '../../src';
import { planAzure } from '../../src/azure/plan';
import { cidr, cidrHas, compile, IrPolicy, Packet, renderedAllows } from '../../src/ir';
import { terraformJson } from '../../src/terraform/util';
import { AzureNsgEvaluator } from '../support/azure-evaluator';
import { evalPacket, packet, show, withoutIcmpTypes } from '../support/exactness';
import { buildModel, compileOrRefuse, ModelSpec, modelArb, packetArb } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

/** Issue 8, "exactness the fuzzer broke": the Azure side. */
const VNET = ['10.0.0.0/8'];
const vnet = VNET.map(cidr);
const internal = (e: { address: bigint; family: 'ipv4' | 'ipv6' }) => vnet.some(c => cidrHas(c, e.family, e.address));
const base = { backendPath: 'Azure', resourceGroupName: 'rg', location: 'westeurope' };
type Opts = Partial<Parameters<typeof planAzure>[1]>;

/** Plans each cloud's zones with its own backend (cloud i: zones whose spec says so) and evaluates all NSGs together. */
function evaluator(policy: IrPolicy, spec: ModelSpec, opts: Opts = {}) {
  const clouds = [...new Set(spec.zones.map(z => z.cloud ?? 0))].sort();
  const plans = clouds.map(c => planAzure(policy, { ...base, ...opts, backendPath: `Azure${c}`, zones: clouds.length > 1 ? spec.zones.map((z, i) => ((z.cloud ?? 0) === c ? `z${i}` : '')).filter(Boolean) : undefined }));
  const ev = new AzureNsgEvaluator(terraformJson(plans.flatMap(p => p.resources)), VNET);
  return { ev, warnings: plans.flatMap(p => p.warnings) };
}

const w = (labels: Record<string, string> = {}) => ({ labels });
const tcp = (port: number) => ({ kind: 'tcp' as const, from: port, to: port });

describe('Azure: MONITOR sources never widen an ENFORCE destination', () => {
  // m0, m1 in MONITOR zone z0; db in ENFORCE zone z1; only m1 -> db:5432 is declared
  const spec = (extra: { srcNoCidrs?: boolean; dstNoCidrs?: boolean } = {}): ModelSpec => ({
    zones: [{ workloads: [w(), w()], monitor: true, noCidrs: extra.srcNoCidrs }, { workloads: [w()], noCidrs: extra.dstNoCidrs }],
    flows: [{ from: { kind: 'workload', zone: 0, workload: 1 }, to: { kind: 'workload', zone: 1, workload: 0 }, ports: [tcp(5432)] }],
    denies: [],
  });
  const variants: { title: string; opts: Opts; extra?: { srcNoCidrs?: boolean; dstNoCidrs?: boolean } }[] = [
    { title: 'default', opts: {} },
    { title: 'exactEgressPorts', opts: { exactEgressPorts: true } },
    { title: 'destination zone without cidrs', opts: {}, extra: { dstNoCidrs: true } },
    { title: 'destination zone without cidrs, exactEgressPorts', opts: { exactEgressPorts: true }, extra: { dstNoCidrs: true } },
    { title: 'source zone without cidrs', opts: {}, extra: { srcNoCidrs: true } },
    { title: 'nsgScope WORKLOAD, exactEgressPorts', opts: { nsgScope: 'WORKLOAD', exactEgressPorts: true } },
    { title: 'low ASG budget', opts: { maxAsgsPerNsg: 2 } },
  ];
  for (const v of variants) {
    it(`declare only m1 -> db:5432; m0 -> db:5432 does not pass (${v.title})`, () => {
      const s = spec(v.extra);
      const policy = compile(buildModel(s).seg);
      const { ev } = evaluator(policy, s, v.opts);
      expect(ev.allows(evalPacket(packet('w0-1', 'w1-0', 'tcp', 5432)))).toBe(true);
      expect(ev.allows(evalPacket(packet('w0-0', 'w1-0', 'tcp', 5432)))).toBe(false);
      expect(ev.allows(evalPacket(packet('w0-1', 'w1-0', 'tcp', 22)))).toBe(false);
      // the MONITOR zone itself keeps flowing
      expect(ev.allows(evalPacket(packet('w0-0', 'w0-1', 'tcp', 22)))).toBe(true);
      expect(ev.allows(evalPacket(packet('w0-0', '8.8.8.8', 'tcp', 443)))).toBe(true);
    });
  }
});

describe('Azure: the MONITOR catch-all admits the virtual network, the internet only on purpose', () => {
  const spec: ModelSpec = { zones: [{ workloads: [w()], monitor: true }, { workloads: [w()] }], flows: [{ from: { kind: 'workload', zone: 1, workload: 0 }, to: { kind: 'workload', zone: 0, workload: 0 }, ports: [tcp(443)] }], denies: [] };
  it('inbound from the VNet only by default (VirtualNetwork), no warning', () => {
    const policy = compile(buildModel(spec).seg);
    const plan = planAzure(policy, base);
    const rule = plan.resources.find(r => r.attributes.name === 'seg-in-monitor-catchall')!;
    expect(rule.attributes).toMatchObject({ priority: 4095, source_address_prefix: 'VirtualNetwork', destination_address_prefix: '*' });
    expect(plan.section.expected).toContainEqual(expect.objectContaining({ name: 'seg-in-monitor-catchall', peer: 'tag:VirtualNetwork' }));
    const ev = new AzureNsgEvaluator(terraformJson(plan.resources), VNET);
    expect(ev.allows(evalPacket(packet('8.8.8.8', 'w0-0', 'tcp', 22)))).toBe(false);
    expect(ev.allows(evalPacket(packet('10.200.0.5', 'w0-0', 'tcp', 22)))).toBe(true);
    expect(plan.warnings).toEqual([]);
  });
  it('monitorOpenToInternet admits every address and warns', () => {
    const policy = compile(buildModel(spec).seg);
    const plan = planAzure(policy, { ...base, monitorOpenToInternet: true });
    const ev = new AzureNsgEvaluator(terraformJson(plan.resources), VNET);
    expect(ev.allows(evalPacket(packet('8.8.8.8', 'w0-0', 'tcp', 22)))).toBe(true);
    expect(plan.warnings).toEqual([expect.objectContaining({ id: 'microseg:MonitorOpenToInternet', path: 'Azure' })]);
    expect(plan.warnings[0].message).toMatch(/zone z0 admits every address/);
  });
});

describe('Azure: cross-cloud pairs nobody declared', () => {
  // z0 (a0, a1) on one backend, z1 (b0, b1) on another; a0 -> b0 and a1 -> b1 on 5432
  const spec: ModelSpec = {
    zones: [{ workloads: [w(), w()] }, { workloads: [w(), w()], cloud: 1 }],
    flows: [
      { from: { kind: 'workload', zone: 0, workload: 0 }, to: { kind: 'workload', zone: 1, workload: 0 }, ports: [tcp(5432)] },
      { from: { kind: 'workload', zone: 0, workload: 1 }, to: { kind: 'workload', zone: 1, workload: 1 }, ports: [tcp(5432)] },
    ],
    denies: [],
  };
  it('workloads with cidrs: rendered by their own ranges, a0 -> b1 does not pass, no warning', () => {
    const policy = compile(buildModel(spec).seg);
    const { ev, warnings } = evaluator(policy, spec);
    expect(ev.allows(evalPacket(packet('w0-0', 'w1-0', 'tcp', 5432)))).toBe(true);
    expect(ev.allows(evalPacket(packet('w0-1', 'w1-1', 'tcp', 5432)))).toBe(true);
    expect(ev.allows(evalPacket(packet('w0-0', 'w1-1', 'tcp', 5432)))).toBe(false);
    expect(warnings.map(x => x.id)).not.toContain('microseg:CrossCloudWidened');
  });
  it('workloads without cidrs: zone ranges, and a CrossCloudWidened warning listing the widened pairs', () => {
    const policy = compile(buildModel(spec, { workloadCidrs: false }).seg);
    const { warnings } = evaluator(policy, spec);
    const widened = warnings.filter(x => x.id === 'microseg:CrossCloudWidened');
    expect(widened.map(x => x.path).sort()).toEqual(['Azure0', 'Azure1'].filter(p => p === 'Azure1'));
    expect(widened[0].message).toMatch(/zone z0 on another cloud have no cidrs.*w0-0 -> w1-1 on tcp:5432; w0-1 -> w1-0 on tcp:5432/);
    // acknowledged: silent
    const seg = buildModel(spec, { workloadCidrs: false }).seg;
    seg.acknowledgeWarning('microseg:CrossCloudWidened', 'the zones are reached through a NAT gateway anyway');
    expect(evaluator(compile(seg), spec).warnings.map(x => x.id)).not.toContain('microseg:CrossCloudWidened');
  });
});

describe('Azure: zones whose addresses are unknown next to Peer ranges', () => {
  const spec: ModelSpec = {
    zones: [{ workloads: [w()], noCidrs: true }, { workloads: [w()] }],
    flows: [
      { from: { kind: 'peer', cidr: '10.0.0.0/8' }, to: { kind: 'workload', zone: 1, workload: 0 }, ports: [tcp(443)] },
      { from: { kind: 'workload', zone: 0, workload: 0 }, to: { kind: 'peer', cidr: '0.0.0.0/0' }, ports: [tcp(443)] },
    ],
    denies: [],
  };
  it('a zone without cidrs (nor workload cidrs) next to a private Peer fails with MissingCidrs, path, value and hint', () => {
    const { seg } = buildModel(spec, { workloadCidrs: false });
    expect(() => planAzure(compile(seg), base)).toThrow(/\[microseg:MissingCidrs\] at Seg\/Z0: \["0.0.0.0\/0","10.0.0.0\/8"\]: zone "z0" has no cidrs.*cannot be excluded from the Peer ranges.*networkRanges/);
  });
  it('its workloads\' cidrs are carved instead when every workload has them (exact: w0-0 does not reach w1-0)', () => {
    const policy = compile(buildModel(spec).seg);
    const { ev } = evaluator(policy, spec);
    expect(ev.allows(evalPacket(packet('10.200.0.5', 'w1-0', 'tcp', 443)))).toBe(true);
    expect(ev.allows(evalPacket(packet('w0-0', 'w1-0', 'tcp', 443)))).toBe(false);
  });
  it('token zone ranges next to a Peer fail with UnresolvedRange; networkRanges render the peer without the network', () => {
    const seg = Segmentation.root('Tok');
    const { Lazy } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const z = seg.addZone('Imported', { cidrs: [Lazy.string({ produce: () => '10.9.0.0/16' })] });
    const api = z.addWorkload('Api');
    api.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    expect(() => planAzure(compile(seg), base)).toThrow(/\[microseg:UnresolvedRange\] at Tok\/Imported: "0.0.0.0\/0": zone "imported" has cidrs that are unresolved tokens/);
    const plan = planAzure(compile(seg), { ...base, networkRanges: ['10.0.0.0/8'] });
    const rule = plan.resources.find(r => r.attributes.direction === 'Inbound' && r.attributes.access === 'Allow' && r.attributes.source_address_prefixes)!;
    expect(rule.attributes.source_address_prefixes).not.toContain('10.0.0.0/8');
    expect((rule.attributes.source_address_prefixes as string[]).length).toBe(8);
    expect(plan.warnings.map(x => x.id)).toContain('microseg:PeerOverlapsNetwork');
  });
});

describe('Azure: peer rules do not grow with the number of zone ranges when networkRanges is given', () => {
  // 40 zones of one /24 each, scattered over 10.0.0.0/16; the internet reaches one workload per zone
  function scattered(networkRanges?: string[]) {
    const seg = Segmentation.root('Scatter');
    for (let i = 0; i < 40; i++) {
      const z = seg.addZone(`Z${i}`, { cidrs: [`10.0.${i * 6 + 1}.0/24`] });
      z.addWorkload(`W${i}`).allowFrom(Peer.anyIpv4(), Port.tcp(443));
    }
    const plan = planAzure(compile(seg), { ...base, networkRanges });
    const prefixes = plan.resources.filter(r => r.attributes.direction === 'Inbound' && r.attributes.access === 'Allow' && r.attributes.source_address_prefixes)
      .map(r => (r.attributes.source_address_prefixes as string[]).length);
    return { rules: prefixes.length, maxPrefixes: Math.max(...prefixes), plan };
  }
  it('peer minus every zone range without it; the peer minus the network (16 prefixes) with it', () => {
    const carved = scattered();
    const net = scattered(['10.0.0.0/16']);
    console.log(`azure peer prefixes per rule, 40 scattered /24 zones: ${carved.maxPrefixes} carved, ${net.maxPrefixes} with networkRanges`);
    expect(carved.maxPrefixes).toBeGreaterThan(100);
    expect(net.maxPrefixes).toBe(16);
    expect(net.rules).toBe(carved.rules);
  });
});

describe('Azure: typed ICMP guardrails', () => {
  it('a typed ICMP DenyFlow rendered as every ICMP type warns naming the declared ICMP it blocks', () => {
    const seg = Segmentation.root('Icmp');
    const a = seg.addZone('A', { cidrs: ['10.1.0.0/16'] }).addWorkload('Api');
    const b = seg.addZone('B', { cidrs: ['10.2.0.0/16'] }).addWorkload('Db');
    new AllowFlow(seg, 'Pmtu', { from: a, to: b, ports: [Port.icmp(3, 4), Port.icmp(8)] });
    new DenyFlow(seg, 'NoPing', { from: a, to: b, ports: [Port.icmp(8)] });
    const plan = planAzure(compile(seg), base);
    const x = plan.warnings.find(y => y.id === 'microseg:IcmpDenyWidened')!;
    expect(x.path).toBe('Icmp/NoPing');
    expect(x.message).toMatch(/Azure rules cannot match ICMP types: this guardrail \(icmp:8\) is rendered as every ICMP type, which also blocks declared ICMP between its ends: Icmp\/Pmtu \(icmp:3\/4\)/);
  });
  it('no warning when the guardrail blocks no declared ICMP', () => {
    const seg = Segmentation.root('Icmp');
    const a = seg.addZone('A', { cidrs: ['10.1.0.0/16'] }).addWorkload('Api');
    const b = seg.addZone('B', { cidrs: ['10.2.0.0/16'] }).addWorkload('Db');
    new AllowFlow(seg, 'Pg', { from: a, to: b, ports: [Port.tcp(5432)] });
    new DenyFlow(seg, 'NoPing', { from: a, to: b, ports: [Port.icmp(8)] });
    expect(planAzure(compile(seg), base).warnings.map(y => y.id)).not.toContain('microseg:IcmpDenyWidened');
  });
});

describe('Azure: edge-case models (MONITOR next to ENFORCE, two backends, zones without ranges, private and IPv6 peers, overlapping denies)', () => {
  for (const opts of [{ title: 'zone NSGs', plan: {} }, { title: 'zone NSGs, exactEgressPorts', plan: { exactEgressPorts: true } }, { title: 'workload NSGs', plan: { nsgScope: 'WORKLOAD' as const } }]) {
    it(`rendered rules allow exactly what the model (with its MONITOR catch-alls) allows (${opts.title})`, () => {
      const arb = modelArb({ edge: true }).map(withoutIcmpTypes).chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec, { edge: true }), { minLength: 40, maxLength: 40 })));
      const t = checkUntil(arb, ([spec, packets], tally) => {
        const policy = compileOrRefuse(spec, tally);
        if (!policy) return;
        let ev;
        try { ev = evaluator(policy, spec, opts.plan).ev; } catch (e) {
          expect(String(e)).toMatch(/microseg:QuotaExceeded/);
          tally.refuse();
          return;
        }
        if (spec.zones.some(z => z.monitor) && spec.zones.some(z => !z.monitor)) tally.add('mixedModes');
        if (new Set(spec.zones.map(z => z.cloud ?? 0)).size > 1) tally.add('crossCloud');
        for (const p of packets as Packet[]) {
          const want = renderedAllows(policy, p, { internal });
          if (ev.allows(evalPacket(p)) !== want) expect.fail(`Azure ${want ? 'blocks' : 'allows'} ${show(p)}`);
          tally.add('packets'); if (want) tally.add('allowed');
        }
      }, { until: { packets: 3000, allowed: 300, mixedModes: 20, crossCloud: 20 }, batch: 20, maxRuns: 2000 });
      console.log(`azure edge-case evaluator (${opts.title}): ${t}`);
    });
  }
});

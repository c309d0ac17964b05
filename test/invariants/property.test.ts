/**
 * The proof: random models with random invariants. The synth-time verdict (on the model, from the
 * compiled rules; on each cloud, through that cloud's evaluator of the rendered rules) equals a
 * brute-force check that walks every path over probe packets, asking `modelAllows` (the model's
 * oracle) or the same evaluator packet by packet.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Isolation, MustReach, NeverReach, Peer, Port, Selector } from '../../src';
import { planAzure } from '../../src/azure/plan';
import { checkInvariants, checkRenderedInvariants, verifyInvariants } from '../../src/analysis/invariants';
import { planGcp } from '../../src/gcp/plan';
import { cidr, cidrHas, compile, IrInvariant, IrPolicy, modelAllows, Packet, PacketEnd, parseAddress, serviceMatches } from '../../src/ir';
import { KubeEnd, NetworkPolicyEvaluator } from '../../src/k8s/evaluator';
import { planKubernetes } from '../../src/k8s/plan';
import { terraformJson } from '../../src/terraform/util';
import { renderSpec } from '../aws/helpers';
import { AwsEvaluator } from '../support/aws-evaluator';
import { AzureNsgEvaluator } from '../support/azure-evaluator';
import { GcpFirewallEvaluator } from '../support/gcp-evaluator';
import { buildModel, BuiltModel, EndpointSpec, EXTERNAL_ADDRESSES, INTERESTING_PORTS, ModelSpec, modelArb, PEER_CIDRS, PortSpec, workloadAddress } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

type InvSpec =
  | { kind: 'isolation'; target: EndpointSpec; except: EndpointSpec[]; ports?: PortSpec[] }
  | { kind: 'never'; from: EndpointSpec; to: EndpointSpec; ports?: PortSpec[]; maxHops: number }
  | { kind: 'must'; from: EndpointSpec; to: EndpointSpec; ports: PortSpec[] };

const PORTS: PortSpec[] = [
  ...INTERESTING_PORTS.map(p => ({ kind: 'tcp' as const, from: p, to: p })),
  { kind: 'udp', from: 53, to: 53 }, { kind: 'tcp', from: 8000, to: 8100 }, { kind: 'all' }, { kind: 'icmp' },
];

/** Random invariants over a model spec (endpoints that resolve: zones have workloads, selectors use labels in use). */
function invariantsArb(spec: ModelSpec, opts: { icmpTypes: boolean }): fc.Arbitrary<InvSpec[]> {
  const used = [...new Set(spec.zones.flatMap(z => z.workloads.flatMap(w => Object.entries(w.labels).map(([k, v]) => `${k}=${v}`))))];
  const workload = fc.integer({ min: 0, max: spec.zones.length - 1 }).chain(z => fc.integer({ min: 0, max: spec.zones[z].workloads.length - 1 }).map(w => ({ kind: 'workload' as const, zone: z, workload: w })));
  const inside: fc.Arbitrary<EndpointSpec> = fc.oneof(
    { weight: 3, arbitrary: workload as fc.Arbitrary<EndpointSpec> },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: spec.zones.length - 1 }).map(z => ({ kind: 'zone' as const, zone: z })) },
    ...(used.length ? [{ weight: 1, arbitrary: fc.constantFrom(...used).map(label => ({ kind: 'selector' as const, label })) as fc.Arbitrary<EndpointSpec> }] : []),
  );
  const peer: fc.Arbitrary<EndpointSpec> = fc.constantFrom(...PEER_CIDRS).map(c => ({ kind: 'peer' as const, cidr: c }));
  const any = fc.oneof({ weight: 4, arbitrary: inside }, { weight: 1, arbitrary: peer });
  const ports = fc.array(fc.constantFrom(...PORTS.filter(p => opts.icmpTypes || p.kind !== 'icmp' || p.type === undefined)), { minLength: 1, maxLength: 2 });
  const pair = fc.boolean().chain(peerFirst => fc.record({ from: peerFirst ? any : inside, to: peerFirst ? inside : any }));
  const inv: fc.Arbitrary<InvSpec> = fc.oneof(
    fc.record({ target: inside, except: fc.array(any, { maxLength: 2 }), ports: fc.option(ports, { nil: undefined }) }).map(r => ({ kind: 'isolation' as const, ...r })),
    fc.tuple(pair, fc.option(ports, { nil: undefined }), fc.integer({ min: 1, max: 3 })).map(([p, ps, maxHops]) => ({ kind: 'never' as const, ...p, ports: ps, maxHops })),
    fc.tuple(pair, ports).map(([p, ps]) => ({ kind: 'must' as const, ...p, ports: ps })),
  );
  return fc.array(inv, { minLength: 1, maxLength: 3 });
}

function toPort(p: PortSpec): Port {
  switch (p.kind) {
    case 'tcp': return p.from === p.to ? Port.tcp(p.from) : Port.tcpRange(p.from, p.to);
    case 'udp': return p.from === p.to ? Port.udp(p.from) : Port.udpRange(p.from, p.to);
    case 'icmp': return Port.icmp(p.type, p.code);
    case 'all': return Port.allTraffic();
  }
}

function addInvariants(built: BuiltModel, invs: InvSpec[]): void {
  const ep = (e: EndpointSpec) => {
    switch (e.kind) {
      case 'workload': return built.workloads[e.zone][e.workload];
      case 'zone': return built.zones[e.zone];
      case 'selector': { const [k, v] = e.label.split('='); return Selector.labels({ [k]: v }); }
      case 'peer': return Peer.ipv4(e.cidr);
    }
  };
  invs.forEach((inv, n) => {
    const id = `Inv${n}`;
    if (inv.kind === 'isolation') new Isolation(built.seg, id, { target: ep(inv.target), except: inv.except.map(ep), ports: inv.ports?.map(toPort) });
    else if (inv.kind === 'never') new NeverReach(built.seg, id, { from: ep(inv.from), to: ep(inv.to), ports: inv.ports?.map(toPort), maxHops: inv.maxHops });
    else new MustReach(built.seg, id, { from: ep(inv.from), to: ep(inv.to), ports: inv.ports.map(toPort) });
  });
}

// ---- the brute force ----------------------------------------------------------------------------

type Allows = (p: Packet) => boolean;
interface Probe { protocol: 'tcp' | 'udp' | 'icmp'; port: number; code?: number }

/** Every port on either side of every boundary of every declared service, ICMP types and codes. */
function bruteProbes(policy: IrPolicy): Probe[] {
  const services = [...policy.flows, ...policy.denies, ...(policy.invariants ?? [])].flatMap(f => f.services);
  const ports = new Set([0, 1, 65535, ...INTERESTING_PORTS]);
  for (const s of services) {
    if (s.protocol === 'tcp' || s.protocol === 'udp') for (const p of [s.from - 1, s.from, s.to, s.to + 1]) if (p >= 0 && p <= 65535) ports.add(p);
  }
  return [
    ...(['tcp', 'udp'] as const).flatMap(protocol => [...ports].map(port => ({ protocol, port }))),
    ...[0, 3, 8, 11, 13].flatMap(port => [0, 4].map(code => ({ protocol: 'icmp' as const, port, code }))),
  ];
}

const ADDRESSES = EXTERNAL_ADDRESSES.map(a => parseAddress(a));

/** The packet ends of an endpoint: its workloads, or the sample addresses inside its range. */
function ends(ref: IrInvariant['to']): PacketEnd[] {
  if (ref.kind !== 'cidr') return ref.workloads.map(workload => ({ workload }));
  const c = cidr(ref.cidr!);
  return ADDRESSES.filter(a => cidrHas(c, a.family, a.value)).map(a => ({ address: a.value, family: a.family }));
}

function bruteVerdict(policy: IrPolicy, inv: IrInvariant, allows: Allows): boolean {
  const probes = bruteProbes(policy);
  const inSvc = (pr: Probe) => inv.services.some(s => serviceMatches(s, pr.protocol, pr.port, pr.code ?? -1));
  const passes = (a: PacketEnd, b: PacketEnd, only?: (pr: Probe) => boolean) =>
    probes.some(pr => (!only || only(pr)) && allows({ source: a, destination: b, protocol: pr.protocol, port: pr.port, ...(pr.code !== undefined ? { code: pr.code } : {}) }));
  const workloads = policy.workloads.map(w => ({ workload: w.name }) as PacketEnd);
  if (inv.kind === 'MUST_REACH') {
    return ends(inv.from!).every(a => ends(inv.to).every(b => probes.filter(inSvc).every(pr => allows({ source: a, destination: b, protocol: pr.protocol, port: pr.port, ...(pr.code !== undefined ? { code: pr.code } : {}) }))));
  }
  if (inv.kind === 'ISOLATION') {
    const inside = new Set([...inv.to.workloads, ...(inv.except ?? []).flatMap(e => e.workloads)]);
    const exceptRanges = (inv.except ?? []).filter(e => e.kind === 'cidr').map(e => cidr(e.cidr!));
    const sources: PacketEnd[] = [
      ...workloads.filter(w => !inside.has((w as { workload: string }).workload)),
      ...ADDRESSES.filter(a => !exceptRanges.some(c => cidrHas(c, a.family, a.value))).map(a => ({ address: a.value, family: a.family })),
    ];
    return !sources.some(s => inv.to.workloads.some(t => passes(s, { workload: t }, inSvc)));
  }
  // NEVER_REACH: every walk of at most maxHops hops, intermediate ends are workloads.
  const targets = ends(inv.to);
  const walk = (u: PacketEnd, hopsLeft: number, seen: Set<string>): boolean => {
    if (targets.some(t => passes(u, t, inSvc))) return true;
    if (hopsLeft === 1) return false;
    return workloads.some(v => {
      const k = (v as { workload: string }).workload;
      if (seen.has(k) || !passes(u, v)) return false;
      return walk(v, hopsLeft - 1, new Set([...seen, k]));
    });
  };
  return !ends(inv.from!).some(s => walk(s, inv.maxHops, new Set('workload' in s ? [s.workload] : [])));
}

// ---- the runs -----------------------------------------------------------------------------------

function compiled(spec: ModelSpec, invs: InvSpec[]): IrPolicy | undefined {
  const built = buildModel(spec);
  addInvariants(built, invs);
  try {
    return compile(built.seg);
  } catch (e) {
    expect(String(e)).toMatch(/microseg:ShadowedFlow/);
    return undefined;
  }
}

/** GCP and Azure rules cannot match ICMP types: those models use every-type ICMP. */
function withoutIcmpTypes(spec: ModelSpec): ModelSpec {
  const fix = (f: ModelSpec['flows'][number]) => ({ ...f, ports: f.ports.map(p => (p.kind === 'icmp' ? { kind: 'icmp' as const } : p)) });
  return { ...spec, flows: spec.flows.map(fix), denies: spec.denies.map(fix) };
}

const SMALL = { maxZones: 3, maxWorkloads: 3, maxFlows: 8, maxDenies: 2 };
const arb = (icmpTypes: boolean) => modelArb(SMALL).map(s => (icmpTypes ? s : withoutIcmpTypes(s)))
  .chain(spec => fc.tuple(fc.constant(spec), invariantsArb(spec, { icmpTypes })));

function tallyVerdicts(tally: { add(k: string): void }, results: { holds: boolean; kind: string }[]) {
  for (const r of results) {
    tally.add(r.holds ? 'held' : 'broken');
    tally.add(`${r.kind}:${r.holds ? 'held' : 'broken'}`);
  }
}

const FLOORS = { 'ISOLATION:held': 5, 'ISOLATION:broken': 5, 'NEVER_REACH:held': 5, 'NEVER_REACH:broken': 5, 'MUST_REACH:held': 3, 'MUST_REACH:broken': 5 };

describe('invariants: the synth-time verdict equals a brute-force check', () => {
  it('on the model (compiled rules vs modelAllows over every path)', () => {
    const t = checkUntil(arb(true), ([spec, invs], tally) => {
      const policy = compiled(spec, invs);
      if (!policy) { tally.refuse(); return; }
      const results = checkInvariants(policy);
      expect(results.map(r => r.invariant)).toEqual(policy.invariants!.map(i => i.path));
      for (const [i, r] of results.entries()) {
        const want = bruteVerdict(policy, policy.invariants![i], p => modelAllows(policy, p));
        if (r.holds !== want) expect.fail(`model: ${r.message} but the brute force says it ${want ? 'holds' : 'is broken'}\n${JSON.stringify({ spec, invs })}`);
        if (!r.holds) expect(r.hops.length + r.blockers.length).toBeGreaterThan(0);
      }
      tallyVerdicts(tally, results);
      // the backends' synth-time check fails exactly when one does not hold
      let threw = false;
      try { verifyInvariants(policy); } catch (e) { threw = true; expect(String(e)).toMatch(/microseg:InvariantViolated/); }
      expect(threw).toBe(results.some(r => !r.holds));
    }, { until: { ...FLOORS, 'NEVER_REACH:held': 20, 'NEVER_REACH:broken': 20 }, batch: 25, maxRuns: 3_000 });
    expect(t.get('broken')).toBeGreaterThan(0);
  });

  it('on the rendered GCP firewall rules (GCP evaluator)', () => {
    const sa = (w: string) => `${w}@proj.iam.gserviceaccount.com`;
    checkUntil(arb(false), ([spec, invs], tally) => {
      const policy = compiled(spec, invs);
      if (!policy) { tally.refuse(); return; }
      const plan = planGcp(policy, { backendPath: 'Gcp', network: 'vpc', identity: 'SERVICE_ACCOUNT', serviceAccounts: Object.fromEntries(policy.workloads.map(w => [w.name, sa(w.name)])) });
      const ev = new GcpFirewallEvaluator(terraformJson(plan.resources), w => ({ tags: [], serviceAccount: sa(w) }));
      const allows: Allows = p => ev.allows({ source: gcpEnd(p.source), destination: gcpEnd(p.destination), protocol: p.protocol, port: p.port });
      compare(policy, 'gcp', allows, tally);
    }, { until: FLOORS, batch: 10, maxRuns: 2_000 });
  });

  it('on the rendered Azure NSG rules (Azure evaluator)', () => {
    checkUntil(arb(false), ([spec, invs], tally) => {
      const policy = compiled(spec, invs);
      if (!policy) { tally.refuse(); return; }
      let resources;
      try {
        resources = planAzure(policy, { backendPath: 'Azure', resourceGroupName: 'rg', location: 'westeurope' }).resources;
      } catch (e) {
        expect(String(e)).toMatch(/microseg:QuotaExceeded/);
        tally.refuse();
        return;
      }
      const ev = new AzureNsgEvaluator(terraformJson(resources), ['10.0.0.0/8']);
      const allows: Allows = p => ev.allows({ source: gcpEnd(p.source), destination: gcpEnd(p.destination), protocol: p.protocol, port: p.port });
      compare(policy, 'azure', allows, tally);
    }, { until: FLOORS, batch: 10, maxRuns: 2_000 });
  });

  it('on the rendered AWS security groups and network ACLs (AWS evaluator)', () => {
    checkUntil(arb(true), ([spec, invs], tally) => {
      const policy = compiled(spec, invs);
      if (!policy) { tally.refuse(); return; }
      let r;
      try {
        r = renderSpec(spec, { props: { maxRulesPerSecurityGroup: 200, maxNaclEntriesPerDirection: 40 } });
      } catch (e) {
        expect(String(e)).toMatch(/microseg:(ShadowedFlow|QuotaExceeded)/);
        tally.refuse();
        return;
      }
      const ev = new AwsEvaluator(r.template, r.backend, r.backend._policy!);
      compare(policy, 'aws', p => ev.allows(p), tally);
    }, { until: { ...FLOORS, 'MUST_REACH:held': 2 }, batch: 5, maxRuns: 1_000 });
  }, 600_000);
});

describe('invariants on Kubernetes NetworkPolicies', () => {
  it('the verdict through the NetworkPolicy evaluator equals the brute force through it', () => {
    checkUntil(arb(true), ([spec, invs], tally) => {
      const policy = compiled(spec, invs);
      if (!policy) { tally.refuse(); return; }
      const plan = planKubernetes(policy, { backendPath: 'K8s', podCidrs: ['10.0.0.0/8'], dns: { allow: false } });
      const ev = new NetworkPolicyEvaluator(plan.policies);
      const end = (e: PacketEnd): KubeEnd => {
        if ('workload' in e) {
          const [i, j] = e.workload.slice(1).split('-').map(Number);
          return { kind: 'pod', namespace: plan.workloadNamespaces[e.workload], labels: plan.podLabels[e.workload], address: { family: 'ipv4', value: workloadAddress(i, j) }, node: 'node-1' };
        }
        return { kind: 'external', address: { family: e.family, value: e.address } };
      };
      compare(policy, 'kubernetes', p => ev.allows({ source: end(p.source), destination: end(p.destination), protocol: p.protocol, port: p.port }), tally);
    }, { until: FLOORS, batch: 10, maxRuns: 2_000 });
  });
});

function gcpEnd(e: PacketEnd) {
  if ('workload' in e) {
    const [i, j] = e.workload.slice(1).split('-').map(Number);
    return { workload: e.workload, address: workloadAddress(i, j), family: 'ipv4' as const };
  }
  return { address: e.address, family: e.family };
}

function compare(policy: IrPolicy, cloud: string, allows: Allows, tally: { add(k: string): void }) {
  const results = checkRenderedInvariants(policy, { cloud, allows });
  for (const [i, r] of results.entries()) {
    expect(r.checkedOn).toBe(cloud);
    const want = bruteVerdict(policy, policy.invariants![i], allows);
    if (r.holds !== want) expect.fail(`${cloud}: ${r.message} but the brute force says it ${want ? 'holds' : 'is broken'}\n${JSON.stringify({ invariants: policy.invariants, rules: policy.rules.length })}`);
  }
  tallyVerdicts(tally, results);
}


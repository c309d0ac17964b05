import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, IrPolicy, modelAllows, Packet, PacketEnd, parseAddress } from '../../src/ir';
import { KubeEnd, KubePacket, NetworkPolicyEvaluator } from '../../src/k8s/evaluator';
import { KubernetesPlan, planKubernetes } from '../../src/k8s/plan';
import { KubeNetworkPolicy } from '../../src/ir/k8s-policy';
import { buildModel, modelArb, packetArb, workloadAddress } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';

const show = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
const addr = (text: string) => { const a = parseAddress(text); return { family: a.family, value: a.value }; };

/** A model packet as the cluster sees it: workloads on the cluster are pods, everything else an address. */
function kubePacket(p: Packet, plan: KubernetesPlan): KubePacket {
  const end = (e: PacketEnd): KubeEnd => {
    if ('workload' in e) {
      const [i, j] = e.workload.slice(1).split('-').map(Number);
      const address = { family: 'ipv4' as const, value: workloadAddress(i, j) };
      const ns = plan.workloadNamespaces[e.workload];
      return ns === undefined ? { kind: 'external', address } : { kind: 'pod', namespace: ns, labels: plan.podLabels[e.workload], address, node: 'node-1' };
    }
    return { kind: 'external', address: { family: e.family, value: e.address } };
  };
  return { source: end(p.source), destination: end(p.destination), protocol: p.protocol, port: p.port };
}

describe('NetworkPolicy evaluator (from the Kubernetes documentation)', () => {
  const np = (name: string, namespace: string, spec: KubeNetworkPolicy['spec']): KubeNetworkPolicy => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
  const pod = (namespace: string, labels: Record<string, string>, ip = '10.0.0.1', node = 'n1'): KubeEnd => ({ kind: 'pod', namespace, labels, address: addr(ip), node });
  const tcp = (source: KubeEnd, destination: KubeEnd, port: number): KubePacket => ({ source, destination, protocol: 'tcp', port });

  it('isolation is per direction and per policy types; unselected pods are open', () => {
    const ev = new NetworkPolicyEvaluator([np('deny-in', 'a', { podSelector: { matchLabels: { app: 'db' } } })]);
    const web = pod('a', { app: 'web' }); const db = pod('a', { app: 'db' });
    expect(ev.allows(tcp(web, db, 5432))).toBe(false); // db isolated for ingress (policyTypes default: Ingress)
    expect(ev.allows(tcp(db, web, 80))).toBe(true); // db not isolated for egress, web not isolated at all
    // an egress-only deny needs policyTypes: a policy without egress rules and types only isolates ingress
    const egressDeny = new NetworkPolicyEvaluator([np('deny-out', 'a', { podSelector: {}, policyTypes: ['Egress'] })]);
    expect(egressDeny.allows(tcp(web, { kind: 'external', address: addr('8.8.8.8') }, 53))).toBe(false);
    expect(egressDeny.allows(tcp({ kind: 'external', address: addr('8.8.8.8') }, web, 80))).toBe(true);
  });

  it('policies are a union; both sides must allow; node-to-own-pod always passes', () => {
    const ev = new NetworkPolicyEvaluator([
      np('deny', 'a', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      np('web-out', 'a', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }] }),
      np('db-in', 'a', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5000, endPort: 6000 }] }] }),
    ]);
    const web = pod('a', { app: 'web' }); const db = pod('a', { app: 'db' }, '10.0.0.2', 'n2');
    expect(ev.allows(tcp(web, db, 5432))).toBe(true);
    expect(ev.ingressAllows(tcp(web, db, 5999))).toBe(true); // endPort range
    expect(ev.allows(tcp(web, db, 5999))).toBe(false); // but web's egress names 5432 only
    expect(ev.allows({ ...tcp(web, db, 5432), protocol: 'udp' })).toBe(false);
    expect(ev.allows(tcp(db, web, 5432))).toBe(false);
    expect(ev.allows(tcp({ kind: 'node', name: 'n2' }, db, 22))).toBe(true); // its own node
    expect(ev.allows(tcp({ kind: 'node', name: 'n1' }, db, 22))).toBe(false); // another node
    expect(ev.allows(tcp(db, { kind: 'node', name: 'n2' }, 10250))).toBe(true);
  });

  it('podSelector and namespaceSelector: one peer is AND, two peers are OR; podSelector alone means the policy namespace', () => {
    const and = { namespaceSelector: { matchLabels: { team: 'x' } }, podSelector: { matchLabels: { app: 'web' } } };
    const or = [{ namespaceSelector: { matchLabels: { team: 'x' } } }, { podSelector: { matchLabels: { app: 'web' } } }];
    const nsLabels = { namespaceLabels: { b: { team: 'x' }, c: { team: 'y' } } };
    const andEv = new NetworkPolicyEvaluator([np('p', 'a', { podSelector: {}, ingress: [{ from: [and] }] })], nsLabels);
    const orEv = new NetworkPolicyEvaluator([np('p', 'a', { podSelector: {}, ingress: [{ from: or }] })], nsLabels);
    const dst = pod('a', { app: 'db' });
    expect(andEv.allows(tcp(pod('b', { app: 'web' }), dst, 1))).toBe(true);
    expect(andEv.allows(tcp(pod('b', { app: 'api' }), dst, 1))).toBe(false);
    expect(andEv.allows(tcp(pod('a', { app: 'web' }), dst, 1))).toBe(false);
    expect(orEv.allows(tcp(pod('b', { app: 'api' }), dst, 1))).toBe(true); // any pod of team x
    expect(orEv.allows(tcp(pod('a', { app: 'web' }), dst, 1))).toBe(true); // web of the policy's namespace
    expect(orEv.allows(tcp(pod('c', { app: 'web' }), dst, 1))).toBe(false); // web elsewhere: neither
    const byName = new NetworkPolicyEvaluator([np('p', 'a', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'c' } } }] }] })]);
    expect(byName.allows(tcp(pod('c', {}), dst, 1))).toBe(true);
    const expr = new NetworkPolicyEvaluator([np('p', 'a', { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }, { key: 'legacy', operator: 'DoesNotExist' }] }, ingress: [] })]);
    expect(expr.allows(tcp(pod('a', {}), dst, 1))).toBe(false);
    expect(expr.allows(tcp(pod('a', {}), pod('a', { app: 'db', legacy: 'y' }), 1))).toBe(true);
  });

  it('ipBlock with except; ports missing = all traffic, port without number = every port of the protocol', () => {
    const ev = new NetworkPolicyEvaluator([np('p', 'a', { podSelector: {}, ingress: [
      { from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ protocol: 'UDP' }] },
      { from: [{ ipBlock: { cidr: '192.0.2.0/24' } }] },
    ] })]);
    const dst = pod('a', {});
    const ext = (ip: string): KubeEnd => ({ kind: 'external', address: addr(ip) });
    expect(ev.allows({ ...tcp(ext('8.8.8.8'), dst, 9), protocol: 'udp' })).toBe(true);
    expect(ev.allows(tcp(ext('8.8.8.8'), dst, 9))).toBe(false);
    expect(ev.allows({ ...tcp(ext('10.1.2.3'), dst, 9), protocol: 'udp' })).toBe(false);
    expect(ev.allows({ ...tcp(ext('192.0.2.9'), dst, 0), protocol: 'icmp' })).toBe(true);
    expect(ev.allows({ ...tcp(pod('b', {}, '8.8.4.4'), dst, 9), protocol: 'udp' })).toBe(true); // ipBlock matching a pod address (stricter reading)
    const lenient = new NetworkPolicyEvaluator([np('p', 'a', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })], { ipBlockMatchesPods: false });
    expect(lenient.allows(tcp(pod('b', {}, '8.8.4.4'), dst, 9))).toBe(false);
  });

  const variants: { name: string; mixed: boolean; dns: boolean; ipBlockMatchesPods: boolean }[] = [
    { name: 'every zone on the cluster, DNS default on', mixed: false, dns: true, ipBlockMatchesPods: true },
    { name: 'every zone on the cluster, DNS off, ipBlocks never match pods', mixed: false, dns: false, ipBlockMatchesPods: false },
    { name: 'even zones on the cluster, odd zones elsewhere', mixed: true, dns: true, ipBlockMatchesPods: true },
  ];
  for (const v of variants) {
    it(`rendered policies allow exactly what the model allows (${v.name}; random models and packets)`, () => {
      const arb = modelArb().filter(s => !v.mixed || s.zones.length >= 2).chain(spec => fc.tuple(fc.constant(spec), fc.array(packetArb(spec), { minLength: 40, maxLength: 40 })));
      const t = checkUntil(arb, ([spec, packets], tally) => {
        const { seg } = buildModel(spec);
        let policy: IrPolicy;
        try { policy = compile(seg); } catch (e) { expect(String(e)).toMatch(/microseg:ShadowedFlow/); tally.refuse(); return; }
        const local = policy.zones.filter(z => !v.mixed || Number(z.name.slice(1)) % 2 === 0);
        const podCidrs = v.mixed ? local.flatMap(z => z.cidrs) : ['10.0.0.0/8'];
        const plan = planKubernetes(policy, { backendPath: 'K8s', zones: v.mixed ? local.map(z => z.name) : undefined, podCidrs, dns: { allow: v.dns } });
        const ev = new NetworkPolicyEvaluator(plan.policies, { ipBlockMatchesPods: v.ipBlockMatchesPods });
        const zoneOf = (w: string) => policy.workloads.find(x => x.name === w)!.zone;
        const isLocal = (e: PacketEnd) => 'workload' in e && plan.workloadNamespaces[e.workload] !== undefined;
        const isRemote = (e: PacketEnd) => 'workload' in e && !isLocal(e);
        for (const p of packets as Packet[]) {
          if (!isLocal(p.source) && !isLocal(p.destination)) continue;
          const got = ev.allows(kubePacket(p, plan));
          const want = modelAllows(policy, p);
          // NetworkPolicy cannot match ICMP or port 0: there the rendering may only be narrower
          const narrowable = p.protocol === 'icmp' || p.port === 0;
          if (got && !want && (isRemote(p.source) || isRemote(p.destination))) {
            // a range of a zone elsewhere stands for all its workloads: zone-granular on the cluster side
            tally.add('zoneGranular');
            const peersOf = (zone: string) => policy.zones.find(z => z.name === zone)!.workloads;
            if (isRemote(p.destination)) expect(peersOf(zoneOf((p.destination as { workload: string }).workload)).some(w => modelAllows(policy, { ...p, destination: { workload: w } }))).toBe(true);
            else expect(peersOf(zoneOf((p.source as { workload: string }).workload)).some(w => modelAllows(policy, { ...p, source: { workload: w } }))).toBe(true);
            continue;
          }
          if (got && !want) expect.fail(`the cluster allows what the model forbids: ${show(p)}`);
          if (!got && want && !narrowable) expect.fail(`the cluster blocks what the model allows: ${show(p)}`);
          // each side alone is exact too (ingress at the destination's pods, egress at the source's)
          const kp = kubePacket(p, plan);
          if (!narrowable && isLocal(p.destination) && !isRemote(p.source) && ev.ingressAllows(kp) !== want) expect.fail(`ingress ${want ? 'blocks' : 'allows'} ${show(p)}`);
          if (!narrowable && isLocal(p.source) && !isRemote(p.destination) && ev.egressAllows(kp) !== want) expect.fail(`egress ${want ? 'blocks' : 'allows'} ${show(p)}`);
          tally.add(narrowable ? 'narrowable' : 'packets');
          if (want && !narrowable) tally.add('allowed');
        }
      }, { until: { packets: 3_000, allowed: 100 }, batch: 20, maxRuns: 1_500 });
      expect(t.get('packets')).toBeGreaterThanOrEqual(3_000);
      expect(t.get('allowed')).toBeGreaterThanOrEqual(100);
    });
  }
});

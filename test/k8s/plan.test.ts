import { describe, expect, it } from 'vitest';
import { AllowFlow, EnforcementMode, Peer, Port, Segmentation, Selector, Workload, Zone } from '../../src';
import { compile } from '../../src/ir';
import { canonicalRulesOf } from '../../src/ir/k8s-policy';
import { labelValue, objectName } from '../../src/k8s/names';
import { KubernetesPlanOptions, planKubernetes } from '../../src/k8s/plan';

function shop(mode?: EnforcementMode) {
  const seg = Segmentation.root('Shop', { mode });
  const web = new Zone(seg, 'Web', { cidrs: ['10.0.0.0/20'] });
  const app = new Zone(seg, 'App', { cidrs: ['10.0.16.0/20'], labels: { tier: 'app' } });
  const frontend = new Workload(web, 'Frontend');
  const api = new Workload(app, 'Api', { labels: { app: 'api' } });
  const worker = new Workload(app, 'Worker');
  return { seg, web, app, frontend, api, worker };
}
const plan = (seg: Segmentation, opts: Partial<KubernetesPlanOptions> = {}) => planKubernetes(compile(seg), { backendPath: 'K8s', podCidrs: ['10.244.0.0/16'], ...opts });
const byName = (p: ReturnType<typeof plan>, ns: string, name: string) => p.policies.find(x => x.metadata.namespace === ns && x.metadata.name === name);

describe('k8s plan', () => {
  it('default deny per namespace with explicit policy types, and the DNS egress default', () => {
    const { seg, frontend, api } = shop();
    api.allowFrom(frontend, Port.tcp(8080));
    const p = plan(seg);
    expect(p.namespaces).toEqual(['app', 'web']);
    for (const ns of ['app', 'web']) {
      expect(byName(p, ns, 'shop-default-deny')!.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      expect(byName(p, ns, 'shop-allow-dns')!.spec).toEqual({
        podSelector: {}, policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
      });
    }
    expect(plan(seg, { dns: { allow: false } }).policies.some(x => x.metadata.name.includes('dns'))).toBe(false);
    const custom = plan(seg, { dns: { namespace: 'dns', podLabels: { app: 'coredns' } } });
    expect(byName(custom, 'web', 'shop-allow-dns')!.spec.egress![0].to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns' } }, podSelector: { matchLabels: { app: 'coredns' } } }]);
  });

  it('a flow is ingress on the destination pods AND egress on the source pods; pods by ONE peer with both selectors', () => {
    const { seg, frontend, api } = shop();
    api.allowFrom(frontend, Port.tcp(8080), Port.tcpRange(9000, 9100));
    const p = plan(seg);
    const apiPolicy = byName(p, 'app', 'shop-api-allow')!;
    expect(apiPolicy.spec.podSelector).toEqual({ matchLabels: { 'microseg.io/segmentation': 'shop', 'microseg.io/workload': 'api' } });
    expect(apiPolicy.spec.policyTypes).toEqual(['Ingress']);
    expect(apiPolicy.spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: { 'microseg.io/segmentation': 'shop', 'microseg.io/workload': 'frontend' } } }],
      ports: [{ protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 9000, endPort: 9100 }],
    }]);
    const fe = byName(p, 'web', 'shop-frontend-allow')!;
    expect(fe.spec.policyTypes).toEqual(['Egress']);
    expect(fe.spec.egress![0].to![0].podSelector!.matchLabels!['microseg.io/workload']).toBe('api');
    expect(p.podLabels.api).toEqual({ app: 'api', tier: 'app', 'microseg.io/segmentation': 'shop', 'microseg.io/workload': 'api' });
    expect(p.workloadNamespaces).toEqual({ api: 'app', frontend: 'web', worker: 'app' });
  });

  it('peers are ipBlocks without the pod ranges and the zones; all traffic has no ports; namespaces map', () => {
    const { seg, frontend, api } = shop();
    frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    api.allowTo(Peer.ipv4('10.0.0.0/8'), Port.allTraffic());
    const p = plan(seg, { namespaces: { web: 'shop-web' } });
    expect(byName(p, 'shop-web', 'shop-frontend-allow')!.spec.ingress).toEqual([{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/20', '10.0.16.0/20', '10.244.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 443 }] }]);
    expect(byName(p, 'app', 'shop-api-allow')!.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/20', '10.0.16.0/20', '10.244.0.0/16'] } }] }]);
    expect(p.warnings.map(w => w.id)).toContain('microseg:PeerOverlapsZones');
  });

  it('zones elsewhere are ipBlocks of their cidrs; flows between two zones elsewhere are not rendered', () => {
    const { seg, frontend, api, worker } = shop();
    api.allowFrom(frontend, Port.tcp(8080));
    worker.allowTo(frontend, Port.udp(5000));
    const p = plan(seg, { zones: ['app'] });
    expect(p.namespaces).toEqual(['app']);
    expect(byName(p, 'app', 'shop-api-allow')!.spec.ingress).toEqual([{ from: [{ ipBlock: { cidr: '10.0.0.0/20' } }], ports: [{ protocol: 'TCP', port: 8080 }] }]);
    expect(byName(p, 'app', 'shop-worker-allow')!.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.0.0.0/20' } }], ports: [{ protocol: 'UDP', port: 5000 }] }]);
  });

  it('ICMP cannot be expressed: not rendered, with a warning (narrower, never wider)', () => {
    const { seg, frontend, api } = shop();
    const f = new AllowFlow(seg, 'Ping', { from: frontend, to: api, ports: [Port.icmp(8)] });
    api.allowFrom(frontend, Port.tcp(80));
    const p = plan(seg);
    expect(byName(p, 'app', 'shop-api-allow')!.spec.ingress![0].ports).toEqual([{ protocol: 'TCP', port: 80 }]);
    expect(p.warnings).toContainEqual(expect.objectContaining({ id: 'microseg:IcmpNotExpressible', path: f.node.path }));
    const only = shop();
    new AllowFlow(only.seg, 'Ping', { from: only.frontend, to: only.api, ports: [Port.icmp()] });
    expect(plan(only.seg).policies.some(x => x.metadata.name === 'shop-api-allow')).toBe(false); // never an empty ports list (= all)
  });

  it('MONITOR: a clearly named catch-all, scoped to the zone, the namespace when every zone in it monitors; with a warning', () => {
    const all = shop(EnforcementMode.MONITOR);
    const p = plan(all.seg);
    expect(byName(p, 'web', 'shop-monitor-catchall')!.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] });
    expect(p.warnings.filter(w => w.id === 'microseg:MonitorCatchAll')).toHaveLength(2);
    const seg = Segmentation.root('Mix');
    const a = new Zone(seg, 'A', { mode: EnforcementMode.MONITOR });
    new Workload(a, 'W1'); new Workload(a, 'W2');
    new Workload(new Zone(seg, 'B'), 'X');
    const q = plan(seg, { namespaces: { a: 'shared', b: 'shared' } });
    expect(byName(q, 'shared', 'mix-a-monitor-catchall')!.spec.podSelector).toEqual({ matchLabels: { 'microseg.io/segmentation': 'mix' }, matchExpressions: [{ key: 'microseg.io/workload', operator: 'In', values: ['w1', 'w2'] }] });
  });

  it('coded errors with path, value and hint, all at once', () => {
    const { seg, frontend } = shop();
    frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    expect(() => plan(seg, { podCidrs: undefined })).toThrow(/microseg:InvalidProp\] at K8s: "podCidrs": is required.*10\.244\.0\.0\/16/s);
    const err = (() => { try { plan(seg, { namespaces: { web: 'Bad_NS', nope: 'x', app: 'kube-system' }, podCidrs: ['10.0.0.0/33'] }); } catch (e) { return String(e); } return ''; })();
    expect(err).toMatch(/4 problems/);
    expect(err).toMatch(/microseg:InvalidProp\] at K8s: "Bad_NS".*Did you mean "bad-ns"/);
    expect(err).toMatch(/microseg:UnknownZone\] at K8s: "nope"/);
    expect(err).toMatch(/microseg:InvalidProp\] at K8s: "kube-system"/);
    expect(err).toMatch(/microseg:InvalidCidr\] at K8s: "10.0.0.0\/33"/);
    expect(() => plan(seg, { zones: ['web', 'nope'] })).toThrow(/microseg:UnknownZone/);
    expect(() => plan(seg, { dns: { podLabels: {} } })).toThrow(/microseg:InvalidProp.*dns.podLabels is empty/);
    const remote = shop();
    remote.api.allowFrom(remote.frontend, Port.tcp(1));
    const noCidrs = Segmentation.root('N');
    const z1 = new Zone(noCidrs, 'Z1'); const z2 = new Zone(noCidrs, 'Z2');
    new Workload(z1, 'A').allowFrom(new Workload(z2, 'B'), Port.tcp(1));
    expect(() => plan(noCidrs, { zones: ['z1'] })).toThrow(/microseg:MissingCidrs/);
    expect(() => plan(remote.seg, { zones: ['app'], podCidrs: ['10.0.0.0/8'] })).toThrow(/microseg:OverlappingRanges/);
  });

  it('names within 253 characters and label values within 63, deterministic', () => {
    expect(objectName('a'.repeat(300))).toHaveLength(253);
    expect(objectName('a'.repeat(300))).toBe(objectName('a'.repeat(300)));
    expect(objectName('a'.repeat(300))).not.toBe(objectName('a'.repeat(301)));
    expect(labelValue('x'.repeat(80))).toHaveLength(63);
    expect(labelValue('ok-value')).toBe('ok-value');
    expect(labelValue('-bad value-')).toMatch(/^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$/);
  });

  it('selectors expand to workloads (a Selector never becomes a label selector wider than the model)', () => {
    const { seg, api, worker } = shop();
    new AllowFlow(seg, 'ToTier', { from: Selector.labels({ tier: 'app' }), to: api, ports: [Port.tcp(1)] });
    void worker;
    const ing = byName(plan(seg), 'app', 'shop-api-allow')!.spec.ingress!;
    expect(ing.map(r => r.from![0].podSelector!.matchLabels!['microseg.io/workload'])).toEqual(['api', 'worker']);
  });

  it('the manifest section: canonical rules of every policy, identities, settings', () => {
    const { seg, frontend, api } = shop();
    api.allowFrom(frontend, Port.tcp(8080));
    const p = plan(seg);
    expect(p.section.settings).toEqual({ namespaces: 'app=app,web=web', podCidrs: '10.244.0.0/16', dns: 'kube-system/k8s-app=kube-dns' });
    expect(p.section.identities.api).toEqual({ namespace: 'app', zone: 'app', podSelector: 'microseg.io/segmentation=shop,microseg.io/workload=api', podLabels: 'app=api,microseg.io/segmentation=shop,microseg.io/workload=api,tier=app' });
    expect(p.section.expected).toContainEqual({ container: 'networkpolicy:app/shop-api-allow', direction: 'ingress', action: 'allow', protocol: 'tcp', ports: '8080', peer: 'pods:ns(kubernetes.io/metadata.name=web)/(microseg.io/segmentation=shop,microseg.io/workload=frontend)', target: 'pods:microseg.io/segmentation=shop,microseg.io/workload=api', origin: 'Shop/App/Api/From-workload:frontend-tcp:8080' });
    expect(p.section.expected.filter(r => r.container === 'networkpolicy:web/shop-default-deny').map(r => `${r.direction}:${r.action}:${r.peer}`)).toEqual(['ingress:deny:*', 'egress:deny:*']);
    expect(canonicalRulesOf(p.policies[0]).length).toBeGreaterThan(0);
  });
});

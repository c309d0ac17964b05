import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Peer, Port, Segmentation, Workload, Zone } from '../../src';
import { compile } from '../../src/ir';
import { KubernetesManifests, KubernetesSegmentation } from '../../src/k8s';
import { toYaml } from '../../src/k8s/yaml';
import { buildModel, modelArb } from '../support/model-arbitrary';

function shop() {
  const seg = Segmentation.root('Shop');
  const web = new Zone(seg, 'Web', { cidrs: ['10.0.0.0/20'] });
  const app = new Zone(seg, 'App', { cidrs: ['10.0.16.0/20'], labels: { tier: 'app' } });
  const frontend = new Workload(web, 'Frontend', { labels: { app: 'frontend' } });
  const api = new Workload(app, 'Api', { labels: { app: 'api' } });
  return { seg, web, app, frontend, api };
}
const parse = (text: string) => parseAllDocuments(text).map(d => d.toJSON());
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-k8s-'));

describe('k8s backend: cdk8s construct and plain YAML writer', () => {
  it('the cdk8s chart and the plain YAML hold identical objects; flows declared after the construct count', () => {
    const { seg, frontend, api } = shop();
    const app = Testing.app();
    const chart = new Chart(app, 'Policies');
    const backend = new KubernetesSegmentation(chart, 'Microseg', { segmentation: seg, podCidrs: ['10.244.0.0/16'] });
    api.allowFrom(frontend, Port.tcp(8080)); // after the construct: rendering is lazy
    frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
    const fromCdk8s = Testing.synth(chart);
    const plain = parse(KubernetesManifests.render({ segmentation: seg, podCidrs: ['10.244.0.0/16'] }));
    expect(fromCdk8s).toEqual(plain);
    expect(fromCdk8s.map(o => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'app/shop-allow-dns', 'app/shop-api-allow', 'app/shop-default-deny',
      'web/shop-allow-dns', 'web/shop-default-deny', 'web/shop-frontend-allow',
    ]);
    expect(backend.podLabelsFor(api)).toEqual({ app: 'api', tier: 'app', 'microseg.io/segmentation': 'shop', 'microseg.io/workload': 'api' });
    expect(KubernetesManifests.podLabelsFor(api)).toEqual(backend.podLabelsFor(api));
    expect(backend.namespaceFor(frontend)).toBe('web');
    expect(() => backend.podLabelsFor(new Workload(new Zone(Segmentation.root('Other'), 'Z'), 'W'))).toThrow(/microseg:UnknownWorkload/);
  });

  it('a Peer range or a remote zone range unknown at synth is UnresolvedRange at the flow, naming which', () => {
    const { seg, api } = shop();
    const { Lazy } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const office = Lazy.string({ produce: () => '203.0.113.0/24' });
    const remote = seg.addZone('Remote', { cidrs: [Lazy.string({ produce: () => '10.9.0.0/16' })] });
    api.allowFrom(Peer.ipv4(office), Port.tcp(443));
    api.allowFrom(remote.addWorkload('Batch'), Port.tcp(8443));
    let text = '';
    try { KubernetesManifests.render({ segmentation: seg, podCidrs: ['10.244.0.0/16'], zones: ['web', 'app'] }); } catch (e) { text = String(e); }
    expect(text).toMatch(/\[microseg:UnresolvedRange\] at Shop\/App\/Api\/From-ipv4:.*this Peer range is only known at deploy time.*Give the Peer a literal range/);
    expect(text).toMatch(/zone "remote" has a range only known at deploy time/);
    expect(text).not.toMatch(/zone "undefined"/);
  });

  it('cdk8s app synth writes the YAML and the manifest with a kubernetes section', () => {
    const { seg, frontend, api } = shop();
    api.allowFrom(frontend, Port.tcp(8080));
    const outdir = tmp();
    const app = new App({ outdir });
    new KubernetesSegmentation(new Chart(app, 'policies'), 'Microseg', { segmentation: seg, namespaces: { app: 'shop-app' } });
    app.synth();
    const objects = parse(fs.readFileSync(path.join(outdir, 'policies.k8s.yaml'), 'utf8'));
    expect(objects.find(o => o.metadata.name === 'shop-api-allow').metadata.namespace).toBe('shop-app');
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'shop.microseg.json'), 'utf8'));
    expect(manifest.clouds.kubernetes.settings.namespaces).toBe('app=shop-app,web=web');
    expect(manifest.clouds.kubernetes.identities.api).toEqual({ namespace: 'shop-app', zone: 'app', podSelector: 'microseg.io/segmentation=shop,microseg.io/workload=api', podLabels: 'app=api,microseg.io/segmentation=shop,microseg.io/workload=api,tier=app' });
    expect(manifest.clouds.kubernetes.expected.filter((r: { action: string }) => r.action === 'allow').length).toBe(6); // ingress on api, egress on frontend, DNS (UDP and TCP) in both namespaces
  });

  it('the plain writer writes <segmentation>.k8s.yaml and the manifest; invalid input writes nothing', () => {
    const { seg, frontend, api } = shop();
    api.allowFrom(frontend, Port.tcp(8080));
    const dir = path.join(tmp(), 'out');
    const files = KubernetesManifests.write(dir, { segmentation: seg, dns: { allow: false } });
    expect(files.map(f => path.basename(f))).toEqual(['shop.k8s.yaml', 'shop.microseg.json']);
    const text = fs.readFileSync(files[0], 'utf8');
    expect(text).toContain('  podSelector: {}\n  policyTypes:\n  - Ingress\n  - Egress\n');
    expect(JSON.parse(fs.readFileSync(files[1], 'utf8')).clouds.kubernetes.settings.dns).toBe('off');
    const bad = path.join(tmp(), 'never');
    frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443)); // needs podCidrs
    expect(() => KubernetesManifests.write(bad, { segmentation: seg })).toThrow(/microseg:InvalidProp.*podCidrs/);
    expect(fs.existsSync(bad)).toBe(false);
    expect(() => KubernetesManifests.render({ segmentation: {} as Segmentation })).toThrow(/microseg:InvalidProp/);
  });

  it('the YAML emitter round-trips through a YAML parser, quoting what YAML would misread', () => {
    const value = { a: 'true', b: '0123', c: 'x: y', d: '', e: [], f: {}, g: [{}], h: [{ k: 1, l: ['-x', '# no', 'yes'] }], i: 'kubernetes.io/metadata.name', j: 53, k: '10.0.0.0/8', m: 'null', n: '1e3' };
    expect(parse(toYaml(value))[0]).toEqual(value);
    fc.assert(fc.property(fc.jsonValue().filter(v => v !== null && typeof v === 'object'), v => {
      expect(parse(toYaml(v))[0]).toEqual(JSON.parse(JSON.stringify(v)));
    }), { numRuns: 300 });
  });

  it('determinism: any declaration order gives byte-identical YAML; one added flow changes only the policies of its ends', () => {
    fc.assert(fc.property(modelArb({ maxFlows: 8 }), fc.integer({ min: 1, max: 1_000 }), (spec, seed) => {
      const render = (s: typeof spec, shuffleSeed: number) => {
        const { seg } = buildModel(s, { shuffleSeed });
        try { return { yaml: KubernetesManifests.render({ segmentation: seg, podCidrs: ['10.0.0.0/8'] }), seg }; } catch (e) { return { yaml: String((e as Error).message), seg }; }
      };
      expect(render(spec, seed).yaml).toBe(render(spec, 0).yaml);
      if (spec.flows.length < 2) return;
      const before = render({ ...spec, flows: spec.flows.slice(0, -1) }, 0);
      const after = render(spec, 0);
      if (before.yaml.includes('microseg:') || after.yaml.includes('microseg:')) return; // a rejected model (shadowed flow)
      const docs = (y: string) => new Map(parse(y).map(o => [`${o.metadata.namespace}/${o.metadata.name}`, JSON.stringify(o)]));
      const a = docs(before.yaml); const b = docs(after.yaml);
      for (const k of a.keys()) expect(b.has(k)).toBe(true); // nothing removed
      const flow = compile(after.seg).flows.find(f => f.path.endsWith(`/Flow${spec.flows.length - 1}`))!;
      const ends = new Set([...flow.from.workloads, ...flow.to.workloads].map(w => `seg-${w}-allow`));
      const changed = [...b.keys()].filter(k => a.get(k) !== b.get(k));
      for (const k of changed) expect(ends.has(k.split('/')[1])).toBe(true);
    }), { numRuns: 80 });
  });
});

/**
 * examples/k8s through the real cdk8s CLI (`cdk8s synth`), offline: no upgrade check, proxies
 * pointing nowhere, an empty HOME. The synthesized Deployments and NetworkPolicies are then
 * evaluated together: the pods' labels come from the Deployments' pod templates.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseAddress } from '../../src/ir';
import { KubernetesManifests } from '../../src/k8s';
import { KubeEnd, NetworkPolicyEvaluator } from '../../src/k8s/evaluator';
import { KubeNetworkPolicy } from '../../src/ir/k8s-policy';
import { buildModel, POD_CIDRS } from '../../examples/k8s/main';

const root = path.resolve(__dirname, '../..');
const parse = (file: string) => parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => d.toJSON());
let out: string;
let synth: ReturnType<typeof spawnSync>;

beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-k8s-example-'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-k8s-home-'));
  synth = spawnSync(path.join(root, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade', '--output', out], {
    cwd: path.join(root, 'examples', 'k8s'), encoding: 'utf8', timeout: 240_000,
    env: { ...process.env, HOME: home, HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', npm_config_offline: 'true' },
  });
}, 300_000);

describe('examples/k8s with the cdk8s CLI', () => {
  it('cdk8s synth renders the boutique and its NetworkPolicies, and the manifest', () => {
    expect(synth.status, `${synth.stdout}\n${synth.stderr}`).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['boutique.k8s.yaml', 'boutique.microseg.json', 'policies.k8s.yaml']);
    const policies = parse(path.join(out, 'policies.k8s.yaml'));
    expect(policies).toHaveLength(17); // 3 namespaces x (default deny + DNS) + 11 workloads
    // exactly what the plain writer renders for the same model
    const plain = parseAllDocuments(KubernetesManifests.render({ segmentation: buildModel().segmentation, podCidrs: POD_CIDRS })).map(d => d.toJSON());
    expect(policies).toEqual(plain);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'boutique.microseg.json'), 'utf8'));
    expect(manifest.clouds.kubernetes.zones).toEqual(['data', 'services', 'web']);
    expect(String(synth.stderr)).toMatch(/microseg:PeerOverlapsZones/); // the internet peer minus the pod range, said aloud
  });

  it('the synthesized pods and policies allow the boutique\'s calls and nothing else', () => {
    const objects = [...parse(path.join(out, 'boutique.k8s.yaml')), ...parse(path.join(out, 'policies.k8s.yaml'))];
    const ev = new NetworkPolicyEvaluator(objects.filter(o => o.kind === 'NetworkPolicy') as KubeNetworkPolicy[]);
    let n = 0;
    const pods = new Map<string, KubeEnd>(objects.filter(o => o.kind === 'Deployment').map(d => [d.metadata.name, {
      kind: 'pod' as const, namespace: d.metadata.namespace, labels: d.spec.template.metadata.labels,
      address: { family: 'ipv4' as const, value: parseAddress(`10.244.0.${++n}`).value }, node: 'node-1',
    }]));
    expect(pods.size).toBe(11);
    const ext = (ip: string): KubeEnd => ({ kind: 'external', address: { family: 'ipv4', value: parseAddress(ip).value } });
    const dns: KubeEnd = { kind: 'pod', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, address: { family: 'ipv4', value: parseAddress('10.244.9.9').value } };
    const can = (from: string | KubeEnd, to: string | KubeEnd, port: number, protocol = 'tcp') =>
      ev.allows({ source: typeof from === 'string' ? pods.get(from)! : from, destination: typeof to === 'string' ? pods.get(to)! : to, protocol, port });
    expect(can(ext('198.51.100.7'), 'frontend', 8080)).toBe(true);
    expect(can(ext('198.51.100.7'), 'cart', 7070)).toBe(false);
    expect(can('frontend', 'cart', 7070)).toBe(true);
    expect(can('frontend', 'cart', 7071)).toBe(false);
    expect(can('checkout', 'payment', 50051)).toBe(true);
    expect(can('frontend', 'payment', 50051)).toBe(false);
    expect(can('cart', 'redis', 6379)).toBe(true);
    expect(can('frontend', 'redis', 6379)).toBe(false);
    expect(can('cart', 'frontend', 8080)).toBe(false); // no flow back
    expect(can('payment', ext('203.0.113.5'), 443)).toBe(true);
    expect(can('payment', ext('8.8.8.8'), 443)).toBe(false);
    expect(can('email', dns, 53, 'udp')).toBe(true); // the DNS default
    expect(can('email', dns, 5353, 'udp')).toBe(false);
    // a pod of the shop's namespaces that lacks the labels is isolated (fail closed)
    const stray: KubeEnd = { kind: 'pod', namespace: 'services', labels: { app: 'cart' }, address: { family: 'ipv4', value: parseAddress('10.244.7.7').value } };
    expect(can('frontend', stray, 7070)).toBe(false);
  });
});

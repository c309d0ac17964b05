/**
 * The Kubernetes audit: the real `@kubernetes/client-node` against a local server speaking the
 * Kubernetes list format (chunked with `continue` tokens), and the `microseg audit` command.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Cloud, Port, Segmentation } from '../../src';
import { runAudit } from '../../src/audit/run';
import { KubernetesManifests } from '../../src/k8s';
import { KubeApiServer, KubeApiState, startKubeApiServer } from './kube-api-server';

const ROOT = path.join(__dirname, '..', '..');

function shop() {
  const seg = Segmentation.root('Shop');
  const web = seg.addZone('Web').addWorkload('Frontend', { labels: { app: 'frontend' } });
  const app = seg.addZone('App');
  const api = app.addWorkload('Api', { labels: { app: 'api' } });
  const worker = app.addWorkload('Worker', { labels: { app: 'worker' } });
  api.allowFrom(web, Port.tcp(8080));
  worker.allowFrom(api, Port.tcp(9000));
  return seg;
}

/** Writes the manifest and returns it with the rendered policies, by namespace (the live state of a cluster without drift). */
function rendered() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-k8s-audit-'));
  const [yamlFile, manifestFile] = KubernetesManifests.write(dir, { segmentation: shop() });
  const policies: KubeApiState['policies'] = {};
  for (const o of parseAllDocuments(fs.readFileSync(yamlFile, 'utf8')).map(d => d.toJSON())) (policies[o.metadata.namespace] ??= []).push(o);
  return { manifestFile, policies, dir };
}

let server: KubeApiServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

describe('kubernetes audit', () => {
  it('no drift: every page read (continue tokens), exit 0', async () => {
    const { manifestFile, policies } = rendered();
    server = await startKubeApiServer({ policies, maxPage: 2 });
    const out = await runAudit({ manifestFile, cloud: Cloud.KUBERNETES, kubernetesEndpoint: server.url });
    expect(out.errors).toEqual([]);
    expect(out.findings).toEqual([]);
    expect(out.exitCode).toBe(0);
    expect(out.liveRules).toBe(out.expectedRules);
    // app: default deny, DNS, api, worker = 4 policies in 2 pages; web: 3 policies in 2 pages
    expect(server.requests).toEqual([
      'GET /apis/networking.k8s.io/v1/namespaces/app/networkpolicies?limit=500',
      expect.stringMatching(/^GET \/apis\/networking\.k8s\.io\/v1\/namespaces\/app\/networkpolicies\?continue=.+&limit=500$/),
      'GET /apis/networking.k8s.io/v1/namespaces/web/networkpolicies?limit=500',
      expect.stringMatching(/namespaces\/web\/networkpolicies\?continue=/),
    ]);
    expect(out.pages).toBe(4);
  });

  it('reports missing, modified/unexpected and unmanaged policies (exit 1)', async () => {
    const { manifestFile, policies } = rendered();
    const api = policies.app.find(p => (p.metadata as { name: string }).name === 'shop-api-allow') as any;
    api.spec.ingress[0].ports[0].port = 8443; // someone edited the port
    policies.web = policies.web.filter(p => (p.metadata as { name: string }).name !== 'shop-frontend-allow'); // deleted
    policies.app.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'debug-open-api', namespace: 'app' }, spec: { podSelector: { matchLabels: { app: 'api' } }, ingress: [{}] } });
    policies.app.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'unrelated', namespace: 'app' }, spec: { podSelector: { matchLabels: { app: 'batch' } }, ingress: [{}] } });
    server = await startKubeApiServer({ policies });
    const out = await runAudit({ manifestFile, cloud: Cloud.KUBERNETES, kubernetesEndpoint: server.url });
    expect(out.exitCode).toBe(1);
    const kinds = out.findings.map(f => `${f.kind} ${f.container}`).sort();
    expect(kinds).toContain('unmanaged networkpolicy:app/debug-open-api');
    expect(kinds.some(k => /^(modified|unexpected) networkpolicy:app\/shop-api-allow$/.test(k))).toBe(true);
    expect(kinds.filter(k => k === 'missing networkpolicy:web/shop-frontend-allow').length).toBeGreaterThan(0);
    expect(kinds.join('\n')).not.toMatch(/unrelated/); // selects no segmented pod
    expect(out.findings.find(f => f.kind === 'unmanaged')!.unmanaged!.workloads).toEqual(['api']);
  });

  it('a failed or expired page is an incomplete audit (exit 2), never a clean bill; throttling is retried', async () => {
    const { manifestFile, policies } = rendered();
    server = await startKubeApiServer({ policies, maxPage: 2, failRequests: { 2: 500, 3: 500, 4: 500, 5: 500 } });
    const failed = await runAudit({ manifestFile, cloud: Cloud.KUBERNETES, kubernetesEndpoint: server.url });
    expect(failed.complete).toBe(false);
    expect(failed.exitCode).toBe(2);
    expect(failed.errors.join('\n')).toMatch(/namespace "app" failed.*HTTP 500/);
    await server.close();
    const first = Buffer.from('app:2').toString('base64');
    server = await startKubeApiServer({ policies, maxPage: 2, expired: new Set([first]) });
    const expired = await runAudit({ manifestFile, cloud: Cloud.KUBERNETES, kubernetesEndpoint: server.url });
    expect(expired.exitCode).toBe(2);
    expect(expired.errors.join('\n')).toMatch(/HTTP 410/);
    await server.close();
    server = await startKubeApiServer({ policies, failRequests: { 1: 429 } });
    const throttled = await runAudit({ manifestFile, cloud: Cloud.KUBERNETES, kubernetesEndpoint: server.url });
    expect(throttled.exitCode).toBe(0);
    expect(throttled.requests).toBe(3); // app twice (429, then OK), web once
  });

  it('reads saved kubectl output with --from-file; a partial list is exit 2', async () => {
    const { manifestFile, policies, dir } = rendered();
    const file = path.join(dir, 'np.json');
    fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...policies.app, ...policies.web] }));
    expect((await runAudit({ manifestFile, cloud: Cloud.KUBERNETES, fromFiles: [file] })).exitCode).toBe(0);
    fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { continue: 'more' }, items: policies.app }));
    expect((await runAudit({ manifestFile, cloud: Cloud.KUBERNETES, fromFiles: [file] })).exitCode).toBe(2);
  });

  it('the microseg audit command (--cloud kubernetes --kube-endpoint)', async () => {
    const { manifestFile, policies } = rendered();
    server = await startKubeApiServer({ policies, maxPage: 3 });
    const run = await new Promise<{ code: number; stdout: string }>(resolve => execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'),
      'audit', '-m', manifestFile, '-c', 'kubernetes', '--kube-endpoint', server!.url, '-f', 'json'], { cwd: ROOT, timeout: 240_000 },
    (err, stdout) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout })));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ cloud: 'kubernetes', complete: true });
  });
});

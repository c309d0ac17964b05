/**
 * The GCP reader with the real `@google-cloud/compute` FirewallsClient (REST transport) against a
 * local Compute server (JSON, pageToken paging), state built from a manifest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cloud } from '../../src';
import { runAudit } from '../../src/audit/run';
import { shopManifest } from './fixtures';
import { writeManifestFile } from './helpers';
import { GcpServer, GcpServerOptions, GcpState, gcpStateFromManifest, startGcpServer } from '../support/servers/gcp-compute-server';

let server: GcpServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; delete process.env.MICROSEG_GCP_ACCESS_TOKEN; });

async function setup(mutate?: (s: GcpState) => void, options: GcpServerOptions = { maxPage: 3 }) {
  const manifest = shopManifest();
  const state = gcpStateFromManifest(manifest);
  mutate?.(state);
  server = await startGcpServer(state, options);
  process.env.MICROSEG_GCP_ACCESS_TOKEN = 'gcp-test-token';
  return { file: writeManifestFile(manifest), state, server };
}

const fw = (s: GcpState, name: string) => s.firewalls.find(f => f.name === name)!;

describe('GCP reader against a local Compute endpoint', () => {
  it('reports no drift for a faithful deployment, paging with pageToken (GET only, maxResults 500)', async () => {
    const { file, server: s, state } = await setup();
    const out = await runAudit({ manifestFile: file, cloud: Cloud.GCP, gcpEndpoint: s.url });
    expect(out.errors).toEqual([]);
    expect(out.findings).toEqual([]);
    expect(out.exitCode).toBe(0);
    expect(s.requests.length).toBe(Math.ceil(state.firewalls.length / 3));
    expect(s.requests.every(r => r.method === 'GET' && r.path === '/compute/v1/projects/shop-prod/global/firewalls')).toBe(true);
    expect(s.requests[0].query.maxResults).toBe('500');
    expect(s.requests[1].query.pageToken).toBeTruthy();
    expect(s.requests[0].authorization).toBe('Bearer gcp-test-token');
  });

  it('reports injected, deleted and modified firewall rules exactly; other networks are ignored', async () => {
    const { file, server: s } = await setup(st => {
      st.firewalls.push({ name: 'allow-ssh-anywhere', network: 'https://www.googleapis.com/compute/v1/projects/shop-prod/global/networks/prod', direction: 'INGRESS', priority: 900, sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] });
      st.firewalls.push({ name: 'other-net', network: 'https://www.googleapis.com/compute/v1/projects/shop-prod/global/networks/default', direction: 'INGRESS', priority: 1000, sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['3389'] }] });
      st.firewalls = st.firewalls.filter(f => f.name !== 'shop-deny-all-egress');
      const db = st.firewalls.find(f => f.direction === 'INGRESS' && f.targetTags?.includes('db'))!;
      db.allowed = [{ IPProtocol: 'tcp', ports: ['5432', '5433'] }];
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.GCP, gcpEndpoint: s.url });
    expect(out.exitCode).toBe(1);
    const rules = out.findings.filter(f => !f.reachability);
    expect(rules.map(f => [f.kind, f.severity])).toEqual([['unexpected', 'critical'], ['missing', 'high'], ['modified', 'medium']]);
    // what they mean: SSH from anywhere to every instance, all egress open, db on 5433 from api
    const paths = out.findings.filter(f => f.reachability).map(f => `${f.kind} ${f.severity} ${f.container} ${f.reachability!.protocol} ${f.reachability!.ports}`);
    expect(paths).toEqual(expect.arrayContaining([
      'opened critical ipv4:0.0.0.0/0 -> workload:db tcp 22',
      'opened critical workload:db -> ipv4:0.0.0.0/0 all *',
      'opened critical workload:api -> workload:db tcp 5433',
    ]));
    expect(paths).toHaveLength(15);
    expect(paths.every(p => p.startsWith('opened critical'))).toBe(true);
    expect(out.findings.find(f => f.container === 'ipv4:0.0.0.0/0 -> workload:db')!.reachability).toMatchObject({ sampleAddresses: ['0.0.0.1', '-'], modelAllows: false, declaredAllows: false, liveAllows: true });
    out.findings.splice(0, out.findings.length, ...rules);
    expect(out.findings[0].live).toMatchObject({ container: 'network:prod', peer: 'cidr:0.0.0.0/0', target: '*', ports: '22', name: 'allow-ssh-anywhere', priority: 900 });
    expect(out.findings[1].expected).toMatchObject({ action: 'deny', direction: 'egress', name: 'shop-deny-all-egress' });
    expect(out.findings[2]).toMatchObject({ expected: { ports: '5432', target: 'tag:db' }, live: { ports: '5432-5433' }, constructPath: 'Shop/Data/Db/From-workload:api-tcp:5432' });
    expect(fw(s.state, 'other-net')).toBeTruthy();
  });

  it('a firewall rule microseg did not render that targets a segmented workload\'s tag or service account is unmanaged', async () => {
    const net = 'https://www.googleapis.com/compute/v1/projects/shop-prod/global/networks/prod';
    const { file, server: s } = await setup(st => {
      // another team's rule on the db workload's tag: SSH from anywhere (critical), and one on an unrelated tag
      st.firewalls.push({ name: 'ops-ssh-db', network: net, direction: 'INGRESS', priority: 800, sourceRanges: ['0.0.0.0/0'], targetTags: ['db'], allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] });
      st.firewalls.push({ name: 'ops-metrics', network: net, direction: 'INGRESS', priority: 800, sourceRanges: ['10.9.0.0/16'], targetServiceAccounts: ['metrics@shop-prod.iam.gserviceaccount.com'], allowed: [{ IPProtocol: 'tcp', ports: ['9100'] }] });
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.GCP, gcpEndpoint: s.url });
    expect(out.exitCode).toBe(1);
    expect(out.findings.map(f => [f.kind, f.severity, f.container, f.constructPath])).toEqual([
      ['unmanaged', 'critical', 'firewall:ops-ssh-db', 'Shop/Data/Db'],
      ['unexpected', 'medium', 'network:prod', 'Shop'],
    ]);
    expect(out.findings[0]).toMatchObject({ unmanaged: { name: 'firewall rule ops-ssh-db', attachedTo: 'tag:db', workloads: ['db'] }, liveIds: ['ops-ssh-db'] });
    expect(out.findings[0].message).toMatch(/targets tag:db \(db\), but microseg did not render it: its rules bypass the model \(ingress allow tcp 22 from cidr:0\.0\.0\.0\/0 to tag:db/);
  });

  it('retries rate limiting (429) and unavailability (503), then succeeds', async () => {
    const { file, server: s } = await setup(undefined, {
      maxPage: 3,
      fault: r => r.count === 1 ? { status: 429, message: 'Rate Limit Exceeded', reason: 'rateLimitExceeded' } : r.count === 3 ? { status: 503, message: 'Backend Error', reason: 'backendError' } : undefined,
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.GCP, gcpEndpoint: s.url });
    expect(out.errors).toEqual([]);
    expect(out.exitCode).toBe(0);
    expect(s.requests.slice(0, 4).map(r => r.status)).toEqual([429, 200, 503, 200]);
  });

  it('fails closed with exit 2 when a page fails', async () => {
    const { file, server: s } = await setup(undefined, { maxPage: 3, fault: r => r.page === 2 ? { status: 403, message: "Required 'compute.firewalls.list' permission for 'projects/shop-prod'", reason: 'forbidden' } : undefined });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.GCP, gcpEndpoint: s.url });
    expect(out.exitCode).toBe(2);
    expect(out.errors[0]).toMatch(/gcp firewalls\.list \(project shop-prod\): .*compute\.firewalls\.list/);
  });
});

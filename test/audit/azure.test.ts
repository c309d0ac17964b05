/**
 * The Azure reader with the real `@azure/arm-network` client against a local ARM server (JSON,
 * nextLink paging, 429 Retry-After), state built from a manifest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cloud } from '../../src';
import { runAudit } from '../../src/audit/run';
import { shopManifest } from './fixtures';
import { azureTestCredential, writeManifestFile } from './helpers';
import { ArmServer, ArmServerOptions, ArmState, armId, armStateFromManifest, startArmServer } from '../support/servers/azure-arm-server';

let server: ArmServer | undefined;
afterEach(async () => { await server?.close(); server = undefined; });

async function setup(mutate?: (s: ArmState) => void, options: ArmServerOptions = { pageSize: 2 }) {
  const manifest = shopManifest();
  const state = armStateFromManifest(manifest);
  mutate?.(state);
  server = await startArmServer(state, options);
  return { file: writeManifestFile(manifest), state, server };
}

const nsg = (s: ArmState, name: string) => s.networkSecurityGroups.find(n => n.name === name)!;
const rule = (s: ArmState, nsgName: string, name: string) => nsg(s, nsgName).properties.securityRules.find((r: any) => r.name === name)!;

describe('Azure reader against a local ARM endpoint', () => {
  it('reports no drift for a faithful deployment, following nextLink pages with GET only', async () => {
    const { file, server: s } = await setup();
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AZURE, azureEndpoint: s.url, azureCredential: azureTestCredential });
    expect(out.errors).toEqual([]);
    expect(out.findings).toEqual([]);
    expect(out.exitCode).toBe(0);
    expect(out.containers.map(c => c.container).sort()).toEqual(['nsg:app', 'nsg:data', 'nsg:web']);
    expect(s.requests.every(r => r.method === 'GET')).toBe(true);
    expect(s.requests.every(r => r.authorization === 'Bearer test-token')).toBe(true);
    // 3 NSGs, 3 ASGs, 3 NICs at 2 per page: 2 pages each
    expect(s.requests.filter(r => r.path.endsWith('/networkSecurityGroups')).length).toBe(2);
    expect(s.requests.some(r => r.query.$skiptoken === '2')).toBe(true);
    expect(s.requests[0].path).toBe('/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-shop/providers/Microsoft.Network/networkSecurityGroups');
  });

  it('reports an injected rule, a deleted rule and a changed priority exactly', async () => {
    const { file, server: s } = await setup(st => {
      const data = nsg(st, 'data').properties.securityRules;
      data.push({ name: 'allow-rdp', properties: { protocol: 'Tcp', access: 'Allow', direction: 'Inbound', priority: 200, sourcePortRange: '*', destinationPortRange: '3389', sourceAddressPrefix: 'Internet', destinationAddressPrefix: '*' } });
      const web = nsg(st, 'web').properties.securityRules;
      web.splice(web.findIndex((r: any) => r.properties.direction === 'Outbound' && r.properties.access === 'Allow'), 1);
      rule(st, 'app', 'in-100').properties.priority = 150;
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AZURE, azureEndpoint: s.url, azureCredential: azureTestCredential });
    expect(out.exitCode).toBe(1);
    expect(out.findings.map(f => [f.kind, f.severity, f.container])).toEqual([
      ['opened', 'critical', 'ipv4:0.0.0.0/0 -> workload:db'],
      ['unexpected', 'critical', 'nsg:data'],
      ['blocked', 'high', 'workload:frontend -> workload:api'],
      ['modified', 'medium', 'nsg:app'],
      ['missing', 'low', 'nsg:web'],
    ]);
    // what the rules mean: RDP from the internet reaches db; frontend no longer reaches api; the new priority changes nothing
    expect(out.findings[0].reachability).toMatchObject({ protocol: 'tcp', ports: '3389', modelAllows: false, declaredAllows: false, liveAllows: true });
    expect(out.findings[2].reachability).toMatchObject({ protocol: 'tcp', ports: '8080-8081', modelAllows: true, declaredAllows: true, liveAllows: false, flows: ['Shop/App/Api/From-workload:frontend-tcp:8080+tcp:8081'] });
    out.findings.splice(0, out.findings.length, ...out.findings.filter(f => !f.reachability));
    expect(out.findings[0].live).toMatchObject({ peer: 'tag:Internet', target: '*', ports: '3389', priority: 200, name: 'allow-rdp' });
    expect(out.findings[1]).toMatchObject({ expected: { priority: 100, name: 'in-100' }, live: { priority: 150, name: 'in-100' } });
    expect(out.findings[2]).toMatchObject({ expected: { direction: 'egress', peer: 'asg:api', target: 'asg:frontend' }, constructPath: 'Shop/App/Api/From-workload:frontend-tcp:8080+tcp:8081' });
  });

  it('reports a foreign NIC-level NSG and a foreign ASG on a segmented NIC as unmanaged', async () => {
    const { file, server: s } = await setup(st => {
      const nic = st.networkInterfaces.find(n => n.name === 'nic-db')!;
      nic.properties.networkSecurityGroup = { id: armId(st, 'networkSecurityGroups', 'legacy-nsg') };
      nic.properties.ipConfigurations[0].properties.applicationSecurityGroups.push({ id: armId(st, 'applicationSecurityGroups', 'ops-jump') });
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AZURE, azureEndpoint: s.url, azureCredential: azureTestCredential });
    expect(out.findings.map(f => [f.kind, f.container, f.constructPath])).toEqual([
      ['unmanaged', 'asg:ops-jump', 'Shop/Data/Db'],
      ['unmanaged', 'nsg-id:legacy-nsg', 'Shop/Data/Db'],
    ]);
  });

  it('honours 429 Retry-After and then succeeds', async () => {
    const { file, server: s } = await setup(undefined, {
      pageSize: 2,
      fault: r => r.kind === 'networkSecurityGroups' && r.count === 1 ? { status: 429, code: 'TooManyRequests', message: 'throttled', headers: { 'retry-after': '1' } } : undefined,
    });
    const started = Date.now();
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AZURE, azureEndpoint: s.url, azureCredential: azureTestCredential });
    expect(out.exitCode).toBe(0);
    const nsgCalls = s.requests.filter(r => r.path.endsWith('/networkSecurityGroups'));
    expect(nsgCalls.map(r => r.status)).toEqual([429, 200, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('fails closed with exit 2 when a page fails (missing permission)', async () => {
    const { file, server: s } = await setup(undefined, {
      pageSize: 2,
      fault: r => r.kind === 'networkSecurityGroups' && r.page === 2 ? { status: 403, code: 'AuthorizationFailed', message: 'The client does not have authorization to perform action Microsoft.Network/networkSecurityGroups/read' } : undefined,
    });
    const out = await runAudit({ manifestFile: file, cloud: Cloud.AZURE, azureEndpoint: s.url, azureCredential: azureTestCredential });
    expect(out.exitCode).toBe(2);
    expect(out.complete).toBe(false);
    expect(out.errors[0]).toMatch(/azure networkSecurityGroups\.list \(resource group rg-shop\): AuthorizationFailed \(HTTP 403\)/);
  });
});

/**
 * A local Azure Resource Manager endpoint for tests: ARM JSON for listing NSGs, ASGs and NICs of
 * a resource group, `nextLink` paging, `{"error": {...}}` errors, 429 with `Retry-After` on
 * demand. Records every request. Bound to 127.0.0.1 on a random port; `close()` when done.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { CanonicalRule } from '../../../src/ir/canonical';
import { Manifest } from '../../../src/ir/manifest';
import { closeWithLifetime, Hostile, sendHostile } from './faults';

export interface ArmState {
  subscriptionId: string;
  resourceGroup: string;
  networkSecurityGroups: any[];
  applicationSecurityGroups: any[];
  networkInterfaces: any[];
}

export interface ArmRequest { method: string; path: string; query: Record<string, string>; status: number; authorization?: string }
export interface ArmFault { status: number; code: string; message: string; headers?: Record<string, string> }
export interface ArmServerOptions {
  /** Items per page (default 50). */
  pageSize?: number;
  fault?: (req: { kind: string; page: number; count: number }) => ArmFault | undefined;
  /** A hostile answer instead of the real one (garbage, hang, drip feed). */
  hostile?: (req: { kind: string; page: number; count: number }) => Hostile | undefined;
  /** Replaces the nextLink of a real answer (`url` is the request's own URL: a self-pointing link). */
  nextLink?: (req: { kind: string; count: number; url: string }) => string | undefined;
  /** Closes itself after this many milliseconds (default {@link SERVER_LIFETIME_MS}). */
  lifetimeMs?: number;
}
export interface ArmServer { url: string; requests: ArmRequest[]; state: ArmState; close(): Promise<void> }

const KINDS = ['networkSecurityGroups', 'applicationSecurityGroups', 'networkInterfaces'] as const;

export async function startArmServer(state: ArmState, options: ArmServerOptions = {}): Promise<ArmServer> {
  const requests: ArmRequest[] = [];
  const counts = new Map<string, number>();
  let base = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const query = Object.fromEntries(url.searchParams);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      requests.push({ method: req.method ?? '', path: url.pathname, query, status, authorization: req.headers.authorization });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': String(requests.length), ...headers });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      if (req.method !== 'GET') return send(405, { error: { code: 'MethodNotAllowed', message: `${req.method} is not served by this read-only emulator.` } });
      if (!query['api-version']) return send(400, { error: { code: 'MissingApiVersionParameter', message: "The api-version query parameter (?api-version=) is required for all requests." } });
      const prefix = `/subscriptions/${state.subscriptionId}/resourceGroups/${state.resourceGroup}/providers/Microsoft.Network/`;
      const kind = KINDS.find(k => url.pathname.toLowerCase() === (prefix + k).toLowerCase());
      if (!kind) return send(404, { error: { code: 'ResourceGroupNotFound', message: `Resource not found: ${url.pathname}` } });
      const count = (counts.get(kind) ?? 0) + 1;
      counts.set(kind, count);
      const size = options.pageSize ?? 50;
      const offset = Number(query.$skiptoken ?? '0') || 0;
      const page = Math.floor(offset / size) + 1;
      const fault = options.fault?.({ kind, page, count });
      if (fault) return send(fault.status, { error: { code: fault.code, message: fault.message } }, fault.headers);
      const hostile = options.hostile?.({ kind, page, count });
      if (hostile) {
        requests.push({ method: req.method ?? '', path: url.pathname, query, status: 'status' in hostile ? hostile.status ?? 200 : 200, authorization: req.headers.authorization });
        return sendHostile(res, hostile);
      }
      const items = state[kind];
      const value = items.slice(offset, offset + size);
      const next = options.nextLink?.({ kind, count, url: `${base}${req.url}` })
        ?? (offset + size < items.length ? `${base}${url.pathname}?api-version=${query['api-version']}&$skiptoken=${offset + size}` : undefined);
      send(200, { value, ...(next ? { nextLink: next } : {}) });
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base, requests, state, close: closeWithLifetime(server, options.lifetimeMs) };
}

/** The ARM id of a resource in the state's resource group. */
export function armId(state: Pick<ArmState, 'subscriptionId' | 'resourceGroup'>, type: string, name: string): string {
  return `/subscriptions/${state.subscriptionId}/resourceGroups/${state.resourceGroup}/providers/Microsoft.Network/${type}/${name}`;
}

/** ARM security rules for canonical rules: one rule per (name), sides and ports collected. */
export function armRules(scope: Pick<ArmState, 'subscriptionId' | 'resourceGroup'>, nsg: string, rules: CanonicalRule[]): any[] {
  const byName = new Map<string, CanonicalRule[]>();
  for (const r of rules) {
    const k = r.name ?? `${r.direction}-${r.priority}`;
    const list = byName.get(k);
    if (list) list.push(r); else byName.set(k, [r]);
  }
  return [...byName.entries()].sort().map(([name, rs]) => {
    const r0 = rs[0];
    const inbound = r0.direction === 'ingress';
    const peers = [...new Set(rs.map(r => r.peer))].sort();
    const targets = [...new Set(rs.map(r => r.target ?? '*'))].sort();
    const ports = [...new Set(rs.map(r => r.ports))].sort();
    const side = (values: string[]) => {
      const asgs = values.filter(v => v.startsWith('asg:')).map(v => ({ id: armId(scope, 'applicationSecurityGroups', v.slice(4)) }));
      const prefixes = values.filter(v => !v.startsWith('asg:')).map(v => v === '*' ? '*' : v.replace(/^(cidr|tag):/, ''));
      return { asgs, prefixes };
    };
    const src = side(inbound ? peers : targets);
    const dst = side(inbound ? targets : peers);
    const protocol = r0.protocol === 'all' ? '*' : r0.protocol[0].toUpperCase() + r0.protocol.slice(1);
    return {
      name, id: `${armId(scope, 'networkSecurityGroups', nsg)}/securityRules/${name}`,
      properties: {
        provisioningState: 'Succeeded', protocol, access: r0.action === 'deny' ? 'Deny' : 'Allow', priority: r0.priority, direction: inbound ? 'Inbound' : 'Outbound',
        sourcePortRange: '*',
        ...(ports.length === 1 ? { destinationPortRange: ports[0] } : { destinationPortRanges: ports }),
        ...(src.prefixes.length === 1 ? { sourceAddressPrefix: src.prefixes[0] } : src.prefixes.length ? { sourceAddressPrefixes: src.prefixes } : {}),
        ...(dst.prefixes.length === 1 ? { destinationAddressPrefix: dst.prefixes[0] } : dst.prefixes.length ? { destinationAddressPrefixes: dst.prefixes } : {}),
        ...(src.asgs.length ? { sourceApplicationSecurityGroups: src.asgs } : {}),
        ...(dst.asgs.length ? { destinationApplicationSecurityGroups: dst.asgs } : {}),
        ...(r0.origin ? { description: `microseg: ${r0.origin}` } : {}),
      },
    };
  });
}

/**
 * The ARM state a correct deployment of a manifest's Azure section would have: its NSGs (rules
 * grouped by name), one ASG per workload (identities `asgName`) and one NIC per workload.
 */
export function armStateFromManifest(manifest: Manifest): ArmState {
  const section = manifest.clouds.azure;
  if (!section) throw new Error('manifest has no azure section');
  const scope = { subscriptionId: section.settings.subscriptionId ?? '00000000-0000-0000-0000-000000000000', resourceGroup: section.settings.resourceGroupName ?? 'rg' };
  const seg = manifest.segmentation.name;
  const nsgNames = [...new Set([...Object.keys(section.containers ?? {}), ...section.expected.map(r => r.container)].filter(c => c.startsWith('nsg:')).map(c => c.slice(4)))].sort();
  const networkSecurityGroups = nsgNames.map(n => ({
    name: n, id: armId(scope, 'networkSecurityGroups', n), type: 'Microsoft.Network/networkSecurityGroups', location: section.settings.location ?? 'westeurope',
    tags: { 'microseg-segmentation': seg },
    properties: {
      provisioningState: 'Succeeded', securityRules: armRules(scope, n, section.expected.filter(r => r.container === `nsg:${n}`)), defaultSecurityRules: [],
      ...(section.containers?.[`nsg:${n}`]?.subnetId ? { subnets: [{ id: section.containers[`nsg:${n}`].subnetId }] } : {}),
    },
  }));
  const asgName = (w: string) => section.identities?.[w]?.asgName ?? w;
  const workloads = manifest.model.workloads.map(w => w.name).sort();
  const applicationSecurityGroups = workloads.map(w => ({
    name: asgName(w), id: armId(scope, 'applicationSecurityGroups', asgName(w)), type: 'Microsoft.Network/applicationSecurityGroups',
    location: 'westeurope', tags: { 'microseg-segmentation': seg }, properties: { provisioningState: 'Succeeded' },
  }));
  const networkInterfaces = workloads.map(w => ({
    name: `nic-${w}`, id: armId(scope, 'networkInterfaces', `nic-${w}`), type: 'Microsoft.Network/networkInterfaces', location: 'westeurope',
    properties: {
      provisioningState: 'Succeeded',
      ipConfigurations: [{
        name: 'ipconfig1', id: `${armId(scope, 'networkInterfaces', `nic-${w}`)}/ipConfigurations/ipconfig1`,
        properties: { privateIPAddress: '10.0.0.4', applicationSecurityGroups: [{ id: armId(scope, 'applicationSecurityGroups', asgName(w)) }] },
      }],
    },
  }));
  return { ...scope, networkSecurityGroups, applicationSecurityGroups, networkInterfaces };
}

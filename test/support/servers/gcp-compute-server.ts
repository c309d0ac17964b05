/**
 * A local GCP Compute endpoint for tests: `GET /compute/v1/projects/{project}/global/firewalls`
 * with `maxResults`/`pageToken` paging (at most 500 per page, as the real API), Google JSON
 * errors. Records every request. Bound to 127.0.0.1 on a random port; `close()` when done.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { CanonicalRule } from '../../../src/ir/canonical';
import { Manifest } from '../../../src/ir/manifest';
import { closeWithLifetime, Hostile, sendHostile } from './faults';

export interface GcpState { project: string; firewalls: any[] }
export interface GcpRequest { method: string; path: string; query: Record<string, string>; status: number; authorization?: string }
export interface GcpFault { status: number; message: string; reason?: string }
export interface GcpServerOptions {
  /** Largest page (default 500, the API maximum). */
  maxPage?: number;
  fault?: (req: { page: number; count: number }) => GcpFault | undefined;
  /** A hostile answer instead of the real one (garbage, hang, drip feed). */
  hostile?: (req: { page: number; count: number }) => Hostile | undefined;
  /** Replaces the nextPageToken of a real answer (a repeated token). */
  pageToken?: (req: { count: number }) => string | undefined;
  /** Closes itself after this many milliseconds (default {@link SERVER_LIFETIME_MS}). */
  lifetimeMs?: number;
}
export interface GcpServer { url: string; requests: GcpRequest[]; state: GcpState; close(): Promise<void> }

export async function startGcpServer(state: GcpState, options: GcpServerOptions = {}): Promise<GcpServer> {
  const requests: GcpRequest[] = [];
  let count = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const send = (status: number, body: unknown) => {
      requests.push({ method: req.method ?? '', path: url.pathname, query, status, authorization: req.headers.authorization });
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, message: string, reason = 'invalid') =>
      send(status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } });
    req.resume();
    req.on('end', () => {
      if (req.method !== 'GET') return error(405, `${req.method} is not served by this read-only emulator.`, 'methodNotAllowed');
      if (url.pathname !== `/compute/v1/projects/${state.project}/global/firewalls`) return error(404, `The resource '${url.pathname}' was not found`, 'notFound');
      count++;
      const size = Math.min(Number(query.maxResults ?? 500), options.maxPage ?? 500);
      if (!(size >= 0 && size <= 500)) return error(400, 'Invalid value for field maxResults: must be between 0 and 500');
      const offset = (query.pageToken ? Number(Buffer.from(query.pageToken, 'base64url').toString()) : 0) || 0;
      const page = Math.floor(offset / Math.max(size, 1)) + 1;
      const fault = options.fault?.({ page, count });
      if (fault) return error(fault.status, fault.message, fault.reason);
      const hostile = options.hostile?.({ page, count });
      if (hostile) {
        requests.push({ method: req.method ?? '', path: url.pathname, query, status: 'status' in hostile ? hostile.status ?? 200 : 200, authorization: req.headers.authorization });
        return sendHostile(res, hostile);
      }
      const items = state.firewalls.slice(offset, offset + size);
      const next = options.pageToken?.({ count }) ?? (offset + size < state.firewalls.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined);
      send(200, {
        kind: 'compute#firewallList', id: `projects/${state.project}/global/firewalls`, items,
        ...(next ? { nextPageToken: next } : {}), selfLink: `https://www.googleapis.com/compute/v1/projects/${state.project}/global/firewalls`,
      });
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, state, close: closeWithLifetime(server, options.lifetimeMs) };
}

/** Firewall resources for canonical rules: one per rule name, sides and ports collected. */
export function firewallsOf(project: string, rules: CanonicalRule[]): any[] {
  const byName = new Map<string, CanonicalRule[]>();
  for (const r of rules) {
    const list = byName.get(r.name!);
    if (list) list.push(r); else byName.set(r.name!, [r]);
  }
  return [...byName.entries()].sort().map(([name, rs], i) => {
    const r0 = rs[0];
    const network = r0.container.slice('network:'.length);
    const ingress = r0.direction === 'ingress';
    const peers = [...new Set(rs.map(r => r.peer))].sort();
    const targets = [...new Set(rs.map(r => r.target ?? '*'))].filter(t => t !== '*').sort();
    const byProtocol = new Map<string, Set<string>>();
    for (const r of rs) byProtocol.set(r.protocol, (byProtocol.get(r.protocol) ?? new Set()).add(r.ports));
    const entries = [...byProtocol.entries()].sort().map(([p, ports]) => ({
      IPProtocol: p, ...([...ports].some(x => x === '*') || p === 'all' || p === 'icmp' ? {} : { ports: [...ports].sort() }),
    }));
    const pick = (prefix: string) => peers.filter(x => x.startsWith(prefix)).map(x => x.slice(prefix.length));
    return {
      kind: 'compute#firewall', id: String(1000000 + i), creationTimestamp: '2026-11-01T00:00:00.000-07:00', name,
      network: `https://www.googleapis.com/compute/v1/projects/${project}/global/networks/${network}`,
      priority: r0.priority ?? 1000, direction: ingress ? 'INGRESS' : 'EGRESS',
      ...(ingress
        ? { ...(pick('cidr:').length ? { sourceRanges: pick('cidr:') } : {}), ...(pick('tag:').length ? { sourceTags: pick('tag:') } : {}), ...(pick('sa:').length ? { sourceServiceAccounts: pick('sa:') } : {}) }
        : { destinationRanges: pick('cidr:') }),
      ...(targets.some(t => t.startsWith('tag:')) ? { targetTags: targets.filter(t => t.startsWith('tag:')).map(t => t.slice(4)) } : {}),
      ...(targets.some(t => t.startsWith('sa:')) ? { targetServiceAccounts: targets.filter(t => t.startsWith('sa:')).map(t => t.slice(3)) } : {}),
      [r0.action === 'deny' ? 'denied' : 'allowed']: entries,
      description: r0.origin ? `microseg: ${r0.origin}` : '', disabled: false,
      logConfig: { enable: false },
      selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/global/firewalls/${name}`,
    };
  });
}

/** The firewall rules a correct deployment of a manifest's GCP section would have. */
export function gcpStateFromManifest(manifest: Manifest): GcpState {
  const section = manifest.clouds.gcp;
  if (!section) throw new Error('manifest has no gcp section');
  const project = section.settings.project ?? 'project';
  return { project, firewalls: firewallsOf(project, section.expected) };
}

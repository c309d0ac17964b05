/**
 * A local HTTP server speaking the Kubernetes API's list format for NetworkPolicies
 * (`GET /apis/networking.k8s.io/v1/namespaces/<ns>/networkpolicies?limit=&continue=`), with
 * chunking by `continue` tokens (a server may return fewer items than `limit`; `maxPage` forces
 * that), `410 Gone` for an expired token, and injected failures.
 *
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export interface KubeApiState {
  /** Policies per namespace (wire format). */
  policies: Record<string, Record<string, unknown>[]>;
  /** Largest page the server returns, whatever `limit` asks. */
  maxPage?: number;
  /** Fail these request numbers (1-based) with this status. */
  failRequests?: Record<number, number>;
  /** Tokens that have expired (410 Gone). */
  expired?: Set<string>;
}

export interface KubeApiServer {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

export async function startKubeApiServer(state: KubeApiState): Promise<KubeApiServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const send = (code: number, body: unknown) => { res.statusCode = code; res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(body)); };
    const fail = state.failRequests?.[requests.length];
    if (fail) return send(fail, status(fail, fail === 429 ? 'TooManyRequests' : 'InternalError', 'injected failure'));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/networkpolicies$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return send(404, status(404, 'NotFound', `no route ${req.method} ${url.pathname}`));
    const ns = decodeURIComponent(m[1]);
    const all = state.policies[ns] ?? [];
    const token = url.searchParams.get('continue') ?? '';
    if (token && state.expired?.has(token)) return send(410, status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.'));
    const start = token ? Number(Buffer.from(token, 'base64').toString('utf8').split(':')[1]) : 0;
    const limit = Math.min(Number(url.searchParams.get('limit') ?? all.length) || all.length, state.maxPage ?? Infinity);
    const items = all.slice(start, start + limit);
    const next = start + items.length < all.length ? Buffer.from(`${ns}:${start + items.length}`).toString('base64') : undefined;
    send(200, {
      kind: 'NetworkPolicyList', apiVersion: 'networking.k8s.io/v1',
      metadata: { resourceVersion: '4242', ...(next ? { continue: next, remainingItemCount: all.length - start - items.length } : {}) },
      items: items.map(p => ({ ...p, metadata: { ...(p.metadata as object), resourceVersion: '4242', uid: `uid-${ns}` } })),
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise(resolve => server.close(() => resolve())) };
}

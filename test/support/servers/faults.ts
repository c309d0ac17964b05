/**
 * Fault injection shared by the local cloud API servers: hostile answers (a body of anything with
 * any status, a connection that is accepted and never answered, a body fed one byte at a time)
 * and a lifetime after which a server closes itself, so that no test can leave one behind.
 */
import * as http from 'http';

/** A hostile answer. */
export type Hostile =
  /** This status (default 200), headers and body, whatever the request asked. */
  | { readonly body: string; readonly status?: number; readonly contentType?: string; readonly headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { readonly hang: true }
  /** Answer 200 and send the body one byte every `everyMs` milliseconds. */
  | { readonly drip: string; readonly everyMs: number; readonly contentType?: string };

/** Garbage bodies every reader must refuse. */
export const GARBAGE = {
  html: '<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Captive portal</h1><p>Please log in.</p></body></html>',
  empty: '',
  emptyObject: '{}',
  nullValue: '{"value":null}',
  /** Nested entity expansion ("billion laughs"): a parser that expands it would need gigabytes. */
  billionLaughs: '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n' +
    Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('\n') +
    '\n]>\n<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>x</requestId><securityGroupInfo><item><groupId>&lol9;</groupId></item></securityGroupInfo></DescribeSecurityGroupsResponse>',
} as const;

/** Sends a hostile answer; drips stop when the connection closes. */
export function sendHostile(res: http.ServerResponse, h: Hostile): void {
  if ('hang' in h) return;
  if ('drip' in h) {
    res.writeHead(200, { 'content-type': h.contentType ?? 'application/json', 'content-length': String(Buffer.byteLength(h.drip)) });
    let i = 0;
    const timer = setInterval(() => {
      if (i >= h.drip.length || res.destroyed) { clearInterval(timer); res.end(); return; }
      res.write(h.drip[i++]);
    }, h.everyMs);
    res.on('close', () => clearInterval(timer));
    return;
  }
  res.writeHead(h.status ?? 200, { 'content-type': h.contentType ?? 'text/html; charset=utf-8', ...(h.headers ?? {}) });
  res.end(h.body);
}

/** Default lifetime of a test server (it closes itself then). */
export const SERVER_LIFETIME_MS = 120_000;

/** Closes the server after its lifetime, whatever the test did; returns the close function. */
export function closeWithLifetime(server: http.Server, lifetimeMs = SERVER_LIFETIME_MS): () => Promise<void> {
  let closed: Promise<void> | undefined;
  const close = () => closed ??= new Promise<void>(resolve => { server.closeAllConnections?.(); server.close(() => resolve()); });
  const timer = setTimeout(() => void close(), lifetimeMs);
  timer.unref();
  return () => { clearTimeout(timer); return close(); };
}

/**
 * GCP reader: the VPC firewall rules of the segmentation's network, through
 * `@google-cloud/compute` (loaded on demand) over its REST transport. Read-only: it only calls
 * `firewalls.list` (GET), pages of 500 (the API maximum) with `pageToken`, the library's retry
 * settings, Application Default Credentials (or MICROSEG_GCP_ACCESS_TOKEN).
 */
import { CanonicalRule } from '../../ir/canonical';
import { gaxModule, gcpEndpointOptions, gcpTokenClient } from '../../optional/clients';
import { LiveState } from '../findings';
import { loadSdk } from '../sdk';
import { describeError } from './aws';
import { fromFirewall, GcpFirewall, networkName } from './gcp-convert';
import { abortReason, anySignal, checkRetryAfter, DEFAULT_MAX_PAGES, PageGuard, ReadLimitError, ReadLimits, readLimits } from './limits';
import { ReadProgress } from './progress';
import { Cloud } from '../../model/backend';

/** Options of the GCP reader. */
export interface GcpReaderOptions {
  readonly project: string;
  readonly network: string;
  /** Compute endpoint URL (default https://compute.googleapis.com). */
  readonly endpoint?: string;
  /** An auth client with `fetch` and `getRequestHeaders` (default: MICROSEG_GCP_ACCESS_TOKEN, else ADC). */
  readonly authClient?: unknown;
  readonly progress?: ReadProgress;
  /** Timeouts, Retry-After cap, page cap, deadline. */
  readonly limits?: ReadLimits;
}

/** The largest page `firewalls.list` returns. */
export const GCP_PAGE_SIZE = 500;

/** The read-only scope the audit needs. */
export const GCP_SCOPE = 'https://www.googleapis.com/auth/compute.readonly';

/**
 * Over the REST transport an HTTP error reaches the library as a transport error (no gRPC code),
 * so its retry settings never apply: retry rate limiting (429) and server errors (5xx) of GET
 * requests at the HTTP layer instead (exponential backoff).
 */
export function withHttpRetries<T extends object>(auth: T, retries = 5, limits: ReadLimits = readLimits({})): T {
  const inner = auth as unknown as { fetch(url: unknown, opts: Record<string, unknown>): Promise<unknown> };
  const wrapped = Object.create(auth);
  wrapped.fetch = (url: unknown, opts: Record<string, unknown> = {}) => inner.fetch.call(auth, url, {
    ...opts,
    // per attempt (gaxios re-arms it on every retry), body included; the deadline stops it all
    timeout: limits.requestTimeoutMs,
    ...(limits.signal ? { signal: anySignal(opts.signal as AbortSignal | undefined, limits.signal) } : {}),
    retryConfig: {
      retry: retries, retryDelay: 200, retryDelayMultiplier: 2, maxRetryDelay: Math.min(20_000, limits.maxRetryAfterMs), statusCodesToRetry: [[408, 408], [429, 429], [500, 599]], httpMethodsToRetry: ['GET'], noResponseRetries: 2,
      // a server asking to wait longer than the cap fails the call instead of being retried
      retryBackoff: (err: { response?: { headers?: any } }, delay: number) => {
        const h = err.response?.headers;
        try {
          checkRetryAfter(typeof h?.get === 'function' ? h.get('retry-after') : h?.['retry-after'], limits);
        } catch (e) {
          return Promise.reject(e);
        }
        if (limits.signal?.aborted) return Promise.reject(new ReadLimitError('MicrosegDeadline', abortReason(limits, 'it')));
        return new Promise<void>(resolve => setTimeout(resolve, delay));
      },
    },
  });
  return wrapped;
}

/** Reads the network's firewall rules; API errors land in `errors` (the view is then incomplete). */
export async function readGcp(options: GcpReaderOptions): Promise<LiveState> {
  // The package index loads ~100 clients (seconds); the firewalls client alone is enough.
  const compute = loadSdk<any>('@google-cloud/compute', 'gcp', 'build/src/v1/firewalls_client.js');
  const clientOptions: Record<string, unknown> = {
    fallback: true,
    // gRPC-level retry codes (used when errors carry them); HTTP-level retries: withHttpRetries
    clientConfig: {
      interfaces: {
        'google.cloud.compute.v1.Firewalls': {
          retry_codes: { microseg_read: ['DEADLINE_EXCEEDED', 'UNAVAILABLE', 'RESOURCE_EXHAUSTED'] },
          methods: { List: { timeout_millis: 600000, retry_codes_name: 'microseg_read', retry_params_name: 'default' } },
        },
      },
    },
    ...gcpEndpointOptions(options.endpoint),
  };
  const authClient = options.authClient ?? gcpTokenClient();
  const limits = options.limits ?? readLimits({});
  if (authClient) clientOptions.authClient = withHttpRetries(authClient as object, 5, limits);
  else clientOptions.auth = withHttpRetries(new (gaxModule().GoogleAuth)({ scopes: [GCP_SCOPE] }), 5, limits);
  const client = new compute.FirewallsClient(clientOptions);

  const errors: string[] = [];
  let pages = 0;
  let requests = 0;
  const firewalls: GcpFirewall[] = [];
  const guard = new PageGuard(limits.maxPages ?? DEFAULT_MAX_PAGES.gcp);
  try {
    let request: Record<string, unknown> | null = { project: options.project, maxResults: GCP_PAGE_SIZE };
    while (request) {
      if (limits.signal?.aborted) throw new ReadLimitError('MicrosegDeadline', abortReason(limits, 'it'));
      requests++;
      const [items, next, raw]: [GcpFirewall[] | null, Record<string, unknown> | null, { kind?: string | null } | undefined] = await client.list(request, { autoPaginate: false });
      pages++;
      // a firewall list always says what it is; `items` is left out when the page is empty
      if (!raw || raw.kind !== 'compute#firewallList') throw new ReadLimitError('MalformedResponse', 'the answer is not a compute#firewallList');
      firewalls.push(...(items ?? []));
      options.progress?.page('gcp', 'firewalls.list', (items ?? []).length);
      const token: string | undefined = next && typeof next.pageToken === 'string' && next.pageToken ? next.pageToken : undefined;
      guard.page(token);
      request = token ? next : null;
    }
  } catch (e) {
    const reason = e instanceof ReadLimitError || /^(RetryAfterTooLong|MalformedResponse|PagingLoop|TooManyPages)$/.test(String((e as Error)?.name)) ? describeError(e)
      : limits.signal?.aborted || /abort/i.test(String((e as Error)?.name) + String((e as Error)?.message))
        ? `${limits.signal?.aborted ? 'MicrosegDeadline' : 'MicrosegRequestTimeout'}: ${abortReason(limits, 'it')}` : describeError(e);
    errors.push(`gcp firewalls.list (project ${options.project}): ${reason}`);
  } finally {
    await client.close?.().catch(() => undefined);
  }
  const rules: CanonicalRule[] = [];
  const notes: string[] = [];
  let disabled = 0;
  for (const fw of firewalls) {
    if (networkName(fw) !== options.network) continue;
    if (fw.disabled) { disabled++; continue; }
    rules.push(...fromFirewall(fw));
  }
  if (disabled) notes.push(`gcp: ${disabled} disabled firewall rule(s) on network ${options.network} are not enforced and were not counted as live.`);
  return {
    cloud: Cloud.GCP, rules, containers: [{ container: `network:${options.network}`, id: `projects/${options.project}/global/networks/${options.network}` }],
    unmanaged: [], errors, notes, requests, pages,
  };
}

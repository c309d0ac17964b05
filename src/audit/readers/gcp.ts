/**
 * GCP reader: the VPC firewall rules of the segmentation's network, through
 * `@google-cloud/compute` (loaded on demand) over its REST transport. Read-only: it only calls
 * `firewalls.list` (GET), pages of 500 (the API maximum) with `pageToken`, the library's retry
 * settings, Application Default Credentials (or MICROSEG_GCP_ACCESS_TOKEN).
 */
import { createRequire } from 'module';
import { CanonicalRule } from '../../ir/canonical';
import { LiveState } from '../findings';
import { loadSdk } from '../sdk';
import { describeError } from './aws';
import { fromFirewall, GcpFirewall, networkName } from './gcp-convert';
import { ReadProgress } from './progress';

/** Options of the GCP reader. */
export interface GcpReaderOptions {
  readonly project: string;
  readonly network: string;
  /** Compute endpoint URL (default https://compute.googleapis.com). */
  readonly endpoint?: string;
  /** An auth client with `fetch` and `getRequestHeaders` (default: MICROSEG_GCP_ACCESS_TOKEN, else ADC). */
  readonly authClient?: unknown;
  readonly progress?: ReadProgress;
}

/** The largest page `firewalls.list` returns. */
export const GCP_PAGE_SIZE = 500;

/** An OAuth2 client holding a fixed access token. */
function staticTokenClient(token: string): unknown {
  const gax = createRequire(require.resolve('@google-cloud/compute'))('google-gax');
  const client = new gax.googleAuthLibrary.OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3600_000 });
  return client;
}

/** Reads the network's firewall rules; API errors land in `errors` (the view is then incomplete). */
export async function readGcp(options: GcpReaderOptions): Promise<LiveState> {
  // The package index loads ~100 clients (seconds); the firewalls client alone is enough.
  const compute = loadSdk<any>('@google-cloud/compute', 'gcp', 'build/src/v1/firewalls_client.js');
  const clientOptions: Record<string, unknown> = { fallback: true };
  if (options.endpoint) {
    const u = new URL(options.endpoint);
    clientOptions.apiEndpoint = u.hostname;
    clientOptions.port = u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
    clientOptions.protocol = u.protocol.replace(':', '');
  }
  const token = process.env.MICROSEG_GCP_ACCESS_TOKEN;
  const authClient = options.authClient ?? (token ? staticTokenClient(token) : undefined);
  if (authClient) clientOptions.authClient = authClient;
  const client = new compute.FirewallsClient(clientOptions);

  const errors: string[] = [];
  let pages = 0;
  let requests = 0;
  const firewalls: GcpFirewall[] = [];
  try {
    let request: Record<string, unknown> | null = { project: options.project, maxResults: GCP_PAGE_SIZE };
    while (request) {
      requests++;
      const [items, next]: [GcpFirewall[] | null, Record<string, unknown> | null] = await client.list(request, { autoPaginate: false });
      pages++;
      firewalls.push(...(items ?? []));
      options.progress?.page('gcp', 'firewalls.list', (items ?? []).length);
      request = next && next.pageToken ? next : null;
    }
  } catch (e) {
    errors.push(`gcp firewalls.list (project ${options.project}): ${describeError(e)}`);
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
    cloud: 'gcp', rules, containers: [{ container: `network:${options.network}`, id: `projects/${options.project}/global/networks/${options.network}` }],
    unmanaged: [], errors, notes, requests, pages,
  };
}

/**
 * Azure reader: the segmentation's NSGs with their rules, its ASGs, and the NICs of segmented
 * workloads, through `@azure/arm-network` (loaded on demand) with `DefaultAzureCredential`.
 * Read-only: GET requests only, `nextLink` paging, the SDK's retry policy (429/503 honour
 * `Retry-After`). `endpoint` points at a sovereign cloud (or, on loopback only, a local emulator
 * over plain HTTP).
 */
import { allowLoopbackBearer, azureClientOptions, azureCredential } from '../../optional/clients';
import { LiveState } from '../findings';
import { loadSdk } from '../sdk';
import { describeError } from './aws';
import { AzureNsg, azureView } from './azure-convert';
import { abortReason, anySignal, checkRetryAfter, DEFAULT_MAX_PAGES, PageGuard, ReadLimitError, ReadLimits, readLimits } from './limits';
import { ReadProgress } from './progress';
import { Cloud } from '../../model/backend';

/** Options of the Azure reader. */
export interface AzureReaderOptions {
  readonly segmentation: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** NSG names microseg manages (from the manifest); tagged NSGs count too. */
  readonly nsgNames: ReadonlySet<string>;
  /** ASG names microseg manages (from the manifest). */
  readonly asgNames: ReadonlySet<string>;
  /** NSG name -> the subnet id it must be associated with (from the manifest, when known). */
  readonly subnetOf?: Readonly<Record<string, string>>;
  /** ARM endpoint (default https://management.azure.com). */
  readonly endpoint?: string;
  /** A `TokenCredential` (default: a static token from MICROSEG_AZURE_ACCESS_TOKEN, else DefaultAzureCredential). */
  readonly credential?: unknown;
  /** Retries after throttling or transient errors (default 5). */
  readonly maxRetries?: number;
  readonly progress?: ReadProgress;
  /** Timeouts, Retry-After cap, page cap, deadline. */
  readonly limits?: ReadLimits;
}

/** What the reader counted: attempts sent and list pages received. */
interface AzureCounts {
  requests: number;
  pages: number;
}

/** Reads the resource group; API errors land in `errors` (the view is then incomplete). */
export async function readAzure(options: AzureReaderOptions): Promise<LiveState> {
  const network = loadSdk<any>('@azure/arm-network', 'azure');
  const credential = azureCredential(() => loadSdk<any>('@azure/identity', 'azure'), options.credential);
  const endpoint = options.endpoint?.replace(/\/+$/, '');
  const client = new network.NetworkManagementClient(credential, options.subscriptionId, azureClientOptions(endpoint, options.maxRetries ?? 5));
  const limits = options.limits ?? readLimits({});
  const counts: AzureCounts = { requests: 0, pages: 0 };
  boundAttempts(client, limits, counts);
  checkListPages(client, limits);
  allowLoopbackBearer(client, credential, endpoint);

  const errors: string[] = [];
  const notes: string[] = [];
  const rg = options.resourceGroup;
  const all = <T>(operation: string, iterator: () => any, sink: T[]) => readList(operation, iterator, sink, { options, limits, counts, errors });
  const nsgs: AzureNsg[] = [];
  const asgs: { id?: string; name?: string; tags?: Record<string, string> }[] = [];
  const nics: any[] = [];
  await Promise.all([
    all('networkSecurityGroups.list', () => client.networkSecurityGroups.list(rg, { abortSignal: limits.signal }), nsgs),
    all('applicationSecurityGroups.list', () => client.applicationSecurityGroups.list(rg, { abortSignal: limits.signal }), asgs),
    all('networkInterfaces.list', () => client.networkInterfaces.list(rg, { abortSignal: limits.signal }), nics),
  ]);

  const view = azureView(nsgs, asgs, nics, options);
  notes.push(...view.notes);
  if (asgs.length) {
    const liveAsgs = new Set(asgs.map(a => a.name ?? ''));
    for (const a of [...options.asgNames].sort()) if (!liveAsgs.has(a)) notes.push(`azure: application security group ${a} of the manifest was not found in ${rg}.`);
  }
  const { rules, containers, unmanaged, detached } = view;
  return { cloud: Cloud.AZURE, rules, containers, unmanaged, detached, errors, notes, requests: counts.requests, pages: counts.pages };
}

/**
 * Each attempt: counted, bounded by the per-request timeout (body included) and the deadline;
 * an error asking to retry later than the cap fails the call instead of sleeping.
 */
function boundAttempts(client: { pipeline: any }, limits: ReadLimits, counts: AzureCounts): void {
  client.pipeline.addPolicy({
    name: 'microsegAttempt',
    sendRequest: async (req: any, next: any) => {
      counts.requests++;
      req.abortSignal = anySignal(req.abortSignal, AbortSignal.timeout(limits.requestTimeoutMs), limits.signal);
      const res = await next(req);
      if (res.status >= 400) {
        const ms = res.headers.get('retry-after-ms') ?? res.headers.get('x-ms-retry-after-ms');
        checkRetryAfter(ms ? String(Number(ms) / 1000) : res.headers.get('retry-after'), limits);
      }
      return res;
    },
  }, { afterPhase: 'Retry' });
}

/**
 * Each list page as the SDK receives it: a JSON object with a `value` list, and a `nextLink`
 * that neither repeats nor goes on past the page cap; anything else fails the read.
 */
function checkListPages(client: { pipeline: any }, limits: ReadLimits): void {
  const guards = new Map<string, PageGuard>();
  client.pipeline.addPolicy({
    name: 'microsegListPage',
    sendRequest: async (req: any, next: any) => {
      const res = await next(req);
      if (req.method !== 'GET' || res.status !== 200) return res;
      const key = new URL(req.url).pathname.toLowerCase();
      let body: any;
      try { body = JSON.parse(res.bodyAsText ?? ''); } catch { body = undefined; }
      if (!body || typeof body !== 'object' || !Array.isArray(body.value) || !body.value.every((x: unknown) => x && typeof x === 'object')) {
        throw new ReadLimitError('MalformedResponse', `the answer is not an ARM list (a JSON object with a "value" list)${(res.bodyAsText ?? '').trim() ? '' : ': the body is empty'}`);
      }
      if (body.nextLink !== undefined && body.nextLink !== null && typeof body.nextLink !== 'string') throw new ReadLimitError('MalformedResponse', 'the answer has a nextLink that is not a URL');
      let guard = guards.get(key);
      if (!guard) { guard = new PageGuard(limits.maxPages ?? DEFAULT_MAX_PAGES.azure); guards.set(key, guard); }
      guard.remember(req.url);
      guard.page(body.nextLink);
      return res;
    },
  });
}

/** Reads every page of one list into `sink`; false (and a line in `errors`) when a page failed. */
async function readList<T>(operation: string, iterator: () => any, sink: T[],
  read: { options: AzureReaderOptions; limits: ReadLimits; counts: AzureCounts; errors: string[] }): Promise<boolean> {
  const { options, limits } = read;
  try {
    for await (const page of iterator().byPage()) {
      read.counts.pages++;
      sink.push(...(page as T[]));
      options.progress?.page('azure', operation, (page as T[]).length);
    }
    return true;
  } catch (e) {
    const reason = e instanceof ReadLimitError ? describeError(e)
      : (e as Error)?.name === 'AbortError' ? `${limits.signal?.aborted ? 'MicrosegDeadline' : 'MicrosegRequestTimeout'}: ${abortReason(limits, 'it')}` : describeError(e);
    read.errors.push(`azure ${operation} (resource group ${options.resourceGroup}): ${reason}`);
    return false;
  }
}

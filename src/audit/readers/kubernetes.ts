/**
 * Kubernetes reader: the NetworkPolicies of the segmentation's namespaces, through
 * `@kubernetes/client-node` (loaded on demand). Read-only: it only lists NetworkPolicies (GET
 * `/apis/networking.k8s.io/v1/namespaces/<ns>/networkpolicies`), per namespace, in pages with
 * `limit` and `continue` tokens. Any failed page (including an expired `continue` token) leaves
 * the view incomplete: the audit then exits 2, never "no drift".
 *
 * Policies labelled as rendered by this segmentation (`app.kubernetes.io/managed-by: microseg`,
 * `microseg.io/segmentation: <segmentation>`) are normalised into canonical rules; every other
 * policy that selects the pods of a segmented workload is reported as unmanaged (it widens what
 * those pods may send or receive, since policies are additive).
 *
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks
 */
import * as fs from 'fs';
import { canonicalRulesOf, KubeNetworkPolicy, MANAGED_BY_LABEL, policyContainer, SEGMENTATION_LABEL, selectorMatches } from '../../ir/k8s-policy';
import { ManifestCloudSection } from '../../ir/manifest';
import { LiveState } from '../findings';
import { DriftAttachment } from '../types';
import { loadSdk } from '../sdk';
import { abortReason, PageGuard, ReadLimits, readLimits } from './limits';
import { ReadProgress } from './progress';
import { Cloud } from '../../model/backend';

/** A segmented workload as the manifest records it: its namespace and pod labels. */
export interface KubernetesWorkloadPods {
  readonly workload: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

/** Options of the Kubernetes reader. */
export interface KubernetesReaderOptions {
  readonly segmentation: string;
  /** The namespaces to read (the segmentation's). */
  readonly namespaces: string[];
  readonly workloads: KubernetesWorkloadPods[];
  /** API server URL (e.g. a local test server); default: the current kubeconfig context. */
  readonly endpoint?: string;
  /** Kubeconfig context to use (default: the current one). */
  readonly context?: string;
  /** Items per page. @default 500 */
  readonly pageSize?: number;
  /** First retry delay (doubles per attempt). @default 200 */
  readonly retryDelayMs?: number;
  /** Bounds of the reads (request timeout, overall deadline, page cap). */
  readonly limits?: ReadLimits;
  readonly progress?: ReadProgress;
}

/** The namespaces and segmented pods of a manifest's `kubernetes` section. */
export function kubernetesReaderOptions(segmentation: string, section: ManifestCloudSection): Pick<KubernetesReaderOptions, 'segmentation' | 'namespaces' | 'workloads'> {
  const labelsOf = (text: string | undefined): Record<string, string> => Object.fromEntries((text && text !== '*' ? text.split(',') : []).map(kv => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
  const workloads = Object.entries(section.identities ?? {}).filter(([, id]) => typeof id?.namespace === 'string')
    .map(([workload, id]) => ({ workload, namespace: id.namespace, labels: labelsOf(id.podLabels ?? id.podSelector) }));
  const namespaces = [...new Set([
    ...workloads.map(w => w.namespace),
    ...Object.values(section.containers ?? {}).map(c => c?.namespace).filter((n): n is string => typeof n === 'string'),
  ])].sort();
  return { segmentation, namespaces, workloads };
}

/** The client's typed objects name `from` `_from` (and may name `except` `_except`): back to the wire names. */
function wireNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wireNames);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k === '_from' ? 'from' : k === '_except' ? 'except' : k, wireNames(v)]));
  }
  return value;
}

function errorText(e: unknown): string {
  const err = e as { code?: number | string; statusCode?: number; body?: unknown; message?: string };
  const status = err.code ?? err.statusCode;
  let body = '';
  try { body = typeof err.body === 'string' ? err.body : err.body ? JSON.stringify(err.body) : ''; } catch { /* ignore */ }
  const reason = /"message":"([^"]+)"/.exec(body)?.[1];
  return `${status ? `HTTP ${status}: ` : ''}${reason ?? err.message ?? String(e)}`.slice(0, 300);
}

/**
 * Splits policies into this segmentation's (normalised into canonical rules) and the others that
 * select segmented pods (unmanaged); policies that select none of them are none of the audit's
 * business.
 */
export function classifyPolicies(policies: KubeNetworkPolicy[], options: Pick<KubernetesReaderOptions, 'segmentation' | 'namespaces' | 'workloads'>): Pick<LiveState, 'rules' | 'containers' | 'unmanaged'> {
  const rules: LiveState['rules'] = [];
  const containers: LiveState['containers'] = [];
  const unmanaged: DriftAttachment[] = [];
  const namespaces = new Set(options.namespaces);
  for (const np of policies) {
    const name = np?.metadata?.name;
    const ns = np?.metadata?.namespace;
    if (!name || !ns || !np.spec || !namespaces.has(ns)) continue;
    const container = policyContainer(ns, name);
    const labels = np.metadata.labels ?? {};
    if (labels[MANAGED_BY_LABEL] === 'microseg' && labels[SEGMENTATION_LABEL] === options.segmentation) {
      containers.push({ container, id: `${ns}/${name}` });
      rules.push(...canonicalRulesOf(np).map(r => ({ ...r, id: `${ns}/${name}` })));
      continue;
    }
    const selected = options.workloads.filter(p => p.namespace === ns && selectorMatches(np.spec.podSelector, p.labels)).map(p => p.workload).sort();
    if (selected.length > 0) unmanaged.push({ container, name: `${ns}/${name}`, attachedTo: `pods of ${selected.join(', ')}`, workloads: selected });
  }
  return { rules, containers, unmanaged };
}

/**
 * Reads saved `kubectl get networkpolicies -A -o json` (or `-n <ns>`) outputs instead of the
 * cluster; unreadable or unrecognised files land in `errors` (fail closed).
 */
export function readKubernetesFromFiles(files: string[], options: Pick<KubernetesReaderOptions, 'segmentation' | 'namespaces' | 'workloads'>): LiveState {
  const errors: string[] = [];
  const policies: KubeNetworkPolicy[] = [];
  for (const file of files) {
    let doc: any;
    try { doc = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { errors.push(`${file}: cannot be read as JSON: ${(e as Error).message}`); continue; }
    const items = doc?.kind === 'NetworkPolicy' ? [doc] : Array.isArray(doc?.items) ? doc.items : undefined;
    if (!items) { errors.push(`${file}: not a \`kubectl get networkpolicies -o json\` output (expected a List with items, or one NetworkPolicy).`); continue; }
    if (doc?.metadata?.continue) errors.push(`${file}: the list is one page of a larger result (metadata.continue is set): save the whole list.`);
    policies.push(...items.filter((i: any) => i?.kind === undefined || i.kind === 'NetworkPolicy'));
  }
  return { cloud: Cloud.KUBERNETES, ...classifyPolicies(policies, options), errors, notes: [], requests: 0, pages: files.length };
}

/** Status codes worth another try: throttling and server errors (never 410: an expired `continue` token means start over). */
function retryable(e: unknown): boolean {
  const err = e as { code?: number | string; statusCode?: number };
  const status = Number(err.code ?? err.statusCode);
  if (Number.isFinite(status) && status >= 100) return status === 429 || (status >= 500 && status !== 501);
  return typeof err.code === 'string' && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|UND_ERR)/.test(err.code);
}

/** One call within the request timeout and the overall deadline. */
function bounded<T>(fn: () => Promise<T>, limits: ReadLimits, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(Object.assign(new Error(abortReason(limits, what)), { bounded: true }));
    if (limits.signal?.aborted) return stop();
    const timer = setTimeout(stop, limits.requestTimeoutMs);
    limits.signal?.addEventListener('abort', stop, { once: true });
    fn().then(resolve, reject).finally(() => { clearTimeout(timer); limits.signal?.removeEventListener('abort', stop); });
  });
}

/** Calls `fn`, retrying throttling and server errors with exponential backoff (4 attempts); never past a bound. */
async function withRetries<T>(fn: () => Promise<T>, delayMs: number, limits: ReadLimits, what: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await bounded(fn, limits, what);
    } catch (e) {
      if (attempt >= 4 || (e as { bounded?: boolean }).bounded || !retryable(e)) throw e;
      await new Promise(r => setTimeout(r, delayMs * 2 ** (attempt - 1)));
    }
  }
}

/** Reads the NetworkPolicies; API errors land in `errors` (the view is then incomplete). */
export async function readKubernetes(options: KubernetesReaderOptions): Promise<LiveState> {
  const k8s = loadSdk<any>('@kubernetes/client-node', 'kubernetes');
  const kc = new k8s.KubeConfig();
  if (options.endpoint) {
    kc.loadFromOptions({
      // plain http (a local proxy such as `kubectl proxy`, or a test server) has no certificate to verify;
      // https endpoints are always verified
      clusters: [{ name: 'microseg-audit', server: options.endpoint, skipTLSVerify: options.endpoint.startsWith('http:') }],
      users: [{ name: 'microseg-audit', token: process.env.MICROSEG_KUBERNETES_TOKEN }],
      contexts: [{ name: 'microseg-audit', cluster: 'microseg-audit', user: 'microseg-audit' }],
      currentContext: 'microseg-audit',
    });
  } else {
    kc.loadFromDefault();
    if (options.context) kc.setCurrentContext(options.context);
  }
  const api = kc.makeApiClient(k8s.NetworkingV1Api);
  const limit = options.pageSize ?? 500;
  const errors: string[] = [];
  const rules: LiveState['rules'] = [];
  const containers: LiveState['containers'] = [];
  const unmanaged: DriftAttachment[] = [];
  let requests = 0;
  let pages = 0;
  const limits = options.limits ?? readLimits({});
  for (const namespace of [...new Set(options.namespaces)].sort()) {
    let token: string | undefined;
    const policies: KubeNetworkPolicy[] = [];
    // pages of 500: 100 pages are 50,000 policies in one namespace, far beyond any real cluster
    const guard = new PageGuard(limits.maxPages ?? 100);
    try {
      do {
        const request = { namespace, limit, ...(token ? { _continue: token } : {}) };
        const page: any = await withRetries<any>(() => { requests++; return api.listNamespacedNetworkPolicy(request); }, options.retryDelayMs ?? 200, limits, `the NetworkPolicies of namespace "${namespace}"`);
        pages++;
        const items = (page?.items ?? []) as unknown[];
        policies.push(...items.map(i => wireNames(i) as KubeNetworkPolicy));
        options.progress?.page('kubernetes', `NetworkPolicies in ${namespace}`, items.length);
        token = page?.metadata?._continue || page?.metadata?.continue || undefined;
        guard.page(token);
      } while (token);
    } catch (e) {
      errors.push(`kubernetes: listing NetworkPolicies in namespace "${namespace}" failed after ${pages} page(s): ${errorText(e)}`);
      continue;
    }
    const part = classifyPolicies(policies.map(p => ({ ...p, metadata: { ...p.metadata, namespace: p.metadata?.namespace ?? namespace } })), options);
    rules.push(...part.rules); containers.push(...part.containers); unmanaged.push(...part.unmanaged);
  }
  return { cloud: Cloud.KUBERNETES, rules, containers, unmanaged, errors, notes: [], requests, pages };
}

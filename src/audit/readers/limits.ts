/**
 * Bounds of every live read, so that no endpoint can keep an audit waiting or looping: a
 * per-request timeout (each HTTP attempt, body included), a cap on the `Retry-After` a server may
 * ask for, an overall deadline, and paging guards (a page token seen twice, or more pages than
 * the cloud's limits allow, stop the read). Hitting any bound is a read error: the audit is then
 * incomplete (exit 2), never "no drift".
 */

/** Default per-request timeout (seconds): one HTTP attempt, headers and body. */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 60;
/** Default overall deadline of the reads (seconds). */
export const DEFAULT_TIMEOUT_SECONDS = 900;
/** Default longest `Retry-After` honoured (seconds); a server asking for more fails the call. */
export const DEFAULT_MAX_RETRY_AFTER_SECONDS = 30;

/**
 * Page caps per paginated call, derived from the clouds' limits with a wide margin:
 * - AWS: pages of 1,000; a call is filtered to one segmentation (tag) or to 200 group ids; 200
 *   groups of at most 1,000 rules each (the per-group hard limit) are 200 pages, and no region
 *   holds 200,000 interfaces of 200 groups: 200 pages.
 * - Azure: ARM pages hold at least 100 items (usually 1,000); a resource group holds at most
 *   800 resources of one type per deployment and 5,000 NSGs per subscription: 100 pages.
 * - GCP: pages of 500; a project allows at most a few thousand firewall rules (quota, raised):
 *   100 pages (50,000 rules).
 */
export const DEFAULT_MAX_PAGES: Readonly<Record<'aws' | 'azure' | 'gcp', number>> = { aws: 200, azure: 100, gcp: 100 };

/** Bounds of one audit's reads. */
export interface ReadLimits {
  /** Per-request timeout, milliseconds. */
  readonly requestTimeoutMs: number;
  /** Longest honoured Retry-After, milliseconds. */
  readonly maxRetryAfterMs: number;
  /** Page cap per paginated call (default: {@link DEFAULT_MAX_PAGES} of the cloud). */
  readonly maxPages?: number;
  /** Aborted at the overall deadline. */
  readonly signal?: AbortSignal;
}

/** Limits from seconds (fractions allowed), defaults filled in. */
export function readLimits(options: { requestTimeoutSeconds?: number; maxRetryAfterSeconds?: number; maxPages?: number; signal?: AbortSignal }): ReadLimits {
  return {
    requestTimeoutMs: Math.round((options.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS) * 1000),
    maxRetryAfterMs: Math.round((options.maxRetryAfterSeconds ?? DEFAULT_MAX_RETRY_AFTER_SECONDS) * 1000),
    ...(options.maxPages !== undefined ? { maxPages: options.maxPages } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** An error that names why a read stopped (never retried). */
export class ReadLimitError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = code;
  }
}

/** Seconds of a `Retry-After` header (delta seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const v = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Throws when a server asks to wait longer than the cap. */
export function checkRetryAfter(value: string | null | undefined, limits: ReadLimits): void {
  const ms = retryAfterMs(value);
  if (ms !== undefined && ms > limits.maxRetryAfterMs) {
    throw new ReadLimitError('RetryAfterTooLong', `the server asked to retry after ${Math.round(ms / 1000)} s, more than the ${limits.maxRetryAfterMs / 1000} s honoured (--max-retry-after)`);
  }
}

/** Guards one paginated call: a repeated token or too many pages stop it. */
export class PageGuard {
  private readonly seen = new Set<string>();
  private count = 0;
  constructor(private readonly cap: number) {}

  /** Records a token (or URL) already requested, e.g. the first page's. */
  remember(token: string): void {
    this.seen.add(token);
  }

  /** Records a received page and its continuation token; throws on a loop or past the cap. */
  page(next: string | undefined | null): void {
    this.count++;
    if (next === undefined || next === null || next === '') return;
    if (this.seen.has(next)) throw new ReadLimitError('PagingLoop', `the server returned the same page token twice (after ${this.count} page(s)): the listing would never end`);
    this.seen.add(next);
    if (this.count >= this.cap) throw new ReadLimitError('TooManyPages', `more than ${this.cap} pages (--max-pages): the listing does not end within the cloud's limits`);
  }
}

/** Combines abort signals (undefined ones are skipped). */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const list = signals.filter((s): s is AbortSignal => !!s);
  if (list.length === 0) return undefined;
  return list.length === 1 ? list[0] : AbortSignal.any(list);
}

/** The message of an abort: the deadline or the per-request timeout. */
export function abortReason(limits: ReadLimits, what: string): string {
  return limits.signal?.aborted
    ? `the overall deadline (--timeout) passed before ${what} was read`
    : `no complete answer within the ${limits.requestTimeoutMs / 1000} s request timeout (--request-timeout)`;
}

/** Resolves when the signal aborts (never, without a signal). */
export function whenAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise(resolve => {
    if (!signal) return;
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

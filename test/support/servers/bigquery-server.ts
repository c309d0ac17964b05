/**
 * A local Google BigQuery endpoint for tests: the REST calls the client library makes for a query
 * job: jobs.insert (`POST /bigquery/v2/projects/{p}/jobs`, dry runs included), jobs.getQueryResults
 * (`GET .../queries/{jobId}`: `jobComplete` false first, then rows in pages of `maxResults` with
 * `pageToken`), jobs.get (`GET .../jobs/{jobId}`). The answer of a query comes from
 * `answer(sql)` (tests run the SQL's DuckDB twin on the same data); faults: rate limiting
 * (HTTP 429 `rateLimitExceeded`, retried by the client), a failed job.
 * @see https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { closeWithLifetime } from './faults';

export type BigQueryAnswer =
  | { readonly columns: [string, 'STRING' | 'INT64'][]; readonly rows: (string | null)[][]; readonly bytes: number }
  | { readonly error: string; readonly bytes: number };

export interface BigQueryServerOptions {
  readonly answer: (sql: string) => Promise<BigQueryAnswer>;
  /** Largest page returned. @default 1000 */
  readonly maxPage?: number;
  /** Answer HTTP 429 to this call (method + path kind, 1-based count). */
  readonly throttle?: (call: 'insert' | 'results' | 'get', count: number) => boolean;
}

export interface BigQueryRequest { call: string; method: string; path: string; body?: any }

export async function startBigQueryServer(o: BigQueryServerOptions): Promise<{ url: string; requests: BigQueryRequest[]; close: () => Promise<void> }> {
  const requests: BigQueryRequest[] = [];
  const jobs = new Map<string, { sql: string; answer?: BigQueryAnswer; polls: number; project: string; location?: string }>();
  const counts = new Map<string, number>();
  const send = (res: http.ServerResponse, status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }); res.end(JSON.stringify(body)); };
  const fail = (res: http.ServerResponse, status: number, reason: string, message: string) => send(res, status, { error: { code: status, message, errors: [{ reason, message, domain: 'global' }], status: reason } });
  const jobResource = (id: string, j: { sql: string; answer?: BigQueryAnswer; project: string; location?: string }, dry: boolean) => ({
    kind: 'bigquery#job', id: `${j.project}:${j.location ?? 'US'}.${id}`, jobReference: { projectId: j.project, jobId: id, location: j.location ?? 'US' },
    configuration: { query: { query: j.sql, useLegacySql: false }, dryRun: dry, jobType: 'QUERY' },
    status: { state: 'DONE', ...(j.answer && 'error' in j.answer ? { errorResult: { reason: 'invalidQuery', message: j.answer.error }, errors: [{ reason: 'invalidQuery', message: j.answer.error }] } : {}) },
    statistics: {
      totalBytesProcessed: String(j.answer?.bytes ?? 0),
      query: { totalBytesProcessed: String(j.answer?.bytes ?? 0), ...(dry ? {} : { totalBytesBilled: String(Math.max(10 << 20, j.answer?.bytes ?? 0)), totalSlotMs: '1234', cacheHit: false }) },
    },
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const p = url.pathname.replace(/^\/bigquery\/v2/, '');
        let call = 'other';
        if (req.method === 'POST' && /^\/projects\/([^/]+)\/jobs$/.test(p)) call = 'insert';
        else if (req.method === 'GET' && /^\/projects\/[^/]+\/queries\/[^/]+$/.test(p)) call = 'results';
        else if (req.method === 'GET' && /^\/projects\/[^/]+\/jobs\/[^/]+$/.test(p)) call = 'get';
        const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
        requests.push({ call, method: String(req.method), path: url.pathname + url.search, body });
        const n = (counts.get(call) ?? 0) + 1;
        counts.set(call, n);
        if (!/^Bearer \S+/.test(String(req.headers.authorization ?? ''))) return fail(res, 401, 'unauthorized', 'Request is missing a valid access token');
        if (call !== 'other' && o.throttle?.(call as 'insert', n)) return fail(res, 429, 'rateLimitExceeded', 'Exceeded rate limits: too many api requests per user per method');
        if (call === 'insert') {
          const project = decodeURIComponent(/^\/projects\/([^/]+)\/jobs$/.exec(p)![1]);
          const sql = String(body?.configuration?.query?.query ?? '');
          const dry = Boolean(body?.configuration?.dryRun);
          const id = String(body?.jobReference?.jobId ?? `job_${jobs.size + 1}`);
          const answer = await o.answer(sql);
          const limit = body?.configuration?.query?.maximumBytesBilled;
          if (!dry && limit !== undefined && answer.bytes > Number(limit)) {
            return fail(res, 400, 'bytesBilledLimitExceeded', `Query exceeded limit for bytes billed: ${limit}.`);
          }
          if (dry) {
            if ('error' in answer) return fail(res, 400, 'invalidQuery', answer.error);
            return send(res, 200, jobResource(id, { sql, answer, project }, true));
          }
          const j = { sql, answer, polls: 0, project, location: body?.jobReference?.location };
          jobs.set(id, j);
          return send(res, 200, { ...jobResource(id, j, false), status: { state: 'RUNNING' } });
        }
        const id = decodeURIComponent(p.split('/').pop() ?? '');
        const j = jobs.get(id);
        if (!j) return fail(res, 404, 'notFound', `Not found: Job ${id}`);
        if (call === 'get') return send(res, 200, jobResource(id, j, false));
        if (call === 'results') {
          j.polls++;
          if (j.polls === 1) return send(res, 200, { kind: 'bigquery#getQueryResultsResponse', jobReference: { projectId: j.project, jobId: id }, jobComplete: false });
          if (!j.answer || 'error' in j.answer) return fail(res, 400, 'invalidQuery', j.answer && 'error' in j.answer ? j.answer.error : 'no answer');
          const size = Math.min(o.maxPage ?? 1000, Number(url.searchParams.get('maxResults') ?? 1000));
          const start = Number(url.searchParams.get('pageToken') ?? 0);
          const page = j.answer.rows.slice(start, start + size);
          const next = start + size < j.answer.rows.length ? String(start + size) : undefined;
          return send(res, 200, {
            kind: 'bigquery#getQueryResultsResponse', jobReference: { projectId: j.project, jobId: id }, jobComplete: true,
            schema: { fields: j.answer.columns.map(([name, type]) => ({ name, type, mode: 'NULLABLE' })) },
            totalRows: String(j.answer.rows.length), rows: page.map(r => ({ f: r.map(v => ({ v })) })),
            totalBytesProcessed: String(j.answer.bytes), cacheHit: false, ...(next ? { pageToken: next } : {}),
          });
        }
        return fail(res, 404, 'notFound', `no route ${req.method} ${url.pathname}`);
      })().catch(e => fail(res, 500, 'internalError', String((e as Error).message)));
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, requests, close: closeWithLifetime(server) };
}

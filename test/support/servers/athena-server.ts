/**
 * A local Amazon Athena endpoint for tests: speaks Athena's JSON protocol (POST with
 * `X-Amz-Target: AmazonAthena.<Action>`, `application/x-amz-json-1.1`) for StartQueryExecution,
 * GetQueryExecution (QUEUED -> RUNNING -> SUCCEEDED, or FAILED/CANCELLED), GetQueryResults (the
 * header row first, `MaxResults`/`NextToken` paging) and StopQueryExecution. The answer of a query
 * comes from `answer(sql)` (tests run the SQL's DuckDB twin on the same data); faults: throttling
 * (`ThrottlingException`, retried by the SDK), a failed or cancelled query, a scan size.
 * Bound to 127.0.0.1 on a random port; found by the SDK through AWS_ENDPOINT_URL_ATHENA.
 * @see https://docs.aws.amazon.com/athena/latest/APIReference/API_Operations.html
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { closeWithLifetime } from './faults';

/** What a query returns (values as text, null for NULL), or how it ends. */
export type AthenaAnswer =
  | { readonly columns: string[]; readonly rows: (string | null)[][]; readonly scannedBytes?: number }
  | { readonly state: 'FAILED' | 'CANCELLED'; readonly reason: string; readonly scannedBytes?: number };

export interface AthenaServerOptions {
  readonly answer: (sql: string) => Promise<AthenaAnswer>;
  /** Largest page returned, header row included on the first page (the real maximum is 1000). */
  readonly maxPage?: number;
  /** GetQueryExecution polls answered QUEUED then RUNNING before the final state. @default 2 */
  readonly polls?: number;
  /** Answer a ThrottlingException to this call (action, 1-based count of that action). */
  readonly throttle?: (action: string, count: number) => boolean;
}

export interface AthenaRequest { action: string; body: any }

interface Execution { id: string; sql: string; polls: number; answer?: AthenaAnswer; stopped: boolean; params: any }

export async function startAthenaServer(o: AthenaServerOptions): Promise<{ url: string; requests: AthenaRequest[]; close: () => Promise<void> }> {
  const requests: AthenaRequest[] = [];
  const executions = new Map<string, Execution>();
  const counts = new Map<string, number>();
  const maxPage = o.maxPage ?? 1000;
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${requests.length}` });
    res.end(JSON.stringify(body));
  };
  const error = (res: http.ServerResponse, type: string, message: string, status = 400) => send(res, status, { __type: type, message, Message: message });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const action = target.replace(/^AmazonAthena\./, '');
        let body: any;
        try { body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'); } catch { return error(res, 'InvalidRequestException', 'body is not JSON'); }
        requests.push({ action, body });
        const n = (counts.get(action) ?? 0) + 1;
        counts.set(action, n);
        if (o.throttle?.(action, n)) return error(res, 'ThrottlingException', 'Rate exceeded');
        const ex = body.QueryExecutionId ? executions.get(body.QueryExecutionId) : undefined;
        switch (action) {
          case 'StartQueryExecution': {
            const id = `q-${executions.size + 1}`;
            executions.set(id, { id, sql: String(body.QueryString), polls: 0, stopped: false, params: body });
            return send(res, 200, { QueryExecutionId: id });
          }
          case 'GetQueryExecution': {
            if (!ex) return error(res, 'InvalidRequestException', `QueryExecution ${body.QueryExecutionId} was not found`);
            ex.polls++;
            const polls = o.polls ?? 2;
            let state = ex.polls <= 1 ? 'QUEUED' : 'RUNNING';
            let reason: string | undefined;
            if (ex.polls > 1 && !ex.stopped) ex.answer ??= await o.answer(ex.sql);
            if (ex.stopped) state = 'CANCELLED';
            else if (ex.polls > polls) {
              ex.answer ??= await o.answer(ex.sql);
              state = 'state' in ex.answer ? ex.answer.state : 'SUCCEEDED';
              reason = 'reason' in ex.answer ? ex.answer.reason : undefined;
            }
            const scanned = state === 'QUEUED' ? 0 : (ex.answer?.scannedBytes ?? 0) * (state === 'RUNNING' ? 0.5 : 1);
            return send(res, 200, {
              QueryExecution: {
                QueryExecutionId: ex.id, Query: ex.sql, StatementType: 'DML',
                Status: { State: state, ...(reason ? { StateChangeReason: reason } : {}), SubmissionDateTime: Date.now() / 1000 },
                Statistics: { DataScannedInBytes: Math.round(scanned), EngineExecutionTimeInMillis: 100 * ex.polls, TotalExecutionTimeInMillis: 120 * ex.polls },
                WorkGroup: ex.params.WorkGroup ?? 'primary',
                ...(ex.params.QueryExecutionContext ? { QueryExecutionContext: ex.params.QueryExecutionContext } : {}),
              },
            });
          }
          case 'StopQueryExecution':
            if (ex) ex.stopped = true;
            return send(res, 200, {});
          case 'GetQueryResults': {
            if (!ex?.answer || 'state' in ex.answer) return error(res, 'InvalidRequestException', 'Query has not yet finished or failed');
            const all = [ex.answer.columns.map(c => c as string | null), ...ex.answer.rows];
            const start = body.NextToken ? Number(String(body.NextToken).replace('t', '')) : 0;
            const size = Math.min(maxPage, body.MaxResults ?? 1000);
            const page = all.slice(start, start + size);
            const next = start + size < all.length ? `t${start + size}` : undefined;
            return send(res, 200, {
              ResultSet: {
                Rows: page.map(r => ({ Data: r.map(v => (v === null ? {} : { VarCharValue: v })) })),
                ResultSetMetadata: { ColumnInfo: ex.answer.columns.map(c => ({ Name: c, Label: c, Type: 'varchar', CatalogName: 'hive', Nullable: 'UNKNOWN' })) },
              },
              UpdateCount: 0,
              ...(next ? { NextToken: next } : {}),
            });
          }
          default:
            return error(res, 'UnknownOperationException', `unknown action ${action}`);
        }
      })().catch(e => error(res, 'InternalServerException', String((e as Error).message), 500));
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, requests, close: closeWithLifetime(server) };
}

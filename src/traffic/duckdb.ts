/**
 * The embedded engine: DuckDB through `@duckdb/node-api`, an optional peer dependency loaded on
 * first use. A user of the constructs alone never installs it; a missing one is a
 * `[microseg:MissingDependency]` error naming the `npm i` line.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadOptional } from '../optional/load';

/** The install line for the engine. */
export const DUCKDB_INSTALL = 'npm i @duckdb/node-api';

/** The part of a DuckDB connection the traffic engine uses. */
export interface Db {
  /** Runs statements and returns rows as plain JS values (BIGINT as bigint). */
  all(sql: string): Promise<Record<string, unknown>[]>;
  /** Runs statements, ignoring results. */
  run(sql: string): Promise<void>;
  /**
   * Appends rows to a table through DuckDB's appender. `types` gives each column's kind:
   * `s` VARCHAR, `i` BIGINT, `n` INTEGER, `u` UHUGEINT, `b` BOOLEAN.
   */
  append(table: string, types: string, rows: (string | number | bigint | boolean | null)[][]): Promise<void>;
  /** Closes the connection and the instance. */
  close(): void;
}

/** Loads `@duckdb/node-api`, or throws `MissingDependency` with the install line. */
export function loadDuckDb(): any {
  return loadOptional('@duckdb/node-api', {
    code: 'MissingDependency', path: 'traffic',
    message: 'is needed to read flow logs but is not installed.',
    install: DUCKDB_INSTALL,
  });
}

/**
 * Who hears the progress (percent, 0-100) of long queries: the command line sets it when stderr
 * is a terminal (a progress bar); nobody otherwise, and then DuckDB tracks none.
 */
export const queryProgress: { listener?: (percentage: number) => void } = {};

/**
 * DuckDB's memory budget: beyond it, the grouping of the connections no flag decides (UDP, logs
 * without tcp-flags) and the joins spill to a temporary folder instead of growing, so memory stays
 * flat in the number of records (at 22 million records 256 MB cost no more CPU than 512 MB, and
 * 128 MB is too little for the readers' buffers). Reads of JSON logs get more (see
 * `jsonMemoryLimit`). `MICROSEG_DUCKDB_MEMORY` (e.g. `2GB`) sets it.
 * @see https://duckdb.org/docs/current/guides/performance/how_to_tune_workloads
 */
export const DUCKDB_MEMORY_LIMIT = '256MB';

/** Whether `MICROSEG_DUCKDB_MEMORY` sets the budget. */
export function memoryLimitSet(): boolean {
  return Boolean(process.env.MICROSEG_DUCKDB_MEMORY);
}

/**
 * The budget of a read of JSON logs whose largest file has `bytes`: a JSON object is read whole
 * into a buffer per thread, so 512 MB or four times the file, whichever is larger.
 */
export function jsonMemoryLimit(bytes: number): string {
  return `${Math.max(512, Math.ceil((4 * bytes) / 1048576))}MB`;
}

/** Whether an engine error is DuckDB running out of its memory budget. */
export function outOfMemory(e: unknown): boolean {
  return /Out of Memory Error/i.test(e instanceof Error ? e.message : String(e));
}

/** Opens an in-memory DuckDB (memory budget above; spills under the OS temporary folder, removed on close). */
export async function openDb(threads?: number): Promise<Db> {
  const duck = loadDuckDb();
  const spill = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-duckdb-'));
  const config: Record<string, string> = {
    memory_limit: process.env.MICROSEG_DUCKDB_MEMORY || DUCKDB_MEMORY_LIMIT,
    temp_directory: spill,
    // results are sorted in JavaScript: DuckDB need not keep the order of the reads
    preserve_insertion_order: 'false',
  };
  if (threads) config.threads = String(threads);
  const instance = await duck.DuckDBInstance.create(':memory:', config);
  const conn = await instance.connect();
  if (queryProgress.listener) await conn.run('SET enable_progress_bar = true; SET enable_progress_bar_print = false');
  return {
    async all(sql) {
      const listener = queryProgress.listener;
      // the query runs on DuckDB's threads: the event loop is free to poll its progress
      const timer = listener ? setInterval(() => {
        try {
          const p = conn.progress?.percentage;
          if (typeof p === 'number' && p >= 0) listener(Math.min(100, p));
        } catch {
          // no progress to report
        }
      }, 200) : undefined;
      try {
        const reader = await conn.runAndReadAll(sql);
        return reader.getRowObjectsJS() as Record<string, unknown>[];
      } finally {
        if (timer) clearInterval(timer);
      }
    },
    async run(sql) {
      await conn.run(sql);
    },
    async append(table, types, rows) {
      const appender = await conn.createAppender(table);
      for (const row of rows) {
        row.forEach((v, i) => {
          if (v === null || v === undefined) return appender.appendNull();
          switch (types[i]) {
            case 's': return appender.appendVarchar(String(v));
            case 'i': return appender.appendBigInt(BigInt(v as number));
            case 'n': return appender.appendInteger(Number(v));
            case 'u': return appender.appendUHugeInt(BigInt(v as bigint));
            case 'b': return appender.appendBoolean(Boolean(v));
            default: throw new Error(`append: unknown column kind ${types[i]}`);
          }
        });
        appender.endRow();
      }
      appender.closeSync();
    },
    close() {
      try { conn.closeSync?.(); } catch { /* already closed */ }
      try { instance.closeSync?.(); } catch { /* already closed */ }
      fs.rmSync(spill, { recursive: true, force: true });
    },
  };
}

/** Quotes a string as a SQL literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

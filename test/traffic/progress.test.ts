/**
 * The progress bar of long reads: on a terminal only (never on a pipe or in CI), fed by DuckDB's
 * own query progress, which is tracked only while someone listens.
 */
import { describe, expect, it } from 'vitest';
import { withProgress } from '../../src/cli/traffic';
import { openDb, queryProgress } from '../../src/traffic/duckdb';

const stream = (isTTY: boolean) => {
  let text = '';
  return { isTTY, write: (s: string) => { text += s; return true; }, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, on: () => undefined, removeListener: () => undefined, get text() { return text; } };
};

describe('traffic progress bar', () => {
  it('draws a bar on a terminal from the engine\'s progress, and clears the listener afterwards', async () => {
    const err = stream(true);
    const r = await withProgress({ stdout: stream(true), stderr: err }, {}, async () => {
      expect(queryProgress.listener).toBeTypeOf('function');
      queryProgress.listener!(12.5);
      queryProgress.listener!(80);
      return 42;
    });
    expect(r).toBe(42);
    expect(err.text).toContain('reading flow logs');
    expect(err.text).toMatch(/80%/);
    expect(queryProgress.listener).toBeUndefined();
  });

  it('draws nothing on a pipe or in CI, and DuckDB then tracks no progress', async () => {
    for (const [tty, env] of [[false, {}], [true, { CI: 'true' }]] as const) {
      const err = stream(tty);
      await withProgress({ stdout: stream(tty), stderr: err }, env, async () => { expect(queryProgress.listener).toBeUndefined(); });
      expect(err.text).toBe('');
    }
    const db = await openDb(1);
    try {
      expect((await db.all("SELECT current_setting('enable_progress_bar') AS on"))[0].on).toBe(false);
    } finally {
      db.close();
    }
  });

  it('with a listener, the engine tracks progress and reports percentages between 0 and 100', async () => {
    const seen: number[] = [];
    queryProgress.listener = p => seen.push(p);
    try {
      const db = await openDb(1);
      try {
        expect((await db.all("SELECT current_setting('enable_progress_bar') AS on"))[0].on).toBe(true);
        await db.all('SELECT count(*) FROM range(3000000) t(i) WHERE i % 7 = 0');
      } finally {
        db.close();
      }
    } finally {
      queryProgress.listener = undefined;
    }
    expect(seen.every(p => p >= 0 && p <= 100)).toBe(true);
  });
});

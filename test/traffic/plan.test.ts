/**
 * The plan's working set: with the server pre-pass (the embedded engine's default), records the
 * pre-pass decides are grouped per conversation, so the connection aggregate does not grow with the
 * number of connections (with tcp-flags); with one read (the data-lake engines) it holds one group
 * per connection. Both give the same result rows.
 */
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../src/traffic/dialect';
import { openDb } from '../../src/traffic/duckdb';
import { localSource } from '../../src/traffic/engine';
import { planSources } from '../../src/traffic/formats';
import { renderPlan } from '../../src/traffic/plan';
import { findLogFiles } from '../../src/traffic/sources';
import { GenEstate, writeS3 } from '../support/traffic-generator';
import { SHOP, tmpDir } from './helpers';

/** SHOP's TCP calls, each with `times` as many connections. */
const scaled = (times: number): GenEstate => ({ workloads: SHOP.workloads, calls: SHOP.calls.filter(c => c.protocol === 'tcp').map(c => ({ ...c, connections: c.connections * times })) });

async function run(logs: string, prepass: boolean): Promise<{ groups: number; convs: number; rows: string[] }> {
  const db = await openDb(1);
  try {
    const source = localSource(await planSources(findLogFiles([logs], {}).files, db), false);
    const q = renderPlan(DIALECTS.duckdb, { mode: 'discover', source, orient: true, identities: [], prepass });
    const results = q.lastIndexOf("\nSELECT 'n' AS kind");
    expect(results).toBeGreaterThan(0);
    const [{ n, c }] = await db.all(`${q.slice(0, results)}\nSELECT (SELECT count(*) FROM conn) AS n, (SELECT count(*) FROM convs) AS c`);
    const rows = (await db.all(q)).map(r => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).sort();
    return { groups: Number(n), convs: Number(c), rows };
  } finally {
    db.close();
  }
}

describe('the plan keys decided records by conversation', () => {
  it('the connection aggregate holds one group per conversation when the connections triple (x2 to x6) (tcp-flags), and the results equal the one-read plan', async () => {
    const dir = tmpDir('plan-');
    const out: Record<string, { groups: number; convs: number; rows: string[] }> = {};
    for (const times of [2, 6]) {
      const logs = path.join(dir, `x${times}`);
      writeS3(scaled(times), { format: 'v5', start: 1_790_000_000, seed: 5, nodata: 1, root: logs, perFile: 200 });
      out[`pre${times}`] = await run(logs, true);
      out[`one${times}`] = await run(logs, false);
    }
    // one read: one group per connection (and direction-normalised), so it triples
    expect(out.one6.groups).toBeGreaterThan(2.5 * out.one2.groups);
    // the pre-pass: one group per conversation (client and server address, protocol, port,
    // action), plus the NODATA records' group, whatever the number of connections
    for (const k of ['pre2', 'pre6']) expect(out[k].groups).toBe(out[k].convs + 1);
    expect(out.pre6.groups).toBeLessThan(out.pre2.groups * 1.5);
    expect(out.pre2.groups).toBeLessThan(out.one2.groups / 2);
    expect(out.pre2.rows).toEqual(out.one2.rows);
    expect(out.pre6.rows).toEqual(out.one6.rows);
  });
});

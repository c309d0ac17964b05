/**
 * Runs ONE measurement in this (fresh) process: `node --import tsx bench/child.ts <params.json>
 * <result.json>`. Writes a `CaseResult` to the result file; never throws.
 */
import { writeFileSync } from 'node:fs';
import { CaseContext, CaseParams, CaseResult, Unavailable } from './lib/harness';

async function main(): Promise<void> {
  const [paramsJson, resultFile] = process.argv.slice(2);
  const params = JSON.parse(paramsJson) as CaseParams;
  const ctx = new CaseContext(params);
  let result: CaseResult;
  try {
    const mod = (await ctx.time('import', () => import(`./cases/${params.caseName}`))) as { run: (c: CaseContext) => Promise<Record<string, unknown>> };
    const metrics = await mod.run(ctx);
    ctx.endOfMeasurement();
    result = base(ctx, 'ok', undefined, metrics);
  } catch (e) {
    ctx.endOfMeasurement();
    if (e instanceof Unavailable) result = base(ctx, 'unavailable', e.message);
    else result = base(ctx, 'error', e instanceof Error ? `${e.message}`.slice(0, 3000) : String(e));
  }
  writeFileSync(resultFile, JSON.stringify(result, null, 1));
}

function base(ctx: CaseContext, status: CaseResult['status'], reason?: string, metrics?: Record<string, unknown>): CaseResult {
  return {
    case: ctx.params.caseName,
    size: ctx.params.size,
    status,
    ...(reason ? { reason } : {}),
    timings: Object.fromEntries(Object.entries(ctx.timings).map(([k, v]) => [k, Math.round(v)])),
    totalMs: Math.round(ctx.totalMs),
    cpuMs: Math.round(ctx.cpuMs),
    peakRssBytes: ctx.peakRssBytes,
    floorRssBytes: ctx.floorRssBytes,
    ...(metrics ? { metrics } : {}),
  };
}

main().then(() => process.exit(0), e => {
  // Only a bug of the harness itself lands here.
  process.stderr.write(`bench child failed: ${e instanceof Error ? e.stack : e}\n`);
  process.exit(3);
});

/**
 * Audit of the reference model's expected AWS state against the local EC2 endpoint
 * (`test/support/servers/aws-ec2-server.ts`, serving the state a correct deployment of the
 * manifest would have, in this process): time of `runAudit` with the real `@aws-sdk/client-ec2`,
 * API calls made versus the minimum number of pages, and the outcome (must be: no drift).
 * Needs the manifest the `aws-manifest` preparation wrote (option `manifest`).
 *
 * The server runs in this process, so its own work (building XML pages) is part of the wall
 * time; it is measured separately (time spent in the server's request handlers) and reported as
 * `serverMs`, and `readerMs` = audit time - server time.
 */

/** Accumulates the time spent in server-side request 'end' handlers (where the local server answers). */
function measureServerTime(): { ms: () => number; restore: () => void } {
  const proto = http.IncomingMessage.prototype as unknown as { emit: (ev: string, ...a: unknown[]) => boolean };
  const orig = proto.emit;
  let total = 0;
  proto.emit = function (this: http.IncomingMessage, ev: string, ...a: unknown[]) {
    if (ev !== 'end' || this.method === undefined) return orig.call(this, ev, ...a);
    const t0 = performance.now();
    try { return orig.call(this, ev, ...a); } finally { total += performance.now() - t0; }
  };
  return { ms: () => total, restore: () => { proto.emit = orig; } };
}
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { CaseContext, exportOrUnavailable, importOrUnavailable } from '../lib/harness';

export async function run(ctx: CaseContext) {
  const manifestFile = String(ctx.params.options?.manifest ?? '');
  if (!manifestFile) throw new Error('no manifest: the aws-manifest preparation did not run');
  const server = await ctx.time('import', () => importOrUnavailable<any>('../../test/support/servers/aws-ec2-server', 'the local EC2 endpoint (test/support/servers/aws-ec2-server.ts)'));
  const runMod = await ctx.time('import', () => importOrUnavailable<any>('../../src/audit/run', 'the audit runner (src/audit/run.ts)'));
  const runAudit = exportOrUnavailable<any>(runMod, 'runAudit', 'src/audit/run.ts');
  const startEc2Server = exportOrUnavailable<any>(server, 'startEc2Server', 'aws-ec2-server.ts');
  const ec2StateFromManifest = exportOrUnavailable<any>(server, 'ec2StateFromManifest', 'aws-ec2-server.ts');
  const minimumEc2Pages = exportOrUnavailable<any>(server, 'minimumEc2Pages', 'aws-ec2-server.ts');
  await ctx.time('import', () => import('@aws-sdk/client-ec2'));

  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const state = ec2StateFromManifest(manifest);
  const minimumPages = minimumEc2Pages(state);
  const srv = await startEc2Server(state);
  const serverTime = measureServerTime();
  try {
    ctx.startOfMeasurement();
    const outcome = await ctx.time('audit', () => runAudit({
      manifestFile,
      cloud: 'aws',
      regions: ['us-east-1'],
      awsClientConfig: { endpoint: srv.url, credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' } },
    }));
    ctx.endOfMeasurement();
    const byAction: Record<string, number> = {};
    for (const r of srv.requests) byAction[r.action] = (byAction[r.action] ?? 0) + 1;
    const auditMs = ctx.timings.audit;
    return {
      auditMs: Math.round(auditMs),
      serverMs: Math.round(serverTime.ms()),
      readerMs: Math.round(auditMs - serverTime.ms()),
      securityGroups: state.securityGroups.length,
      liveRules: state.rules.length,
      networkAcls: state.networkAcls.length,
      networkInterfaces: state.networkInterfaces.length,
      expectedRules: outcome.expectedRules,
      apiCalls: srv.requests.length,
      apiCallsByAction: byAction,
      readerPages: outcome.pages,
      readerRequests: outcome.requests,
      minimumPages,
      exitCode: outcome.exitCode,
      complete: outcome.complete,
      findings: outcome.findings.length,
      findingKinds: outcome.findings.slice(0, 5).map((f: any) => `${f.kind}: ${f.message ?? f.key ?? ''}`.slice(0, 200)),
      errors: outcome.errors,
      ...(ctx.params.options?.note ? { prepNote: ctx.params.options.note } : {}),
    };
  } finally {
    serverTime.restore();
    await srv.close();
  }
}

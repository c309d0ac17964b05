/**
 * Audit of the reference model's expected AWS state against the local EC2 endpoint
 * (`test/support/servers/aws-ec2-server.ts`, serving the state a correct deployment of the
 * manifest would have, in this process): time of `runAudit` with the real `@aws-sdk/client-ec2`,
 * API calls made versus the minimum number of pages, and the outcome (must be: no drift).
 * Needs the manifest the `aws-manifest` preparation wrote (option `manifest`).
 */
import { readFileSync } from 'node:fs';
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
    return {
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
    };
  } finally {
    await srv.close();
  }
}

/**
 * The `microseg` command. Start-up stays fast: only commander is loaded up front; the audit
 * (and, inside it, the one cloud SDK it needs) is loaded when `audit` runs.
 *
 * Exit codes of `microseg audit`: 0 no drift, 1 drift, 2 audit incomplete or failed (read error,
 * missing permission, failed page, unusable manifest or ignore file, bad usage).
 *
 * Run from source: `npx tsx src/cli/main.ts audit ...`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { addMapCommands } from './map';
import { addTrafficCommand } from './traffic';

/** Exit codes. */
export const EXIT = { OK: 0, DRIFT: 1, INCOMPLETE: 2 } as const;

function packageVersion(): string {
  for (const p of [path.join(__dirname, '..', '..', 'package.json'), path.join(__dirname, '..', 'package.json')]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(p, 'utf8'));
      if (pkg.name === 'microseg') return pkg.version;
    } catch { /* try the next */ }
  }
  return '0.0.0';
}

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map(s => s.trim()).filter(Boolean)];
const repeat = (value: string, previous: string[] = []) => [...previous, value];
const secondsArg = (value: string) => {
  const n = Number(value);
  if (!(n > 0 && n <= 86_400)) throw new InvalidArgumentError('expected seconds, a number above 0 (fractions allowed) and at most 86400.');
  return n;
};
const countArg = (value: string) => {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= 1_000_000)) throw new InvalidArgumentError('expected a whole number from 1 to 1000000.');
  return n;
};
const severityArg = (value: string) => {
  if (!['critical', 'high', 'medium', 'low'].includes(value)) throw new InvalidArgumentError('expected critical, high, medium or low.');
  return value;
};

/** Output streams (tests pass their own). */
export interface CliIo {
  readonly stdout: { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly env: Record<string, string | undefined>;
}

/** Runs the command line; resolves to the exit code (never calls `process.exit`). */
export async function main(argv: string[] = process.argv, io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let code: number = EXIT.OK;
  const program = new Command();
  program
    .name('microseg')
    .description('Network microsegmentation as code: audit live cloud rules against the declared model.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: s => io.stdout.write(s), writeErr: s => io.stderr.write(s) })
    .showHelpAfterError('(run microseg audit --help for the options)');

  program.command('audit')
    .description('Read the live rules of a segmentation and report drift from its manifest.\n' +
      'Exit codes: 0 no drift, 1 drift, 2 audit incomplete or failed (fails closed).')
    .requiredOption('-m, --manifest <file>', 'the <segmentation>.microseg.json written at synth (or its folder)')
    .addOption(new Option('-c, --cloud <cloud>', 'the cloud to audit').choices(['aws', 'azure', 'gcp', 'kubernetes']).makeOptionMandatory())
    .option('-r, --region <regions>', 'AWS regions, comma-separated (default: the manifest\'s, else AWS_REGION)', list)
    .addOption(new Option('-f, --format <format>', 'report format').choices(['table', 'json', 'sarif', 'junit', 'markdown']).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--from-file <files>', 'read saved CLI outputs (aws ec2 describe-*, az network nsg show/list, gcloud compute firewall-rules list --format=json) instead of the cloud; repeatable or comma-separated', list)
    .option('--azure-endpoint <url>', 'Azure Resource Manager endpoint (sovereign clouds)')
    .option('--gcp-endpoint <url>', 'GCP Compute endpoint')
    .option('--kube-endpoint <url>', 'Kubernetes API server (default: the kubeconfig\'s current context; token in MICROSEG_KUBERNETES_TOKEN)')
    .option('--kube-context <name>', 'kubeconfig context to audit (default: the current one)')
    .option('--subscription <id>', 'Azure subscription id (default: the manifest\'s, else AZURE_SUBSCRIPTION_ID)')
    .option('--resource-group <name>', 'Azure resource group (default: the manifest\'s)')
    .option('--project <id>', 'GCP project (default: the manifest\'s, else GOOGLE_CLOUD_PROJECT)')
    .option('--network <name>', 'GCP network (default: the manifest\'s)')
    .option('--ignore-file <file>', 'accepted drift (default: .microsegignore when present)')
    .option('--accept <entry>', 'accept drift: "<fingerprint or key pattern> ; <YYYY-MM-DD> ; <reason>"; repeatable', repeat)
    .option('--fail-on <severity>', 'least severe finding that fails the audit (exit 1): critical, high, medium or low (default low: every finding)', severityArg)
    .option('--request-timeout <seconds>', 'per-request timeout: one HTTP attempt, body included (default 60)', secondsArg)
    .option('--timeout <seconds>', 'overall deadline of the reads; what is not read by then makes the audit incomplete (default 900)', secondsArg)
    .option('--max-retry-after <seconds>', 'longest Retry-After honoured; a server asking for more fails the call (default 30)', secondsArg)
    .option('--max-pages <n>', 'most pages one listing may return (default: AWS 200, Azure 100, GCP 100)', countArg)
    .option('--max-accept-days <days>', 'longest an acceptance may run from today (default 365)', countArg)
    .option('--accept-critical-wildcards', 'let key patterns with * accept critical findings (default: only fingerprints and exact keys can)')
    .option('--no-progress', 'no progress indicator on stderr')
    .action(async (opts: Record<string, any>) => {
      code = await audit(opts, io);
    });

  addTrafficCommand(program, io, c => { code = c; });
  addMapCommands(program, io, c => { code = c; });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      return EXIT.INCOMPLETE;
    }
    io.stderr.write(`error: ${(e as Error).message}\n`);
    return EXIT.INCOMPLETE;
  }
  return code;
}

async function audit(opts: Record<string, any>, io: CliIo): Promise<number> {
  // Loaded here, not at start-up: `microseg --help` loads no audit code and no SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runAudit, resolveManifestFile, defaultIgnoreFile } = require('../audit/run') as typeof import('../audit/run');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { render, verdict } = require('../audit/report') as typeof import('../audit/report');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { checkOutput, writeAtomically } = require('../audit/files') as typeof import('../audit/files');
  const toFile = typeof opts.output === 'string';
  let outcome;
  const progress = opts.progress !== false && io.stderr.isTTY ? startProgress(io) : undefined;
  try {
    if (toFile) {
      // before anything is read: the report may never overwrite an input
      const ignore = opts.ignoreFile ?? defaultIgnoreFile();
      checkOutput(opts.output, [
        { file: resolveManifestFile(opts.manifest), what: 'manifest' },
        ...(opts.fromFile ?? []).map((f: string) => ({ file: f, what: '--from-file input' })),
        ...(ignore ? [{ file: ignore, what: 'ignore file' }] : []),
      ]);
    }
    outcome = await runAudit({
      manifestFile: opts.manifest, cloud: opts.cloud, regions: opts.region, fromFiles: opts.fromFile,
      azureEndpoint: opts.azureEndpoint, gcpEndpoint: opts.gcpEndpoint, subscriptionId: opts.subscription,
      kubernetesEndpoint: opts.kubeEndpoint, kubernetesContext: opts.kubeContext,
      resourceGroup: opts.resourceGroup, project: opts.project, network: opts.network,
      ignoreFile: opts.ignoreFile, accept: opts.accept, progress: progress?.progress,
      failOn: opts.failOn, requestTimeoutSeconds: opts.requestTimeout, timeoutSeconds: opts.timeout,
      maxRetryAfterSeconds: opts.maxRetryAfter, maxPages: opts.maxPages, maxAcceptDays: opts.maxAcceptDays,
      acceptCriticalWildcards: opts.acceptCriticalWildcards === true,
    });
  } catch (e) {
    progress?.stop();
    io.stderr.write(`error: ${(e as Error).message}\n`);
    return EXIT.INCOMPLETE;
  }
  progress?.stop();
  const color = !toFile && opts.format === 'table' && !!io.stdout.isTTY && !io.env.NO_COLOR;
  const report = render(outcome, opts.format, { color, version: packageVersion() });
  if (toFile) {
    try {
      writeAtomically(opts.output, report);
    } catch (e) {
      io.stderr.write(`error: cannot write ${opts.output}: ${(e as Error).message}\n`);
      return EXIT.INCOMPLETE;
    }
    io.stderr.write(`${verdict(outcome)} Report: ${opts.output}\n`);
  } else {
    io.stdout.write(report);
    if (opts.format !== 'table') for (const e of outcome.errors) io.stderr.write(`error: ${e}\n`);
  }
  return outcome.exitCode;
}

/** A progress line on stderr (cli-progress), only when stderr is a terminal. */
function startProgress(io: CliIo): { progress: { page(cloud: string, operation: string, items: number): void }; stop(): void } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cliProgress = require('cli-progress') as typeof import('cli-progress');
  const bar = new cliProgress.SingleBar({
    format: 'reading {cloud}: {value} page(s), {items} item(s) {operation}',
    stream: io.stderr as NodeJS.WritableStream, clearOnComplete: true, hideCursor: true, noTTYOutput: false,
  });
  let items = 0;
  let started = false;
  return {
    progress: {
      page(cloud, operation, n) {
        items += n;
        if (!started) { bar.start(1_000_000, 0, { cloud, operation, items }); started = true; }
        bar.increment(1, { cloud, operation, items });
      },
    },
    stop: () => { if (started) bar.stop(); },
  };
}

if (require.main === module) {
  void main().then(code => {
    process.exitCode = code;
    // The reads stop at their deadline; should a library still hold a socket or a timer, the
    // exit code is not held back by it.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}

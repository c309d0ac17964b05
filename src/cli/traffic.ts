/**
 * `microseg traffic discover|simulate`. DuckDB is loaded only when one of them runs (the traffic
 * code itself is small and loads no engine at import), so `microseg --help` stays fast.
 *
 * Exit codes: discover 0 done, 2 incomplete; simulate 0 nothing would be blocked, 1 some traffic
 * would be blocked, 2 the logs, inventory or manifest could not be read completely (fail closed).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, Option } from 'commander';
import { discover } from '../traffic/discover';
import { queryProgress } from '../traffic/duckdb';
import { discoverSummary, renderDiscover, renderSimulate, simulateVerdict } from '../traffic/report';
import { simulate } from '../traffic/simulate';
import { athenaDdl } from '../traffic/engines-ddl';
import { TrafficError } from '../traffic/errors';
import { EngineStats, TrafficReadOptions } from '../traffic/types';

/** Output streams (the CLI's). */
interface Io {
  readonly stdout: { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
}

const repeat = (value: string, previous: string[] = []) => [...previous, value];

function readOptions(cmd: Command): Command {
  return cmd
    .option('-l, --logs <path>', 'flow log file or folder (walked; recognised by content: AWS text/Parquet, Azure VNet v4/NSG, GCP JSON/BigQuery export); repeatable', repeat)
    .option('-i, --inventory <file>', 'saved JSON of aws ec2 describe-instances/-network-interfaces/-subnets/-security-groups, az network nic/asg/vnet subnet list, gcloud compute instances/networks subnets list; repeatable', repeat)
    .option('--group-by <how>', 'workloads from inventory: tag:<key> (AWS tags, Azure NIC tags, GCP labels), asg[:<prefix>] (Azure), network-tag[:<prefix>] (GCP)', 'tag:Name')
    .option('--zones-by <how>', 'zones from inventory: subnet or tag:<key>', 'subnet')
    .option('--since <iso>', 'only records at or after this time (S3 folders outside are not read)')
    .option('--until <iso>', 'only records before this time')
    .option('--aws-fields <fields>', 'fields of headerless AWS text (CloudWatch Logs export); default: the version 2 default format')
    .option('--live', 'also read the inventory live from the clouds named by --cloud (the audit\'s SDKs)')
    .option('--cloud <cloud>', 'cloud of --live: aws, azure or gcp; repeatable or comma-separated', (v: string, prev: string[] = []) => [...prev, ...v.split(',').map(x => x.trim()).filter(Boolean)])
    .option('-r, --region <regions>', 'AWS regions of --live, comma-separated; with --engine athena, the region of Athena (default: AWS_REGION / the SDK chain)', (v: string) => v.split(',').map(x => x.trim()).filter(Boolean))
    .option('--subscription <id>', 'Azure subscription of --live (default: AZURE_SUBSCRIPTION_ID)')
    .option('--resource-group <name>', 'Azure resource group of --live (default: the whole subscription)')
    .option('--project <id>', 'GCP project of --live (default: GOOGLE_CLOUD_PROJECT)')
    .option('--endpoint <url>', 'API endpoint of --live (sovereign clouds, emulators)')
    .option('--threads <n>', 'DuckDB threads (default: all cores)', v => Number(v))
    .addOption(new Option('--engine <engine>', 'query engine: duckdb (local --logs), athena or bigquery (where the logs live)').choices(['duckdb', 'athena', 'bigquery']).default('duckdb'))
    .option('--athena-table <table>', 'athena: the flow log table, [database.]table (see traffic athena-ddl)')
    .option('--athena-database <db>', 'athena: the database of the table')
    .option('--athena-partition <column>', 'athena: the yyyy/MM/dd partition column pruned by --since/--until ("" for none)', 'day')
    .option('--workgroup <name>', 'athena: the workgroup')
    .option('--output-location <s3>', 'athena: the S3 location of the query results')
    .option('--bigquery-table <table>', 'bigquery: project.dataset.compute_googleapis_com_vpc_flows_* or a partitioned export table')
    .option('--bigquery-endpoint <url>', 'bigquery: the API endpoint')
    .option('--dry-run', 'bigquery: print the query and the bytes it would process, run nothing')
    .option('--max-bytes <n>', 'athena/bigquery: refuse (or stop) a query scanning more bytes', v => Number(v))
    .option('-o, --output <file>', 'write the result to a file instead of stdout');
}

/**
 * Runs a read with a progress bar on stderr (cli-progress, loaded only then) when stderr is a
 * terminal and not a CI log; never otherwise.
 */
export async function withProgress<T>(io: Io, env: Record<string, string | undefined>, run: () => Promise<T>): Promise<T> {
  if (!io.stderr.isTTY || env.CI) return run();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cliProgress = require('cli-progress') as typeof import('cli-progress');
  const bar = new cliProgress.SingleBar({
    format: 'reading flow logs [{bar}] {percentage}%', stream: io.stderr as NodeJS.WritableStream, clearOnComplete: true, hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  queryProgress.listener = pct => {
    if (!started) { bar.start(100, 0); started = true; }
    bar.update(Math.floor(pct));
  };
  try {
    return await run();
  } finally {
    queryProgress.listener = undefined;
    if (started) bar.stop();
  }
}

/** The live-read options of the command line (`--live` needs `--cloud`). */
function liveOptions(opts: Record<string, any>): Record<string, unknown> {
  if (!opts.live) {
    if (opts.cloud?.length) throw new TrafficError('InvalidOption', '--cloud', 'is only used with --live', 'Add --live to read the inventory from the cloud.');
    return {};
  }
  if (!opts.cloud?.length) throw new TrafficError('InvalidOption', '--live', 'needs --cloud aws|azure|gcp', 'Name the clouds to read, e.g. --live --cloud aws.');
  return { live: opts.cloud, regions: opts.region, subscriptionId: opts.subscription, resourceGroup: opts.resourceGroup, project: opts.project, liveEndpoint: opts.endpoint };
}

/** The read options of the command line (engines included). */
function readFrom(opts: Record<string, any>): TrafficReadOptions {
  if ((opts.engine ?? 'duckdb') === 'duckdb' && !opts.logs?.length) {
    throw new TrafficError('InvalidOption', '--logs', 'is required by the duckdb engine', 'Pass flow log files or folders, or --engine athena|bigquery.');
  }
  return {
    logs: opts.logs ?? [], inventory: opts.inventory, since: opts.since, until: opts.until, awsFields: opts.awsFields, threads: opts.threads,
    groupBy: opts.groupBy, zonesBy: opts.zonesBy, engine: opts.engine, athenaTable: opts.athenaTable, athenaDatabase: opts.athenaDatabase,
    athenaPartition: opts.athenaPartition, workgroup: opts.workgroup, outputLocation: opts.outputLocation, region: opts.region?.[0],
    bigqueryTable: opts.bigqueryTable, project: opts.project, bigqueryEndpoint: opts.bigqueryEndpoint, dryRun: opts.dryRun, maxBytes: opts.maxBytes,
    ...liveOptions(opts),
  };
}

/** Prints what a data-lake engine ran and scanned (stderr); true when it was only a dry run. */
function engineReport(io: Io, stats: EngineStats | undefined): boolean {
  if (!stats) return false;
  io.stderr.write(`-- ${stats.engine} query${stats.queryId ? ` ${stats.queryId}` : ''}:\n${stats.query}\n`);
  const figures = [`${stats.dryRun ? 'would process' : 'scanned'} ${stats.bytesScanned} bytes`,
    stats.bytesBilled !== undefined ? `billed ${stats.bytesBilled} bytes` : '', stats.slotMillis !== undefined ? `${stats.slotMillis} slot-ms` : '',
    stats.engineMillis !== undefined ? `engine ${stats.engineMillis} ms` : '', stats.resultPages !== undefined ? `${stats.resultPages} result page(s)` : ''].filter(Boolean);
  io.stderr.write(`${stats.engine}: ${figures.join(', ')}\n`);
  return Boolean(stats.dryRun);
}

function write(io: Io, output: string | undefined, text: string, summary: string): boolean {
  if (!output) {
    io.stdout.write(text);
    return true;
  }
  try {
    fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
    const tmp = `${output}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, output);
  } catch (e) {
    io.stderr.write(`error: cannot write ${output}: ${(e as Error).message}\n`);
    return false;
  }
  io.stderr.write(`${summary} Written: ${output}\n`);
  return true;
}

/** Adds the `traffic` command to the program; `setCode` receives the exit code. */
export function addTrafficCommand(program: Command, io: Io, setCode: (code: number) => void): void {
  const traffic = program.command('traffic').description('Flow logs: discover the model, simulate a declared model before enforcing it.');

  readOptions(traffic.command('discover')
    .description('Propose zones, workloads and flows from flow logs.\nExit codes: 0 done, 2 logs or inventory not read completely.'))
    .option('-m, --manifest <file>', 'a manifest whose workload and zone cidrs name addresses')
    .option('--min-records <n>', 'drop flows with fewer records (reported)', v => Number(v), 1)
    .addOption(new Option('-f, --format <format>', 'output format').choices(['json', 'ts', 'markdown', 'table']).default('json'))
    .action(async (opts: Record<string, any>) => {
      try {
        const r = await withProgress(io, process.env, () => discover({ ...readFrom(opts), manifest: opts.manifest, minRecords: opts.minRecords }));
        if (engineReport(io, r.engine)) return setCode(0);
        setCode(write(io, opts.output, renderDiscover(r, opts.format), discoverSummary(r)) ? 0 : 2);
      } catch (e) {
        io.stderr.write(`error: ${(e as Error).message}\n`);
        setCode(2);
      }
    });

  readOptions(traffic.command('simulate')
    .description('Replay flow logs against a declared model (its manifest).\n' +
      'Exit codes: 0 nothing would be blocked, 1 some traffic would be blocked, 2 logs, inventory or manifest not read completely.'))
    .requiredOption('-m, --manifest <file>', 'the <segmentation>.microseg.json written at synth')
    .addOption(new Option('-f, --format <format>', 'report format').choices(['table', 'json', 'markdown', 'sarif', 'junit']).default('table'))
    .action(async (opts: Record<string, any>) => {
      try {
        const manifest = fs.existsSync(opts.manifest) && fs.statSync(opts.manifest).isDirectory()
          ? path.join(opts.manifest, fs.readdirSync(opts.manifest).find(f => f.endsWith('.microseg.json')) ?? 'missing.microseg.json')
          : opts.manifest;
        const r = await withProgress(io, process.env, () => simulate({ ...readFrom(opts), manifest }));
        if (engineReport(io, r.engine)) return setCode(0);
        setCode(write(io, opts.output, renderSimulate(r, opts.format), simulateVerdict(r)) ? r.exitCode : 2);
      } catch (e) {
        io.stderr.write(`error: ${(e as Error).message}\n`);
        setCode(2);
      }
    });

  traffic.command('athena-ddl')
    .description("Print the Athena table (AWS's documented VPC Flow Logs columns, partition projection by day) for logs S3 delivers under --location.")
    .requiredOption('--location <s3>', 's3://bucket/prefix under which S3 delivery writes AWSLogs/')
    .requiredOption('--account <ids>', 'account id(s), comma-separated')
    .requiredOption('--region <regions>', 'region(s), comma-separated')
    .addOption(new Option('--log-format <format>', 'the delivered file format').choices(['text', 'parquet']).default('text'))
    .option('--table <name>', 'the table name', 'vpc_flow_logs')
    .option('--from <day>', 'first day of the projected range, yyyy/MM/dd', '2020/01/01')
    .action((opts: Record<string, any>) => {
      try {
        io.stdout.write(athenaDdl({ location: opts.location, format: opts.logFormat, table: opts.table, from: opts.from,
          accounts: String(opts.account).split(',').map(x => x.trim()).filter(Boolean), regions: String(opts.region).split(',').map(x => x.trim()).filter(Boolean) }));
        setCode(0);
      } catch (e) {
        io.stderr.write(`error: ${(e as Error).message}\n`);
        setCode(2);
      }
    });
}

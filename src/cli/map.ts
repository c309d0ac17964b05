/**
 * `microseg map` and `microseg report`. elkjs (the map's layout) is loaded only when `map` runs.
 *
 * Exit codes: 0 written, 2 unusable input (a manifest or traffic file that cannot be read, an
 * output that would overwrite an input, a missing elkjs).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { checkOutput, writeAtomically } from '../ir/files';
import { MapCollapse, ReportFormat, SegmentationMap, SegmentationReport } from '../map/index';
import { reportHeadline } from '../map/report';

/** Output streams (the CLI's). */
interface Io {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
}

const daysArg = (value: string) => {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 0 && n <= 3650)) throw new InvalidArgumentError('expected a whole number of days from 0 to 3650.');
  return n;
};

/** Adds `map` and `report` to the program; `setCode` receives the exit code. */
export function addMapCommands(program: Command, io: Io, setCode: (code: number) => void): void {
  program.command('map')
    .description('Draw the segmentation as one self-contained HTML page (zones, workloads, flows, peers, denies; with --traffic what was observed, would be blocked or is unused).\n' +
      'Exit codes: 0 written, 2 unusable input.')
    .requiredOption('-m, --manifest <file>', 'the <segmentation>.microseg.json written at synth (or its folder)')
    .option('-t, --traffic <file>', 'the JSON of `microseg traffic simulate --format json` for this manifest')
    .option('--invariants', 'show the invariants the manifest declares, with their verdicts')
    .addOption(new Option('--collapse <how>', 'zones collapsed when the page opens').choices(['auto', 'all', 'none']).default('auto'))
    .option('--title <text>', 'page title')
    .requiredOption('-o, --output <file>', 'the HTML file to write (never an input)')
    .action(async (opts: Record<string, any>) => {
      try {
        const s = await SegmentationMap.write({
          manifest: opts.manifest, traffic: opts.traffic, invariants: opts.invariants === true,
          collapse: opts.collapse as MapCollapse, title: opts.title, output: opts.output,
        });
        io.stderr.write(`Map of ${s.zones} zones, ${s.workloads} workloads, ${s.peers} peers, ${s.edges} edges${s.traffic ? ' with traffic' : ''} (${Math.round(s.bytes / 1024)} KiB). Written: ${opts.output}\n`);
        setCode(0);
      } catch (e) {
        io.stderr.write(`error: ${(e as Error).message}\n`);
        setCode(2);
      }
    });

  program.command('report')
    .description('Segmentation figures: workloads covered, allowed pairs out of all pairs, flows per owner, expiring flows, unused flows (with --traffic), invariants.\n' +
      'Exit codes: 0 written, 2 unusable input.')
    .requiredOption('-m, --manifest <file>', 'the <segmentation>.microseg.json written at synth (or its folder)')
    .option('-t, --traffic <file>', 'the JSON of `microseg traffic simulate --format json` for this manifest')
    .addOption(new Option('-f, --format <format>', 'markdown (pull requests) or json (dashboards)').choices(['markdown', 'json']).default('markdown'))
    .option('--expiring-within <days>', 'list flows expiring within this many days', daysArg, 30)
    .option('--now <iso>', 'the date the report is made for (default: today)')
    .option('-o, --output <file>', 'write the report to a file instead of stdout (never an input)')
    .action(async (opts: Record<string, any>) => {
      try {
        const inputs = [{ file: opts.manifest, what: 'manifest' }, ...(opts.traffic ? [{ file: opts.traffic, what: 'traffic simulation' }] : [])];
        if (opts.output) {
          checkOutput(opts.output, inputs);
          if (fs.existsSync(opts.manifest) && fs.statSync(opts.manifest).isDirectory()) {
            for (const f of fs.readdirSync(opts.manifest)) checkOutput(opts.output, [{ file: path.join(opts.manifest, f), what: 'manifest' }]);
          }
        }
        const report = SegmentationReport.of({ manifest: opts.manifest, traffic: opts.traffic, now: opts.now, expiringWithinDays: opts.expiringWithin });
        const text = SegmentationReport.render(report, opts.format as ReportFormat);
        if (opts.output) {
          writeAtomically(opts.output, text);
          io.stderr.write(`${reportHeadline(report)} Written: ${opts.output}\n`);
        } else {
          io.stdout.write(text);
        }
        setCode(0);
      } catch (e) {
        io.stderr.write(`error: ${(e as Error).message}\n`);
        setCode(2);
      }
    });
}

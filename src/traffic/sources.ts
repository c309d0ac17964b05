/**
 * Finding the flow log files: files and folders given on the command line, walked recursively.
 * S3 layouts (`AWSLogs/<account>/vpcflowlogs/<region>/yyyy/mm/dd/[hh/]` and the Hive-style
 * `year=/month=/day=/[hour=]`), Azure storage blobs (`y=/m=/d=/h=/m=00/macAddress=/PT1H.json`)
 * and GCP Cloud Storage sinks (`vpc_flows/yyyy/mm/dd/hh:00:00_hh:59:59_S0.json`) are pruned by the
 * path's date against `--since/--until` before any file is opened, and so are files whose name
 * carries the delivery time (`..._<YYYYMMDDTHHmmZ>_<hash>.log.gz`).
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3.html
 */
import * as fs from 'fs';
import * as path from 'path';
import { TrafficError } from './errors';

/** A time window in epoch milliseconds (`end` exclusive). */
export interface Window {
  readonly since?: number;
  readonly until?: number;
}

/** The time range a path's date components cover, or undefined when it names no date. */
export function pathRange(p: string): { start: number; end: number } | undefined {
  const s = p.split(path.sep).join('/');
  const file = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(s);
  if (file) {
    // A file is delivered at most ~15 minutes after its records' window closes; records can start
    // one aggregation window (<= 10 min) before that: keep a generous hour either side.
    const t = Date.UTC(+file[1], +file[2] - 1, +file[3], +file[4], +file[5]);
    return { start: t - 3_600_000, end: t + 3_600_000 };
  }
  const hive = /(?:^|\/)year=(\d{4})(?:\/month=(\d{1,2})(?:\/day=(\d{1,2})(?:\/hour=(\d{1,2}))?)?)?(?:\/|$)/.exec(s);
  const plain = /(?:^|\/)vpcflowlogs\/[^/]+\/(\d{4})(?:\/(\d{2})(?:\/(\d{2})(?:\/(\d{2}))?)?)?(?:\/|$)/.exec(s.replace(/\/[^/]*\.[^/]*$/, ''));
  // Azure storage blobs: .../y=2026/m=11/d=01/h=10/m=00/macAddress=.../PT1H.json
  const azure = /(?:^|\/)y=(\d{4})(?:\/m=(\d{1,2})(?:\/d=(\d{1,2})(?:\/h=(\d{1,2}))?)?)?(?:\/|$)/.exec(s);
  // GCP Cloud Logging sinks to Cloud Storage: .../compute.googleapis.com/vpc_flows/2026/11/01/10:00:00_10:59:59_S0.json
  const gcs = /(?:^|\/)vpc_flows\/(\d{4})(?:\/(\d{2})(?:\/(\d{2})(?:\/(\d{2}):\d{2}:\d{2}_[^/]*)?)?)?(?:\/|$)/.exec(s);
  const m = hive ?? plain ?? azure ?? gcs;
  if (!m) return undefined;
  const [y, mo, d, h] = [m[1], m[2], m[3], m[4]].map(x => (x === undefined ? undefined : Number(x)));
  if (y === undefined || y < 2000 || y > 2200) return undefined;
  if (mo === undefined) return { start: Date.UTC(y, 0, 1), end: Date.UTC(y + 1, 0, 1) };
  if (d === undefined) return { start: Date.UTC(y, mo - 1, 1), end: Date.UTC(y, mo, 1) };
  if (h === undefined) return { start: Date.UTC(y, mo - 1, d), end: Date.UTC(y, mo - 1, d + 1) };
  return { start: Date.UTC(y, mo - 1, d, h), end: Date.UTC(y, mo - 1, d, h + 1) };
}

/** Whether a path may hold records of the window (records may end up to an hour late). */
function overlaps(p: string, w: Window): boolean {
  const r = pathRange(p);
  if (!r) return true;
  const slack = 3_600_000;
  if (w.since !== undefined && r.end + slack <= w.since) return false;
  if (w.until !== undefined && r.start - slack >= w.until) return false;
  return true;
}

/** What the walk found. */
export interface FoundFiles {
  readonly files: string[];
  /** Folders and files skipped by date before reading. */
  readonly pruned: number;
}

const IGNORED = /(^|\/)\.|\.(meta|md|txt\.meta)$/;

/** Lists the log files under the given paths, pruned by date; a missing path is an error. */
export function findLogFiles(paths: string[], w: Window): FoundFiles {
  const files: string[] = [];
  let pruned = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (IGNORED.test(e.name)) continue;
      if (!overlaps(p, w)) { pruned++; continue; }
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.statSync(p).size > 0) files.push(p);
    }
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw new TrafficError('FlowLogUnreadable', p, 'does not exist or cannot be read', 'Pass flow log files or folders with --logs.');
    }
    if (st.isDirectory()) walk(p);
    else if (overlaps(p, w)) files.push(p);
    else pruned++;
  }
  return { files: [...new Set(files)], pruned };
}

/** Parses an ISO time option into epoch milliseconds. */
export function parseTime(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new TrafficError('InvalidOption', option, `"${text}" is not an ISO 8601 time`, 'Use e.g. 2026-11-01 or 2026-11-01T00:00:00Z.');
  return t;
}

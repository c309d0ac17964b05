/**
 * microseg's commands never harm their inputs: every input must be a regular file (a FIFO or a device would
 * hang the read or feed it without end), and a report is never written over an input (the
 * manifest, a `--from-file` input, the ignore file: compared by device and inode, so a symlink or
 * a hard link to an input is caught too). Reports are written atomically: a temporary file in the
 * same folder, then a rename, so a reader never sees half a report and a failed write leaves the
 * previous one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, MicrosegError } from '../model/errors';

/** Throws `NotAFile` unless `file` (followed through symlinks) is a regular file; missing files pass (their readers report them). */
export function requireRegularFile(file: string, what: string, code: ErrorCode = 'NotAFile'): void {
  let stat: fs.Stats;
  try { stat = fs.statSync(file); } catch { return; }
  if (!stat.isFile()) {
    const kind = stat.isFIFO() ? 'a named pipe (FIFO)' : stat.isDirectory() ? 'a folder' : stat.isSocket() ? 'a socket' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : 'not a regular file';
    throw new MicrosegError({ code, path: file, value: kind, message: `is ${kind}, not a regular file: the audit reads ${what} only from regular files.`, hint: `Save the ${what} to a file first and pass that file.` });
  }
}

function identity(file: string): string | undefined {
  try {
    const s = fs.statSync(file);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/** Throws `UnsafeOutput` when writing `output` would overwrite one of the inputs (or `output` is not a regular file). */
export function checkOutput(output: string, inputs: readonly { file: string; what: string }[]): void {
  const id = identity(output);
  if (id !== undefined) {
    const s = fs.statSync(output);
    if (!s.isFile()) throw new MicrosegError({ code: 'UnsafeOutput', path: output, value: output, message: 'exists and is not a regular file: the report is not written there.', hint: 'Pass a new file name (e.g. drift.sarif).' });
    const hit = inputs.find(i => identity(i.file) === id);
    if (hit) {
      throw new MicrosegError({
        code: 'UnsafeOutput', path: output, value: hit.file,
        message: `is the ${hit.what} (${hit.file}${path.resolve(hit.file) !== path.resolve(output) ? ', through a link' : ''}): the report would overwrite an input of the audit.`,
        hint: 'Write the report to another file (e.g. --output drift.sarif).',
      });
    }
  }
}

/** Writes a file atomically: a temporary file in the same folder, then a rename over the target. */
export function writeAtomically(file: string, text: string): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

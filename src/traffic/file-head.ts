/**
 * The first bytes of a flow log file as text, for recognising its format and layout: gzip is
 * inflated only as far as the text needed (a 6 MB gzip part holds about 90 MB of text; inflating
 * a fixed compressed prefix and splitting it into lines cost more than the rest of planning).
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { TrafficError } from './errors';

/** What the head of a file says about it. */
export interface FileHead {
  /** Up to the requested number of bytes of text ('' for Parquet). */
  readonly text: string;
  readonly gzip: boolean;
  readonly parquet: boolean;
}

/** Compressed bytes read at most (enough for the first entries of any flow log format). */
const MAX_COMPRESSED = 1 << 20;

/** Inflates the gzip file open at `fd` to `want` bytes of text, or all of it when it holds less. */
function inflateHead(file: string, fd: number, size: number, want: number): Buffer {
  // flow log text compresses 8-20x: read a little and read more only when the text falls short
  let buf = Buffer.alloc(0);
  for (let n = Math.min(size, Math.max(4096, want >> 3)); ; n = Math.min(size, MAX_COMPRESSED, n * 4)) {
    const more = Buffer.alloc(n - buf.length);
    const got = fs.readSync(fd, more, 0, more.length, buf.length);
    buf = Buffer.concat([buf, more.subarray(0, got)]);
    let out: Buffer;
    try {
      out = zlib.gunzipSync(buf, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch (e) {
      throw new TrafficError('FlowLogUnreadable', file, 'is not a readable gzip file', (e as Error).message);
    }
    if (out.length >= want || got === 0 || buf.length >= Math.min(size, MAX_COMPRESSED)) return out.subarray(0, want);
  }
}

/** Reads the head of `file`: `textBytes` of text at most, inflated when the file is gzip. */
export function fileHead(file: string, textBytes = 65536): FileHead {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const magic = Buffer.alloc(4);
    const m = fs.readSync(fd, magic, 0, 4, 0);
    if (m === 4 && magic.toString('latin1') === 'PAR1') return { text: '', gzip: false, parquet: true };
    if (m >= 2 && magic[0] === 0x1f && magic[1] === 0x8b) return { text: inflateHead(file, fd, size, textBytes).toString('utf8'), gzip: true, parquet: false };
    const buf = Buffer.alloc(Math.min(size, textBytes));
    return { text: buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8'), gzip: false, parquet: false };
  } finally {
    fs.closeSync(fd);
  }
}

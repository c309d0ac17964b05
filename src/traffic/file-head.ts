/**
 * The first bytes of a flow log file as text, for recognising its format and layout: gzip is
 * inflated only as far as the text needed (a 6 MB gzip part holds about 90 MB of text; inflating
 * a fixed compressed prefix and splitting it into lines cost more than the rest of planning).
 *
 * And whether a gzip file ends as a whole stream does. DuckDB reads a gzip stream cut short as if
 * it ended there: a cut that leaves a partial line fails the read, but a cut at a line boundary
 * (a writer's flush point, for one) would pass as a shorter file. A file small enough is inflated
 * whole here; a larger one is judged by its last bytes (the trailer's uncompressed size, which
 * a cut file replaces with compressed data) and inflated whole only when they look wrong.
 */
import * as fs from 'fs';
import { Writable } from 'stream';
import { pipeline } from 'stream/promises';
import * as zlib from 'zlib';
import { TrafficError } from './errors';

/** What the head of a file says about it. */
export interface FileHead {
  /** Up to the requested number of bytes of text ('' for Parquet). */
  readonly text: string;
  readonly gzip: boolean;
  readonly parquet: boolean;
  /**
   * For gzip: whether its end must be checked by inflating it whole (`verifyGzip`): its last
   * bytes are not the trailer of a whole stream of its size. Files of up to `WHOLE_BYTES` are
   * checked whole by `fileHead` itself.
   */
  readonly gzipSuspect?: boolean;
}

/** Gzip files up to this size are inflated whole by `fileHead` (a cut one fails there)... */
const WHOLE_BYTES = 256 << 10;
/** ...when their text is no larger than this. */
const WHOLE_TEXT = 32 << 20;

/** Text compresses at most this much in any flow log seen (8-20x); beyond, the file is checked whole. */
const MAX_RATIO = 64;

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

const cut = (file: string, e: unknown) => new TrafficError('FlowLogUnreadable', file, 'is a truncated or corrupt gzip file', `${(e as Error).message}. Check it with \`gzip -t\`; copy it again from its source.`);

/**
 * Whether the last 8 bytes of a gzip file of `size` bytes can be the trailer of a whole stream:
 * its uncompressed size (modulo 2^32) between the compressed size less the format's overhead and
 * `MAX_RATIO` times it, and not the empty block a flush writes (00 00 FF FF), where a cut at a
 * flush point ends.
 */
export function gzipEndPlausible(size: number, tail: Buffer): boolean {
  if (tail.length < 8) return false;
  if (tail.readUInt32BE(4) === 0x0000ffff) return false;
  const isize = tail.readUInt32LE(4);
  const lo = Math.max(0, Math.floor(size * 0.99) - 1024);
  const hi = size * MAX_RATIO;
  for (let v = isize; v <= hi; v += 2 ** 32) if (v >= lo) return true;
  return false;
}

/** Inflates a whole gzip file, failing as `FlowLogUnreadable` when its stream is cut or corrupt. */
export async function verifyGzip(file: string): Promise<void> {
  try {
    await pipeline(fs.createReadStream(file), zlib.createGunzip(), new Writable({ write: (_c, _e, cb) => cb() }));
  } catch (e) {
    throw cut(file, e);
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
    if (m >= 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
      if (size <= WHOLE_BYTES) {
        // small enough to inflate whole: a cut or corrupt stream fails here (one that inflates
        // to more than WHOLE_TEXT is checked as a stream instead, in constant memory)
        const all = Buffer.alloc(size);
        fs.readSync(fd, all, 0, size, 0);
        try {
          return { text: zlib.gunzipSync(all, { maxOutputLength: WHOLE_TEXT }).subarray(0, textBytes).toString('utf8'), gzip: true, parquet: false };
        } catch (e) {
          if ((e as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') throw cut(file, e);
          return { text: inflateHead(file, fd, size, textBytes).toString('utf8'), gzip: true, parquet: false, gzipSuspect: true };
        }
      }
      const tail = Buffer.alloc(8);
      fs.readSync(fd, tail, 0, 8, size - 8);
      return { text: inflateHead(file, fd, size, textBytes).toString('utf8'), gzip: true, parquet: false, gzipSuspect: !gzipEndPlausible(size, tail) };
    }
    const buf = Buffer.alloc(Math.min(size, textBytes));
    return { text: buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8'), gzip: false, parquet: false };
  } finally {
    fs.closeSync(fd);
  }
}

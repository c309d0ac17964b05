/**
 * Text helpers every planner shares: ordering, content hashes, name shortening. Pure.
 */
import { createHash } from 'crypto';

/** Compares texts (code unit order), for canonical sorting. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A short, stable hex hash of a text (the first `length` hex digits of its SHA-256). */
export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A stable 32-bit number from a text (the first four bytes of its SHA-256), for hash slots. */
export function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** Truncates a description to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 3) + '...';
}

/**
 * A name of at most `max` characters: the name itself when it fits, else its first
 * `max - 9` characters (without trailing characters matched by `trim`) followed by `-` and
 * an 8-digit hash of the full name, so that two long names stay distinct and stable.
 */
export function shortenName(full: string, max: number, trim: RegExp = /-+$/): string {
  return full.length <= max ? full : shortened(full, full, max, trim);
}

/** `text` cut to `max - 9` characters (without a trailing `trim` match), `-`, the 8-digit hash of `hashOf`. */
export function shortened(text: string, hashOf: string, max: number, trim: RegExp = /-+$/): string {
  return `${text.slice(0, max - 9).replace(trim, '')}-${shortHash(hashOf)}`;
}

/** Splits a list into chunks of at most `size` (one empty chunk for an empty list). */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out.length ? out : [[]];
}

/**
 * Accepted drift: `.microsegignore` files and `--accept` flags. Every acceptance names the drift
 * (a finding fingerprint, or a pattern over the finding key with `*` wildcards), a reason and an
 * expiry date; an expired acceptance stops applying and is reported.
 *
 * Line format (one acceptance per line; lines starting with `#` are comments):
 *
 *     <fingerprint or key pattern> ; <expires YYYY-MM-DD> ; <reason>
 *
 * JSON format: `{ "accept": [ { "finding": "...", "expires": "2026-12-31", "reason": "..." } ] }`.
 */
import * as fs from 'fs';
import { MicrosegError, MicrosegProblem } from '../model/errors';
import { requireRegularFile } from './files';
import { AcceptedDrift, DriftAcceptance, DriftFinding } from './types';

/** Default longest acceptance, in days from now. */
export const DEFAULT_MAX_ACCEPT_DAYS = 365;

/** How far acceptances may reach. */
export interface AcceptancePolicy {
  /** Today (default: now). */
  readonly now?: Date;
  /** Longest acceptance in days from now (default {@link DEFAULT_MAX_ACCEPT_DAYS}). */
  readonly maxAcceptDays?: number;
}

/**
 * A key pattern with `*` must name the kind and the container type literally before its first
 * wildcard (`unexpected sg:legacy|*`, `unmanaged sg-id:sg-0abc* on *`, `opened workload:legacy|*`): `*` alone, or `* sg:…`,
 * would accept drift nobody looked at.
 */
const WILDCARD_PREFIX = /^(unexpected|missing|modified|unmanaged|opened|blocked) [a-z0-9-]+:/;

/** Parses one `--accept` value or ignore-file line. */
export function parseAcceptance(text: string, source: string, policy: AcceptancePolicy = {}): DriftAcceptance | MicrosegProblem {
  const parts = text.split(';').map(p => p.trim());
  if (parts.length < 3 || !parts[0] || !parts[2]) {
    return { code: 'InvalidProp', path: source, value: text, message: 'is not an acceptance: expected "<fingerprint or key pattern> ; <expires YYYY-MM-DD> ; <reason>".', hint: 'Example: "3fa2c1d09b7e4411 ; 2026-12-31 ; break-glass access, INC-1234".' };
  }
  const [selector, expires, ...reason] = parts;
  return checked({ selector, expires, reason: reason.join('; '), source }, text, policy);
}

function checked(a: DriftAcceptance, raw: unknown, policy: AcceptancePolicy): DriftAcceptance | MicrosegProblem {
  if (typeof a.selector !== 'string' || a.selector.trim() === '') {
    return { code: 'InvalidProp', path: a.source, value: raw, message: 'has no finding selector.', hint: 'Use the fingerprint a report prints, or a key pattern such as "unexpected sg:web|ingress|*".' };
  }
  if (typeof a.reason !== 'string' || a.reason.trim() === '') {
    return { code: 'InvalidProp', path: a.source, value: raw, message: 'has no reason: every accepted drift needs one.', hint: 'Say why the drift is acceptable and who owns it.' };
  }
  if (typeof a.expires !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(a.expires) || isNaN(Date.parse(`${a.expires}T00:00:00Z`))) {
    return { code: 'InvalidDate', path: a.source, value: a.expires, message: 'is not an expiry date (YYYY-MM-DD): every accepted drift expires.', hint: 'Example: 2026-12-31.' };
  }
  const selector = a.selector.trim();
  if (selector.includes('*') && !WILDCARD_PREFIX.test(selector.slice(0, selector.indexOf('*')))) {
    return {
      code: 'InvalidProp', path: a.source, value: selector,
      message: 'is a wildcard pattern that does not name the kind and the container type before its first "*": it could accept drift nobody looked at.',
      hint: 'Use a fingerprint, or a pattern such as "unexpected sg:legacy|*" or "unmanaged sg-id:sg-0abc* on *".',
    };
  }
  const maxDays = policy.maxAcceptDays ?? DEFAULT_MAX_ACCEPT_DAYS;
  const now = policy.now ?? new Date();
  const horizon = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + maxDays));
  if (Date.parse(`${a.expires}T00:00:00Z`) > horizon.getTime()) {
    return {
      code: 'InvalidDate', path: a.source, value: a.expires,
      message: `is more than ${maxDays} days ahead (latest: ${horizon.toISOString().slice(0, 10)}): accepted drift must be looked at again.`,
      hint: 'Choose an earlier expiry, or raise the horizon with --max-accept-days (maxAcceptDays).',
    };
  }
  return { selector, reason: a.reason.trim(), expires: a.expires, source: a.source };
}

/** Parses the text of an ignore file (JSON or line format). Throws `MicrosegError` listing every bad entry. */
export function parseIgnoreFile(text: string, file: string, policy: AcceptancePolicy = {}): DriftAcceptance[] {
  const problems: MicrosegProblem[] = [];
  const out: DriftAcceptance[] = [];
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let doc: unknown;
    try { doc = JSON.parse(trimmed); } catch (e) {
      throw new MicrosegError({ code: 'InvalidProp', path: file, message: `is not valid JSON: ${(e as Error).message}`, hint: 'Use JSON or the line format "<selector> ; <YYYY-MM-DD> ; <reason>".' });
    }
    const list = Array.isArray(doc) ? doc : (doc as { accept?: unknown }).accept;
    if (!Array.isArray(list)) {
      throw new MicrosegError({ code: 'InvalidProp', path: file, message: 'has no "accept" list.', hint: '{ "accept": [ { "finding": "...", "expires": "2026-12-31", "reason": "..." } ] }' });
    }
    list.forEach((e: Record<string, unknown>, i: number) => {
      const r = checked({ selector: String(e?.finding ?? e?.selector ?? ''), expires: e?.expires as string, reason: e?.reason as string, source: `${file}#accept[${i}]` }, e, policy);
      if ('code' in r) problems.push(r); else out.push(r);
    });
  } else {
    text.split(/\r?\n/).forEach((line, i) => {
      const content = line.trim();
      if (!content || content.startsWith('#')) return;
      const r = parseAcceptance(content, `${file}:${i + 1}`, policy);
      if ('code' in r) problems.push(r); else out.push(r);
    });
  }
  if (problems.length) throw MicrosegError.fromProblems(problems);
  return out;
}

/** Reads an ignore file. */
export function readIgnoreFile(file: string, policy: AcceptancePolicy = {}): DriftAcceptance[] {
  requireRegularFile(file, 'accepted drift');
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new MicrosegError({ code: 'InvalidProp', path: file, message: `cannot be read: ${(e as Error).message}` });
  }
  return parseIgnoreFile(text, file, policy);
}

/** True when the acceptance is past its expiry (it applies through the whole expiry day, UTC). */
export function isExpired(a: DriftAcceptance, now: Date): boolean {
  return now.getTime() > Date.parse(`${a.expires}T23:59:59.999Z`);
}

/** True when the selector names the finding (fingerprint, fingerprint prefix of 8+ digits, or key pattern). */
export function selectorMatches(selector: string, f: DriftFinding): boolean {
  if (/^[0-9a-f]{8,16}$/i.test(selector)) return f.fingerprint.startsWith(selector.toLowerCase());
  const re = new RegExp('^' + selector.split('*').map(escapeRegExp).join('.*') + '$');
  return re.test(f.key);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * True when the acceptance may accept the finding: a critical finding only by its fingerprint or
 * exact key, unless wildcards are allowed for critical findings.
 */
export function acceptable(a: DriftAcceptance, f: DriftFinding, criticalWildcards = false): boolean {
  if (a.selector === f.key) return true;
  if (!selectorMatches(a.selector, f)) return false;
  return criticalWildcards || f.severity !== 'critical' || !a.selector.includes('*');
}

/** Splits findings into those still counting and those accepted; reports expired and unused acceptances. */
export function applyAcceptances(findings: DriftFinding[], acceptances: DriftAcceptance[], now: Date, criticalWildcards = false): {
  findings: DriftFinding[]; accepted: AcceptedDrift[]; expired: DriftAcceptance[]; unused: DriftAcceptance[];
} {
  const active = acceptances.filter(a => !isExpired(a, now));
  const expired = acceptances.filter(a => isExpired(a, now));
  const used = new Set<DriftAcceptance>();
  const kept: DriftFinding[] = [];
  const accepted: AcceptedDrift[] = [];
  for (const f of findings) {
    const a = active.find(x => acceptable(x, f, criticalWildcards));
    if (a) { used.add(a); accepted.push({ finding: f, reason: a.reason, expires: a.expires, selector: a.selector }); } else kept.push(f);
  }
  return { findings: kept, accepted, expired, unused: active.filter(a => !used.has(a)) };
}

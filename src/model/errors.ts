/**
 * Errors and warnings of microseg.
 *
 * Every error carries a stable code, the construct path, the offending value and a hint, so a
 * pipeline log points at the line to fix: `[microseg:InvalidCidr] at Shop/Web/Frontend: "10.0.0.0/33" ...`.
 * The class is deliberately not part of the jsii API (jsii types cannot extend `Error`); users
 * match on the code in the message.
 */

/** The stable error codes. Never rename one: users match on them. */
export const ERROR_CODES = [
  'InvalidName', 'DuplicateName', 'InvalidLabel', 'InvalidCidr', 'InvalidPort', 'InvalidIcmp',
  'EmptyPorts', 'EmptyEndpoint', 'UnsupportedEndpoint', 'InvalidScope', 'ExpiredFlow', 'InvalidDate',
  'ShadowedFlow', 'MissingCidrs', 'UnknownZone', 'UnknownWorkload', 'QuotaExceeded',
  'InvalidProp', 'ManifestInvalid', 'PriorityExhausted', 'MissingSdk', 'MissingDependency', 'DuplicateBackend',
  // AWS backend: addresses and membership checked against the network (docs/aws.md)
  'RangeOutsideNetwork', 'OverlappingRanges', 'OutsideZone', 'UnresolvedRange', 'IncompleteMembership',
  'UnmodelledConnection',
  // audit: a report would overwrite an input, or an input is not a regular file (docs/audit.md)
  'UnsafeOutput', 'NotAFile',
  // traffic (flow logs): docs/traffic.md
  'FlowLogUnreadable', 'InventoryUnreadable', 'InvalidOption', 'EngineFailed',
  // invariants (Isolation, NeverReach, MustReach): docs/invariants.md
  'InvariantViolated',
] as const;

export type ErrorCode = typeof ERROR_CODES[number];

/** One problem found in the model or its rendering. */
export interface MicrosegProblem {
  readonly code: ErrorCode;
  readonly path: string;
  readonly value?: unknown;
  readonly message: string;
  readonly hint?: string;
}

function show(value: unknown): string {
  if (value === undefined) return '';
  try {
    return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Formats one problem as a single line. */
export function formatProblem(p: MicrosegProblem): string {
  const value = p.value === undefined ? '' : `${show(p.value)}: `;
  const hint = p.hint ? ` ${p.hint}` : '';
  return `[microseg:${p.code}] at ${p.path || '<root>'}: ${value}${p.message}${hint}`;
}

/** The error thrown for bad input, before anything is rendered. */
export class MicrosegError extends Error {
  /** Throws one error for a list of problems (the first problem's code leads). */
  public static fromProblems(problems: MicrosegProblem[]): MicrosegError {
    if (problems.length === 1) return new MicrosegError(problems[0]);
    const head = problems[0];
    const err = new MicrosegError(head);
    err.message = `${problems.length} problems, nothing was rendered:\n` + problems.map(p => '  ' + formatProblem(p)).join('\n');
    err.problems = problems;
    return err;
  }

  public readonly code: ErrorCode;
  public readonly path: string;
  public readonly value?: unknown;
  public readonly hint?: string;
  public problems: MicrosegProblem[];

  constructor(problem: MicrosegProblem) {
    super(formatProblem(problem));
    this.name = 'MicrosegError';
    this.code = problem.code;
    this.path = problem.path;
    this.value = problem.value;
    this.hint = problem.hint;
    this.problems = [problem];
  }
}

/**
 * Runs `fn` and returns the problems of the `MicrosegError` it throws (none when it succeeds), so
 * problems of several checks (backend props, the model) are reported together. Other errors pass.
 */
export function problemsOf(fn: () => void): MicrosegProblem[] {
  try {
    fn();
    return [];
  } catch (e) {
    if (e instanceof MicrosegError) return e.problems;
    throw e;
  }
}

/** Shorthand to throw a single coded error. */
export function fail(code: ErrorCode, path: string, value: unknown, message: string, hint?: string): never {
  throw new MicrosegError({ code, path, value, message, hint });
}

/** A warning with a stable id, so it can be acknowledged with a reason. */
export interface MicrosegWarning {
  readonly id: string;
  readonly path: string;
  readonly message: string;
}

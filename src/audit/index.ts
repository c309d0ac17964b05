/**
 * The drift audit: reads the live rules of a segmentation through the cloud SDKs (loaded only
 * when their cloud is audited), compares them with the manifest written at synth, and reports
 * drift. The `microseg audit` command wraps it.
 */
import { CanonicalRule, Cloud } from '../model/backend';
import { computeDrift } from './drift';
import { render as renderResult } from './report';
import { runAudit } from './run';
import { AuditOptions, AuditResult, DriftFinding, ReportFormat, ReportOptions } from './types';

export * from './types';

/**
 * Drift audit of a segmentation: live rules against the manifest.
 *
 * Read-only (Describe and GET calls only); fails closed: a read error gives an incomplete result
 * (exit code 2), never "no drift". The result is the one the `microseg audit` command renders:
 * API and CLI reports are byte for byte the same.
 */
export class DriftAudit {
  /**
   * Runs an audit. Rejects with a `[microseg:<Code>]` error for unusable input (manifest,
   * ignore file, missing SDK); read failures make the result incomplete instead.
   */
  public static async run(options: AuditOptions): Promise<AuditResult> {
    return runAudit({ ...options, now: options.now ? new Date(options.now) : undefined });
  }

  /** Compares expected with live canonical rules (semantically: equivalent rules are not drift). */
  public static compare(cloud: Cloud, expected: CanonicalRule[], live: CanonicalRule[]): DriftFinding[] {
    return computeDrift(expected, live, [], { cloud });
  }

  /** Renders a result in a report format. */
  public static render(result: AuditResult, format: ReportFormat, options: ReportOptions = {}): string {
    return renderResult(result, format, { version: options.version ?? packageVersion(), color: options.color, baseDir: options.baseDir });
  }

  private constructor() {}
}

/** The package version. */
export function packageVersion(): string {
  for (const p of ['../../package.json', '../package.json']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pkg = require(p);
      if (pkg.name === 'microseg') return pkg.version;
    } catch {
      // try the next
    }
  }
  return '0.0.0';
}

/**
 * The drift audit: reads the live rules of a segmentation through the cloud SDKs (loaded only
 * when their cloud is audited), compares them with the manifest written at synth, and reports
 * drift. The `microseg audit` command wraps it.
 */
import { CanonicalRule, Cloud } from '../ir/canonical';
import { computeDrift } from './drift';
import { AuditOutcome, Finding } from './findings';
import { render as renderOutcome } from './report';
import { runAudit } from './run';

/** The clouds an audit reads. */
export enum AuditCloud {
  /** EC2 security groups and network ACLs. */
  AWS = 'aws',
  /** Network security groups and application security groups. */
  AZURE = 'azure',
  /** VPC firewall rules. */
  GCP = 'gcp',
}

/** Kinds of drift. */
export enum DriftKind {
  /** Live but not declared: a security finding. */
  UNEXPECTED = 'unexpected',
  /** Declared but not live: an outage risk (or a missing guardrail). */
  MISSING = 'missing',
  /** Declared and live, but with other ports, protocol, action or priority. */
  MODIFIED = 'modified',
  /** A group or NSG attached to a segmented workload that microseg did not create. */
  UNMANAGED = 'unmanaged',
}

/** Severity of a finding. */
export enum DriftSeverity {
  /** Internet-wide ingress on remote-administration or database ports. */
  CRITICAL = 'critical',
  /** Other internet-wide ingress, a missing deny guardrail, an unmanaged attachment. */
  HIGH = 'high',
  /** Other unexpected or widened rules. */
  MEDIUM = 'medium',
  /** Missing allows, unexpected denies. */
  LOW = 'low',
}

/** Report formats. */
export enum ReportFormat {
  /** A table for terminals. */
  TABLE = 'table',
  /** Machine-readable JSON. */
  JSON = 'json',
  /** SARIF 2.1.0 for code-scanning tools. */
  SARIF = 'sarif',
  /** JUnit XML for CI test reports. */
  JUNIT = 'junit',
  /** Markdown for a pull-request comment. */
  MARKDOWN = 'markdown',
}

/** A rule in the canonical form shared by the manifest and the readers. */
export interface AuditRule {
  /** Where the rule lives: `sg:<group>`, `nacl:<zone>`, `nsg:<name>`, `network:<name>`. */
  readonly container: string;
  /** `ingress` or `egress`. */
  readonly direction: string;
  /** `allow` or `deny`. */
  readonly action: string;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `all`, or an IP protocol number. */
  readonly protocol: string;
  /** `*`, `443`, `1024-65535`; ICMP `*`, `<type>` or `<type>/<code>`. */
  readonly ports: string;
  /** The other side: `sg:`, `cidr:`, `asg:`, `tag:`, `sa:`, `pl:` or `*`. */
  readonly peer: string;
  /**
   * The protected side where a container holds many.
   * @default - the whole container
   */
  readonly target?: string;
  /**
   * NACL rule number, Azure or GCP priority.
   * @default - none (security groups)
   */
  readonly priority?: number;
  /**
   * The cloud rule's name.
   * @default - none
   */
  readonly name?: string;
  /**
   * Construct path of the flow the rule comes from.
   * @default - none
   */
  readonly origin?: string;
}

/** One drift finding. */
export interface DriftFinding {
  /** The kind of drift. */
  readonly kind: DriftKind;
  /** How serious it is. */
  readonly severity: DriftSeverity;
  /** The cloud. */
  readonly cloud: AuditCloud;
  /**
   * The region, when several AWS regions were audited (each must match the manifest on its own).
   * @default - one region
   */
  readonly region?: string;
  /** The container (or foreign group) concerned. */
  readonly container: string;
  /** A one-line explanation. */
  readonly message: string;
  /**
   * The declared rule (missing, modified).
   * @default - none
   */
  readonly expected?: AuditRule;
  /**
   * The live rule (unexpected, modified).
   * @default - none
   */
  readonly live?: AuditRule;
  /**
   * Cloud ids of the live rule(s): `sg-…/sgr-…` (AWS), ARM rule ids (Azure).
   * @default - none
   */
  readonly liveIds?: string[];
  /**
   * Unmanaged: the interface (ENI, NIC) the foreign group is attached to.
   * @default - none
   */
  readonly attachedTo?: string;
  /**
   * Unmanaged: a readable name of the foreign group.
   * @default - none
   */
  readonly unmanagedName?: string;
  /**
   * Unmanaged: the microseg workloads on the same interface.
   * @default - none
   */
  readonly workloads?: string[];
  /** Construct path(s) of the flow, workload or segmentation concerned. */
  readonly constructPath: string;
  /** The manifest entry (`clouds.aws.expected[3]`, `clouds.aws.containers["sg:web"]`). */
  readonly manifestEntry: string;
  /** Stable text selector (`<kind> <rule key>`), usable with wildcards in `.microsegignore`. */
  readonly key: string;
  /** Stable fingerprint (16 hex digits). */
  readonly fingerprint: string;
}

/** A finding accepted by `.microsegignore` or `--accept`. */
export interface AcceptedDrift {
  /** The finding. */
  readonly finding: DriftFinding;
  /** Why it is accepted. */
  readonly reason: string;
  /** Last day (UTC, YYYY-MM-DD) the acceptance applies. */
  readonly expires: string;
  /** The selector that matched. */
  readonly selector: string;
}

/** An acceptance as declared. */
export interface DriftAcceptance {
  /** Fingerprint or key pattern. */
  readonly selector: string;
  /** Why the drift is accepted. */
  readonly reason: string;
  /** Last day (YYYY-MM-DD) it applies. */
  readonly expires: string;
  /** Where it was declared (`.microsegignore:3`, `--accept`). */
  readonly source: string;
}

/** The outcome of an audit. */
export interface AuditResult {
  /** The segmentation audited. */
  readonly segmentation: string;
  /** The cloud audited. */
  readonly cloud: AuditCloud;
  /** The manifest read. */
  readonly manifestFile: string;
  /** False when anything could not be read (then `exitCode` is 2, whatever was found). */
  readonly complete: boolean;
  /** 0 no drift, 1 drift, 2 incomplete. */
  readonly exitCode: number;
  /** Read errors. */
  readonly errors: string[];
  /** Informational notes. */
  readonly notes: string[];
  /** Drift that counts. */
  readonly findings: DriftFinding[];
  /** Drift accepted by an acceptance. */
  readonly accepted: AcceptedDrift[];
  /** Acceptances past their expiry (no longer applied). */
  readonly expiredAcceptances: DriftAcceptance[];
  /** Acceptances that matched nothing. */
  readonly unusedAcceptances: DriftAcceptance[];
  /** Declared rules in the manifest. */
  readonly expectedRules: number;
  /** Live rules read. */
  readonly liveRules: number;
  /** API requests sent (including retries). */
  readonly requests: number;
  /** Result pages received (files read, for `fromFiles`). */
  readonly pages: number;
  /** Wall time in milliseconds. */
  readonly durationMs: number;
}

/** Options of {@link DriftAudit.run}. */
export interface AuditOptions {
  /** The `<segmentation>.microseg.json` manifest (or a folder holding exactly one). */
  readonly manifestFile: string;
  /** The cloud to audit (its section of the manifest). */
  readonly cloud: AuditCloud;
  /**
   * AWS regions to read.
   * @default - the manifest's region, else AWS_REGION / AWS_DEFAULT_REGION
   */
  readonly regions?: string[];
  /**
   * Saved CLI outputs to read instead of calling the cloud (`aws ec2 describe-security-groups`,
   * `az network nsg list`, `gcloud compute firewall-rules list --format=json`).
   * @default - read the live cloud
   */
  readonly fromFiles?: string[];
  /**
   * Azure Resource Manager endpoint (sovereign clouds).
   * @default https://management.azure.com
   */
  readonly azureEndpoint?: string;
  /**
   * GCP Compute endpoint.
   * @default https://compute.googleapis.com
   */
  readonly gcpEndpoint?: string;
  /**
   * Azure subscription id.
   * @default - the manifest's, else AZURE_SUBSCRIPTION_ID
   */
  readonly subscriptionId?: string;
  /**
   * Azure resource group.
   * @default - the manifest's
   */
  readonly resourceGroup?: string;
  /**
   * GCP project id.
   * @default - the manifest's, else GOOGLE_CLOUD_PROJECT
   */
  readonly project?: string;
  /**
   * GCP network name.
   * @default - the manifest's
   */
  readonly network?: string;
  /**
   * File of accepted drift.
   * @default - `.microsegignore` in the working directory, when present
   */
  readonly ignoreFile?: string;
  /**
   * Accepted drift, each `<fingerprint or key pattern> ; <YYYY-MM-DD> ; <reason>`.
   * @default - none
   */
  readonly accept?: string[];
  /**
   * The current time (ISO 8601), for acceptance expiry.
   * @default - now
   */
  readonly now?: string;
  /**
   * Per-request timeout in seconds: one HTTP attempt, headers and body (fractions allowed).
   * @default 60
   */
  readonly requestTimeoutSeconds?: number;
  /**
   * Overall deadline of the reads in seconds; what is not read by then makes the audit incomplete.
   * @default 900
   */
  readonly timeoutSeconds?: number;
  /**
   * Longest `Retry-After` honoured, in seconds; a server asking to wait longer fails the call.
   * @default 30
   */
  readonly maxRetryAfterSeconds?: number;
  /**
   * Most pages one paginated call may return; more (or a page token seen twice) fails the call.
   * @default - 200 (AWS, pages of 1,000), 100 (Azure), 100 (GCP, pages of 500)
   */
  readonly maxPages?: number;
  /**
   * The least severe finding that fails the audit (exit code 1); less severe findings are
   * reported but give exit code 0.
   * @default DriftSeverity.LOW (every finding counts)
   */
  readonly failOn?: DriftSeverity;
  /**
   * Longest an acceptance may run, in days from now; a later expiry is an error.
   * @default 365
   */
  readonly maxAcceptDays?: number;
  /**
   * Let key patterns with `*` accept critical findings (only fingerprints and exact keys can, by default).
   * @default false
   */
  readonly acceptCriticalWildcards?: boolean;
}

/** Options of {@link DriftAudit.render}. */
export interface ReportOptions {
  /**
   * Colours in the table format.
   * @default false
   */
  readonly color?: boolean;
  /**
   * The version printed in reports.
   * @default - the package version
   */
  readonly version?: string;
  /**
   * Folder that SARIF artifact paths are relative to.
   * @default - the working directory
   */
  readonly baseDir?: string;
}

/**
 * Drift audit of a segmentation: live rules against the manifest.
 *
 * Read-only (Describe and GET calls only); fails closed: a read error gives an incomplete result
 * (exit code 2), never "no drift".
 */
export class DriftAudit {
  /**
   * Runs an audit. Rejects with a `[microseg:<Code>]` error for unusable input (manifest,
   * ignore file, missing SDK); read failures make the result incomplete instead.
   */
  public static async run(options: AuditOptions): Promise<AuditResult> {
    const outcome = await runAudit({ ...options, cloud: options.cloud as Cloud, now: options.now ? new Date(options.now) : undefined });
    return toResult(outcome);
  }

  /** Compares expected with live canonical rules (semantically: equivalent rules are not drift). */
  public static compare(cloud: AuditCloud, expected: AuditRule[], live: AuditRule[]): DriftFinding[] {
    return computeDrift(expected as CanonicalRule[], live as CanonicalRule[], [], { cloud: cloud as Cloud }).map(toFinding);
  }

  /** Renders a result in a report format. */
  public static render(result: AuditResult, format: ReportFormat, options: ReportOptions = {}): string {
    return renderOutcome(fromResult(result), format, { version: options.version ?? packageVersion(), color: options.color, baseDir: options.baseDir });
  }

  private constructor() {}
}

/** The package version. */
function packageVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../../package.json').version;
  } catch {
    return '0.0.0';
  }
}

function toFinding(f: Finding): DriftFinding {
  return {
    kind: f.kind as DriftKind, severity: f.severity as DriftSeverity, cloud: f.cloud as AuditCloud, ...(f.region ? { region: f.region } : {}), container: f.container, message: f.message,
    ...(f.expected ? { expected: f.expected } : {}), ...(f.live ? { live: f.live } : {}), ...(f.liveIds ? { liveIds: f.liveIds } : {}),
    ...(f.unmanaged ? { attachedTo: f.unmanaged.attachedTo, unmanagedName: f.unmanaged.name, workloads: f.unmanaged.workloads } : {}),
    constructPath: f.constructPath, manifestEntry: f.manifestEntry, key: f.key, fingerprint: f.fingerprint,
  };
}

function fromFinding(f: DriftFinding): Finding {
  return {
    kind: f.kind, severity: f.severity, cloud: f.cloud as Cloud, region: f.region, container: f.container, message: f.message,
    expected: f.expected as CanonicalRule | undefined, live: f.live as CanonicalRule | undefined, liveIds: f.liveIds,
    unmanaged: f.attachedTo ? { container: f.container, name: f.unmanagedName ?? f.container, attachedTo: f.attachedTo, workloads: f.workloads ?? [] } : undefined,
    constructPath: f.constructPath, manifestEntry: f.manifestEntry, key: f.key, fingerprint: f.fingerprint,
  } as Finding;
}

function toResult(o: AuditOutcome): AuditResult {
  return {
    segmentation: o.segmentation, cloud: o.cloud as AuditCloud, manifestFile: o.manifestFile, complete: o.complete, exitCode: o.exitCode,
    errors: o.errors, notes: o.notes, findings: o.findings.map(toFinding),
    accepted: o.accepted.map(a => ({ finding: toFinding(a.finding), reason: a.reason, expires: a.expires, selector: a.selector })),
    expiredAcceptances: o.expiredAcceptances, unusedAcceptances: o.unusedAcceptances,
    expectedRules: o.expectedRules, liveRules: o.liveRules, requests: o.requests, pages: o.pages, durationMs: o.durationMs,
  };
}

function fromResult(r: AuditResult): AuditOutcome {
  return {
    segmentation: r.segmentation, cloud: r.cloud as Cloud, manifestFile: r.manifestFile, complete: r.complete, exitCode: r.exitCode,
    errors: r.errors, notes: r.notes, findings: r.findings.map(fromFinding),
    accepted: r.accepted.map(a => ({ finding: fromFinding(a.finding), reason: a.reason, expires: a.expires, selector: a.selector })),
    expiredAcceptances: r.expiredAcceptances, unusedAcceptances: r.unusedAcceptances,
    expectedRules: r.expectedRules, liveRules: r.liveRules, containers: [], requests: r.requests, pages: r.pages, durationMs: r.durationMs,
  };
}

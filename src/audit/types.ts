/**
 * The audit's public types: one result type, used by the engine, the reports, the CLI and the
 * API alike (plain data: it survives a JSON round trip, as across jsii languages). Clouds and
 * rules are the model's own `Cloud` and `CanonicalRule`, the types the backends record.
 */
import { CanonicalRule, Cloud } from '../model/backend';

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
  /**
   * Semantic drift: the live rules let a source reach a destination (protocol, ports) that the
   * declared rules block; critical when the model forbids it.
   */
  OPENED = 'opened',
  /** Semantic drift: the live rules block a source from a destination (protocol, ports) that the declared rules allow. */
  BLOCKED = 'blocked',
  /**
   * An invariant of the model (`Isolation`, `NeverReach`, `MustReach`) that the live rules break:
   * always critical.
   */
  INVARIANT = 'invariant',
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

/** A group, NSG or firewall rule microseg did not create, on a segmented workload. */
export interface DriftAttachment {
  /** The foreign container: `sg-id:sg-…`, `nsg-id:<name>`, `asg:<name>`, `firewall:<name>`. */
  readonly container: string;
  /** A readable name of it. */
  readonly name: string;
  /** Where it is attached (ENI id, NIC name, the network tags or service accounts it targets). */
  readonly attachedTo: string;
  /** The microseg workloads (or their identities) concerned. */
  readonly workloads: string[];
  /**
   * The region, when several AWS regions were audited.
   * @default - one region
   */
  readonly region?: string;
}

/**
 * What a semantic finding is about: packets from one end to another on a protocol and ports,
 * evaluated on the declared rules, on the live rules and against the model.
 */
export interface DriftReachability {
  /** The source: `workload:<name>`, or `ipv4:<cidr>` / `ipv6:<cidr>` (an address outside the model's workloads, in that range). */
  readonly from: string;
  /** The destination, in the same form. */
  readonly to: string;
  /** `tcp`, `udp`, `icmp`, or `all` (every protocol and port behaves so). */
  readonly protocol: string;
  /** The ports where all of these answers hold: `*`, `22`, `1024-65535`; ICMP `*`, `<type>` or `<type>/<code>`. */
  readonly ports: string;
  /** An address used for an end outside the model's workloads (`from` then `to`, `-` for a workload). */
  readonly sampleAddresses: string[];
  /** Whether the model allows it (declared flows minus guardrails; MONITOR zones' catch-alls included). */
  readonly modelAllows: boolean;
  /** Whether the declared rules (the manifest's) let it through. */
  readonly declaredAllows: boolean;
  /** Whether the live rules let it through. */
  readonly liveAllows: boolean;
  /**
   * Construct paths of the flows that allow it (empty when the model forbids it).
   * @default - none
   */
  readonly flows?: string[];
}

/** A container (security group, NACL, NSG, network) read live. */
export interface AuditContainer {
  /** Canonical container (`sg:web`, `nacl:app`, `nsg:app`, `network:prod`). */
  readonly container: string;
  /** The cloud id (`sg-…`, `acl-…`, ARM id, network path). */
  readonly id: string;
  /**
   * Region, where it applies.
   * @default - none
   */
  readonly region?: string;
}

/** One drift finding. */
export interface DriftFinding {
  /** The kind of drift. */
  readonly kind: DriftKind;
  /** How serious it is. */
  readonly severity: DriftSeverity;
  /** The cloud. */
  readonly cloud: Cloud;
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
  readonly expected?: CanonicalRule;
  /**
   * The live rule (unexpected, modified).
   * @default - none
   */
  readonly live?: CanonicalRule;
  /**
   * Cloud ids of the live rule(s): `sg-…/sgr-…` (AWS), ARM rule ids (Azure).
   * @default - none
   */
  readonly liveIds?: string[];
  /**
   * Unmanaged: the foreign group or rule and where it is attached.
   * @default - none
   */
  readonly unmanaged?: DriftAttachment;
  /**
   * Opened and blocked (semantic drift): the packets concerned and the three answers.
   * @default - none
   */
  readonly reachability?: DriftReachability;
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
  readonly cloud: Cloud;
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
  /**
   * Packets evaluated for semantic drift (one per source, destination and port class whose
   * rules differ between the declared and the live side); 0 when the rule sets agree.
   */
  readonly packetsEvaluated: number;
  /** The containers read live (the JUnit report has one test case each). */
  readonly containers: AuditContainer[];
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
  readonly cloud: Cloud;
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
   * Kubernetes API server URL (default: the current kubeconfig context). A bearer token may be
   * given in `MICROSEG_KUBERNETES_TOKEN`.
   * @default - the kubeconfig's current context
   */
  readonly kubernetesEndpoint?: string;
  /**
   * Kubeconfig context to audit.
   * @default - the current context
   */
  readonly kubernetesContext?: string;
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

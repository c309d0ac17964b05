/**
 * Internal types of the audit: live state returned by readers, drift findings and the result.
 * Plain data (the jsii-facing structs in `index.ts` mirror them).
 */
import { CanonicalRule, Cloud } from '../ir/canonical';

/** Kinds of drift. */
export type DriftKindText = 'unexpected' | 'missing' | 'modified' | 'unmanaged';

/** Severities, most severe first. */
export type SeverityText = 'critical' | 'high' | 'medium' | 'low';

/** Severity order (lower is more severe). */
export const SEVERITY_RANK: Record<SeverityText, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** A container (SG, NACL, NSG, network) a reader found live. */
export interface LiveContainer {
  /** Canonical container (`sg:web`, `nacl:app`, `nsg:app`, `network:prod`). */
  readonly container: string;
  /** The cloud id (sg-..., acl-..., ARM id, network self link). */
  readonly id: string;
  /** Region / location, where it applies. */
  readonly region?: string;
}

/** A group or NSG attached to a segmented workload that microseg did not create. */
export interface UnmanagedAttachment {
  /** The foreign container: `sg-id:sg-...` or `nsg-id:<ARM id>`. */
  readonly container: string;
  /** A readable name of the foreign container. */
  readonly name: string;
  /** Where it is attached (ENI id, NIC id). */
  readonly attachedTo: string;
  /** The microseg workloads (or groups) carried by the same interface. */
  readonly workloads: string[];
  readonly region?: string;
}

/** A microseg container that is live but not attached where the manifest says (its rules do not apply there). */
export interface DetachedContainer {
  /** The container (`nsg:<name>`). */
  readonly container: string;
  /** Where it should be attached (a subnet id). */
  readonly attachedTo: string;
  /** What is attached there instead, if anything (`nsg-id:<name>`). */
  readonly instead?: string;
  /** True for an association the manifest does not declare (a microseg NACL on a foreign subnet). */
  readonly unexpected?: boolean;
  readonly region?: string;
}

/** What a reader saw. `errors` non-empty means the view is incomplete (fail closed). */
export interface LiveState {
  readonly cloud: Cloud;
  /** Live rules, each with its cloud id when there is one (`LiveRule.id`). */
  readonly rules: CanonicalRule[];
  readonly containers: LiveContainer[];
  readonly unmanaged: UnmanagedAttachment[];
  /** Containers not attached where the manifest says (Azure NSG not on its zone's subnet). */
  readonly detached?: DetachedContainer[];
  readonly errors: string[];
  /** Informational notes (skipped disabled rules, duplicate groups...). */
  readonly notes: string[];
  /** API requests sent (including retries) and result pages received. */
  readonly requests: number;
  readonly pages: number;
  /**
   * Several regions (AWS): each region's rules and attachments apart, since each region must
   * match the manifest on its own (a rule missing in one region is drift even when another has it).
   */
  readonly regions?: { readonly region: string; readonly rules: CanonicalRule[]; readonly unmanaged: UnmanagedAttachment[]; readonly detached?: DetachedContainer[] }[];
}

/** One drift finding. */
export interface Finding {
  readonly kind: DriftKindText;
  readonly severity: SeverityText;
  readonly cloud: Cloud;
  /** The region, when several regions were audited. */
  readonly region?: string;
  readonly container: string;
  readonly expected?: CanonicalRule;
  readonly live?: CanonicalRule;
  /** Cloud ids of the live rule(s) (`sg-…/sgr-…`, ARM rule ids, firewall names), to remove or fix them. */
  readonly liveIds?: string[];
  readonly unmanaged?: UnmanagedAttachment;
  readonly message: string;
  /** Construct path(s) the finding belongs to (the flow's path, or the workload/zone/segmentation). */
  readonly constructPath: string;
  /** The manifest entry (`clouds.aws.expected[12]`, `clouds.aws.containers["sg:web"]`). */
  readonly manifestEntry: string;
  /** Human-readable, stable selector used by ignore files: `<kind> <rule key>`. */
  readonly key: string;
  /** Stable fingerprint (hex) of the finding. */
  readonly fingerprint: string;
}

/** A finding accepted by an ignore entry. */
export interface AcceptedFinding {
  readonly finding: Finding;
  readonly reason: string;
  readonly expires: string;
  readonly selector: string;
}

/** An acceptance from the ignore file / `--accept`. */
export interface Acceptance {
  readonly selector: string;
  readonly reason: string;
  /** ISO date (YYYY-MM-DD): the acceptance applies until the end of that day (UTC). */
  readonly expires: string;
  /** Where it was declared (`.microsegignore:3`, `--accept`). */
  readonly source: string;
}

/** The outcome of an audit. */
export interface AuditOutcome {
  readonly segmentation: string;
  readonly cloud: Cloud;
  readonly manifestFile: string;
  /** False when anything could not be read: the exit code is then 2, whatever was found. */
  readonly complete: boolean;
  readonly errors: string[];
  readonly notes: string[];
  /** Drift that counts (not accepted). */
  readonly findings: Finding[];
  readonly accepted: AcceptedFinding[];
  /** Acceptances past their expiry (they no longer apply). */
  readonly expiredAcceptances: Acceptance[];
  /** Acceptances that matched nothing. */
  readonly unusedAcceptances: Acceptance[];
  readonly expectedRules: number;
  readonly liveRules: number;
  readonly containers: LiveContainer[];
  readonly requests: number;
  readonly pages: number;
  readonly durationMs: number;
  /** 0 no drift, 1 drift, 2 incomplete. */
  readonly exitCode: number;
}

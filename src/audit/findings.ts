/**
 * Internal types of the audit: the live state returned by readers. Findings, attachments,
 * acceptances and the result are the public types of `types.ts` themselves (no aliases).
 */
import { CanonicalRule, Cloud } from '../ir/canonical';
import { AuditContainer, DriftAttachment, DriftSeverity } from './types';

/** Severity order (lower is more severe). */
export const SEVERITY_RANK: Record<DriftSeverity, number> = { [DriftSeverity.CRITICAL]: 0, [DriftSeverity.HIGH]: 1, [DriftSeverity.MEDIUM]: 2, [DriftSeverity.LOW]: 3 };

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
  readonly containers: AuditContainer[];
  readonly unmanaged: DriftAttachment[];
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
  readonly regions?: { readonly region: string; readonly rules: CanonicalRule[]; readonly unmanaged: DriftAttachment[]; readonly detached?: DetachedContainer[] }[];
}


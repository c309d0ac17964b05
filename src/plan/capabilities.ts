/**
 * What a cloud's rules can express, stated once per backend: the shared planning steps read it
 * instead of each backend re-implementing them with its quirks inline.
 */

/** The capabilities and limits of one cloud's rule model. */
export interface CloudCapabilities {
  /** The cloud's name in messages (`Azure`, `GCP`). */
  readonly name: string;
  /** Return traffic is allowed by connection tracking (no ephemeral-port rules needed). */
  readonly stateful: boolean;
  /** Rules can deny (guardrails become deny rules), else guardrails are subtracted only. */
  readonly denyRules: boolean;
  /**
   * Rules are ordered by priority: the bands guardrails, allows, the MONITOR catch-all and the
   * default deny use (inclusive ranges or single priorities); undefined when rules are unordered.
   */
  readonly priorities?: {
    /** Every rule needs a priority of its own per direction and container (hash slots). */
    readonly unique: boolean;
    readonly deny: readonly [number, number];
    readonly allow: readonly [number, number];
    readonly monitorCatchAll: number;
    readonly defaultDeny: number;
  };
  /** Egress rules can name only destination ranges (not identities). */
  readonly egressByRangeOnly: boolean;
  /** How many identities (ASGs, tags, service accounts) one rule side may name. */
  readonly identitiesPerSide: number;
  /** Rules can match ICMP types and codes (else typed ICMP is rendered as every type, warned). */
  readonly icmpTypes: boolean;
  /** The warning id reported when a peer overlaps zone ranges and is rendered without them. */
  readonly peerOverlapWarning: string;
  /** Limits checked at synth (per container, per rule). */
  readonly limits: Readonly<Record<string, number>>;
}

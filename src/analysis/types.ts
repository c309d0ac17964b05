/**
 * The result shapes of the analyses: plain readonly structs, so they cross jsii unchanged.
 */
import { EnforcementMode } from '../model/segmentation';

/** What one end of a reachability entry or blast-radius target is. */
export enum AnalysisEndpointKind {
  /** A workload of the model (identified by its name). */
  WORKLOAD = 'WORKLOAD',
  /** An address range outside the model (identified by its canonical CIDR). */
  CIDR = 'CIDR',
}

/**
 * Options of {@link SegmentationAnalysis.of}.
 */
export interface AnalysisOptions {
  /**
   * The current time, used to check flow expiry while compiling the model.
   *
   * @default - the current time
   */
  readonly now?: Date;
}

/**
 * One row of the reachability matrix: `source` may reach `destination` on `services`, after
 * every DenyFlow was subtracted. Pairs that are not listed cannot talk at all.
 */
export interface ReachabilityEntry {
  /** The source: a workload name, or a CIDR outside the model. */
  readonly source: string;
  /** Whether the source is a workload or a CIDR. */
  readonly sourceKind: AnalysisEndpointKind;
  /**
   * The source workload's zone.
   *
   * @default - none (the source is a CIDR)
   */
  readonly sourceZone?: string;
  /** The destination: a workload name, or a CIDR outside the model. */
  readonly destination: string;
  /** Whether the destination is a workload or a CIDR. */
  readonly destinationKind: AnalysisEndpointKind;
  /**
   * The destination workload's zone.
   *
   * @default - none (the destination is a CIDR)
   */
  readonly destinationZone?: string;
  /**
   * The allowed services in canonical text form, merged and sorted: `all`, `tcp:443`,
   * `tcp:8000-8080`, `udp:*`, `icmp:*`, `icmp:8`, `icmp:3/4`.
   */
  readonly services: string[];
  /** Construct paths of the AllowFlows that grant this reachability (sorted). */
  readonly flows: string[];
}

/**
 * Something a compromised workload can reach, directly or through other workloads.
 */
export interface BlastRadiusTarget {
  /** The target: a workload name, or a CIDR outside the model. */
  readonly target: string;
  /** Whether the target is a workload or a CIDR. */
  readonly kind: AnalysisEndpointKind;
  /**
   * The target workload's zone.
   *
   * @default - none (the target is a CIDR)
   */
  readonly zone?: string;
  /** The fewest hops to reach it: 1 = directly from the compromised workload. */
  readonly hops: number;
  /**
   * The workloads at `hops - 1` from which the target is reached in its last hop (sorted); for a
   * direct target, the compromised workload itself.
   */
  readonly via: string[];
  /** Services open on that last hop (from any of `via`), merged, in canonical text form. */
  readonly services: string[];
  /**
   * One shortest path of workload names from the compromised workload to the target, both
   * included (the lexicographically smallest among the shortest).
   */
  readonly path: string[];
}

/**
 * What an attacker who controls one workload can reach: directly (one hop) and transitively, by
 * pivoting through every workload it can reach. CIDR targets (outside the model) are reported
 * but never pivoted through.
 */
export interface BlastRadius {
  /** The compromised workload. */
  readonly workload: string;
  /** Targets reachable in one hop, sorted by kind then name. */
  readonly direct: BlastRadiusTarget[];
  /** Every reachable target (including the direct ones), sorted by hops, kind, then name. */
  readonly reachable: BlastRadiusTarget[];
  /** How many other workloads are reachable (directly or transitively). */
  readonly reachableWorkloads: number;
  /** Zones of the reachable workloads (sorted). */
  readonly reachableZones: string[];
  /** The largest hop count among the reachable targets (0 when nothing is reachable). */
  readonly maxHops: number;
}

/**
 * Summary figures of a compiled segmentation.
 */
export interface SegmentationSummary {
  /** The segmentation's name. */
  readonly name: string;
  /** The segmentation's enforcement mode (zones may override it). */
  readonly mode: EnforcementMode;
  /** Number of zones. */
  readonly zones: number;
  /** Number of workloads. */
  readonly workloads: number;
  /** Number of AllowFlows. */
  readonly flows: number;
  /** Number of DenyFlows. */
  readonly denies: number;
  /** Number of compiled IR rules (one per source, destination and merged service). */
  readonly rules: number;
  /**
   * IR rules that another rule already covers (e.g. a /24 peer rule next to a 0.0.0.0/0 rule on
   * the same ports). The compiler keeps them so each flow keeps its own rules; a backend may drop
   * them to fit a quota without changing what is allowed.
   */
  readonly subsumedRules: number;
  /**
   * Ordered pairs of distinct workloads (a, b) where a may reach b on at least one service.
   */
  readonly allowedPairs: number;
  /** Every ordered pair of distinct workloads: n * (n - 1). */
  readonly totalPairs: number;
  /** `allowedPairs / totalPairs` (0 when there are fewer than two workloads). */
  readonly allowedPairRatio: number;
  /**
   * Workloads that accept traffic from some address outside the private and special-purpose
   * ranges (RFC 1918, RFC 6598, loopback, link-local, IPv6 ULA), sorted.
   */
  readonly internetExposed: string[];
  /**
   * Zones in MONITOR mode (sorted): their catch-all allow lets everything pass, so the figures
   * above describe what enforcement would allow, not what passes today.
   */
  readonly monitorZones: string[];
  /** Number of warnings that were not acknowledged. */
  readonly warnings: number;
}

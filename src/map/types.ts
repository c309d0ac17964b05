/**
 * Options and results of the segmentation map and the segmentation report (plain data, jsii
 * structs).
 */
import type { Segmentation } from '../model/segmentation';

/** Where the model comes from: a manifest file, or a segmentation in this process. */
export interface ModelSourceOptions {
  /**
   * The `<segmentation>.microseg.json` written at synth (or the folder holding it).
   *
   * @default - none: `segmentation` must be given
   */
  readonly manifest?: string;

  /**
   * A segmentation model of this process (compiled here, so it throws the model's own errors).
   *
   * @default - none: `manifest` must be given
   */
  readonly segmentation?: Segmentation;

  /**
   * The JSON of `microseg traffic simulate --format json` for this segmentation: observed,
   * would-block and unused flows.
   *
   * @default - no traffic
   * @see https://github.com/microseg/microseg/blob/main/docs/traffic.md
   */
  readonly traffic?: string;

  /**
   * The current time, for expiring flows (and for compiling a `segmentation`).
   *
   * @default - now
   */
  readonly now?: string;
}

/** How zones are drawn when the map opens. */
export enum MapCollapse {
  /** Expanded when the model has at most 300 workloads, collapsed otherwise. */
  AUTO = 'auto',
  /** Every zone collapsed into one node with aggregated edges (expand on click). */
  ALL = 'all',
  /** Every zone expanded. */
  NONE = 'none',
}

/** Options of the segmentation map. */
export interface MapOptions extends ModelSourceOptions {
  /**
   * The page title.
   *
   * @default - "<segmentation> segmentation map"
   */
  readonly title?: string;

  /**
   * Which zones are collapsed when the page opens.
   *
   * @default MapCollapse.AUTO
   */
  readonly collapse?: MapCollapse;

  /**
   * List the invariants the model declares with their verdicts (and, for a broken one, the path
   * that breaks it or what blocks it) in the side panel and the tables.
   *
   * @default false
   */
  readonly invariants?: boolean;
}

/** Options of `SegmentationMap.write`. */
export interface MapWriteOptions extends MapOptions {
  /** The HTML file to write (never an input file; written atomically). */
  readonly output: string;
}

/** What a map shows, counted. */
export interface MapSummary {
  /** The HTML file written. @default - not written (render only) */
  readonly file?: string;
  /** Bytes of the page. */
  readonly bytes: number;
  /** Zones drawn. */
  readonly zones: number;
  /** Workloads drawn. */
  readonly workloads: number;
  /** Peers outside the model (internet, on-premises ranges, unknown addresses). */
  readonly peers: number;
  /** Edges drawn at full detail (every zone expanded): allowed pairs, denies, observed traffic. */
  readonly edges: number;
  /** Whether traffic was drawn. */
  readonly traffic: boolean;
  /** Whether zones start collapsed. */
  readonly collapsed: boolean;
}

/** Options of the segmentation report. */
export interface ReportOptions extends ModelSourceOptions {
  /**
   * A flow expiring within this many days is listed as expiring.
   *
   * @default 30
   */
  readonly expiringWithinDays?: number;
}

/** Renderings of a report. */
export enum ReportFormat {
  /** Markdown for a pull-request comment. */
  MARKDOWN = 'markdown',
  /** JSON (schemaVersion 1) for dashboards. */
  JSON = 'json',
}

/** Declared flows of one owner. */
export interface ReportOwner {
  /** The owner (`(no owner)` for flows without one). */
  readonly owner: string;
  /** Declared flows. */
  readonly flows: number;
  /** Of them, never observed (with traffic). @default - no traffic */
  readonly unused?: number;
}

/** A flow that expires soon (or has expired). */
export interface ReportExpiringFlow {
  /** Construct path. */
  readonly flow: string;
  /** Declared source. */
  readonly from: string;
  /** Declared destination. */
  readonly to: string;
  /** Expiry date (ISO). */
  readonly expires: string;
  /** Days from now (negative: already expired). */
  readonly days: number;
  /** Owner. @default - none */
  readonly owner?: string;
}

/** A declared flow with no traffic in the simulated window. */
export interface ReportUnusedFlow {
  /** Construct path. */
  readonly flow: string;
  /** Declared source. */
  readonly from: string;
  /** Declared destination. */
  readonly to: string;
  /** Declared ports, e.g. `tcp:7000`. */
  readonly ports: string;
  /** Owner. @default - none */
  readonly owner?: string;
}

/** One invariant's verdict. */
export interface ReportInvariant {
  /** The invariant's construct path. */
  readonly name: string;
  /** Its kind (`ISOLATION`, `NEVER_REACH`, `MUST_REACH`). */
  readonly kind: string;
  /** Whether it holds on the model. */
  readonly holds: boolean;
  /** What it says. @default - none */
  readonly description?: string;
  /** Who owns it. @default - none */
  readonly owner?: string;
  /** Why it does not hold (the breaking path hop by hop, or what blocks it). @default - holds */
  readonly detail?: string;
}

/** Figures of the traffic part of a report. */
export interface ReportTraffic {
  /** Time window of the records (ISO start). @default - unknown */
  readonly windowStart?: string;
  /** Time window of the records (ISO end). @default - unknown */
  readonly windowEnd?: string;
  /** Accepted conversations the model allows, out of all accepted (0..1). */
  readonly conversationCoverage: number;
  /** Allowed workload pairs observed, out of allowed pairs (0..1). */
  readonly observedOfAllowed: number;
  /** Conversations the model would block. */
  readonly wouldBlock: number;
  /** Internal addresses that no workload or zone covers. */
  readonly unknownAddresses: number;
  /** Declared flows never observed. */
  readonly unused: ReportUnusedFlow[];
}

/** The segmentation report: coverage, surface, flows per owner, expiry, unused flows, invariants. */
export interface SegmentationReportData {
  /** Always 1. */
  readonly schemaVersion: number;
  /** Segmentation name. */
  readonly segmentation: string;
  /** Enforcement mode. */
  readonly mode: string;
  /** When the report was made (ISO). */
  readonly generatedAt: string;
  /** Zones. */
  readonly zones: number;
  /** Workloads covered by the model. */
  readonly workloads: number;
  /** Workloads that at least one declared flow names (as source or destination). */
  readonly workloadsWithFlows: number;
  /** Declared allow flows. */
  readonly flows: number;
  /** Declared deny guardrails. */
  readonly denies: number;
  /** Ordered workload pairs the model allows. */
  readonly allowedPairs: number;
  /** All ordered workload pairs. */
  readonly totalPairs: number;
  /** allowedPairs / totalPairs (0..1): the attack surface between workloads. */
  readonly allowedPairRatio: number;
  /** Workloads reachable from internet ranges. */
  readonly internetExposed: string[];
  /** Declared flows per owner. */
  readonly owners: ReportOwner[];
  /** Flows expiring within the window (or expired), soonest first. */
  readonly expiring: ReportExpiringFlow[];
  /** The expiry window in days. */
  readonly expiringWithinDays: number;
  /** Invariants and their verdicts (empty: none declared). */
  readonly invariants: ReportInvariant[];
  /** Traffic figures. @default - no traffic given */
  readonly traffic?: ReportTraffic;
}

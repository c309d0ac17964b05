/**
 * Traffic: discover the model from flow logs, simulate a declared model against them before
 * enforcing it, measure what it covers. DuckDB (`@duckdb/node-api`, an optional peer dependency)
 * reads the logs; it is loaded only when one of these operations runs. The `microseg traffic`
 * command wraps the same operations.
 * @see https://github.com/microseg/microseg/blob/main/docs/traffic.md
 */
import { discover } from './discover';
import { renderDiscover, renderSimulate } from './report';
import { simulate } from './simulate';
import { DiscoverOptions, DiscoverResult, SimulateOptions, SimulateResult } from './types';

export * from './types';

/** Renderings of a discover result. */
export enum DiscoverFormat {
  /** JSON, schemaVersion 1. */
  JSON = 'json',
  /** A TypeScript module that builds the discovered model with microseg's API. */
  TS = 'ts',
  /** Markdown for a pull-request comment. */
  MARKDOWN = 'markdown',
  /** A table for terminals. */
  TABLE = 'table',
}

/** Renderings of a simulate result. */
export enum SimulateFormat {
  /** A table for terminals. */
  TABLE = 'table',
  /** JSON, schemaVersion 1. */
  JSON = 'json',
  /** Markdown for a pull-request comment. */
  MARKDOWN = 'markdown',
  /** SARIF 2.1.0 for code-scanning tools. */
  SARIF = 'sarif',
  /** JUnit XML for CI test reports. */
  JUNIT = 'junit',
}

/**
 * Flow-log analyses: `discover` proposes a model from observed traffic, `simulate` replays the
 * observed traffic against a declared model (its manifest).
 *
 * Both fail closed: an unreadable file, a corrupt gzip, a truncated record or an unknown field
 * set throws a `[microseg:FlowLogUnreadable]` (or `InventoryUnreadable`) error instead of a
 * partial result. A missing `@duckdb/node-api` throws `[microseg:MissingDependency]` with the `npm i` line.
 */
export class TrafficAnalysis {
  /**
   * Reads flow logs and proposes zones, workloads and flows.
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html
   */
  public static async discover(options: DiscoverOptions): Promise<DiscoverResult> {
    return discover(options);
  }

  /**
   * Replays the conversations of flow logs against a declared model: each conversation is
   * `allowed` (with the flows that allow it), `wouldBlock` or `rejected`; `exitCode` is 1 when
   * anything would be blocked.
   */
  public static async simulate(options: SimulateOptions): Promise<SimulateResult> {
    return simulate(options);
  }

  /** Renders a discover result. */
  public static renderDiscover(result: DiscoverResult, format: DiscoverFormat): string {
    return renderDiscover(result, format);
  }

  /** Renders a simulate result. */
  public static renderSimulation(result: SimulateResult, format: SimulateFormat): string {
    return renderSimulate(result, format);
  }

  private constructor() {}
}

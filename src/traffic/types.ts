/**
 * Public types of the `traffic` submodule: the options and results of `discover` and
 * `simulate`, shaped like their JSON output (schemaVersion 1, see docs/traffic.md).
 * Plain jsii structs: no DuckDB types, no unions.
 */

/** Record counts of one read. */
export interface TrafficRecordCounts {
  /** Every record read (traffic, NODATA/SKIPDATA and rejects). */
  readonly read: number;
  /** Records that describe traffic (log-status OK), accepted or rejected. */
  readonly traffic: number;
  /** NODATA and SKIPDATA records: counted, never parsed as traffic. */
  readonly skipped: number;
  /** REJECT records (attempts today's rules stop). */
  readonly rejected: number;
}

/** The time window of the records read. */
export interface TrafficWindow {
  /** ISO 8601 time of the earliest record start. */
  readonly start: string;
  /** ISO 8601 time of the latest record end. */
  readonly end: string;
}

/** Options shared by `discover` and `simulate`. */
export interface TrafficReadOptions {
  /**
   * Flow log files or folders (walked recursively; AWS S3 layouts plain and Hive-style), each
   * recognised by content: AWS VPC Flow Logs text (S3 delivery, CloudWatch Logs export) and
   * Parquet, Azure VNet flow logs (version 4) and NSG flow logs (versions 1-2), GCP VPC Flow Logs
   * (Cloud Logging JSON lines or array; BigQuery exports as JSON, CSV or Parquet).
   * @see https://github.com/microseg/microseg/blob/main/docs/traffic.md
   */
  readonly logs: string[];
  /**
   * Saved inventory JSON files, recognised by content: `aws ec2 describe-instances`,
   * `describe-network-interfaces`, `describe-subnets`, `describe-security-groups`;
   * `az network nic list`, `az network asg list`, `az network vnet subnet list`;
   * `gcloud compute instances list --format=json`, `gcloud compute networks subnets list --format=json`.
   * @default - identities from the manifest's workload and zone `cidrs` only
   */
  readonly inventory?: string[];
  /**
   * Clouds whose inventory is read live (`aws`, `azure`, `gcp`) through their SDKs (as the audit
   * reads them, loaded on demand), in addition to the `inventory` files.
   * @default - no live read
   */
  readonly live?: string[];
  /**
   * AWS regions of a live read.
   * @default - AWS_REGION
   */
  readonly regions?: string[];
  /**
   * Azure subscription of a live read.
   * @default - AZURE_SUBSCRIPTION_ID
   */
  readonly subscriptionId?: string;
  /**
   * Azure resource group of a live read.
   * @default - the whole subscription
   */
  readonly resourceGroup?: string;
  /**
   * GCP project of a live read; with the bigquery engine, also the project that runs (and pays
   * for) the query job.
   * @default - GOOGLE_CLOUD_PROJECT (live read); the credentials' project (bigquery)
   */
  readonly project?: string;
  /**
   * API endpoint of a live read (sovereign clouds, emulators).
   * @default - the SDK's endpoint resolution
   */
  readonly liveEndpoint?: string;
  /**
   * Only records (and S3 folders/files) at or after this ISO time.
   * @default - no lower bound
   */
  readonly since?: string;
  /**
   * Only records (and S3 folders/files) before this ISO time.
   * @default - no upper bound
   */
  readonly until?: string;
  /**
   * Field names of headerless AWS text (CloudWatch Logs exports), space- or comma-separated.
   * @default - the AWS default (version 2) format
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html
   */
  readonly awsFields?: string;
  /**
   * How inventory addresses become workloads: `tag:<key>` (AWS instance and interface tags, Azure
   * NIC tags, GCP labels; `tag:Name` falls back to the Azure VM or GCP instance name),
   * `asg[:<prefix>]` (the Azure application security group, prefix stripped) or
   * `network-tag[:<prefix>]` (the GCP network tag, prefix stripped).
   * @default "tag:Name"
   */
  readonly groupBy?: string;
  /**
   * How workloads become zones: `subnet` (AWS: the subnet's Name tag, else its id; Azure and
   * GCP: the subnet's name) or `tag:<key>`.
   * @default "subnet"
   */
  readonly zonesBy?: string;
  /**
   * DuckDB worker threads.
   * @default - DuckDB's default (the number of cores)
   */
  readonly threads?: number;
  /**
   * The engine that runs the plan: `duckdb` (embedded, reads `logs`), `athena` (Amazon Athena over
   * the VPC Flow Logs table, `logs` ignored) or `bigquery` (Google BigQuery over the Cloud Logging
   * export, `logs` ignored). The data-lake engines need their SDK (`@aws-sdk/client-athena`,
   * `@google-cloud/bigquery`) and bring back only aggregates.
   * @default "duckdb"
   */
  readonly engine?: string;
  /**
   * Athena: the flow log table, `table` or `database.table` (see `microseg traffic athena-ddl`).
   * @default - none (required by the athena engine)
   */
  readonly athenaTable?: string;
  /**
   * Athena: the database (Glue catalog) of the table.
   * @default - the workgroup's default
   */
  readonly athenaDatabase?: string;
  /**
   * Athena: the table's date partition column (`yyyy/MM/dd` strings) used to prune by
   * `since`/`until`; an empty string disables partition pruning.
   * @default "day"
   */
  readonly athenaPartition?: string;
  /**
   * Athena: the workgroup.
   * @default - "primary"
   */
  readonly workgroup?: string;
  /**
   * Athena: the S3 location of the query results (the only thing the query writes).
   * @default - the workgroup's result location
   */
  readonly outputLocation?: string;
  /**
   * Athena: the AWS region.
   * @default - the AWS SDK's chain (AWS_REGION, profile)
   */
  readonly region?: string;
  /**
   * BigQuery: the export table, `project.dataset.compute_googleapis_com_vpc_flows_*` (date-sharded,
   * pruned on the table suffix) or a partitioned table (pruned on `timestamp`).
   * @default - none (required by the bigquery engine)
   */
  readonly bigqueryTable?: string;
  /**
   * BigQuery: the API endpoint (a regional or private endpoint).
   * @default - https://bigquery.googleapis.com
   */
  readonly bigqueryEndpoint?: string;
  /**
   * BigQuery: only estimate the bytes the query would process (a dry run, free); the result has
   * no conversations and `engine.dryRun` set.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Data-lake engines: refuse a query that scans more bytes (BigQuery checks before running and
   * caps the bytes billed; Athena stops the query when its scan passes the limit).
   * @default - no limit
   */
  readonly maxBytes?: number;
}

/** What a data-lake engine reported about the query it ran. */
export interface EngineStats {
  /** `athena` or `bigquery`. */
  readonly engine: string;
  /** The SQL sent. */
  readonly query: string;
  /** The engine's query or job id. @default - none (dry run) */
  readonly queryId?: string;
  /** Bytes scanned (Athena `DataScannedInBytes`, BigQuery `totalBytesProcessed`, estimated on a dry run). */
  readonly bytesScanned: number;
  /** BigQuery `totalBytesBilled`. @default - not reported */
  readonly bytesBilled?: number;
  /** BigQuery `totalSlotMs`. @default - not reported */
  readonly slotMillis?: number;
  /** Athena `EngineExecutionTimeInMillis`. @default - not reported */
  readonly engineMillis?: number;
  /** Result pages read. @default - none */
  readonly resultPages?: number;
  /** Whether this was only a dry run. @default false */
  readonly dryRun?: boolean;
}

/** Options of `discover`. */
export interface DiscoverOptions extends TrafficReadOptions {
  /**
   * A manifest (`<segmentation>.microseg.json`) whose workload and zone `cidrs` name addresses.
   * @default - none
   */
  readonly manifest?: string;
  /**
   * Flows with fewer records are dropped (and counted in `dropped`).
   * @default 1
   */
  readonly minRecords?: number;
}

/** Options of `simulate`. */
export interface SimulateOptions extends TrafficReadOptions {
  /** The manifest (`<segmentation>.microseg.json`) of the declared model. */
  readonly manifest: string;
}

/** A workload proposed by discover. */
export interface DiscoveredWorkload {
  /** Workload name. */
  readonly name: string;
  /** Labels (from the grouping tag). */
  readonly labels: Record<string, string>;
  /** The addresses seen for it. */
  readonly addresses: string[];
}

/** A zone proposed by discover. */
export interface DiscoveredZone {
  /** Zone name. */
  readonly name: string;
  /** Known address ranges of the zone. */
  readonly cidrs: string[];
  /** Its workloads. */
  readonly workloads: DiscoveredWorkload[];
}

/** One observed flow (client to server on the server's ports). */
export interface DiscoveredFlow {
  /** Client identity (`workload:`, `zone:`, `ipv4:`, `ipv6:`). */
  readonly from: string;
  /** Server identity. */
  readonly to: string;
  /** `tcp`, `udp`, `icmp` or the IANA protocol number. */
  readonly protocol: string;
  /** Server ports (empty for ICMP and protocols without ports). */
  readonly ports: number[];
  /** Records counted. */
  readonly records: number;
  /** Bytes in both directions. */
  readonly bytes: number;
  /** ISO time of the first record. */
  readonly firstSeen: string;
  /** ISO time of the last record. */
  readonly lastSeen: string;
}

/** An internal address no identity source knows. */
export interface UnknownAddress {
  /** The address. */
  readonly address: string;
  /** Records that involved it. */
  readonly records: number;
  /** Identities that talked to it (or that it talked to). */
  readonly peers: string[];
}

/** What discover left out. */
export interface DroppedCounts {
  /** Flows under `minRecords`. */
  readonly belowMinRecords: number;
}

/** Result of `discover` (JSON schemaVersion 1). */
export interface DiscoverResult {
  /** Always 1. */
  readonly schemaVersion: number;
  /** Records read. */
  readonly records: TrafficRecordCounts;
  /** Window of the records. @default - no traffic read */
  readonly window?: TrafficWindow;
  /** Proposed zones and workloads. */
  readonly zones: DiscoveredZone[];
  /** Observed accepted flows. */
  readonly flows: DiscoveredFlow[];
  /** Rejected attempts (never evidence of a dependency; reported). */
  readonly rejected: DiscoveredFlow[];
  /** Unknown internal addresses. */
  readonly unknown: UnknownAddress[];
  /** What was dropped. */
  readonly dropped: DroppedCounts;
  /** The data-lake engine's figures. @default - none (the embedded engine) */
  readonly engine?: EngineStats;
}

/** One conversation replayed against the model. */
export interface SimulatedConversation {
  /** Client identity. */
  readonly from: string;
  /** Server identity. */
  readonly to: string;
  /** `tcp`, `udp`, `icmp` or the IANA number. */
  readonly protocol: string;
  /** Server port. @default - none (ICMP, all-traffic) */
  readonly port?: number;
  /** `allowed`, `wouldBlock` or `rejected`. */
  readonly verdict: string;
  /** Construct paths of the flows that allow it (for `allowed`). */
  readonly flows: string[];
  /** Records. */
  readonly records: number;
  /** Bytes. */
  readonly bytes: number;
  /** ISO time of the first record. */
  readonly firstSeen: string;
  /** ISO time of the last record. */
  readonly lastSeen: string;
}

/** A declared flow never observed. */
export interface UnusedFlow {
  /** Construct path. */
  readonly flow: string;
  /** Declared source identity. */
  readonly from: string;
  /** Declared destination identity. */
  readonly to: string;
  /** Declared ports, e.g. `tcp:7000`. */
  readonly ports: string;
}

/** Coverage figures of a simulation (0..1). */
export interface TrafficCoverage {
  /** Accepted conversations the model allows, out of all accepted conversations. */
  readonly conversations: number;
  /** Bytes of allowed conversations out of all accepted bytes. */
  readonly bytes: number;
  /** Workload pairs the model allows out of all ordered workload pairs. */
  readonly allowedPairs: number;
  /** Allowed workload pairs observed, out of allowed workload pairs. */
  readonly observedOfAllowed: number;
}

/** Result of `simulate` (JSON schemaVersion 1). */
export interface SimulateResult {
  /** Always 1. */
  readonly schemaVersion: number;
  /** Segmentation name. */
  readonly segmentation: string;
  /** Window of the records. @default - no traffic read */
  readonly window?: TrafficWindow;
  /** Record counts. */
  readonly records: TrafficRecordCounts;
  /** Conversations with verdicts. */
  readonly conversations: SimulatedConversation[];
  /** Declared flows never observed. */
  readonly unused: UnusedFlow[];
  /** Unknown internal addresses. */
  readonly unknown: UnknownAddress[];
  /** Coverage. */
  readonly coverage: TrafficCoverage;
  /** 0 nothing would be blocked, 1 something would. */
  readonly exitCode: number;
  /** The data-lake engine's figures. @default - none (the embedded engine) */
  readonly engine?: EngineStats;
}

/**
 * `microseg traffic athena-ddl`: the Athena table for VPC Flow Logs delivered to S3, as AWS
 * documents it (every field of versions 2-5, in the documented order), partitioned by `day`
 * (`yyyy/MM/dd`) with partition projection so no partition is ever loaded by hand: text (gzip
 * with a header line) or Parquet, for the default (non-Hive) S3 prefixes
 * `<location>/AWSLogs/<account>/vpcflowlogs/<region>/yyyy/MM/dd/`. The flow log's fields must be
 * the table's, in the same order (text); the engine prunes `day` by `--since/--until`.
 * @see https://docs.aws.amazon.com/athena/latest/ug/vpc-flow-logs-partition-projection.html
 * @see https://docs.aws.amazon.com/athena/latest/ug/vpc-flow-logs-partition-projection-parquet-example.html
 */
import { TrafficError } from './errors';

/** The columns of the documented table (the v2-v5 field names with `_`). */
export const ATHENA_COLUMNS: [string, string][] = [
  ['version', 'int'], ['account_id', 'string'], ['interface_id', 'string'], ['srcaddr', 'string'], ['dstaddr', 'string'],
  ['srcport', 'int'], ['dstport', 'int'], ['protocol', 'bigint'], ['packets', 'bigint'], ['bytes', 'bigint'], ['start', 'bigint'], ['end', 'bigint'],
  ['action', 'string'], ['log_status', 'string'], ['vpc_id', 'string'], ['subnet_id', 'string'], ['instance_id', 'string'], ['tcp_flags', 'int'],
  ['type', 'string'], ['pkt_srcaddr', 'string'], ['pkt_dstaddr', 'string'], ['az_id', 'string'], ['sublocation_type', 'string'],
  ['sublocation_id', 'string'], ['pkt_src_aws_service', 'string'], ['pkt_dst_aws_service', 'string'], ['flow_direction', 'string'], ['traffic_path', 'int'],
];

/** Options of the DDL. */
export interface AthenaDdlOptions {
  /** `s3://bucket/prefix` under which S3 delivery writes `AWSLogs/`. */
  readonly location: string;
  readonly format: 'text' | 'parquet';
  readonly table?: string;
  /** Account ids (enum projection). */
  readonly accounts: string[];
  /** Regions (enum projection). */
  readonly regions: string[];
  /** First day of the projected range (`yyyy/MM/dd`). */
  readonly from?: string;
}

/** The CREATE EXTERNAL TABLE statement. */
export function athenaDdl(o: AthenaDdlOptions): string {
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s'"]*)?$/.test(o.location)) {
    throw new TrafficError('InvalidOption', '--location', `"${o.location}" is not an s3://bucket/prefix location`, 'e.g. s3://my-flow-logs/prefix');
  }
  const table = o.table ?? 'vpc_flow_logs';
  if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$/.test(table)) throw new TrafficError('InvalidOption', '--table', `"${table}" is not a valid table name`);
  if (!o.accounts.length || o.accounts.some(a => !/^\d{12}$/.test(a))) throw new TrafficError('InvalidOption', '--account', `"${o.accounts.join(',')}" is not a list of 12-digit account ids`);
  if (!o.regions.length || o.regions.some(r => !/^[a-z]{2}(-[a-z]+)+-\d$/.test(r))) throw new TrafficError('InvalidOption', '--region', `"${o.regions.join(',')}" is not a list of AWS regions`);
  const from = o.from ?? '2020/01/01';
  if (!/^\d{4}\/\d{2}\/\d{2}$/.test(from)) throw new TrafficError('InvalidOption', '--from', `"${from}" is not a yyyy/MM/dd day`);
  const base = o.location.replace(/\/+$/, '');
  const cols = ATHENA_COLUMNS.map(([n, t]) => `  ${n === 'end' || n === 'start' ? `\`${n}\`` : n} ${t}`).join(',\n');
  const storage = o.format === 'parquet'
    ? "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'\n" +
      "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'\n" +
      "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'"
    : "ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '";
  const props = [
    ...(o.format === 'text' ? ['"skip.header.line.count" = "1"'] : ['"EXTERNAL" = "true"']),
    '"projection.enabled" = "true"',
    '"projection.accid.type" = "enum"', `"projection.accid.values" = "${o.accounts.join(',')}"`,
    '"projection.region.type" = "enum"', `"projection.region.values" = "${o.regions.join(',')}"`,
    '"projection.day.type" = "date"', `"projection.day.range" = "${from},NOW"`, '"projection.day.format" = "yyyy/MM/dd"',
    '"projection.day.interval" = "1"', '"projection.day.interval.unit" = "DAYS"',
    `"storage.location.template" = "${base}/AWSLogs/\${accid}/vpcflowlogs/\${region}/\${day}"`,
  ];
  return `CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (\n${cols}\n)\nPARTITIONED BY (accid string, region string, day string)\n${storage}\n` +
    `LOCATION '${base}/AWSLogs/'\nTBLPROPERTIES (\n  ${props.join(',\n  ')}\n);\n`;
}

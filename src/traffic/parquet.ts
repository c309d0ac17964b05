/**
 * AWS VPC Flow Logs delivered to S3 as Parquet: the same fields as the text format, typed
 * (ports and protocol INT_32, packets, bytes, start and end INT_64), named with underscores
 * (`log_status`, `tcp_flags`, `pkt_srcaddr`; hyphenated names are accepted too). Files with the
 * same columns are read by one `read_parquet`.
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3.html
 */
import { AWS_FIELDS } from './aws-text';
import { sqlString } from './duckdb';
import { TrafficError } from './errors';

/** The AWS field (hyphenated) a Parquet column stands for, if any. */
export function awsParquetField(column: string): string | undefined {
  const f = column.toLowerCase().replace(/_/g, '-');
  return f in AWS_FIELDS ? f : undefined;
}

/** Whether a Parquet file's columns are those of AWS flow logs. */
export function isAwsParquet(columns: string[]): boolean {
  const fields = columns.map(awsParquetField);
  return fields.includes('srcaddr') && fields.includes('dstaddr');
}

/** The normalised record columns of a group of AWS Parquet files with the given columns. */
export function awsParquetSelect(files: string[], columns: string[], where: string): string {
  const byField = new Map<string, string>();
  for (const c of columns) {
    const f = awsParquetField(c);
    if (f && !byField.has(f)) byField.set(f, c);
  }
  const missing = ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol'].filter(f => !byField.has(f));
  if (missing.length) {
    throw new TrafficError('FlowLogUnreadable', where, `lacks the fields ${missing.join(', ')}`,
      'Conversations need srcaddr, dstaddr, srcport, dstport and protocol in the flow log format.');
  }
  const col = (f: string, type: string, fallback: string) => {
    const c = byField.get(f);
    if (c === undefined) return fallback;
    const q = `"${c.replace(/"/g, '""')}"`;
    return type === 'VARCHAR' ? `nullif(CAST(${q} AS VARCHAR), '-')` : `CAST(${q} AS ${type})`;
  };
  const list = `[${files.map(sqlString).join(', ')}]`;
  const src = byField.has('pkt-srcaddr') ? `coalesce(${col('pkt-srcaddr', 'VARCHAR', 'NULL')}, ${col('srcaddr', 'VARCHAR', 'NULL')})` : col('srcaddr', 'VARCHAR', 'NULL');
  const dst = byField.has('pkt-dstaddr') ? `coalesce(${col('pkt-dstaddr', 'VARCHAR', 'NULL')}, ${col('dstaddr', 'VARCHAR', 'NULL')})` : col('dstaddr', 'VARCHAR', 'NULL');
  const status = byField.has('log-status') ? col('log-status', 'VARCHAR', "'OK'") : `CASE WHEN ${col('srcaddr', 'VARCHAR', 'NULL')} IS NULL THEN 'NODATA' ELSE 'OK' END`;
  return `SELECT ${src} AS src, ${dst} AS dst, ${col('srcport', 'INTEGER', 'NULL')} AS sport, ${col('dstport', 'INTEGER', 'NULL')} AS dport, ` +
    `${col('protocol', 'INTEGER', 'NULL')} AS proto, ${col('packets', 'BIGINT', 'NULL::BIGINT')} AS packets, ${col('bytes', 'BIGINT', 'NULL::BIGINT')} AS bytes, ` +
    `${col('start', 'BIGINT', 'NULL::BIGINT')} AS tstart, ${col('end', 'BIGINT', 'NULL::BIGINT')} AS tend, ${col('action', 'VARCHAR', "'ACCEPT'")} AS action, ` +
    `${status} AS status, ${col('tcp-flags', 'INTEGER', 'NULL::INTEGER')} AS flags, NULL::INTEGER AS orient FROM read_parquet(${list})`;
}

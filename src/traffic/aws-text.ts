/**
 * AWS VPC Flow Logs as text: S3 delivery (gzip, a header line naming the fields, any selection
 * and order of the version 2-5 fields) and CloudWatch Logs exports (no header: the fields are
 * given, the default version 2 format when not). Each group of files with the same field list
 * becomes one DuckDB `read_csv` with declared column types (`account-id` is text), normalised to
 * the engine's record columns.
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html
 */
import { sqlString } from './duckdb';
import { TrafficError } from './errors';
import { FileHead, fileHead } from './file-head';

/** Every AWS field of versions 2-5 and its DuckDB type. */
export const AWS_FIELDS: Record<string, string> = {
  'version': 'INTEGER', 'account-id': 'VARCHAR', 'interface-id': 'VARCHAR', 'srcaddr': 'VARCHAR', 'dstaddr': 'VARCHAR',
  'srcport': 'INTEGER', 'dstport': 'INTEGER', 'protocol': 'INTEGER', 'packets': 'BIGINT', 'bytes': 'BIGINT',
  'start': 'BIGINT', 'end': 'BIGINT', 'action': 'VARCHAR', 'log-status': 'VARCHAR',
  'vpc-id': 'VARCHAR', 'subnet-id': 'VARCHAR', 'instance-id': 'VARCHAR', 'tcp-flags': 'INTEGER', 'type': 'VARCHAR',
  'pkt-srcaddr': 'VARCHAR', 'pkt-dstaddr': 'VARCHAR',
  'region': 'VARCHAR', 'az-id': 'VARCHAR', 'sublocation-type': 'VARCHAR', 'sublocation-id': 'VARCHAR',
  'pkt-src-aws-service': 'VARCHAR', 'pkt-dst-aws-service': 'VARCHAR', 'flow-direction': 'VARCHAR', 'traffic-path': 'INTEGER',
};

/** The default format (version 2), the fields of headerless text when none are given. */
export const AWS_DEFAULT_FIELDS = ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status'];

/** Fields without which no conversation can be rebuilt. */
const REQUIRED = ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol'];

/** How one AWS text file is laid out. */
export interface AwsTextLayout {
  readonly fields: string[];
  readonly header: boolean;
  /** CloudWatch Logs exports prefix each line with the event's ISO timestamp. */
  readonly timestampPrefix: boolean;
  readonly gzip: boolean;
}

/** The first line of a (possibly gzip) file, read without reading the whole file. */
export function firstLine(file: string, head?: FileHead): { line: string; gzip: boolean } {
  const h = head ?? fileHead(file);
  const nl = h.text.indexOf('\n');
  return { line: (nl >= 0 ? h.text.slice(0, nl) : h.text).replace(/\r$/, ''), gzip: h.gzip };
}

/** Parses `--aws-fields` (space or comma separated, `${...}` format strings accepted). */
export function parseAwsFields(text: string): string[] {
  const fields = text.replace(/\$\{([^}]+)\}/g, '$1').split(/[\s,]+/).filter(Boolean);
  const unknown = fields.filter(f => !(f in AWS_FIELDS));
  if (unknown.length) {
    throw new TrafficError('FlowLogUnreadable', '--aws-fields', `names unknown AWS flow log fields: ${unknown.join(', ')}`,
      `Known fields (versions 2-5): ${Object.keys(AWS_FIELDS).join(' ')}`);
  }
  return fields;
}

const ISO_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Works out the layout of one AWS text file from its first line (`head`: the file's head, when already read). */
export function awsTextLayout(file: string, awsFields?: string[], head?: FileHead): AwsTextLayout {
  const { line, gzip } = firstLine(file, head);
  const tokens = line.trim().split(/\s+/).filter(Boolean);
  const named = tokens.filter(t => t in AWS_FIELDS);
  let layout: AwsTextLayout;
  if (tokens.length > 0 && named.length === tokens.length) {
    layout = { fields: tokens, header: true, timestampPrefix: false, gzip };
  } else if (named.length >= 2 && named.length >= tokens.length / 2) {
    const unknown = tokens.filter(t => !(t in AWS_FIELDS));
    throw new TrafficError('FlowLogUnreadable', file, `has a header with unknown fields: ${unknown.join(', ')}`,
      'Only the fields of AWS flow log versions 2-5 are understood.');
  } else {
    const fields = awsFields ?? AWS_DEFAULT_FIELDS;
    const timestampPrefix = tokens.length === fields.length + 1 && ISO_PREFIX.test(tokens[0]);
    if (tokens.length > 0 && tokens.length !== fields.length && !timestampPrefix) {
      throw new TrafficError('FlowLogUnreadable', file, `has ${tokens.length} values per line but the format names ${fields.length} fields`,
        'Headerless text (a CloudWatch Logs export) needs --aws-fields "<the flow log\'s format>".');
    }
    layout = { fields, header: false, timestampPrefix, gzip };
  }
  const missing = REQUIRED.filter(f => !layout.fields.includes(f));
  if (missing.length) {
    throw new TrafficError('FlowLogUnreadable', file, `lacks the fields ${missing.join(', ')}`,
      'Conversations need srcaddr, dstaddr, srcport, dstport and protocol in the flow log format.');
  }
  return layout;
}

/** The key that groups files readable by one `read_csv`. */
export function layoutKey(l: AwsTextLayout): string {
  return `${l.header ? 'h' : 'n'}${l.timestampPrefix ? 't' : ''}:${l.fields.join(' ')}`;
}

const col = (f: string) => `"${f}"`;

/**
 * The normalised record columns of one group of files, as SQL over `read_csv`:
 * `src, dst, sport, dport, proto, packets, bytes, tstart, tend, action, status, flags, orient`
 * (`orient` NULL: a record does not say which side initiated the connection).
 * Behind a NAT gateway (and for EKS pods) `pkt-srcaddr/pkt-dstaddr` carry the original addresses.
 * `robust` reads each line as text and splits on runs of blanks (for files with doubled spaces).
 */
export function awsTextSelect(files: string[], l: AwsTextLayout, robust: boolean): string {
  const list = `[${files.map(sqlString).join(', ')}]`;
  const has = (f: string) => l.fields.includes(f);
  let source: string;
  if (!robust) {
    const names = [...(l.timestampPrefix ? ['cw-timestamp'] : []), ...l.fields];
    const columns = names.map(f => `${sqlString(f)}: '${f === 'cw-timestamp' ? 'VARCHAR' : AWS_FIELDS[f]}'`).join(', ');
    source = `read_csv(${list}, delim=' ', header=${l.header}, nullstr='-', quote='', escape='', auto_detect=false, strict_mode=true, columns={${columns}})`;
  } else {
    const offset = l.timestampPrefix ? 2 : 1;
    const n = l.fields.length + offset - 1;
    const parts = l.fields.map((f, i) => {
      const v = `nullif(t[${i + offset}], '-')`;
      return `CAST(${v} AS ${AWS_FIELDS[f]}) AS ${col(f)}`;
    }).join(', ');
    source = `(SELECT ${parts} FROM (SELECT CASE WHEN len(t) = ${n} THEN t ELSE error('a line has ' || len(t) || ' values, expected ${n}: ' || line) END AS t FROM (` +
      `SELECT line, regexp_split_to_array(trim(line), '\\s+') AS t FROM read_csv(${list}, delim='\\t', header=${l.header}, quote='', escape='', auto_detect=false, strict_mode=false, columns={'line': 'VARCHAR'}) WHERE trim(line) <> '')))`;
  }
  const src = has('pkt-srcaddr') ? `coalesce(${col('pkt-srcaddr')}, ${col('srcaddr')})` : col('srcaddr');
  const dst = has('pkt-dstaddr') ? `coalesce(${col('pkt-dstaddr')}, ${col('dstaddr')})` : col('dstaddr');
  const status = has('log-status') ? col('log-status') : `CASE WHEN ${col('srcaddr')} IS NULL THEN 'NODATA' ELSE 'OK' END`;
  return `SELECT ${src} AS src, ${dst} AS dst, ${col('srcport')} AS sport, ${col('dstport')} AS dport, ${col('protocol')} AS proto, ` +
    `${has('packets') ? col('packets') : 'NULL::BIGINT'} AS packets, ${has('bytes') ? col('bytes') : 'NULL::BIGINT'} AS bytes, ` +
    `${has('start') ? col('start') : 'NULL::BIGINT'} AS tstart, ${has('end') ? col('end') : 'NULL::BIGINT'} AS tend, ` +
    `${has('action') ? col('action') : "'ACCEPT'"} AS action, ${status} AS status, ` +
    `${has('tcp-flags') ? col('tcp-flags') : 'NULL::INTEGER'} AS flags, NULL::INTEGER AS orient FROM ${source}`;
}

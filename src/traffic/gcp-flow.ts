/**
 * GCP VPC Flow Logs: Cloud Logging entries (`gcloud logging read --format=json`: a JSON array;
 * sinks and exports: one entry per line), the same entries as BigQuery exports them (newline
 * delimited JSON or Parquet with the nested `jsonPayload` column), and flattened exports of the
 * BigQuery columns as CSV with a header (`jsonPayload.connection.src_ip`, `src_ip`, ...).
 *
 * `jsonPayload.connection.{src_ip,src_port,dest_ip,dest_port,protocol}`, `bytes_sent` and
 * `packets_sent` (strings or numbers), `start_time`/`end_time` (RFC 3339, or BigQuery's
 * `YYYY-MM-DD hh:mm:ss UTC`) and `reporter`. Traffic between two VMs of one VPC is reported by
 * both: a `DEST` report of a connection that also has a `SRC` report is marked `DUPLICATE`
 * (read, never traffic). Firewall Rules Logging entries in the same files are read too:
 * `disposition: DENIED` is a REJECT record. Flow logs say nothing about who initiated a
 * connection: `orient` is NULL and the plan infers the server from the traffic's shape.
 * @see https://cloud.google.com/vpc/docs/about-flow-logs-records
 * @see https://cloud.google.com/logging/docs/export/bigquery
 */
import { sqlString } from './duckdb';

/** The GCP layouts. */
export type GcpFlowKind = 'gcp-json' | 'gcp-json-array' | 'gcp-csv' | 'gcp-parquet';

const PAYLOAD = 'STRUCT(connection STRUCT(src_ip VARCHAR, src_port INTEGER, dest_ip VARCHAR, dest_port INTEGER, protocol INTEGER), ' +
  'bytes_sent VARCHAR, packets_sent VARCHAR, start_time VARCHAR, end_time VARCHAR, reporter VARCHAR, disposition VARCHAR)';
const PAYLOAD_JSON = JSON.stringify({
  jsonPayload: {
    connection: { src_ip: 'VARCHAR', src_port: 'INTEGER', dest_ip: 'VARCHAR', dest_port: 'INTEGER', protocol: 'INTEGER' },
    bytes_sent: 'VARCHAR', packets_sent: 'VARCHAR', start_time: 'VARCHAR', end_time: 'VARCHAR', reporter: 'VARCHAR', disposition: 'VARCHAR',
  },
  timestamp: 'VARCHAR',
});

/** The leaf columns a flattened export may carry, and the ones it must. */
export const GCP_COLUMNS = ['src_ip', 'src_port', 'dest_ip', 'dest_port', 'protocol', 'bytes_sent', 'packets_sent', 'start_time', 'end_time', 'reporter', 'disposition', 'timestamp'];
export const GCP_REQUIRED = ['src_ip', 'src_port', 'dest_ip', 'dest_port', 'protocol'];

/** The leaf name of a flattened column (`jsonPayload.connection.src_ip`, `jsonPayload_connection_src_ip`, `src_ip`). */
export function gcpLeaf(column: string): string | undefined {
  const c = column.trim().replace(/^"|"$/g, '');
  return GCP_COLUMNS.find(l => c === l || c.endsWith(`.${l}`) || c.endsWith(`_${l}`) && /^jsonPayload_/i.test(c));
}

const epoch = (t: string) => `CAST(floor(epoch(CAST(${t} AS TIMESTAMPTZ))) AS BIGINT)`;

/** Normalises entries with the columns `src_ip ... timestamp` (any source). */
function normalise(entries: string): string {
  const conn = '(src_ip, dest_ip, src_port, dest_port, protocol)';
  return `WITH e AS MATERIALIZED (SELECT *, CASE WHEN src_ip IS NULL OR dest_ip IS NULL OR protocol IS NULL THEN error('a GCP log entry has no jsonPayload.connection (not a VPC flow log or firewall log entry)') END AS chk FROM (${entries})), ` +
    `s AS (SELECT DISTINCT src_ip, dest_ip, src_port, dest_port, protocol FROM e WHERE reporter = 'SRC') ` +
    'SELECT src_ip AS src, dest_ip AS dst, src_port AS sport, dest_port AS dport, protocol AS proto, ' +
    'CAST(packets_sent AS BIGINT) AS packets, CAST(bytes_sent AS BIGINT) AS bytes, ' +
    `${epoch('coalesce(start_time, "timestamp")')} AS tstart, ${epoch('coalesce(end_time, start_time, "timestamp")')} AS tend, ` +
    "CASE WHEN disposition = 'DENIED' THEN 'REJECT' ELSE 'ACCEPT' END AS action, " +
    `CASE WHEN starts_with(reporter, 'DEST') AND ${conn} IN (SELECT ${conn} FROM s) THEN 'DUPLICATE' ELSE 'OK' END AS status, ` +
    `NULL::INTEGER AS flags, NULL::INTEGER AS orient FROM e WHERE chk IS NULL`;
}

const FLAT = 'jsonPayload.connection.src_ip AS src_ip, jsonPayload.connection.dest_ip AS dest_ip, jsonPayload.connection.src_port AS src_port, ' +
  'jsonPayload.connection.dest_port AS dest_port, jsonPayload.connection.protocol AS protocol, jsonPayload.bytes_sent AS bytes_sent, ' +
  'jsonPayload.packets_sent AS packets_sent, jsonPayload.start_time AS start_time, jsonPayload.end_time AS end_time, ' +
  'jsonPayload.reporter AS reporter, jsonPayload.disposition AS disposition, "timestamp"';

/**
 * The normalised record columns of a group of GCP files. `robust` reads JSON lines as text,
 * skipping blank lines and `#` comment lines (as in published test data).
 * `columns` are the header's columns of a CSV export.
 */
export function gcpSelect(kind: GcpFlowKind, files: string[], robust: boolean, opts: { gzip: boolean; columns?: string[]; maxObject: number }): string {
  const list = `[${files.map(sqlString).join(', ')}]`;
  const gz = opts.gzip ? ", compression='gzip'" : '';
  if (kind === 'gcp-csv') {
    const cols = opts.columns ?? [];
    const decl = cols.map((_c, i) => `${sqlString(`c${i}`)}: 'VARCHAR'`).join(', ');
    const pick = (leaf: string) => {
      const i = cols.findIndex(c => gcpLeaf(c) === leaf);
      return i < 0 ? 'NULL' : `nullif(c${i}, '')`;
    };
    const typed = `SELECT ${pick('src_ip')} AS src_ip, ${pick('dest_ip')} AS dest_ip, CAST(${pick('src_port')} AS INTEGER) AS src_port, ` +
      `CAST(${pick('dest_port')} AS INTEGER) AS dest_port, CAST(${pick('protocol')} AS INTEGER) AS protocol, ${pick('bytes_sent')} AS bytes_sent, ` +
      `${pick('packets_sent')} AS packets_sent, ${pick('start_time')} AS start_time, ${pick('end_time')} AS end_time, ${pick('reporter')} AS reporter, ` +
      `${pick('disposition')} AS disposition, ${pick('timestamp')} AS "timestamp" ` +
      `FROM read_csv(${list}, header=true, delim=',', quote='"', escape='"', auto_detect=false, strict_mode=true${gz}, columns={${decl}})`;
    return normalise(typed);
  }
  if (kind === 'gcp-parquet') {
    // the nested columns hold only the fields the export saw: go through JSON to the full shape
    return normalise(`SELECT ${FLAT} FROM (SELECT unnest(json_transform(to_json(p), '${PAYLOAD_JSON}')) FROM read_parquet(${list}, union_by_name=true) p)`);
  }
  if (robust && kind === 'gcp-json') {
    const lines = `SELECT line FROM read_csv(${list}, delim='\\x01', header=false, quote='', escape='', auto_detect=false, strict_mode=false${gz}, columns={'line': 'VARCHAR'}) ` +
      "WHERE trim(line) <> '' AND NOT starts_with(ltrim(line), '#')";
    return normalise(`SELECT ${FLAT} FROM (SELECT unnest(json_transform(line, '${PAYLOAD_JSON}')) FROM (${lines}))`);
  }
  const format = kind === 'gcp-json-array' ? 'array' : 'newline_delimited';
  return normalise(`SELECT ${FLAT} FROM read_json(${list}, format='${format}', maximum_object_size=${opts.maxObject}${gz}, columns={jsonPayload: '${PAYLOAD}', "timestamp": 'VARCHAR'})`);
}

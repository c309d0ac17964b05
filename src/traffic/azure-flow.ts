/**
 * Azure flow logs as stored in the storage account: VNet flow logs (version 4,
 * `records[].flowRecords.flows[].flowGroups[].flowTuples`) and NSG flow logs (versions 1 and 2,
 * `records[].properties.flows[].flows[].flowTuples`). Each file (`PT1H.json`) is one JSON object;
 * DuckDB's `read_json` reads it with declared types and the tuples are split in SQL.
 *
 * Tuples are written initiator-first, so every record carries `orient = 1` (`src` is the client):
 * - VNet v4: `epoch-ms,src,dst,sport,dport,protocol(IANA),I|O,B|C|E|D,encryption,pktsSent,bytesSent,pktsRecv,bytesRecv`
 *   (state D: denied);
 * - NSG v2: `epoch-s,src,dst,sport,dport,T|U,I|O,A|D,B|C|E,pktsSent,bytesSent,pktsRecv,bytesRecv`;
 * - NSG v1: the first eight of those.
 * States map onto the TCP flags the plan knows: B (the connection began) and D (a denied
 * attempt) are a SYN from `src` (2), E (it ended) a FIN (1). Packets and bytes are the sum of both directions.
 * @see https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview
 * @see https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview
 */
import { sqlString } from './duckdb';

/** The two Azure layouts. */
export type AzureFlowKind = 'azure-vnet' | 'azure-nsg';

const VNET_TYPE = 'STRUCT(flowLogVersion INTEGER, flowRecords STRUCT(flows STRUCT(flowGroups STRUCT("rule" VARCHAR, flowTuples VARCHAR[])[])[]))[]';
const NSG_TYPE = 'STRUCT(properties STRUCT("Version" INTEGER, flows STRUCT("rule" VARCHAR, flows STRUCT(mac VARCHAR, flowTuples VARCHAR[])[])[]))[]';

/** The `read_json` call of a group of Azure files. */
function readJson(files: string[], type: string, maxObject: number, gzip: boolean): string {
  const list = `[${files.map(sqlString).join(', ')}]`;
  return `read_json(${list}, format='auto', records=true, maximum_object_size=${maxObject}${gzip ? ", compression='gzip'" : ''}, columns={records: '${type}'})`;
}

const n = (i: number) => `CAST(nullif(f[${i}], '') AS BIGINT)`;
const sum2 = (a: number, b: number) => `(coalesce(${n(a)}, 0) + coalesce(${n(b)}, 0))`;

/**
 * The normalised record columns of a group of Azure files (see aws-text.ts `awsTextSelect`),
 * plus `orient`. A tuple with the wrong number of values, or a protocol the format does not
 * define, stops the read (fail closed).
 */
export function azureSelect(kind: AzureFlowKind, files: string[], maxObject: number, gzip: boolean): string {
  if (kind === 'azure-vnet') {
    const tuples = `SELECT unnest(g.flowTuples) AS t FROM (SELECT unnest(fl.flowGroups) AS g FROM (SELECT unnest(r.flowRecords.flows) AS fl FROM (` +
      `SELECT unnest(records) AS r FROM ${readJson(files, VNET_TYPE, maxObject, gzip)})))`;
    const checked = `SELECT CASE WHEN len(f) = 13 THEN f ELSE error('an Azure VNet flow tuple has ' || len(f) || ' values, expected 13: ' || t) END AS f ` +
      `FROM (SELECT t, string_split(t, ',') AS f FROM (${tuples}))`;
    return `SELECT f[2] AS src, f[3] AS dst, CAST(f[4] AS INTEGER) AS sport, CAST(f[5] AS INTEGER) AS dport, CAST(f[6] AS INTEGER) AS proto, ` +
      `${sum2(10, 12)} AS packets, ${sum2(11, 13)} AS bytes, CAST(f[1] AS BIGINT) // 1000 AS tstart, CAST(f[1] AS BIGINT) // 1000 AS tend, ` +
      `CASE WHEN f[8] = 'D' THEN 'REJECT' ELSE 'ACCEPT' END AS action, 'OK' AS status, ` +
      `CASE WHEN f[6] = '6' THEN CASE f[8] WHEN 'B' THEN 2 WHEN 'D' THEN 2 WHEN 'E' THEN 1 ELSE 0 END END::INTEGER AS flags, 1 AS orient FROM (${checked})`;
  }
  const tuples = `SELECT unnest(m.flowTuples) AS t FROM (SELECT unnest(rl.flows) AS m FROM (SELECT unnest(r.properties.flows) AS rl FROM (` +
    `SELECT unnest(records) AS r FROM ${readJson(files, NSG_TYPE, maxObject, gzip)})))`;
  const checked = `SELECT CASE WHEN len(f) IN (8, 13) AND f[6] IN ('T', 'U') THEN f ELSE error('an NSG flow tuple is not of version 1 or 2: ' || t) END AS f ` +
    `FROM (SELECT t, string_split(t, ',') AS f FROM (${tuples}))`;
  return `SELECT f[2] AS src, f[3] AS dst, CAST(f[4] AS INTEGER) AS sport, CAST(f[5] AS INTEGER) AS dport, CASE f[6] WHEN 'T' THEN 6 ELSE 17 END AS proto, ` +
    `CASE WHEN len(f) = 13 THEN ${sum2(10, 12)} END AS packets, CASE WHEN len(f) = 13 THEN ${sum2(11, 13)} END AS bytes, ` +
    'CAST(f[1] AS BIGINT) AS tstart, CAST(f[1] AS BIGINT) AS tend, ' +
    "CASE WHEN f[8] = 'D' THEN 'REJECT' ELSE 'ACCEPT' END AS action, 'OK' AS status, " +
    `CASE WHEN f[6] = 'T' THEN CASE WHEN f[8] = 'D' OR f[9] = 'B' THEN 2 WHEN f[9] = 'E' THEN 1 ELSE 0 END END::INTEGER AS flags, 1 AS orient FROM (${checked})`;
}

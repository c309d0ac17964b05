/**
 * Which reader reads which flow log file, recognised by content (never by name): Parquet by its
 * magic bytes and columns, JSON by the fields of its first entry (Azure VNet flow logs v4, NSG
 * flow logs v1/v2, GCP VPC Flow Logs entries), a CSV with a `src_ip`/`dest_ip` header as a
 * flattened BigQuery export, anything else as AWS text. Files of one layout are grouped so that
 * each group is one DuckDB table function. Every group yields the normalised record relation
 * `src, dst, sport, dport, proto, packets, bytes, tstart, tend, action, status, flags, orient`
 * (`orient` 1 when `src` is known to be the client, NULL when unknown).
 * @see https://github.com/microseg/microseg/blob/main/docs/traffic.md
 */
import * as fs from 'fs';
import { awsTextLayout, awsTextSelect, layoutKey, parseAwsFields } from './aws-text';
import { AzureFlowKind, azureSelect } from './azure-flow';
import { Db, sqlString } from './duckdb';
import { TrafficError } from './errors';
import { GCP_REQUIRED, gcpLeaf, GcpFlowKind, gcpSelect } from './gcp-flow';
import { fileHead, verifyGzip } from './file-head';
import { awsParquetSelect, isAwsParquet } from './parquet';

/** Every layout the readers know. */
export type LogKind = 'aws-text' | 'aws-parquet' | AzureFlowKind | GcpFlowKind;

/** One group of files read by one table function. */
export interface SourceGroup {
  readonly kind: LogKind;
  readonly files: string[];
  /** Whether the records carry TCP flags that say which end is the server (AWS `tcp-flags`). */
  readonly flags: boolean;
  /** SQL yielding the normalised record relation; `robust` is the slower, more tolerant reader. */
  select(robust: boolean): string;
}

/** What the content of a text file says it is. */
export function sniffText(text: string): LogKind | 'json-unknown' | undefined {
  const body = text.split('\n').filter(l => l.trim() !== '' && !l.trimStart().startsWith('#')).join('\n').trimStart().replace(/^\uFEFF/, '');
  if (body.startsWith('{') || body.startsWith('[')) {
    if (/"flowLogVersion"|"flowRecords"\s*:/.test(body)) return 'azure-vnet';
    if (/"NetworkSecurityGroupFlowEvent"|"properties"\s*:\s*\{\s*"Version"/.test(body)) return 'azure-nsg';
    if (/"jsonPayload"\s*:|"src_ip"\s*:/.test(body)) return body.startsWith('[') ? 'gcp-json-array' : 'gcp-json';
    return 'json-unknown';
  }
  const first = body.split('\n')[0] ?? '';
  if (first.includes(',')) {
    const leaves = first.split(',').map(gcpLeaf);
    if (GCP_REQUIRED.every(l => leaves.includes(l))) return 'gcp-csv';
  }
  return undefined;
}

/** Plans the reads of the given files; `db` inspects Parquet schemas. */
export async function planSources(files: string[], db: Db, awsFields?: string): Promise<SourceGroup[]> {
  const fields = awsFields ? parseAwsFields(awsFields) : undefined;
  const groups = new Map<string, { kind: LogKind; files: string[]; flags: boolean; make: (files: string[], robust: boolean) => string }>();
  const add = (key: string, kind: LogKind, file: string, make: (files: string[], robust: boolean) => string, flags = false) => {
    const g = groups.get(key) ?? { kind, files: [], flags, make };
    g.files.push(file);
    groups.set(key, g);
  };
  const maxObject = Math.max(16 << 20, ...files.map(f => fs.statSync(f).size + 1024));
  for (const file of files) {
    const h = fileHead(file);
    // a gzip whose last bytes are no trailer of a whole stream is inflated whole: DuckDB would
    // read a stream cut at a line boundary as a shorter file
    if (h.gzipSuspect) await verifyGzip(file);
    if (h.parquet) {
      let columns: string[];
      try {
        columns = (await db.all(`SELECT name FROM parquet_schema(${sqlString(file)}) WHERE name <> 'schema' AND num_children IS NULL OR name = 'jsonPayload'`)).map(r => String(r.name));
      } catch (e) {
        throw new TrafficError('FlowLogUnreadable', file, 'is not a readable Parquet file', (e as Error).message.split('\n')[0]);
      }
      if (columns.includes('jsonPayload')) {
        add('gcp-parquet', 'gcp-parquet', file, (fs2, r) => gcpSelect('gcp-parquet', fs2, r, { gzip: false, maxObject }));
      } else if (isAwsParquet(columns)) {
        const key = `aws-parquet:${[...columns].sort().join(',')}`;
        awsParquetSelect([file], columns, file); // checks the required fields now, before any read
        add(key, 'aws-parquet', file, fs2 => awsParquetSelect(fs2, columns, fs2[0]), columns.some(c => c === 'tcp_flags' || c === 'tcp-flags'));
      } else {
        throw new TrafficError('FlowLogUnreadable', file, 'is a Parquet file but not a recognised flow log',
          'Parquet is read as AWS VPC Flow Logs (srcaddr, dstaddr, ...) or a BigQuery export of GCP VPC Flow Logs (jsonPayload).');
      }
      continue;
    }
    const kind = sniffText(h.text);
    if (kind === 'json-unknown') {
      throw new TrafficError('FlowLogUnreadable', file, 'is JSON but not a recognised flow log',
        'JSON is read as Azure VNet flow logs (version 4), NSG flow logs (versions 1-2) or GCP VPC Flow Logs entries (Cloud Logging, BigQuery export).');
    }
    if (kind === 'azure-vnet' || kind === 'azure-nsg') {
      add(`${kind}:${h.gzip}`, kind, file, fs2 => azureSelect(kind, fs2, maxObject, h.gzip));
    } else if (kind === 'gcp-csv') {
      const columns = h.text.split('\n').find(l => l.trim() && !l.startsWith('#'))!.replace(/\r$/, '').split(',');
      add(`gcp-csv:${h.gzip}:${columns.join(',')}`, kind, file, (fs2, r) => gcpSelect(kind, fs2, r, { gzip: h.gzip, columns, maxObject }));
    } else if (kind === 'gcp-json' || kind === 'gcp-json-array') {
      add(`${kind}:${h.gzip}`, kind, file, (fs2, r) => gcpSelect(kind, fs2, r, { gzip: h.gzip, maxObject }));
    } else {
      const layout = awsTextLayout(file, fields, h);
      add(`aws-text:${layoutKey(layout)}`, 'aws-text', file, (fs2, r) => awsTextSelect(fs2, layout, r), layout.fields.includes('tcp-flags'));
    }
  }
  return [...groups.values()].map(g => ({ kind: g.kind, files: g.files, flags: g.flags, select: (robust: boolean) => g.make(g.files, robust) }));
}

/**
 * `discover`: from flow logs to a proposed model. Conversations (see engine.ts) are joined with
 * identities in DuckDB and aggregated per (client identity, server identity, protocol, port);
 * only those aggregates come back. Flows under `minRecords` are dropped and counted; REJECT
 * conversations are listed apart (attempts, not dependencies); the internet is folded into
 * `ipv4:0.0.0.0/0` / `ipv6:::/0`.
 */
import * as fs from 'fs';
import { isCidr, parseCidr } from '../ir/cidr';
import { Manifest, MANIFEST_SCHEMA_VERSION } from '../ir/manifest';
import { iso } from './engine';
import { runPlan } from './engines';
import { TrafficError } from './errors';
import { IdentityEntry, IdentityMap } from './identity';
import { checkGrouping, InventoryDoc, inventoryDocsEntries, manifestEntries, readInventoryFiles } from './inventory';
import { liveDocs } from './live';
import { DiscoveredFlow, DiscoveredZone, DiscoverOptions, DiscoverResult } from './types';

/** Reads and checks a manifest file. */
export function readManifest(file: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TrafficError('ManifestInvalid', file, 'is not a readable manifest', (e as Error).message);
  }
  if (m?.schemaVersion !== MANIFEST_SCHEMA_VERSION || !m.model || !Array.isArray(m.rules)) {
    throw new TrafficError('ManifestInvalid', file, `is not a microseg manifest of schema version ${MANIFEST_SCHEMA_VERSION}`, 'Pass the <segmentation>.microseg.json written at synth.');
  }
  const bad = unreadableRanges(m);
  if (bad.length) {
    const shown = bad.slice(0, 5).map(b => `"${b.value}" (${b.where})`).join('; ') + (bad.length > 5 ? `; and ${bad.length - 5} more` : '');
    throw new TrafficError('ManifestInvalid', file, `holds address ranges that are not CIDRs: ${shown}`,
      'A range only known at deploy time (a CfnParameter, a Terraform variable) stays a token in the manifest, and traffic needs the addresses: synthesize the model with literal ranges (e.g. a stack for this check) and pass that manifest.');
  }
  return m;
}

/** The ranges of a manifest's model and rules that are not CIDRs (tokens of values known at deploy time), with where they are. */
function unreadableRanges(m: Manifest): { value: string; where: string }[] {
  const out = new Map<string, string>();
  const check = (value: unknown, where: string) => {
    if (typeof value === 'string' && !isCidr(parseCidr(value)) && !out.has(value)) out.set(value, where);
  };
  for (const z of m.model.zones ?? []) for (const c of z.cidrs ?? []) check(c, z.path);
  for (const w of m.model.workloads ?? []) for (const c of w.cidrs ?? []) check(c, w.path);
  for (const f of [...(m.model.flows ?? []), ...(m.model.denies ?? [])]) for (const e of [f.from, f.to]) if (e?.kind === 'cidr') check(e.cidr, f.path);
  for (const r of m.rules) for (const k of [r.source, r.destination]) if (typeof k === 'string' && k.startsWith('c:')) check(k.slice(2), r.flows?.[0] ?? 'rules');
  return [...out.entries()].map(([value, where]) => ({ value, where }));
}

/** Identity entries from the manifest and inventory of the options. */
export function identityEntries(options: { manifest?: string; inventory?: string[]; groupBy?: string; zonesBy?: string; strict?: boolean }, manifest?: Manifest, live: InventoryDoc[] = []): IdentityEntry[] {
  const groupBy = options.groupBy ?? 'tag:Name';
  const zonesBy = options.zonesBy ?? 'subnet';
  checkGrouping({ groupBy, zonesBy });
  const entries: IdentityEntry[] = [];
  if (manifest) entries.push(...manifestEntries(manifest, options.manifest ?? 'manifest'));
  if (options.inventory?.length || live.length) {
    const inv = inventoryDocsEntries([...readInventoryFiles(options.inventory ?? []), ...live], { groupBy, zonesBy });
    // against a declared model, a workload name the model does not know is no workload: the
    // address stays an address (and is listed as unknown)
    const known = manifest && options.strict ? new Set(manifest.model.workloads.map(w => w.name)) : undefined;
    entries.push(...inv.map(e => (known && e.workload && !known.has(e.workload) ? { ...e, workload: undefined } : e)));
  }
  return entries;
}

interface Row { from: string; to: string; protocol: string; port: number | null; records: number; bytes: number; t0: number | null; t1: number | null }

function mergePorts(rows: Row[]): DiscoveredFlow[] {
  const byKey = new Map<string, { rows: Row[] }>();
  for (const r of rows) {
    const k = `${r.from}\u0000${r.to}\u0000${r.protocol}`;
    const g = byKey.get(k) ?? { rows: [] };
    g.rows.push(r);
    byKey.set(k, g);
  }
  const times = (rs: Row[], key: 't0' | 't1') => rs.map(r => r[key]).filter(t => t !== null && t !== undefined).map(Number);
  return [...byKey.values()].map(({ rows: rs }) => {
    const t0 = times(rs, 't0'); const t1 = times(rs, 't1');
    return {
      from: rs[0].from, to: rs[0].to, protocol: rs[0].protocol,
      ports: [...new Set(rs.map(r => r.port).filter((p): p is number => p !== null))].sort((a, b) => a - b),
      records: rs.reduce((s, r) => s + r.records, 0),
      bytes: rs.reduce((s, r) => s + r.bytes, 0),
      firstSeen: t0.length ? iso(Math.min(...t0)) ?? '' : '',
      lastSeen: t1.length ? iso(Math.max(...t1)) ?? '' : '',
    };
  })
    .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.protocol.localeCompare(b.protocol));
}

/** The identities discover resolves addresses with (the plan's `idr` table). */
export async function discoverInputs(options: DiscoverOptions): Promise<{ map: IdentityMap }> {
  const manifest = options.manifest ? readManifest(options.manifest) : undefined;
  return { map: new IdentityMap(identityEntries(options, manifest, await liveDocs(options))) };
}

/** Runs discover. */
export async function discover(options: DiscoverOptions): Promise<DiscoverResult> {
  const { map } = await discoverInputs(options);
  const minRecords = options.minRecords ?? 1;
  if (!Number.isInteger(minRecords) || minRecords < 1) throw new TrafficError('InvalidOption', '--min-records', `"${options.minRecords}" is not a positive integer`);
  const { result, stats } = await runPlan(options, map, 'discover');
  const rows: (Row & { action: string })[] = result.flows.map(f => ({
    from: f.from, to: f.to, protocol: f.protocol, port: f.port, action: f.verdict, records: f.records, bytes: f.bytes, t0: f.t0, t1: f.t1,
  }));
  const accepted = rows.filter(r => r.action !== 'REJECT');
  const kept = accepted.filter(r => r.records >= minRecords);
  // zones: every zone of the identity sources; workloads with the addresses seen
  const zones = new Map<string, { cidrs: Set<string>; workloads: Map<string, { labels: Record<string, string>; addresses: string[] }> }>();
  const zoneOf = (name: string) => {
    let z = zones.get(name);
    if (!z) { z = { cidrs: new Set(), workloads: new Map() }; zones.set(name, z); }
    return z;
  };
  for (const e of map.entries) {
    if (e.zone && !e.workload) zoneOf(e.zone).cidrs.add(e.cidr);
  }
  const labelsOf = new Map(map.entries.filter(e => e.workload).map(e => [e.workload!, e.labels ?? {}]));
  for (const r of result.workloads) {
    const z = zoneOf(r.zone ?? 'unzoned');
    const w = z.workloads.get(r.workload) ?? { labels: labelsOf.get(r.workload) ?? {}, addresses: [] };
    w.addresses.push(r.addr);
    z.workloads.set(r.workload, w);
  }
  const zoneList: DiscoveredZone[] = [...zones.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, z]) => ({
    name, cidrs: [...z.cidrs].sort(),
    workloads: [...z.workloads.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([wn, w]) => ({ name: wn, labels: w.labels, addresses: w.addresses.sort() })),
  }));
  return {
    schemaVersion: 1,
    records: result.counts,
    window: result.window,
    zones: zoneList,
    flows: mergePorts(kept),
    rejected: mergePorts(rows.filter(r => r.action === 'REJECT')),
    unknown: result.unknown,
    dropped: { belowMinRecords: accepted.length - kept.length },
    ...(stats ? { engine: stats } : {}),
  };
}

/**
 * Helpers of the traffic tests: a model built from a generated estate (workload cidrs from their
 * addresses), its manifest written to a temporary folder, and temporary folders.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AllowFlow, IFlowEndpoint, Peer, Port, Segmentation, Workload } from '../../src';
import { compile } from '../../src/ir/compile';
import { buildManifest, Manifest, serializeManifest } from '../../src/ir/manifest';
import { IrPolicy } from '../../src/ir/types';
import { GenCall, GenEstate } from '../support/traffic-generator';

/** A small shop: replicas, gRPC on 50051, a legacy database nobody knows, internet clients, rejects. */
export const SHOP: GenEstate = {
  workloads: [
    { name: 'frontend', zone: 'web', addresses: ['10.0.1.10', '10.0.1.11'] },
    { name: 'cart', zone: 'services', addresses: ['10.0.2.12', '10.0.2.13'] },
    { name: 'checkout', zone: 'services', addresses: ['10.0.2.20'] },
    { name: 'payments', zone: 'services', addresses: ['10.0.2.30'] },
    { name: 'redis', zone: 'data', addresses: ['10.0.3.5'] },
    { name: 'email', zone: 'services', addresses: ['10.0.2.40'] },
  ],
  calls: [
    { client: 'frontend', server: 'cart', protocol: 'tcp', port: 7070, connections: 6, windows: 2 },
    { client: 'cart', server: 'redis', protocol: 'tcp', port: 6379, connections: 3, windows: 4 },
    { client: 'checkout', server: 'payments', protocol: 'tcp', port: 50051, connections: 3, windows: 3 },
    { client: 'checkout', server: '10.0.2.250', protocol: 'tcp', port: 1521, connections: 2, windows: 1 },
    { client: 'frontend', server: 'redis', protocol: 'udp', port: 53000, connections: 2, windows: 1 },
    { client: '203.0.113.7', server: 'frontend', protocol: 'tcp', port: 8080, connections: 4, windows: 1 },
    { client: '198.51.100.9', server: 'frontend', protocol: 'tcp', port: 8080, connections: 2, windows: 1 },
    { client: '203.0.113.66', server: 'frontend', protocol: 'tcp', port: 22, connections: 3, windows: 1, reject: true },
  ],
};


export function tmpDir(prefix = 'microseg-traffic-'): string {
  const root = path.join(__dirname, '..', '.work');
  fs.mkdirSync(root, { recursive: true });
  return fs.mkdtempSync(path.join(root, prefix));
}

/** Builds a model of the estate; `declared` calls become AllowFlows (a raw address becomes a Peer). */
export function estateModel(estate: GenEstate, declared: GenCall[], extra?: (seg: Segmentation, w: Map<string, Workload>) => void): { seg: Segmentation; policy: IrPolicy; manifest: Manifest } {
  const seg = Segmentation.root('Shop', { name: 'shop' });
  const zones = new Map<string, ReturnType<Segmentation['addZone']>>();
  const workloads = new Map<string, Workload>();
  for (const w of estate.workloads) {
    let z = zones.get(w.zone);
    if (!z) { z = seg.addZone(w.zone, { name: w.zone }); zones.set(w.zone, z); }
    workloads.set(w.name, z.addWorkload(w.name, { name: w.name, cidrs: w.addresses.map(a => `${a}/32`) }));
  }
  const end = (who: string): IFlowEndpoint => workloads.get(who) ?? Peer.ipv4(who.includes('/') ? who : `${who}/32`);
  const ids = new Set<string>();
  for (const c of declared) {
    let id = `${c.client}-to-${c.server}-${c.protocol}${c.port}`.replace(/[^a-zA-Z0-9-]/g, '_');
    while (ids.has(id)) id += 'x';
    ids.add(id);
    new AllowFlow(seg, id, { from: end(c.client), to: end(c.server), ports: [c.protocol === 'tcp' ? Port.tcp(c.port) : Port.udp(c.port)] });
  }
  extra?.(seg, workloads);
  const policy = compile(seg, { now: new Date('2026-11-01T00:00:00Z') });
  return { seg, policy, manifest: buildManifest(policy) };
}

export function writeManifest(dir: string, m: Manifest): string {
  const file = path.join(dir, `${m.segmentation.name}.microseg.json`);
  fs.writeFileSync(file, serializeManifest(m));
  return file;
}


/**
 * The map tests' fixture: a shop with three zones, a selector, the internet, an on-premises range,
 * a deny guardrail and, in its simulation, observed, would-block and unused flows (a traffic JSON
 * written by hand in the shape of `traffic simulate --format json`, so the map tests need no
 * DuckDB).
 */
import * as fs from 'fs';
import * as path from 'path';
import { AllowFlow, DenyFlow, Peer, Port, Segmentation, Selector } from '../../src';
import { compile } from '../../src/ir/compile';
import { buildManifest, serializeManifest } from '../../src/ir/manifest';

export const NOW = '2026-11-30T00:00:00Z';

export function fixtureModel(): Segmentation {
  const shop = Segmentation.root('Shop', { name: 'shop' });
  const web = shop.addZone('Web', { name: 'web', cidrs: ['10.0.1.0/24'] });
  const services = shop.addZone('Services', { name: 'services', cidrs: ['10.0.2.0/24'] });
  const data = shop.addZone('Data', { name: 'data', cidrs: ['10.0.3.0/24'] });
  const frontend = web.addWorkload('Frontend', { name: 'frontend', labels: { tier: 'edge' } });
  web.addWorkload('Admin', { name: 'admin', labels: { tier: 'edge' } });
  services.addWorkload('Cart', { name: 'cart', labels: { app: 'api' } });
  const checkout = services.addWorkload('Checkout', { name: 'checkout', labels: { app: 'api' } });
  const payments = services.addWorkload('Payments', { name: 'payments' });
  const redis = data.addWorkload('Redis', { name: 'redis' });
  const db = data.addWorkload('Db', { name: 'db' });
  const onPrem = Peer.ipv4('10.200.0.0/16');
  new AllowFlow(shop, 'Customers', { from: Peer.anyIpv4(), to: Selector.labels({ tier: 'edge' }), ports: [Port.tcp(443)], owner: 'web-team' });
  new AllowFlow(shop, 'FrontendToApi', { from: frontend, to: Selector.labels({ app: 'api' }), ports: [Port.tcp(8080)], owner: 'web-team' });
  new AllowFlow(shop, 'CheckoutToPayments', { from: checkout, to: payments, ports: [Port.tcp(50051)], owner: 'payments-team' });
  new AllowFlow(shop, 'ApiToRedis', { from: services, to: redis, ports: [Port.tcp(6379)], owner: 'data-team' });
  new AllowFlow(shop, 'PaymentsToDb', { from: payments, to: db, ports: [Port.tcp(5432)], owner: 'payments-team', expires: '2026-12-10' });
  new AllowFlow(shop, 'OpsToAll', { from: onPrem, to: services, ports: [Port.tcp(22)], description: 'bastion access', expires: '2027-06-01' });
  new AllowFlow(shop, 'DbBackup', { from: db, to: onPrem, ports: [Port.tcp(873)], owner: 'data-team' });
  new DenyFlow(shop, 'NoSshToPayments', { from: onPrem, to: payments, ports: [Port.tcp(22)], description: 'payments are PCI scope' });
  return shop;
}

/** The traffic JSON for the fixture: observed, would-block (an unknown host and the internet) and unused flows. */
export function fixtureTraffic(): unknown {
  const c = (from: string, to: string, port: number, verdict: string, flows: string[], records: number) =>
    ({ from, to, protocol: 'tcp', port, verdict, flows, records, bytes: records * 100, firstSeen: '2026-11-01T00:00:00Z', lastSeen: '2026-11-02T00:00:00Z' });
  return {
    schemaVersion: 1,
    segmentation: 'shop',
    window: { start: '2026-11-01T00:00:00Z', end: '2026-11-02T00:00:00Z' },
    records: { read: 100, traffic: 100, skipped: 0, rejected: 0 },
    conversations: [
      c('ipv4:0.0.0.0/0', 'workload:frontend', 443, 'allowed', ['Shop/Customers'], 40),
      c('workload:frontend', 'workload:cart', 8080, 'allowed', ['Shop/FrontendToApi'], 30),
      c('workload:checkout', 'workload:payments', 50051, 'allowed', ['Shop/CheckoutToPayments'], 20),
      c('workload:payments', 'workload:db', 5432, 'allowed', ['Shop/PaymentsToDb'], 5),
      c('workload:checkout', 'ipv4:10.0.2.250', 1521, 'wouldBlock', [], 3),
      c('workload:redis', 'ipv4:0.0.0.0/0', 443, 'wouldBlock', [], 2),
    ],
    unused: [
      { flow: 'Shop/DbBackup', from: 'workload:db', to: 'ipv4:10.200.0.0/16', ports: 'tcp:873' },
      { flow: 'Shop/OpsToAll', from: 'ipv4:10.200.0.0/16', to: 'zone:services', ports: 'tcp:22' },
    ],
    unknown: [{ address: '10.0.2.250', records: 3, peers: ['workload:checkout'] }],
    coverage: { conversations: 0.9, bytes: 0.95, allowedPairs: 0.2, observedOfAllowed: 0.5 },
  };
}

/** Writes the fixture's manifest and traffic JSON into `dir`. */
export function writeFixture(dir: string): { manifest: string; traffic: string } {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = path.join(dir, 'shop.microseg.json');
  fs.writeFileSync(manifest, serializeManifest(buildManifest(compile(fixtureModel(), { now: new Date(NOW) }))));
  const traffic = path.join(dir, 'simulate.json');
  fs.writeFileSync(traffic, JSON.stringify(fixtureTraffic(), null, 2) + '\n');
  return { manifest, traffic };
}

/** A fresh folder under test/.work. */
export function workDir(name: string): string {
  const root = path.resolve(__dirname, '..', '.work');
  fs.mkdirSync(root, { recursive: true });
  return fs.mkdtempSync(path.join(root, `${name}-`));
}

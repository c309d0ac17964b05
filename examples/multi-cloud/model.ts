/**
 * One microseg model for a shop that spans three clouds:
 * - `frontend` (the web tier) on AWS,
 * - `api` (orders and payments) on Azure,
 * - `analytics` (ingest and warehouse) on GCP, in MONITOR mode while it is being onboarded.
 *
 * Every zone has `cidrs`, so flows that cross clouds can be rendered on each side with the
 * other side's address ranges. The same model object feeds the CDK app (AWS) and the CDKTF app
 * (Azure + GCP).
 */
import { AllowFlow, DenyFlow, EnforcementMode, Peer, Port, Segmentation, Zone } from '../../src';

export const shop = Segmentation.root('Shop');

export const frontend = new Zone(shop, 'Frontend', { cidrs: ['10.10.0.0/16'], labels: { tier: 'edge' } });
export const api = new Zone(shop, 'Api', { cidrs: ['10.20.0.0/16'], labels: { tier: 'core' } });
export const analytics = new Zone(shop, 'Analytics', { cidrs: ['10.30.0.0/16'], labels: { tier: 'data' }, mode: EnforcementMode.MONITOR });

export const web = frontend.addWorkload('Web', { labels: { app: 'web' } });
export const orders = api.addWorkload('Orders', { labels: { app: 'orders' } });
export const payments = api.addWorkload('Payments', { labels: { app: 'payments', pci: 'true' } });
export const ingest = analytics.addWorkload('Ingest', { labels: { app: 'ingest' } });
export const warehouse = analytics.addWorkload('Warehouse', { labels: { app: 'warehouse' } });

// internet -> web (HTTPS)
web.allowFrom(Peer.anyIpv4(), Port.tcp(443));
// web (AWS) -> orders (Azure)
orders.allowFrom(web, Port.tcp(8443));
// orders -> payments inside Azure
payments.allowFrom(orders, Port.tcp(9000));
// payments -> the card processor outside the model
payments.allowTo(Peer.ipv4('203.0.113.0/24'), Port.tcp(443));
// the api zone (Azure) -> ingest (GCP) events
new AllowFlow(shop, 'ApiEventsToIngest', { from: api, to: ingest, ports: [Port.tcp(443)], description: 'order and payment events', owner: 'data-platform' });
// ingest -> warehouse inside GCP
warehouse.allowFrom(ingest, Port.tcp(5432));
// guardrail: nothing from the edge reaches analytics, whatever is allowed later
new DenyFlow(shop, 'NoEdgeToAnalytics', { from: frontend, to: analytics, description: 'the edge never talks to analytics' });

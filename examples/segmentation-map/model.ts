/**
 * The model of the segmentation-map example: the shop of examples/traffic in its three clouds
 * (same workloads and addresses, so the shipped AWS, Azure and GCP flow logs apply: the fraud
 * scorer runs in Azure, analytics in GCP), with owners on every flow, one temporary flow that
 * expires in three weeks, a guardrail deny, and three invariants checked at synth and drawn on
 * the map: the data zone is isolated (only the services reach it), the internet never reaches
 * payments even through two compromised workloads, and checkout must reach payments.
 */
import { AllowFlow, DenyFlow, Isolation, MustReach, NeverReach, Peer, Port, Segmentation } from '../../src';

/** The temporary flow expires three weeks from `now` (an ISO date). */
export function buildModel(now: Date = new Date()): Segmentation {
  const inThreeWeeks = new Date(now.getTime() + 21 * 86_400_000).toISOString().slice(0, 10);
  const shop = Segmentation.root('Shop', { name: 'shop' });
  const web = shop.addZone('Web', { name: 'web', cidrs: ['10.0.1.0/24'] });
  const services = shop.addZone('Services', { name: 'services', cidrs: ['10.0.2.0/24'] });
  const data = shop.addZone('Data', { name: 'data', cidrs: ['10.0.3.0/24'] });
  const frontend = web.addWorkload('Frontend', { name: 'frontend', cidrs: ['10.0.1.10/32', '10.0.1.11/32'] });
  const cart = services.addWorkload('Cart', { name: 'cart', cidrs: ['10.0.2.12/32', '10.0.2.13/32'] });
  const checkout = services.addWorkload('Checkout', { name: 'checkout', cidrs: ['10.0.2.20/32'] });
  const payments = services.addWorkload('Payments', { name: 'payments', cidrs: ['10.0.2.30/32'] });
  const email = services.addWorkload('Email', { name: 'email', cidrs: ['10.0.2.40/32'] });
  const redis = data.addWorkload('Redis', { name: 'redis', cidrs: ['10.0.3.5/32'] });
  const fraud = shop.addZone('Fraud', { name: 'fraud', cidrs: ['10.1.0.0/24'] }) // Azure
    .addWorkload('Fraud', { name: 'fraud', cidrs: ['10.1.0.20/32'] });
  const analytics = shop.addZone('Analytics', { name: 'analytics', cidrs: ['10.2.0.0/24'] }) // GCP
    .addWorkload('Analytics', { name: 'analytics', cidrs: ['10.2.0.30/32'] });

  new AllowFlow(shop, 'Customers', { from: Peer.anyIpv4(), to: frontend, ports: [Port.tcp(8080)], owner: 'web-team', description: 'customers reach the storefront' });
  new AllowFlow(shop, 'FrontendToCart', { from: frontend, to: cart, ports: [Port.tcp(7070)], owner: 'web-team' });
  new AllowFlow(shop, 'FrontendCache', { from: frontend, to: redis, ports: [Port.udp(53000)], owner: 'web-team', expires: inThreeWeeks, description: 'until the cache moves behind the cart service' });
  new AllowFlow(shop, 'CartToRedis', { from: cart, to: redis, ports: [Port.tcp(6379)], owner: 'cart-team' });
  new AllowFlow(shop, 'CheckoutToPayments', { from: checkout, to: payments, ports: [Port.tcp(50051)], owner: 'payments-team' });
  new AllowFlow(shop, 'CheckoutToFraud', { from: checkout, to: fraud, ports: [Port.tcp(8443)], owner: 'payments-team', description: 'fraud scoring (Azure)' });
  new AllowFlow(shop, 'CartToAnalytics', { from: cart, to: analytics, ports: [Port.tcp(9092)], owner: 'data-team', description: 'cart events to analytics (GCP)' });
  new AllowFlow(shop, 'EmailToCart', { from: email, to: cart, ports: [Port.tcp(7000)], owner: 'cart-team' });
  new DenyFlow(shop, 'WebNeverReachesRedisDirectly', { from: web, to: data, ports: [Port.tcp(6379)], description: 'only the cart service talks to redis over its protocol' });

  new Isolation(shop, 'DataIsolated', { target: data, except: [services, frontend], description: 'only the services (and the frontend cache) reach the data zone', owner: 'data-team' });
  new NeverReach(shop, 'InternetNeverReachesPayments', { from: Peer.anyIpv4(), to: payments, maxHops: 3, description: 'PCI scope: no path from the internet to payments', owner: 'payments-team' });
  new MustReach(shop, 'CheckoutReachesPayments', { from: checkout, to: payments, ports: [Port.tcp(50051)], owner: 'payments-team' });
  return shop;
}

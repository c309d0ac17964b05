/**
 * The declared model of the traffic example: a small shop in three clouds (AWS 10.0.0.0/16, a
 * fraud-scoring VM in Azure 10.1.0.0/24, an analytics VM in GCP 10.2.0.0/24). It declares what the
 * team believes the shop needs; the flow logs show two dependencies nobody wrote down (checkout
 * calls a legacy Oracle database at 10.0.2.250 in the AWS logs; analytics reads Redis in the GCP
 * logs) and one declared flow nobody uses (email -> cart).
 */
import { AllowFlow, Peer, Port, Segmentation } from '../../src';

export function buildModel(): Segmentation {
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

  new AllowFlow(shop, 'Customers', { from: Peer.anyIpv4(), to: frontend, ports: [Port.tcp(8080)] });
  new AllowFlow(shop, 'FrontendToCart', { from: frontend, to: cart, ports: [Port.tcp(7070)] });
  new AllowFlow(shop, 'FrontendCache', { from: frontend, to: redis, ports: [Port.udp(53000)] });
  new AllowFlow(shop, 'CartToRedis', { from: cart, to: redis, ports: [Port.tcp(6379)] });
  new AllowFlow(shop, 'CheckoutToPayments', { from: checkout, to: payments, ports: [Port.tcp(50051)] });
  new AllowFlow(shop, 'CheckoutToFraud', { from: checkout, to: fraud, ports: [Port.tcp(8443)] });
  new AllowFlow(shop, 'CartToAnalytics', { from: cart, to: analytics, ports: [Port.tcp(9092)] });
  new AllowFlow(shop, 'EmailToCart', { from: email, to: cart, ports: [Port.tcp(7000)] });
  return shop;
}

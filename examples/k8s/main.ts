/**
 * Online Boutique-like shop on Kubernetes, with cdk8s: eleven services in three zones (web,
 * services, data), the internet reaching the frontend only, the payment service reaching an
 * external payment provider, and the Redis cache reachable from the cart only. The pods get the
 * microseg labels from the backend (`podLabelsFor`) through cdk8s-plus Deployments, and the same
 * model renders the NetworkPolicies.
 *
 *   npx cdk8s synth                      # from this folder (cdk8s.yaml runs main.ts) -> dist/
 *   npx tsx examples/k8s/main.ts         # from the repository root (CDK8S_OUTDIR or dist/)
 */
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Peer, Port, Segmentation, Workload } from '../../src';
import { KubernetesSegmentation } from '../../src/k8s';

/** The cluster's pod range (kind and many kubeadm clusters use 10.244.0.0/16). */
export const POD_CIDRS = ['10.244.0.0/16'];
/** The external payment provider. */
export const PAYMENT_PROVIDER = '203.0.113.0/24';

/** Builds the model: one call per app, so tests get a fresh construct tree. */
export function buildModel() {
  const segmentation = Segmentation.root('Boutique');
  const web = segmentation.addZone('Web', { name: 'web' });
  const services = segmentation.addZone('Services', { name: 'services' });
  const data = segmentation.addZone('Data', { name: 'data' });

  const svc = (zone: typeof web, name: string, port: number) => ({ w: zone.addWorkload(name, { name, labels: { app: name } }), port });
  const frontend = svc(web, 'frontend', 8080);
  const cart = svc(services, 'cart', 7070);
  const checkout = svc(services, 'checkout', 5050);
  const currency = svc(services, 'currency', 7000);
  const payment = svc(services, 'payment', 50051);
  const email = svc(services, 'email', 8080);
  const shipping = svc(services, 'shipping', 50051);
  const recommendation = svc(services, 'recommendation', 8080);
  const productcatalog = svc(services, 'productcatalog', 3550);
  const ad = svc(services, 'ad', 9555);
  const redis = svc(data, 'redis', 6379);
  const all = { frontend, cart, checkout, currency, payment, email, shipping, recommendation, productcatalog, ad, redis };

  const calls = (from: { w: Workload }, ...to: { w: Workload; port: number }[]) => to.forEach(t => t.w.allowFrom(from.w, Port.tcp(t.port)));
  frontend.w.allowFrom(Peer.anyIpv4(), Port.tcp(frontend.port));
  calls(frontend, ad, cart, checkout, currency, productcatalog, recommendation, shipping);
  calls(checkout, cart, currency, email, payment, productcatalog, shipping);
  calls(recommendation, productcatalog);
  calls(cart, redis);
  payment.w.allowTo(Peer.ipv4(PAYMENT_PROVIDER), Port.tcp(443));
  return { segmentation, services: all };
}

/** The cdk8s app: a chart with the namespaces and Deployments, a chart with the NetworkPolicies. */
export function buildApp(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  const { segmentation, services } = buildModel();
  const policies = new KubernetesSegmentation(new Chart(app, 'policies'), 'Microseg', { segmentation, podCidrs: POD_CIDRS });
  const shop = new Chart(app, 'boutique');
  const namespaces = new Set(Object.values(services).map(s => policies.namespaceFor(s.w)));
  for (const ns of [...namespaces].sort()) new kplus.Namespace(shop, `ns-${ns}`, { metadata: { name: ns } });
  for (const [name, s] of Object.entries(services)) {
    new kplus.Deployment(shop, name, {
      metadata: { name, namespace: policies.namespaceFor(s.w) },
      podMetadata: { labels: policies.podLabelsFor(s.w) },
      containers: [{ image: `example.com/boutique/${name}:v1`, portNumber: s.port, securityContext: { ensureNonRoot: false } }],
    });
  }
  return app;
}

if (require.main === module) {
  buildApp().synth();
}

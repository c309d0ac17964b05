/**
 * Label selectors and MONITOR mode on AWS.
 *
 * Workloads carry labels (merged over their zone's); flows name `Selector.labels({...})` instead
 * of individual workloads, so a new workload with the right labels is covered at the next synth.
 * The `platform` zone runs in MONITOR mode: its declared rules are rendered plus a catch-all
 * allow (`shop-monitor-catchall`, tagged `microseg:monitor=catchall`), so nothing is cut while
 * VPC flow logs show which traffic enforcement would block. The `payments` zone is enforced.
 *
 *   npx cdk synth                                   # from this folder
 *   npx cdk synth --app "npx tsx examples/aws-selectors-monitor/main.ts"
 */
import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AllowFlow, EnforcementMode, Port, Segmentation, Selector } from '../../src';
import { AwsSegmentation } from '../../src/aws';

/** The model: a root of its own. */
export function buildModel(): Segmentation {
  const shop = Segmentation.root('Platform', { name: 'platform' });
  const platform = shop.addZone('Platform', { cidrs: ['10.20.0.0/22'], labels: { env: 'prod' }, mode: EnforcementMode.MONITOR });
  const payments = shop.addZone('Payments', { cidrs: ['10.20.4.0/22'], labels: { env: 'prod', pci: 'true' } });

  platform.addWorkload('Prometheus', { labels: { role: 'monitoring' } });
  platform.addWorkload('Checkout', { labels: { app: 'checkout', scrape: 'true' } });
  platform.addWorkload('Catalog', { labels: { app: 'catalog', scrape: 'true' } });
  payments.addWorkload('Ledger', { labels: { app: 'ledger', scrape: 'true' } });
  payments.addWorkload('Tokenizer', { labels: { app: 'tokenizer', scrape: 'true' } });

  new AllowFlow(shop, 'Scrape', {
    from: Selector.labels({ role: 'monitoring' }), to: Selector.labels({ scrape: 'true' }), ports: [Port.tcp(9100)],
    description: 'Prometheus scrapes every workload labelled scrape=true', owner: 'sre',
  });
  new AllowFlow(shop, 'CheckoutPays', {
    from: Selector.labels({ app: 'checkout' }), to: Selector.labels({ pci: 'true', app: 'tokenizer' }), ports: [Port.tcp(8443)],
    description: 'Checkout tokenizes cards',
  });
  new AllowFlow(shop, 'TokenizerBooks', {
    from: Selector.labels({ app: 'tokenizer' }), to: Selector.labels({ app: 'ledger' }), ports: [Port.tcp(5000)],
    description: 'Tokenizer books payments in the ledger',
  });
  return shop;
}

/** The model this example renders. */
export const segmentation: Segmentation = buildModel();

/** Builds (does not synthesize) the CDK app. */
export function buildApp(outdir?: string): cdk.App {
  const app = new cdk.App(outdir ? { outdir } : {});
  const stack = new cdk.Stack(app, 'PlatformSelectorsMonitor', { description: 'microseg example: label selectors and MONITOR mode' });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr('10.20.0.0/16'),
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [
      { name: 'platform', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 23 },
      { name: 'payments', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 23 },
    ],
    // MONITOR mode is for studying flow logs: the catch-all traffic shows up here.
    flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
  const backend = new AwsSegmentation(stack, 'Microseg', {
    segmentation,
    vpc,
    subnets: { platform: { subnetGroupName: 'platform' }, payments: { subnetGroupName: 'payments' } },
  });
  for (const w of segmentation.workloads) {
    new cdk.CfnOutput(stack, `${w.name}-security-groups`, { value: cdk.Fn.join(',', backend.securityGroupsFor(w).map(g => g.securityGroupId)) });
  }
  return app;
}

if (require.main === module) {
  buildApp().synth();
}

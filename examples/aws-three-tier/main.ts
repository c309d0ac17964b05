/**
 * Three-tier web application on AWS: web / app / db zones in a real VPC, internet ingress to the
 * web tier, a DenyFlow guardrail (the web tier never reaches the database directly) and network
 * ACLs on every zone's subnets.
 *
 *   npx cdk synth                                   # from this folder (cdk.json runs main.ts)
 *   npx cdk synth --app "npx tsx examples/aws-three-tier/main.ts"   # from the repository root
 *
 * `MICROSEG_EXAMPLE_EXTRA_FLOW=1` adds one more flow (worker -> payments provider on tcp/8443),
 * which the repository's tests use to show with `cdk diff` that one flow changes only its rules.
 */
import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AllowFlow, DenyFlow, Peer, Port, Segmentation } from '../../src';
import { AwsSegmentation } from '../../src/aws';

/** The subnets of the VPC (CDK allocates them in this order: 10.0.0.0/24, 10.0.1.0/24, ...). */
const VPC_CIDR = '10.0.0.0/16';
const ZONE_CIDRS = { web: ['10.0.0.0/23'], app: ['10.0.2.0/23'], db: ['10.0.4.0/23'] };

export interface ModelOptions {
  /** Add the extra flow (worker -> payments provider). */
  readonly extraFlow?: boolean;
}

/** The model, a root of its own: it could feed other apps (CDKTF, audit) too. */
export function buildModel(options: ModelOptions = {}): Segmentation {
  const shop = Segmentation.root('Shop', { name: 'shop' });
  const web = shop.addZone('Web', { cidrs: ZONE_CIDRS.web, labels: { tier: 'web' } });
  const app = shop.addZone('App', { cidrs: ZONE_CIDRS.app, labels: { tier: 'app' } });
  const db = shop.addZone('Db', { cidrs: ZONE_CIDRS.db, labels: { tier: 'data' } });

  const frontend = web.addWorkload('Frontend');
  const api = app.addWorkload('Api');
  const worker = app.addWorkload('Worker');
  const postgres = db.addWorkload('Postgres');

  new AllowFlow(shop, 'PublicHttps', {
    from: Peer.anyIpv4(), to: frontend, ports: [Port.tcp(443)], description: 'Customers reach the storefront over HTTPS', owner: 'web-team',
  });
  api.allowFrom(frontend, Port.tcp(8080));
  postgres.allowFrom(app, Port.tcp(5432));
  worker.allowTo(Peer.ipv4('203.0.113.0/24'), Port.tcp(443));
  if (options.extraFlow) worker.allowTo(Peer.ipv4('198.51.100.0/24'), Port.tcp(8443));

  new DenyFlow(shop, 'WebNeverReachesDb', { from: web, to: db, description: 'The web tier never talks to the database directly' });
  return shop;
}

/** The model this example renders. */
export const segmentation: Segmentation = buildModel({ extraFlow: process.env.MICROSEG_EXAMPLE_EXTRA_FLOW === '1' });

/** Adds the VPC and the microseg backend to a stack. */
export function buildStack(stack: cdk.Stack, seg: Segmentation): AwsSegmentation {
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [
      { name: 'web', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      { name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
    flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.ALL } },
  });
  const backend = new AwsSegmentation(stack, 'Microseg', {
    segmentation: seg,
    vpc,
    subnets: {
      web: { subnetGroupName: 'web' },
      app: { subnetGroupName: 'app' },
      db: { subnetGroupName: 'db' },
    },
  });
  // Members of a workload carry ALL its groups (own, zone, source): `securityGroup: groups[0]`, then
  // `instance.addSecurityGroup(g)` for the others. The outputs list them for instances built elsewhere.
  for (const w of seg.workloads) {
    new cdk.CfnOutput(stack, `${w.name}-security-groups`, { value: cdk.Fn.join(',', backend.securityGroupsFor(w).map(g => g.securityGroupId)) });
  }
  return backend;
}

/** Builds (does not synthesize) the CDK app. */
export function buildApp(outdir?: string): cdk.App {
  const app = new cdk.App(outdir ? { outdir } : {});
  const stack = new cdk.Stack(app, 'ShopThreeTier', { description: 'microseg example: three-tier web application' });
  buildStack(stack, segmentation);
  return app;
}

if (require.main === module) {
  buildApp().synth();
}

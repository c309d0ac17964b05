/**
 * The CDK app of the multi-cloud example: the AWS part (zone `frontend`) of the same model that
 * `main.ts` renders into Azure and GCP with CDK for Terraform. Flows to zones on the other clouds
 * are rendered with those zones' `cidrs`.
 *
 * `npx cdk synth --app "npx tsx examples/multi-cloud/aws.ts"` runs it; `buildAwsApp()` is what
 * tests and the examples runner call.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { aws } from '../../src';
import { shop } from './model';

export { shop } from './model';

/** Builds (does not synthesize) the CDK app with the AWS part of the model. */
export function buildAwsApp(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  const stack = new Stack(app, 'ShopAws', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr('10.10.0.0/16'),
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'frontend', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
  });
  new aws.AwsSegmentation(stack, 'Segmentation', {
    segmentation: shop,
    vpc,
    zones: ['frontend'],
    subnets: { frontend: { subnetGroupName: 'frontend' } },
  });
  return app;
}

if (require.main === module) {
  buildAwsApp().synth();
}

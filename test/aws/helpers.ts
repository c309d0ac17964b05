/** Shared setup for the AWS backend tests: a cheap imported VPC and subnets per zone. */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSegmentation, AwsSegmentationProps } from '../../src/aws';
import { Segmentation } from '../../src';
import { buildModel, BuildOptions, ModelSpec, zoneName } from '../support/model-arbitrary';

export const VPC_CIDR = '10.0.0.0/8';

// CDK's built-in CloudFormation validation costs seconds per process; the unit and property tests
// do without it (test/aws/examples.test.ts turns it back on and checks the report is clean).
process.env.CDK_VALIDATION = 'false';

export function importedVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], vpcCidrBlock: VPC_CIDR });
}

export function subnetFor(stack: Stack, name: string): ec2.SubnetSelection {
  return { subnets: [ec2.Subnet.fromSubnetAttributes(stack, `Subnet-${name}`, { subnetId: `subnet-${hex(name)}`, availabilityZone: 'us-east-1a' })] };
}

export interface Rendered {
  app: App;
  stack: Stack;
  backend: AwsSegmentation;
  seg: Segmentation;
  template: any;
}

/** Builds a random model into a stack with a backend (NACLs on every zone when `nacls`), synthesizes it. */
export function renderSpec(spec: ModelSpec, opts: BuildOptions & { nacls?: boolean; props?: Partial<AwsSegmentationProps> } = {}): Rendered {
  const app = new App({ outdir: undefined });
  const stack = new Stack(app, 'Test');
  const vpc = importedVpc(stack);
  const { seg, workloads } = buildModel(spec, { ...opts, scope: stack });
  const subnets = opts.nacls ? Object.fromEntries(spec.zones.map((_, i) => [zoneName(i), subnetFor(stack, zoneName(i))])) : undefined;
  const backend = new AwsSegmentation(stack, 'Aws', { segmentation: seg, vpc, subnets, ...(opts.props ?? {}) });
  for (const ws of workloads) for (const w of ws) backend.securityGroupsFor(w);
  const template = app.synth().getStackByName('Test').template;
  return { app, stack, backend, seg, template };
}

/** A subnet id of the valid AWS form, stable per name. */
function hex(name: string): string {
  let h = 0;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(17, '0');
}

/** A small three-tier model (web/app/db zones with cidrs, one workload each) in a stack with an imported VPC. */
export function setup(stackName = 'Shop') {
  const app = new App();
  const stack = new Stack(app, stackName);
  const vpc = importedVpc(stack);
  const seg = new Segmentation(stack, 'Shop');
  const web = seg.addZone('Web', { cidrs: ['10.1.0.0/16'] });
  const app_ = seg.addZone('App', { cidrs: ['10.2.0.0/16'] });
  const db = seg.addZone('Db', { cidrs: ['10.3.0.0/16'] });
  const frontend = web.addWorkload('Frontend');
  const api = app_.addWorkload('Api');
  const postgres = db.addWorkload('Postgres');
  return { app, stack, vpc, seg, web, app_, db, frontend, api, postgres };
}

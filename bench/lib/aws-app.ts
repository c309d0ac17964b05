/** The CDK app both AWS measurements run in: same App options, same imported VPC. */
import { rmSync } from 'node:fs';
import type * as cdk from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { BenchPort } from '../models';

/**
 * `@aws-cdk/core:stackResourceLimit` = 0 lifts CDK's own 500-resource check
 * (`Stack.maxResources`, read from that context key; 0 disables it) so an over-limit template
 * can be synthesized and timed. Everything else is CDK's default.
 */
export const LIFT_RESOURCE_LIMIT = { '@aws-cdk/core:stackResourceLimit': 0 };

export function makeAwsApp(cdkLib: typeof cdk, ec2Lib: typeof ec2, outdir: string, stackName: string, vpcCidr: string, context: Record<string, unknown> = {}) {
  rmSync(outdir, { recursive: true, force: true });
  const app = new cdkLib.App({ outdir, context: { ...context } });
  const stack = new cdkLib.Stack(app, stackName, { env: { account: '111111111111', region: 'us-east-1' } });
  const vpc = ec2Lib.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidrBlock: vpcCidr,
    availabilityZones: ['us-east-1a', 'us-east-1b'],
  });
  return { app, stack, vpc };
}

export function toEc2Port(ec2Lib: typeof ec2, p: BenchPort): ec2.Port {
  if (p.protocol === 'tcp') return p.from === p.to ? ec2Lib.Port.tcp(p.from) : ec2Lib.Port.tcpRange(p.from, p.to);
  return p.from === p.to ? ec2Lib.Port.udp(p.from) : ec2Lib.Port.udpRange(p.from, p.to);
}

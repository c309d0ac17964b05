/**
 * Real synthesized manifests for the end-to-end audit tests: a CDK app with the AWS backend and
 * the multi-cloud example's CDKTF app (Azure and GCP backends).
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSegmentation } from '../../src/aws';
import { Manifest } from '../../src/ir/manifest';
import { Peer, Port, Segmentation } from '../../src/model';
import { tmpDir } from './helpers';

/** A three-tier shop on AWS (web, app, data with a NACL on the data subnets); returns the manifest file. */
export function synthAwsThreeTier(outdir = tmpDir('microseg-cdk-')): string {
  const app = new App({ outdir });
  const stack = new Stack(app, 'ShopStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'), maxAzs: 2, natGateways: 0,
    subnetConfiguration: [
      { name: 'web', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ],
  });
  const seg = new Segmentation(stack, 'Shop', { name: 'shop' });
  const web = seg.addZone('Web', { name: 'web', cidrs: ['10.0.0.0/23'] });
  const appZone = seg.addZone('App', { name: 'app', cidrs: ['10.0.2.0/23'] });
  const data = seg.addZone('Data', { name: 'data', cidrs: ['10.0.4.0/23'] });
  const frontend = web.addWorkload('Frontend', { name: 'frontend' });
  const api = appZone.addWorkload('Api', { name: 'api' });
  const worker = appZone.addWorkload('Worker', { name: 'worker' });
  const db = data.addWorkload('Db', { name: 'db' });
  frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
  api.allowFrom(frontend, Port.tcp(8080));
  db.allowFrom(api, Port.tcp(5432));
  db.allowFrom(worker, Port.tcp(5432));
  worker.allowTo(Peer.ipv4('198.51.100.0/24'), Port.tcp(443));
  new AwsSegmentation(stack, 'Segmentation', { segmentation: seg, vpc, subnets: { data: { subnetGroupName: 'data' } } });
  app.synth();
  return path.join(outdir, 'shop.microseg.json');
}

/** The multi-cloud example's CDKTF app synthesized; returns its manifest (Azure and GCP sections). */
export async function synthMultiCloud(outdir = tmpDir('microseg-cdktf-')): Promise<string> {
  const { buildApp } = await import('../../examples/multi-cloud/main.js');
  buildApp(outdir).synth();
  return path.join(outdir, 'shop.microseg.json');
}

export function readManifest(file: string): Manifest {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

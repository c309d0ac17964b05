/**
 * Real synthesized manifests for the end-to-end audit tests: the aws-three-tier example's CDK app
 * (AWS backend) and the multi-cloud example's CDKTF app (Azure and GCP backends).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Manifest } from '../../src/ir/manifest';
import { tmpDir } from './helpers';

/** The examples/aws-three-tier CDK app synthesized; returns its manifest. */
export async function synthAwsExample(outdir = tmpDir('microseg-cdk-example-')): Promise<string> {
  const { buildApp } = await import('../../examples/aws-three-tier/main.js');
  buildApp(outdir).synth();
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

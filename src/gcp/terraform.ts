import * as fs from 'fs';
import * as path from 'path';
import { writeManifest } from '../ir/manifest';
import { GOOGLE_PROVIDER } from '../terraform/providers';
import { terraformJson } from '../terraform/util';
import { planFromProps } from './planner';
import type { GcpSegmentationProps } from './props';
import { Cloud } from '../model/backend';

/**
 * Renders a segmentation's GCP part as plain Terraform JSON (`*.tf.json`), for teams on
 * Terraform or OpenTofu without CDK for Terraform. The rules are exactly those a
 * {@link GcpSegmentation} renders. Needs no cdktf.
 */
export class GcpTerraform {
  /**
   * The Terraform JSON document: the rules and `terraform.required_providers.google` (the google
   * major version the backend is tested against, `~> 6.0`). Configure the `google` provider
   * block (project, region) yourself.
   */
  public static render(props: GcpSegmentationProps): string {
    const backendPath = `${props?.segmentation?.node?.path ?? ''}#gcp`;
    const { plan } = planFromProps(props, backendPath);
    return JSON.stringify(terraformJson(plan.resources, GOOGLE_PROVIDER, backendPath), null, 2) + '\n';
  }

  /**
   * Writes `<segmentation>.gcp.tf.json` and the manifest `<segmentation>.microseg.json` into
   * `outdir` (created if needed; an existing manifest keeps its other clouds' sections).
   *
   * @returns the paths written: the Terraform file, then the manifest
   */
  public static write(outdir: string, props: GcpSegmentationProps): string[] {
    const backendPath = `${props?.segmentation?.node?.path ?? ''}#gcp`;
    const { plan, policy } = planFromProps(props, backendPath);
    const doc = JSON.stringify(terraformJson(plan.resources, GOOGLE_PROVIDER, backendPath), null, 2) + '\n';
    fs.mkdirSync(outdir, { recursive: true });
    const file = path.join(outdir, `${policy.segmentation.name}.gcp.tf.json`);
    fs.writeFileSync(file, doc);
    return [file, writeManifest(outdir, policy, Cloud.GCP, plan.section)];
  }

  private constructor() {}
}

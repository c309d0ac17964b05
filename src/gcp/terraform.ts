import * as fs from 'fs';
import * as path from 'path';
import { writeManifest } from '../ir/manifest';
import { terraformJson } from '../terraform/util';
import { planFromProps } from './planner';
import type { GcpSegmentationProps } from './props';

/**
 * Renders a segmentation's GCP part as plain Terraform JSON (`*.tf.json`), for teams on
 * Terraform or OpenTofu without CDK for Terraform. The rules are exactly those a
 * {@link GcpSegmentation} renders. Needs no cdktf.
 */
export class GcpTerraform {
  /** The Terraform JSON document (resources only: configure the `google` provider yourself). */
  public static render(props: GcpSegmentationProps): string {
    const { plan } = planFromProps(props, `${props?.segmentation?.node?.path ?? ''}#gcp`);
    return JSON.stringify(terraformJson(plan.resources), null, 2) + '\n';
  }

  /**
   * Writes `<segmentation>.gcp.tf.json` and the manifest `<segmentation>.microseg.json` into
   * `outdir` (created if needed; an existing manifest keeps its other clouds' sections).
   *
   * @returns the paths written: the Terraform file, then the manifest
   */
  public static write(outdir: string, props: GcpSegmentationProps): string[] {
    const { plan, policy } = planFromProps(props, `${props?.segmentation?.node?.path ?? ''}#gcp`);
    fs.mkdirSync(outdir, { recursive: true });
    const file = path.join(outdir, `${policy.segmentation.name}.gcp.tf.json`);
    fs.writeFileSync(file, JSON.stringify(terraformJson(plan.resources), null, 2) + '\n');
    return [file, writeManifest(outdir, policy, 'gcp', plan.section)];
  }

  private constructor() {}
}

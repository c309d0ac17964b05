import * as fs from 'fs';
import * as path from 'path';
import { writeManifest } from '../ir/manifest';
import { terraformJson } from '../terraform/util';
import { planFromProps } from './planner';
import type { AzureSegmentationProps } from './props';

/**
 * Renders a segmentation's Azure part as plain Terraform JSON (`*.tf.json`), for teams on
 * Terraform or OpenTofu without CDK for Terraform. The resources are exactly those an
 * {@link AzureSegmentation} renders. Needs no cdktf.
 */
export class AzureTerraform {
  /**
   * The Terraform JSON document (resources only: configure the `azurerm` provider yourself).
   */
  public static render(props: AzureSegmentationProps): string {
    const { plan } = planFromProps(props, `${props?.segmentation?.node?.path ?? ''}#azure`);
    return JSON.stringify(terraformJson(plan.resources), null, 2) + '\n';
  }

  /**
   * Writes `<segmentation>.azure.tf.json` and the manifest `<segmentation>.microseg.json` into
   * `outdir` (created if needed; an existing manifest keeps its other clouds' sections).
   *
   * @returns the paths written: the Terraform file, then the manifest
   */
  public static write(outdir: string, props: AzureSegmentationProps): string[] {
    const backendPath = `${props?.segmentation?.node?.path ?? ''}#azure`;
    const { plan, policy } = planFromProps(props, backendPath);
    fs.mkdirSync(outdir, { recursive: true });
    const file = path.join(outdir, `${policy.segmentation.name}.azure.tf.json`);
    fs.writeFileSync(file, JSON.stringify(terraformJson(plan.resources), null, 2) + '\n');
    const manifest = writeManifest(outdir, policy, 'azure', plan.section);
    return [file, manifest];
  }

  private constructor() {}
}

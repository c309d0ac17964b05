import * as fs from 'fs';
import * as path from 'path';
import { writeManifest } from '../ir/manifest';
import { AZURERM_PROVIDER } from '../terraform/providers';
import { terraformJson } from '../terraform/util';
import { planFromProps } from './planner';
import type { AzureSegmentationProps } from './props';
import { Cloud } from '../model/backend';

/**
 * Renders a segmentation's Azure part as plain Terraform JSON (`*.tf.json`), for teams on
 * Terraform or OpenTofu without CDK for Terraform. The resources are exactly those an
 * {@link AzureSegmentation} renders. Needs no cdktf.
 */
export class AzureTerraform {
  /**
   * The Terraform JSON document: the resources and `terraform.required_providers.azurerm` (the
   * azurerm major version the backend is tested against, `~> 4.0`). Configure the `azurerm`
   * provider block (features, subscription) yourself.
   */
  public static render(props: AzureSegmentationProps): string {
    const backendPath = `${props?.segmentation?.node?.path ?? ''}#azure`;
    const { plan } = planFromProps(props, backendPath);
    return JSON.stringify(terraformJson(plan.resources, AZURERM_PROVIDER, backendPath), null, 2) + '\n';
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
    const doc = JSON.stringify(terraformJson(plan.resources, AZURERM_PROVIDER, backendPath), null, 2) + '\n';
    fs.mkdirSync(outdir, { recursive: true });
    const file = path.join(outdir, `${policy.segmentation.name}.azure.tf.json`);
    fs.writeFileSync(file, doc);
    const manifest = writeManifest(outdir, policy, Cloud.AZURE, plan.section);
    return [file, manifest];
  }

  private constructor() {}
}

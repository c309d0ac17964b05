import * as fs from 'fs';
import * as path from 'path';
import { compile } from '../ir/compile';
import { writeManifest } from '../ir/manifest';
import { fail } from '../model/errors';
import { Segmentation } from '../model/segmentation';
import { terraformJson } from '../terraform/util';
import { AzurePlan, planAzure } from './plan';
import type { AzureSegmentationProps } from './props';

/** @internal Validates the props and plans the resources. */
export function planFromProps(props: AzureSegmentationProps, backendPath: string): { plan: AzurePlan; policy: ReturnType<typeof compile> } {
  if (!props || !Segmentation.isSegmentation(props.segmentation)) {
    fail('InvalidProp', backendPath, 'segmentation', 'is not a microseg Segmentation.', 'Pass `segmentation: mySegmentation`.');
  }
  for (const k of ['resourceGroupName', 'location'] as const) {
    if (typeof props[k] !== 'string' || props[k].length === 0) {
      fail('InvalidProp', backendPath, k, `is required and must be a non-empty string.`, k === 'location' ? 'E.g. location: "westeurope".' : 'E.g. resourceGroupName: rg.name.');
    }
  }
  const policy = compile(props.segmentation);
  const plan = planAzure(policy, {
    backendPath,
    resourceGroupName: props.resourceGroupName,
    location: props.location,
    zones: props.zones,
    subnetIds: props.subnetIds,
    tags: props.tags,
  });
  return { plan, policy };
}

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

import * as fs from 'fs';
import * as path from 'path';
import { compile } from '../ir/compile';
import { writeManifest } from '../ir/manifest';
import { fail } from '../model/errors';
import { Segmentation } from '../model/segmentation';
import { terraformJson } from '../terraform/util';
import { GcpPlan, planGcp } from './plan';
import { GcpIdentity, GcpSegmentationProps } from './props';

/** @internal Validates the props and plans the firewall rules. */
export function planFromProps(props: GcpSegmentationProps, backendPath: string, resolve: (v: string) => string = v => v): { plan: GcpPlan; policy: ReturnType<typeof compile> } {
  if (!props || !Segmentation.isSegmentation(props.segmentation)) {
    fail('InvalidProp', backendPath, 'segmentation', 'is not a microseg Segmentation.', 'Pass `segmentation: mySegmentation`.');
  }
  if (typeof props.network !== 'string' || props.network.length === 0) {
    fail('InvalidProp', backendPath, 'network', 'is required and must be a non-empty string.', 'E.g. network: "prod-vpc" or network: vpc.name.');
  }
  const identity = props.identity ?? GcpIdentity.NETWORK_TAG;
  if (identity !== GcpIdentity.NETWORK_TAG && identity !== GcpIdentity.SERVICE_ACCOUNT) {
    fail('InvalidProp', backendPath, identity, 'is not a GcpIdentity.', 'Use GcpIdentity.NETWORK_TAG or GcpIdentity.SERVICE_ACCOUNT.');
  }
  const policy = compile(props.segmentation);
  const plan = planGcp(policy, {
    backendPath,
    network: props.network,
    networkName: resolve(props.network),
    project: props.project,
    identity,
    serviceAccounts: props.serviceAccounts,
    zones: props.zones,
    allowPriority: props.allowPriority,
    denyPriority: props.denyPriority,
    defaultDenyPriority: props.defaultDenyPriority,
  });
  return { plan, policy };
}

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

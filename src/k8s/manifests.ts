import * as fs from 'fs';
import * as path from 'path';
import { writeManifest } from '../ir/manifest';
import { fail } from '../model/errors';
import type { Workload } from '../model/workload';
import { podLabels } from './plan';
import { planFromProps, renderYaml } from './planner';
import type { KubernetesSegmentationProps } from './props';
import { Cloud } from '../model/backend';

/**
 * Renders a segmentation's Kubernetes part as plain multi-document YAML, for clusters managed
 * with `kubectl apply`, Helm, Kustomize or GitOps, without cdk8s. The NetworkPolicies are exactly
 * those a {@link KubernetesSegmentation} renders.
 */
export class KubernetesManifests {
  /** The NetworkPolicies as multi-document YAML (namespaces sorted, then names). */
  public static render(props: KubernetesSegmentationProps): string {
    return renderYaml(planFromProps(props, KubernetesManifests.path(props)).plan);
  }

  /**
   * Writes `<segmentation>.k8s.yaml` and the manifest `<segmentation>.microseg.json` into
   * `outdir` (created if needed; an existing manifest keeps its other clouds' sections). Nothing
   * is written when the model or the props are invalid.
   *
   * @returns the paths written: the YAML file, then the manifest
   */
  public static write(outdir: string, props: KubernetesSegmentationProps): string[] {
    const { plan, policy } = planFromProps(props, KubernetesManifests.path(props));
    const yaml = renderYaml(plan);
    fs.mkdirSync(outdir, { recursive: true });
    const file = path.join(outdir, `${policy.segmentation.name}.k8s.yaml`);
    fs.writeFileSync(file, yaml);
    return [file, writeManifest(outdir, policy, Cloud.KUBERNETES, plan.section)];
  }

  /**
   * The labels a workload's pods must carry: its labels (merged over its zone's; those that are
   * not valid Kubernetes labels are left out), `microseg.io/segmentation: <segmentation>` and
   * `microseg.io/workload: <workload>`. Policies select pods by the last two.
   */
  public static podLabelsFor(workload: Workload): { [key: string]: string } {
    if (!workload || !workload.zone) fail('InvalidProp', '', workload, 'is not a microseg Workload.');
    return podLabels(workload.zone.segmentation.name, { name: workload.name, labels: workload.labels }).labels;
  }

  private static path(props: KubernetesSegmentationProps): string {
    return `${props?.segmentation?.node?.path ?? ''}#kubernetes`;
  }

  private constructor() {}
}

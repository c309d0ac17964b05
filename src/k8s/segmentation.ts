import type { App } from 'cdk8s';
import { Construct } from 'constructs';
import { IrPolicy, writeManifest, writtenSection } from '../ir';
import { fail, MicrosegError } from '../model/errors';
import type { Workload } from '../model/workload';
import { KubernetesPlan } from './plan';
import { planFromProps, renderedObjects } from './planner';
import { KubernetesSegmentationProps } from './props';
import { Cloud, ManifestCloudSection, SegmentationBackend } from '../model/backend';

/** cdk8s, loaded when a construct is created (never when the submodule is imported). */
function cdk8sModule(path: string): typeof import('cdk8s') {
  try {
    // test hook shared with the other optional dependencies: packages to treat as not installed
    if ((process.env.MICROSEG_HIDE_DEPENDENCIES ?? '').split(',').map(s => s.trim()).includes('cdk8s')) {
      throw Object.assign(new Error("Cannot find module 'cdk8s'"), { code: 'MODULE_NOT_FOUND' });
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('cdk8s') as typeof import('cdk8s');
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes("'cdk8s")) {
      throw new MicrosegError({ code: 'MissingDependency', path, value: 'cdk8s', message: 'is needed by KubernetesSegmentation (a cdk8s construct) but is not installed.', hint: 'Install it next to microseg: npm i cdk8s@^2 constructs (or write plain YAML with KubernetesManifests.write, which needs no cdk8s).' });
    }
    throw e;
  }
}

/**
 * Renders a microseg model into Kubernetes `networking.k8s.io/v1` NetworkPolicies in a cdk8s
 * chart:
 *
 * - a zone is a namespace (its name, or `namespaces`); every namespace gets a default deny
 *   (`<segmentation>-default-deny`: all pods, `policyTypes: [Ingress, Egress]`) and, unless
 *   turned off, egress to the cluster DNS (`<segmentation>-allow-dns`);
 * - a workload's pods carry `microseg.io/segmentation` and `microseg.io/workload` (see
 *   {@link podLabelsFor}); its policy `<segmentation>-<workload>-allow` holds the ingress rules
 *   of the flows towards it and the egress rules of the flows from it: a packet passes only when
 *   both sides allow it, so both are rendered;
 * - pods are peers by one element with both a `namespaceSelector` and a `podSelector` (AND);
 *   `Peer`s and zones elsewhere are `ipBlock`s, with the pod ranges and the model's other zone
 *   ranges cut out (`except`); port ranges use `endPort`; ICMP cannot be expressed and is left
 *   out with a warning;
 * - a zone in MONITOR mode gets an allow-all policy `...-monitor-catchall`, with a warning.
 *
 * Policies are additive and order-independent, so guardrails (`DenyFlow`) are already
 * subtracted from the allows by the compiler. Rendering is lazy (once, at synth, from the
 * complete model); the manifest `<segmentation>.microseg.json` is written into the app's output
 * folder. cdk8s is loaded only when this construct is created.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export class KubernetesSegmentation extends SegmentationBackend {
  private readonly props: KubernetesSegmentationProps;
  private planned?: { plan: KubernetesPlan; policy: IrPolicy };
  private rendered = false;

  constructor(scope: Construct, id: string, props: KubernetesSegmentationProps) {
    super(scope, id, Cloud.KUBERNETES, props?.segmentation);
    const cdk8s = cdk8sModule(this.node.path);
    this.props = props;
    // cdk8s validates every construct before it serialises the charts: render there, once
    this.node.addValidation({ validate: () => { this.render(cdk8s); return []; } });
  }

  /**
   * The labels the workload's pods must carry: its labels (merged over its zone's; those that
   * are not valid Kubernetes labels are left out, with a warning at synth),
   * `microseg.io/segmentation` and `microseg.io/workload`.
   *
   * @throws `microseg:UnknownWorkload` when the workload is not in this segmentation or not placed on the cluster
   */
  public podLabelsFor(workload: Workload): { [key: string]: string } {
    this.checkPlaced(workload);
    return { ...this.plan().plan.podLabels[workload.name] };
  }

  /**
   * The namespace the workload's pods must run in.
   *
   * @throws `microseg:UnknownWorkload` when the workload is not in this segmentation or not placed on the cluster
   */
  public namespaceFor(workload: Workload): string {
    this.checkPlaced(workload);
    return this.plan().plan.workloadNamespaces[workload.name];
  }

  /** Plans the model (once); the section with its expected rules in canonical order. */
  protected plannedSection(): ManifestCloudSection {
    return writtenSection(this.plan().plan.section);
  }

  private checkPlaced(workload: Workload): void {
    if (!workload || !workload.zone || workload.zone.segmentation !== this.segmentation) {
      fail('UnknownWorkload', workload?.node?.path ?? this.node.path, workload?.name, `is not part of segmentation "${this.segmentation.name}" rendered by ${this.node.path}.`);
    }
    if (this.props.zones && !this.props.zones.includes(workload.zone.name)) {
      fail('UnknownWorkload', workload.node.path, workload.name, `is in zone "${workload.zone.name}", which is not placed on the cluster by ${this.node.path}.`, `Add "${workload.zone.name}" to the backend's zones, or use the backend of the cloud it is placed on.`);
    }
  }

  private plan(): { plan: KubernetesPlan; policy: IrPolicy } {
    if (!this.planned) this.planned = planFromProps(this.props, this.node.path);
    return this.planned;
  }

  private render(cdk8s: typeof import('cdk8s')): void {
    if (this.rendered) return;
    this.rendered = true;
    const { plan, policy } = this.plan();
    for (const obj of renderedObjects(plan)) {
      const o = obj as { apiVersion: string; kind: string; metadata: { name: string; namespace: string } };
      new cdk8s.ApiObject(this, `${o.metadata.namespace}/${o.metadata.name}`.replace(/\//g, '--'), obj as unknown as import('cdk8s').ApiObjectProps);
    }
    // cdk8s has no annotation report: warnings go to the construct metadata and to stderr
    for (const w of plan.warnings) {
      const text = `[${w.id}] at ${w.path}: ${w.message}`;
      this.node.addMetadata('warning', text);
      console.warn(`[Warning] ${text}`);
    }
    const app = this.node.root as App;
    const outdir = typeof (app as { outdir?: unknown }).outdir === 'string' ? app.outdir : undefined;
    if (outdir) writeManifest(outdir, policy, this.cloud, plan.section);
  }
}

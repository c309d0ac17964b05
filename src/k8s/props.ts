import type { Segmentation } from '../model/segmentation';

/**
 * Egress to the cluster's DNS. A default-deny egress policy also blocks name resolution, so by
 * default every pod of a segmented namespace may send DNS queries (UDP and TCP 53) to the
 * cluster DNS pods, and nowhere else on port 53.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
 */
export interface KubernetesDnsOptions {
  /**
   * Whether pods of segmented namespaces may reach the cluster DNS (policy `<segmentation>-allow-dns`
   * in each namespace). Turn it off only when DNS egress is declared otherwise (e.g. a flow to a
   * node-local DNS cache address).
   *
   * @default true
   */
  readonly allow?: boolean;

  /**
   * The namespace of the DNS pods.
   *
   * @default 'kube-system'
   */
  readonly namespace?: string;

  /**
   * The labels of the DNS pods (CoreDNS keeps kube-dns's label).
   *
   * @default { 'k8s-app': 'kube-dns' }
   */
  readonly podLabels?: { [key: string]: string };
}

/**
 * Properties of a {@link KubernetesSegmentation} (and of {@link KubernetesManifests}, which
 * writes the same NetworkPolicies as plain YAML).
 */
export interface KubernetesSegmentationProps {
  /** The model to render. */
  readonly segmentation: Segmentation;

  /**
   * The zones placed on the cluster. Flows between these zones and zones elsewhere (VMs, other
   * clouds) are rendered with the other side's `cidrs` as `ipBlock` peers (synth fails with
   * `microseg:MissingCidrs` when they are missing).
   *
   * @default - every zone of the segmentation
   */
  readonly zones?: string[];

  /**
   * The namespace of each zone. Several zones may share a namespace; the control plane's
   * namespaces (`kube-system`, `kube-public`, `kube-node-lease`) are refused.
   *
   * @default - each zone's name
   */
  readonly namespaces?: { [zoneName: string]: string };

  /**
   * The cluster's pod address ranges. Pods are selected by label; these ranges are cut out of
   * every `ipBlock` (peers and zones elsewhere) with `except`, because many network plugins also
   * match `ipBlock`s against pod addresses. Required as soon as an `ipBlock` is rendered.
   *
   * @default - none (synth fails with `microseg:InvalidProp` if an `ipBlock` is needed)
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
   */
  readonly podCidrs?: string[];

  /**
   * Egress to the cluster DNS from every pod of a segmented namespace.
   *
   * @default - allowed, to pods labelled `k8s-app=kube-dns` in `kube-system`, UDP and TCP 53
   */
  readonly dns?: KubernetesDnsOptions;
}

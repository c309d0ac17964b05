/**
 * The Kubernetes objects the `k8s` backend renders, as plain data (the `networking.k8s.io/v1`
 * NetworkPolicy schema, the subset microseg uses plus what the evaluator and the audit read).
 * Internal: not part of the jsii API.
 *
 * @see https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
 */

/** A label selector (`matchLabels` AND every `matchExpressions` entry). An empty selector matches everything. */
export interface KubeLabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: { readonly key: string; readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; readonly values?: string[] }[];
}

/** An address range and the ranges cut out of it. */
export interface KubeIpBlock {
  readonly cidr: string;
  readonly except?: string[];
}

/**
 * One peer of a rule. `podSelector` and `namespaceSelector` in ONE peer mean "pods matching the
 * pod selector in namespaces matching the namespace selector" (AND); two peers are OR'ed.
 * `ipBlock` stands alone.
 */
export interface KubePeer {
  readonly podSelector?: KubeLabelSelector;
  readonly namespaceSelector?: KubeLabelSelector;
  readonly ipBlock?: KubeIpBlock;
}

/** A port (or range with `endPort`) of a protocol; no `port` means every port of the protocol. */
export interface KubePort {
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  readonly port?: number | string;
  readonly endPort?: number;
}

/** An ingress rule: traffic from any of `from` (missing = every source) on any of `ports` (missing = every port and protocol). */
export interface KubeIngressRule {
  readonly from?: KubePeer[];
  readonly ports?: KubePort[];
}

/** An egress rule: traffic to any of `to` (missing = every destination) on any of `ports`. */
export interface KubeEgressRule {
  readonly to?: KubePeer[];
  readonly ports?: KubePort[];
}

/** A NetworkPolicy object. */
export interface KubeNetworkPolicy {
  readonly apiVersion: 'networking.k8s.io/v1';
  readonly kind: 'NetworkPolicy';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec: {
    readonly podSelector: KubeLabelSelector;
    readonly policyTypes?: ('Ingress' | 'Egress')[];
    readonly ingress?: KubeIngressRule[];
    readonly egress?: KubeEgressRule[];
  };
}

/** The label every namespace carries with its own name (set by the control plane since Kubernetes 1.22). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
/** The pod label naming the segmentation. */
export const SEGMENTATION_LABEL = 'microseg.io/segmentation';
/** The pod label naming the workload. */
export const WORKLOAD_LABEL = 'microseg.io/workload';
/** The label on every rendered policy naming its generator. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/**
 * Kubernetes NetworkPolicy objects as plain data, and as canonical rules: the form the manifest
 * records for what the `k8s` backend rendered and the audit derives from live policies, so
 * Kubernetes drift is the same set difference as every cloud's. Pure: used on rendered and on
 * live objects alike (the `networking.k8s.io/v1` schema, the subset microseg reads and writes).
 *
 * Canonical form:
 * - container: `networkpolicy:<namespace>/<name>`; target: `pods:<selector>` (`pods:*` for every
 *   pod of the namespace);
 * - each direction in the policy's types gives one `deny` rule with peer `*` (the isolation the
 *   policy causes), then one `allow` rule per peer and port of each rule;
 * - peers: `pods:ns(<namespace selector>)/(<pod selector>)`, `cidr:<cidr>` with ` except <a>,<b>`,
 *   `*` (a rule without peers); ports: `tcp`/`udp`/`sctp` with `*`, `443` or `1000-2000`, or `all`.
 *
 * @see https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
 */
import { CanonicalRule, portsText, RuleAction, RuleDirection } from './canonical';

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

/** Whether a label set satisfies a selector (matchLabels AND every expression). */
export function selectorMatches(s: KubeLabelSelector | undefined, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(s?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of s?.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In': if (!has || !values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

/** The canonical container name of a policy. */
export function policyContainer(namespace: string, name: string): string {
  return `networkpolicy:${namespace}/${name}`;
}

/** A label selector as text: `k=v` pairs and expressions, sorted; `*` when empty (matches everything). */
export function selectorText(s: KubeLabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(s?.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of s?.matchExpressions ?? []) {
    const values = (e.values ?? []).slice().sort().join(',');
    parts.push(e.operator === 'Exists' ? `${e.key}` : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${e.operator.toLowerCase()} (${values})`);
  }
  return parts.length === 0 ? '*' : parts.sort().join(',');
}

/**
 * A peer as text. A peer with only a `podSelector` selects pods of the policy's own namespace,
 * so the namespace is written out: `pods:ns(kubernetes.io/metadata.name=<namespace>)/(...)` is
 * the same peer whichever way it is written.
 */
export function peerText(p: KubePeer, policyNamespace: string): string {
  if (p.ipBlock) {
    const except = (p.ipBlock.except ?? []).slice().sort();
    return `cidr:${p.ipBlock.cidr}${except.length ? ` except ${except.join(',')}` : ''}`;
  }
  const ns = p.namespaceSelector ? selectorText(p.namespaceSelector) : `kubernetes.io/metadata.name=${policyNamespace}`;
  return `pods:ns(${ns})/(${selectorText(p.podSelector)})`;
}

function portText(p: KubePort | undefined): { protocol: string; ports: string } {
  if (!p) return { protocol: 'all', ports: '*' };
  const protocol = (p.protocol ?? 'TCP').toLowerCase();
  if (p.port === undefined) return { protocol, ports: '*' };
  if (typeof p.port === 'string') return { protocol, ports: p.port };
  return { protocol, ports: portsText(p.port, p.endPort ?? p.port) };
}

/** The policy types in effect: explicit, or as the API defaults them (Ingress always, Egress when egress rules exist). */
export function effectivePolicyTypes(np: KubeNetworkPolicy): ('Ingress' | 'Egress')[] {
  if (np.spec.policyTypes && np.spec.policyTypes.length > 0) return np.spec.policyTypes;
  return np.spec.egress && np.spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/**
 * The canonical rules of one policy. `originOf(direction, ruleIndex)` names the model element a
 * rule comes from (rendered policies only).
 */
export function canonicalRulesOf(np: KubeNetworkPolicy, originOf?: (direction: 'ingress' | 'egress', index: number) => string | undefined): CanonicalRule[] {
  const ns = np.metadata.namespace;
  const container = policyContainer(ns, np.metadata.name);
  const target = `pods:${selectorText(np.spec.podSelector)}`;
  const out: CanonicalRule[] = [];
  for (const type of effectivePolicyTypes(np)) {
    const direction = type === 'Ingress' ? RuleDirection.INGRESS : RuleDirection.EGRESS;
    out.push({ container, direction, action: RuleAction.DENY, protocol: 'all', ports: '*', peer: '*', target, ...(originOf?.(direction, -1) ? { origin: originOf(direction, -1) } : {}) });
    const rules = type === 'Ingress' ? (np.spec.ingress ?? []).map(r => ({ peers: r.from, ports: r.ports })) : (np.spec.egress ?? []).map(r => ({ peers: r.to, ports: r.ports }));
    rules.forEach((r, i) => {
      const peers = r.peers && r.peers.length ? r.peers.map(p => peerText(p, ns)) : ['*'];
      const ports = r.ports && r.ports.length ? r.ports.map(portText) : [portText(undefined)];
      const origin = originOf?.(direction, i);
      for (const peer of peers) for (const p of ports) out.push({ container, direction, action: RuleAction.ALLOW, ...p, peer, target, ...(origin ? { origin } : {}) });
    });
  }
  return out;
}

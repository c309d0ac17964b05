/**
 * An evaluator of Kubernetes NetworkPolicy semantics: "does this set of policies let this packet
 * through?", written from the Kubernetes documentation, independent of how microseg renders
 * policies. It is the proof that the `k8s` backend renders exactly what the model allows (the
 * tests check it against the model's own answer on random models and packets). Pure.
 *
 * The rules it implements:
 * - a pod is isolated for ingress (egress) when at least one policy of its namespace selects it
 *   and has `Ingress` (`Egress`) in its policy types; `policyTypes` defaults to `Ingress`, plus
 *   `Egress` when the policy has egress rules;
 * - an isolated pod accepts (sends) only what at least one rule of those policies allows: policies
 *   are additive, order never matters, there is no deny;
 * - a packet between two pods passes only when the source's egress AND the destination's ingress
 *   allow it; an end that is not a pod is not restricted by NetworkPolicy;
 * - traffic between a pod and the node it runs on is always allowed;
 * - a rule matches when one of its peers matches (missing or empty: every peer) AND one of its
 *   ports matches (missing or empty: every port and protocol); a peer with `podSelector` and
 *   `namespaceSelector` selects those pods in those namespaces (AND), a `podSelector` alone
 *   selects pods of the policy's namespace, a `namespaceSelector` alone every pod of those
 *   namespaces; an empty selector matches everything;
 * - `ipBlock` matches addresses in `cidr` and in none of `except`; whether it matches pod
 *   addresses is left to the network plugin, so both readings can be evaluated
 *   (`ipBlockMatchesPods`);
 * - a port without a number matches every port of its protocol (default TCP); `endPort` makes a
 *   range; ICMP can only be matched by a rule without ports.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 * @see https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
 */
import { cidr, cidrHas } from '../ir/cidr';
import { effectivePolicyTypes, KubeNetworkPolicy, KubePeer, KubePort, NAMESPACE_NAME_LABEL, selectorMatches } from '../ir/k8s-policy';

export { selectorMatches };

/** An address. */
export interface KubeAddress {
  readonly family: 'ipv4' | 'ipv6';
  readonly value: bigint;
}

/** One end of a packet: a pod, a node, or an address outside the cluster. */
export type KubeEnd =
  | { readonly kind: 'pod'; readonly namespace: string; readonly labels: Record<string, string>; readonly address?: KubeAddress; readonly node?: string }
  | { readonly kind: 'node'; readonly name: string; readonly address?: KubeAddress }
  | { readonly kind: 'external'; readonly address: KubeAddress };

/** A packet: ends, protocol (`tcp`, `udp`, `sctp`, `icmp`, ...) and destination port. */
export interface KubePacket {
  readonly source: KubeEnd;
  readonly destination: KubeEnd;
  readonly protocol: string;
  readonly port: number;
}

/** Options of the evaluator. */
export interface KubeEvaluatorOptions {
  /** Labels of each namespace (each always carries `kubernetes.io/metadata.name`). */
  readonly namespaceLabels?: Record<string, Record<string, string>>;
  /**
   * Whether `ipBlock` peers match pod addresses. The documentation leaves it to the plugin
   * (ipBlocks are meant for addresses outside the cluster); `true` is the stricter reading.
   *
   * @default true
   */
  readonly ipBlockMatchesPods?: boolean;
}

/** Evaluates packets against a set of NetworkPolicies. */
export class NetworkPolicyEvaluator {
  private readonly byNamespace = new Map<string, KubeNetworkPolicy[]>();
  private readonly ipBlockMatchesPods: boolean;

  constructor(policies: KubeNetworkPolicy[], private readonly opts: KubeEvaluatorOptions = {}) {
    for (const p of policies) {
      const list = this.byNamespace.get(p.metadata.namespace) ?? [];
      list.push(p);
      this.byNamespace.set(p.metadata.namespace, list);
    }
    this.ipBlockMatchesPods = opts.ipBlockMatchesPods ?? true;
  }

  /** Whether the packet passes: egress at a source pod AND ingress at a destination pod. */
  public allows(p: KubePacket): boolean {
    return this.egressAllows(p) && this.ingressAllows(p);
  }

  /** Whether the source side lets the packet out (always, when the source is not a pod or not isolated for egress). */
  public egressAllows(p: KubePacket): boolean {
    const src = p.source;
    if (src.kind !== 'pod') return true;
    if (p.destination.kind === 'node' && src.node !== undefined && p.destination.name === src.node) return true;
    const applying = this.applying(src, 'Egress');
    if (applying.length === 0) return true;
    return applying.some(np => (np.spec.egress ?? []).some(r => this.peersMatch(r.to, np, p.destination) && portsMatch(r.ports, p)));
  }

  /** Whether the destination side lets the packet in (always, when the destination is not a pod or not isolated for ingress). */
  public ingressAllows(p: KubePacket): boolean {
    const dst = p.destination;
    if (dst.kind !== 'pod') return true;
    if (p.source.kind === 'node' && dst.node !== undefined && p.source.name === dst.node) return true;
    const applying = this.applying(dst, 'Ingress');
    if (applying.length === 0) return true;
    return applying.some(np => (np.spec.ingress ?? []).some(r => this.peersMatch(r.from, np, p.source) && portsMatch(r.ports, p)));
  }

  /** The policies of the pod's namespace that select it for the given direction. */
  public applying(pod: Extract<KubeEnd, { kind: 'pod' }>, type: 'Ingress' | 'Egress'): KubeNetworkPolicy[] {
    return (this.byNamespace.get(pod.namespace) ?? []).filter(np => effectivePolicyTypes(np).includes(type) && selectorMatches(np.spec.podSelector, pod.labels));
  }

  private namespaceLabels(ns: string): Record<string, string> {
    return { ...(this.opts.namespaceLabels?.[ns] ?? {}), [NAMESPACE_NAME_LABEL]: ns };
  }

  private peersMatch(peers: KubePeer[] | undefined, np: KubeNetworkPolicy, end: KubeEnd): boolean {
    if (!peers || peers.length === 0) return true;
    return peers.some(peer => this.peerMatches(peer, np, end));
  }

  private peerMatches(peer: KubePeer, np: KubeNetworkPolicy, end: KubeEnd): boolean {
    if (peer.ipBlock) {
      if (end.kind === 'pod' && !this.ipBlockMatchesPods) return false;
      const a = end.address;
      if (!a) return false;
      const block = cidr(peer.ipBlock.cidr);
      if (block.family !== a.family || !cidrHas(block, a.family, a.value)) return false;
      return !(peer.ipBlock.except ?? []).some(e => { const x = cidr(e); return x.family === a.family && cidrHas(x, a.family, a.value); });
    }
    if (!peer.podSelector && !peer.namespaceSelector) return false; // an empty peer is invalid; it selects nothing here
    if (end.kind !== 'pod') return false;
    const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, this.namespaceLabels(end.namespace)) : end.namespace === np.metadata.namespace;
    return nsOk && (!peer.podSelector || selectorMatches(peer.podSelector, end.labels));
  }
}

function portsMatch(ports: KubePort[] | undefined, p: KubePacket): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some(x => {
    if ((x.protocol ?? 'TCP').toLowerCase() !== p.protocol.toLowerCase()) return false;
    if (x.port === undefined) return true;
    if (typeof x.port === 'string') return false; // named ports need the pod's container ports: not modelled
    return x.endPort !== undefined ? x.port <= p.port && p.port <= x.endPort : p.port === x.port;
  });
}

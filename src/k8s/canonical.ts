/**
 * NetworkPolicy objects as canonical rules: the form the manifest records for what the backend
 * rendered and the audit derives from live policies, so Kubernetes drift is the same set
 * difference as every cloud's. Pure: used on rendered and on live objects alike.
 *
 * - container: `networkpolicy:<namespace>/<name>`; target: `pods:<selector>` (`*` for every pod
 *   of the namespace);
 * - each direction in the policy's types gives one `deny` rule with peer `*` (the isolation the
 *   policy causes), then one `allow` rule per peer and port of each rule;
 * - peers: `pods:ns(<namespace selector>)/(<pod selector>)`, `cidr:<cidr>` with ` except <a>,<b>`,
 *   `*` (a rule without peers); ports: `tcp`/`udp`/`sctp` with `*`, `443` or `1000-2000`, or `all`.
 */
import { CanonicalRule, portsText } from '../ir/canonical';
import { KubeLabelSelector, KubeNetworkPolicy, KubePeer, KubePort } from './types';

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
    const direction = type === 'Ingress' ? 'ingress' : 'egress';
    out.push({ container, direction, action: 'deny', protocol: 'all', ports: '*', peer: '*', target, ...(originOf?.(direction, -1) ? { origin: originOf(direction, -1) } : {}) });
    const rules = type === 'Ingress' ? (np.spec.ingress ?? []).map(r => ({ peers: r.from, ports: r.ports })) : (np.spec.egress ?? []).map(r => ({ peers: r.to, ports: r.ports }));
    rules.forEach((r, i) => {
      const peers = r.peers && r.peers.length ? r.peers.map(p => peerText(p, ns)) : ['*'];
      const ports = r.ports && r.ports.length ? r.ports.map(portText) : [portText(undefined)];
      const origin = originOf?.(direction, i);
      for (const peer of peers) for (const p of ports) out.push({ container, direction, action: 'allow', ...p, peer, target, ...(origin ? { origin } : {}) });
    });
  }
  return out;
}

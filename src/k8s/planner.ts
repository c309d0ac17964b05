/** Validation of the backend props and planning (internal, shared by the cdk8s construct and the plain YAML writer). */
import { verifyInvariants } from '../analysis/invariants';
import { compile } from '../ir/compile';
import { Packet, PacketEnd } from '../ir/semantics';
import { IrPolicy } from '../ir/types';
import { memberAddresses } from '../semantics/deployment';
import { KubeEnd, NetworkPolicyEvaluator } from '../semantics/kubernetes';
import { fail } from '../model/errors';
import { Segmentation } from '../model/segmentation';
import { KubernetesPlan, planKubernetes } from './plan';
import { KubernetesSegmentationProps } from './props';
import { sortedObject, toYamlDocuments } from './yaml';

/** Validates the props and plans the NetworkPolicies. */
export function planFromProps(props: KubernetesSegmentationProps, backendPath: string): { plan: KubernetesPlan; policy: IrPolicy } {
  if (!props || !Segmentation.isSegmentation(props.segmentation)) {
    fail('InvalidProp', backendPath, 'segmentation', 'is not a microseg Segmentation.', 'Pass `segmentation: mySegmentation`.');
  }
  if (props.dns !== undefined && (props.dns === null || typeof props.dns !== 'object')) {
    fail('InvalidProp', backendPath, props.dns, 'dns must be an object.', 'E.g. dns: { allow: false }.');
  }
  const policy = compile(props.segmentation);
  verifyInvariants(policy);
  const plan = planKubernetes(policy, {
    backendPath,
    zones: props.zones,
    namespaces: props.namespaces,
    podCidrs: props.podCidrs,
    dns: props.dns ? { allow: props.dns.allow, namespace: props.dns.namespace, podLabels: props.dns.podLabels } : undefined,
  });
  if (policy.invariants?.length) verifyInvariants(policy, { cloud: 'kubernetes', allows: clusterAllows(policy, plan), workloads: Object.keys(plan.workloadNamespaces) });
  return { plan, policy };
}

/**
 * Whether the planned NetworkPolicies let a packet of the model through: the workloads on the
 * cluster are pods (their namespace and labels, an address inside their known range), everything
 * else is an address outside the cluster.
 */
function clusterAllows(policy: IrPolicy, plan: KubernetesPlan): (p: Packet) => boolean {
  const evaluator = new NetworkPolicyEvaluator(plan.policies);
  const addresses = memberAddresses(policy);
  const end = (e: PacketEnd): KubeEnd => {
    if ('workload' in e) {
      const address = addresses.get(e.workload);
      return { kind: 'pod', namespace: plan.workloadNamespaces[e.workload], labels: plan.podLabels[e.workload], ...(address ? { address } : {}), node: 'node' };
    }
    return { kind: 'external', address: { family: e.family, value: e.address } };
  };
  return p => evaluator.allows({ source: end(p.source), destination: end(p.destination), protocol: p.protocol, port: p.port });
}

/** The objects as they are written (keys sorted, apiVersion/kind/metadata first). */
export function renderedObjects(plan: KubernetesPlan): Record<string, unknown>[] {
  return plan.policies.map(p => sortedObject(p as unknown as Record<string, unknown>));
}

/** The multi-document YAML of a plan. */
export function renderYaml(plan: KubernetesPlan): string {
  return toYamlDocuments(renderedObjects(plan));
}

// microseg: network microsegmentation as code.
//
// The root module is cloud-agnostic: the model (Segmentation, Zone, Workload, AllowFlow, DenyFlow,
// Selector, Peer, Port, EnforcementMode) and the analysis API. Each cloud backend is a jsii
// submodule that is loaded on first access (see scripts/lazy-index.js), so importing `microseg`
// loads no cloud library, `microseg.aws` loads aws-cdk-lib only and `microseg.k8s` loads cdk8s
// only when a KubernetesSegmentation is created.
export * from './model';
export * from './analysis';

export * as aws from './aws';
export * as azure from './azure';
export * as gcp from './gcp';
export * as audit from './audit';
export * as k8s from './k8s';
export * as traffic from './traffic';
export * as map from './map';

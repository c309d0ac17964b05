/**
 * The NetworkPolicy evaluator lives in the semantic layer (`src/semantics/kubernetes.ts`) with the
 * other clouds' evaluators; re-exported here for the `k8s` backend's users and tests.
 */
export * from '../semantics/kubernetes';

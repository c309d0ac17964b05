/**
 * Invariants on cloud rules: a backend's rendered plan at synth, the live rules an audit read, or
 * a manifest alone. The rules are evaluated by the semantic layer's per-cloud evaluators on the
 * deployment the manifest records; the search is the one of `invariants.ts`. Pure.
 */
import { CanonicalRule, Cloud } from '../ir/canonical';
import { buildManifest, Manifest, ManifestCloudSection, withCloud } from '../ir/manifest';
import { policyOfManifest } from '../ir/manifest-policy';
import { IrPolicy } from '../ir/types';
import { evaluatorFor } from '../semantics/deployment';
import { checkInvariants, checkRenderedInvariants, InvariantResult, verifyInvariants } from './invariants';

/**
 * The workloads a cloud's rules can be evaluated on: placed on that cloud by the section, with a
 * known address (their own ranges or their zone's), since rules towards ranges match addresses.
 */
function placedWorkloads(policy: IrPolicy, section: ManifestCloudSection): string[] {
  const zones = new Map(policy.zones.map(z => [z.name, z]));
  const placed = new Set(section.zones ?? policy.zones.map(z => z.name));
  return policy.workloads.filter(w => placed.has(w.zone) && (w.cidrs.length > 0 || (zones.get(w.zone)?.cidrs.length ?? 0) > 0)).map(w => w.name);
}

/**
 * The verdict on every invariant of a manifest: on the model it records and, given `rules` of a
 * cloud (the live rules an audit read; default: none), on those rules through the cloud's
 * evaluator. Invariants with an end on another cloud are checked on the model only.
 */
export function checkManifestInvariants(manifest: Manifest, cloud?: Cloud, rules?: readonly CanonicalRule[]): InvariantResult[] {
  const policy = policyOfManifest(manifest);
  if (!policy.invariants?.length) return [];
  if (!cloud || !rules) return checkInvariants(policy);
  const section = manifest.clouds[cloud];
  const evaluator = section ? evaluatorFor(manifest, cloud, rules) : undefined;
  if (!section || !evaluator) return checkInvariants(policy);
  return checkRenderedInvariants(policy, { cloud, allows: p => evaluator.allows(p), workloads: placedWorkloads(policy, section) });
}

/**
 * The synth-time check of what a backend rendered: its expected canonical rules, evaluated on the
 * deployment its manifest section records. Throws `microseg:InvariantViolated` (model first,
 * then the rendered rules); does nothing for a model without invariants or a cloud without a
 * canonical-rule evaluator.
 */
export function verifyRenderedInvariants(policy: IrPolicy, cloud: Cloud, section: ManifestCloudSection): void {
  if (!policy.invariants?.length) return;
  const manifest = withCloud(buildManifest(policy), cloud, section);
  const evaluator = evaluatorFor(manifest, cloud, section.expected);
  if (!evaluator) {
    verifyInvariants(policy);
    return;
  }
  verifyInvariants(policy, { cloud, allows: p => evaluator.allows(p), workloads: placedWorkloads(policy, section) });
}

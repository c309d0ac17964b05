/**
 * Invariants on the live rules: the manifest's `Isolation`, `NeverReach` and `MustReach`,
 * evaluated on what the cloud has now (through the semantic layer's evaluator, on the deployment
 * the manifest records). A drifted estate that breaks one is a critical finding, whatever the
 * rule-by-rule drift says. See docs/invariants.md.
 */
import { checkManifestInvariants } from '../analysis/invariants-on-rules';
import { CanonicalRule, Cloud } from '../ir/canonical';
import { Manifest } from '../ir/manifest';
import { fingerprint } from './drift';
import { DriftFinding, DriftKind, DriftSeverity } from './types';

/** The critical findings of the manifest's invariants that the live rules break (none without invariants). */
export function invariantFindings(manifest: Manifest, cloud: Cloud, live: readonly CanonicalRule[], region?: string): DriftFinding[] {
  if (!manifest.model.invariants?.length) return [];
  const results = checkManifestInvariants(manifest, cloud, live);
  const index = new Map(manifest.model.invariants.map((inv, i) => [inv.path, i]));
  return results.filter(r => !r.holds && r.checkedOn === cloud).map(r => {
    const key = `invariant ${r.invariant}`;
    return {
      kind: DriftKind.INVARIANT,
      severity: DriftSeverity.CRITICAL,
      cloud,
      ...(region ? { region } : {}),
      container: `invariant:${r.invariant}`,
      message: `${region ? `[${region}] ` : ''}${r.message.replace(` on the rendered ${cloud} rules`, ` on the live ${cloud} rules`)}`,
      constructPath: r.invariant,
      manifestEntry: `model.invariants[${index.get(r.invariant) ?? 0}]`,
      key: region ? `${key} ${region}` : key,
      fingerprint: fingerprint(cloud, region ? `${key} ${region}` : key),
    };
  });
}

/**
 * Renders planned firewall specs with the google provider class (deep import, loaded lazily).
 */
import type { Construct } from 'constructs';
import { requireDependency } from '../terraform/require';
import { TfResourceSpec, toCdktfConfig } from '../terraform/util';

/** Creates one `ComputeFirewall` per spec under `scope`, with the spec's name as Terraform name. */
export function renderSpecs(scope: Construct, specs: TfResourceSpec[]): void {
  const cls: new (s: Construct, id: string, config: unknown) => { overrideLogicalId(id: string): void } =
    requireDependency('@cdktf/provider-google/lib/compute-firewall', 'GcpSegmentation', scope.node.path).ComputeFirewall;
  for (const spec of specs) {
    const r = new cls(scope, `${spec.type}.${spec.name}`, toCdktfConfig(spec.attributes));
    r.overrideLogicalId(spec.name);
  }
}

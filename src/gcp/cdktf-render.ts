/**
 * Renders planned firewall specs with the google provider class (deep import, loaded lazily).
 */
import type { Construct } from 'constructs';
import { TfResourceSpec, toCdktfConfig } from '../terraform/util';

/** Creates one `ComputeFirewall` per spec under `scope`, with the spec's name as Terraform name. */
export function renderSpecs(scope: Construct, specs: TfResourceSpec[]): void {
  let cls: new (s: Construct, id: string, config: unknown) => { overrideLogicalId(id: string): void };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cls = require('@cdktf/provider-google/lib/compute-firewall').ComputeFirewall;
  } catch (e) {
    throw new Error(`microseg's GcpSegmentation needs the google provider bindings: npm i @cdktf/provider-google@^16 cdktf@^0.21 (${(e as Error).message})`);
  }
  for (const spec of specs) {
    const r = new cls(scope, `${spec.type}.${spec.name}`, toCdktfConfig(spec.attributes));
    r.overrideLogicalId(spec.name);
  }
}

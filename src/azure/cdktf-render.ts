/**
 * Renders planned resource specs with the azurerm provider classes (deep imports, loaded lazily).
 */
import type { Construct } from 'constructs';
import { TfResourceSpec, toCdktfConfig } from '../terraform/util';
import { AZURE_TYPES } from './plan';

const MODULES: Record<string, [string, string]> = {
  [AZURE_TYPES.asg]: ['@cdktf/provider-azurerm/lib/application-security-group', 'ApplicationSecurityGroup'],
  [AZURE_TYPES.nsg]: ['@cdktf/provider-azurerm/lib/network-security-group', 'NetworkSecurityGroup'],
  [AZURE_TYPES.rule]: ['@cdktf/provider-azurerm/lib/network-security-rule', 'NetworkSecurityRule'],
  [AZURE_TYPES.association]: ['@cdktf/provider-azurerm/lib/subnet-network-security-group-association', 'SubnetNetworkSecurityGroupAssociation'],
};

/** Creates one provider resource per spec under `scope`, with the spec's name as Terraform name. */
export function renderSpecs(scope: Construct, specs: TfResourceSpec[]): void {
  const classes = new Map<string, new (s: Construct, id: string, config: unknown) => { overrideLogicalId(id: string): void }>();
  for (const spec of specs) {
    let cls = classes.get(spec.type);
    if (!cls) {
      const [mod, name] = MODULES[spec.type];
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        cls = require(mod)[name];
      } catch (e) {
        throw new Error(`microseg's AzureSegmentation needs the azurerm provider bindings: npm i @cdktf/provider-azurerm@^14 cdktf@^0.21 (${(e as Error).message})`);
      }
      classes.set(spec.type, cls!);
    }
    const r = new cls!(scope, `${spec.type}.${spec.name}`, toCdktfConfig(spec.attributes));
    r.overrideLogicalId(spec.name);
  }
}

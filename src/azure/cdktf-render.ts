/**
 * Renders planned resource specs with the azurerm provider classes (deep imports, loaded lazily).
 */
import type { Construct } from 'constructs';
import { requireDependency } from '../terraform/require';
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
      cls = requireDependency(mod, 'AzureSegmentation', scope.node.path)[name];
      classes.set(spec.type, cls!);
    }
    const r = new cls!(scope, `${spec.type}.${spec.name}`, toCdktfConfig(spec.attributes));
    r.overrideLogicalId(spec.name);
  }
}

/** Validation of the backend props and planning (internal, shared by the construct and the Terraform JSON writer). */
import { compile } from '../ir/compile';
import { fail } from '../model/errors';
import { Segmentation } from '../model/segmentation';
import { AzurePlan, planAzure } from './plan';
import { AzureNsgScope, AzureSegmentationProps } from './props';

/** Validates the props and plans the resources. */
export function planFromProps(props: AzureSegmentationProps, backendPath: string): { plan: AzurePlan; policy: ReturnType<typeof compile> } {
  if (!props || !Segmentation.isSegmentation(props.segmentation)) {
    fail('InvalidProp', backendPath, 'segmentation', 'is not a microseg Segmentation.', 'Pass `segmentation: mySegmentation`.');
  }
  for (const k of ['resourceGroupName', 'location'] as const) {
    if (typeof props[k] !== 'string' || props[k].length === 0) {
      fail('InvalidProp', backendPath, k, `is required and must be a non-empty string.`, k === 'location' ? 'E.g. location: "westeurope".' : 'E.g. resourceGroupName: rg.name.');
    }
  }
  const scopes = Object.values(AzureNsgScope) as string[];
  if (props.nsgScope !== undefined && !scopes.includes(props.nsgScope)) {
    fail('InvalidProp', backendPath, 'nsgScope', `must be one of ${scopes.join(', ')} (got ${String(props.nsgScope)}).`, 'E.g. nsgScope: AzureNsgScope.WORKLOAD.');
  }
  const policy = compile(props.segmentation);
  const plan = planAzure(policy, {
    backendPath,
    resourceGroupName: props.resourceGroupName,
    location: props.location,
    zones: props.zones,
    subnetIds: props.subnetIds,
    tags: props.tags,
    subscriptionId: props.subscriptionId,
    nsgScope: props.nsgScope === AzureNsgScope.WORKLOAD ? 'WORKLOAD' : 'ZONE',
    exactEgressPorts: props.exactEgressPorts === true,
  });
  return { plan, policy };
}


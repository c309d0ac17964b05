/** Validation of the backend props and planning (internal, shared by the construct and the Terraform JSON writer). */
import { verifyInvariants } from '../analysis/invariants';
import { verifyRenderedInvariants } from '../analysis/invariants-on-rules';
import { compile } from '../ir/compile';
import { MicrosegError, MicrosegProblem, problemsOf } from '../model/errors';
import { Segmentation } from '../model/segmentation';
import { AzurePlan, planAzure } from './plan';
import { AzureNsgScope, AzureSegmentationProps } from './props';
import { Cloud } from '../model/backend';

/** Validates the props and plans the resources. */
export function planFromProps(props: AzureSegmentationProps, backendPath: string): { plan: AzurePlan; policy: ReturnType<typeof compile> } {
  // Problems in the props and in the model are reported together, props first.
  const problems: MicrosegProblem[] = [];
  const segmentation = props?.segmentation;
  if (!Segmentation.isSegmentation(segmentation)) {
    problems.push({ code: 'InvalidProp', path: backendPath, value: 'segmentation', message: 'is not a microseg Segmentation.', hint: 'Pass `segmentation: mySegmentation`.' });
  }
  for (const k of ['resourceGroupName', 'location'] as const) {
    if (typeof props?.[k] !== 'string' || props[k].length === 0) {
      problems.push({ code: 'InvalidProp', path: backendPath, value: k, message: 'is required and must be a non-empty string.', hint: k === 'location' ? 'E.g. location: "westeurope".' : 'E.g. resourceGroupName: rg.name.' });
    }
  }
  const scopes = Object.values(AzureNsgScope) as string[];
  if (props?.nsgScope !== undefined && !scopes.includes(props.nsgScope)) {
    problems.push({ code: 'InvalidProp', path: backendPath, value: 'nsgScope', message: `must be one of ${scopes.join(', ')} (got ${String(props.nsgScope)}).`, hint: 'E.g. nsgScope: AzureNsgScope.WORKLOAD.' });
  }
  let compiled: ReturnType<typeof compile> | undefined;
  if (Segmentation.isSegmentation(segmentation)) problems.push(...problemsOf(() => { compiled = compile(segmentation); verifyInvariants(compiled); }));
  if (problems.length > 0 || !compiled) throw MicrosegError.fromProblems(problems);
  const policy = compiled;
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
    monitorOpenToInternet: props.monitorOpenToInternet === true,
    networkRanges: props.networkRanges,
  });
  verifyRenderedInvariants(policy, Cloud.AZURE, plan.section);
  return { plan, policy };
}


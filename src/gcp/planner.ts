/** Validation of the backend props and planning (internal, shared by the construct and the Terraform JSON writer). */
import { verifyInvariants } from '../analysis/invariants';
import { verifyRenderedInvariants } from '../analysis/invariants-on-rules';
import { compile } from '../ir/compile';
import { MicrosegError, MicrosegProblem, problemsOf } from '../model/errors';
import { Segmentation } from '../model/segmentation';
import { GcpPlan, planGcp } from './plan';
import { GcpIdentity, GcpSegmentationProps } from './props';
import { Cloud } from '../model/backend';

/** Validates the props and plans the firewall rules. */
export function planFromProps(props: GcpSegmentationProps, backendPath: string, resolve: (v: string) => string = v => v): { plan: GcpPlan; policy: ReturnType<typeof compile> } {
  // Problems in the props and in the model are reported together, props first.
  const problems: MicrosegProblem[] = [];
  const segmentation = props?.segmentation;
  if (!Segmentation.isSegmentation(segmentation)) {
    problems.push({ code: 'InvalidProp', path: backendPath, value: 'segmentation', message: 'is not a microseg Segmentation.', hint: 'Pass `segmentation: mySegmentation`.' });
  }
  if (typeof props?.network !== 'string' || props.network.length === 0) {
    problems.push({ code: 'InvalidProp', path: backendPath, value: 'network', message: 'is required and must be a non-empty string.', hint: 'E.g. network: "prod-vpc" or network: vpc.name.' });
  }
  const identity = props?.identity ?? GcpIdentity.NETWORK_TAG;
  if (identity !== GcpIdentity.NETWORK_TAG && identity !== GcpIdentity.SERVICE_ACCOUNT) {
    problems.push({ code: 'InvalidProp', path: backendPath, value: identity, message: 'is not a GcpIdentity.', hint: 'Use GcpIdentity.NETWORK_TAG or GcpIdentity.SERVICE_ACCOUNT.' });
  }
  let compiled: ReturnType<typeof compile> | undefined;
  if (Segmentation.isSegmentation(segmentation)) problems.push(...problemsOf(() => { compiled = compile(segmentation); verifyInvariants(compiled); }));
  if (problems.length > 0 || !compiled) throw MicrosegError.fromProblems(problems);
  const policy = compiled;
  const plan = planGcp(policy, {
    backendPath,
    network: props.network,
    networkName: resolve(props.network),
    project: props.project,
    identity,
    serviceAccounts: props.serviceAccounts,
    zones: props.zones,
    allowPriority: props.allowPriority,
    denyPriority: props.denyPriority,
    defaultDenyPriority: props.defaultDenyPriority,
    exactEgressPorts: props.exactEgressPorts,
    monitorOpenToInternet: props.monitorOpenToInternet === true,
    networkRanges: props.networkRanges,
  });
  verifyRenderedInvariants(policy, Cloud.GCP, plan.section);
  return { plan, policy };
}


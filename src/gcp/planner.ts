/** Validation of the backend props and planning (internal, shared by the construct and the Terraform JSON writer). */
import { compile } from '../ir/compile';
import { fail } from '../model/errors';
import { Segmentation } from '../model/segmentation';
import { GcpPlan, planGcp } from './plan';
import { GcpIdentity, GcpSegmentationProps } from './props';

/** Validates the props and plans the firewall rules. */
export function planFromProps(props: GcpSegmentationProps, backendPath: string, resolve: (v: string) => string = v => v): { plan: GcpPlan; policy: ReturnType<typeof compile> } {
  if (!props || !Segmentation.isSegmentation(props.segmentation)) {
    fail('InvalidProp', backendPath, 'segmentation', 'is not a microseg Segmentation.', 'Pass `segmentation: mySegmentation`.');
  }
  if (typeof props.network !== 'string' || props.network.length === 0) {
    fail('InvalidProp', backendPath, 'network', 'is required and must be a non-empty string.', 'E.g. network: "prod-vpc" or network: vpc.name.');
  }
  const identity = props.identity ?? GcpIdentity.NETWORK_TAG;
  if (identity !== GcpIdentity.NETWORK_TAG && identity !== GcpIdentity.SERVICE_ACCOUNT) {
    fail('InvalidProp', backendPath, identity, 'is not a GcpIdentity.', 'Use GcpIdentity.NETWORK_TAG or GcpIdentity.SERVICE_ACCOUNT.');
  }
  const policy = compile(props.segmentation);
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
  });
  return { plan, policy };
}


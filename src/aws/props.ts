/**
 * The AWS backend's props (with their validation and the quotas they set).
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Segmentation } from '../model';
import { MicrosegError, MicrosegProblem } from '../model/errors';
import { AwsQuotas, DEFAULT_QUOTAS } from './types';

/**
 * A range of ports (inclusive).
 */
export interface EphemeralPortRange {
  /** First port of the range. */
  readonly startPort: number;
  /** Last port of the range. */
  readonly endPort: number;
}

/**
 * How the backend spreads a segmentation over CloudFormation stacks.
 */
export enum AwsSharding {
  /**
   * One stack when the segmentation fits it (`maxResourcesPerStack`, 1 MB template), else
   * nested stacks.
   */
  AUTO = 'AUTO',
  /** Always one stack: `QuotaExceeded` when the segmentation does not fit. */
  NONE = 'NONE',
  /**
   * Always nested stacks (per zone: one with its zone and source groups, one with its workload
   * groups and network ACL). Choose it for an estate that will grow past one stack, so it never
   * moves from one layout to the other.
   */
  ALWAYS = 'ALWAYS',
}

/**
 * Properties of an {@link AwsSegmentation}.
 */
export interface AwsSegmentationProps {
  /** The model to render. */
  readonly segmentation: Segmentation;

  /** The VPC the workloads live in: security groups and network ACLs are created in it. */
  readonly vpc: ec2.IVpc;

  /**
   * Names of the zones placed on AWS. Flows between these zones and others (another cloud,
   * on-premises) are rendered with the other zones' `cidrs`.
   *
   * @default - every zone of the segmentation
   */
  readonly zones?: string[];

  /**
   * Subnets of zones, by zone name. A zone given here takes its address ranges from these
   * subnets (their CIDRs as CDK knows them, for CDK-created and imported subnets alike; declared
   * `cidrs` must then contain every subnet), gets a network ACL associated with them, and its
   * members (see `attach`) must sit in them. Every zone it exchanges traffic with needs ranges
   * too (its own `subnets` or `cidrs`).
   *
   * @default - no network ACLs; zones use their declared `cidrs`
   */
  readonly subnets?: { [zoneName: string]: ec2.SubnetSelection };

  /**
   * Address ranges outside the VPC that zones placed on this backend may use (on-premises
   * networks, peered VPCs). Every concrete range of such a zone must lie inside the VPC's ranges
   * or one of these, else synth fails with `microseg:RangeOutsideNetwork`.
   *
   * @default - none: zone ranges lie inside the VPC
   */
  readonly externalRanges?: string[];

  /**
   * Rules per security group per direction (IPv4 and IPv6 counted separately).
   *
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups
   * @default 60
   */
  readonly maxRulesPerSecurityGroup?: number;

  /**
   * Security groups per network interface (at most 16; rules per group times groups per
   * interface may not exceed 1,000).
   *
   * @default 5
   */
  readonly maxSecurityGroupsPerInterface?: number;

  /**
   * Network ACL entries per direction (at most 40).
   *
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-nacls
   * @default 20
   */
  readonly maxNaclEntriesPerDirection?: number;

  /**
   * Resources per CloudFormation stack (the backend's own plus what the stack already holds).
   *
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
   * @default 500
   */
  readonly maxResourcesPerStack?: number;

  /**
   * Ports clients use as source ports; network ACLs are stateless, so return traffic of every
   * allowed flow is allowed back on these ports.
   *
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html
   * @default - 1024-65535 (what AWS advises: it covers Linux, Windows, ELB, NAT gateways and Lambda)
   */
  readonly ephemeralPortRange?: EphemeralPortRange;

  /**
   * Formerly: carve the zones' ranges out of Peer ranges in ingress rules.
   *
   * @deprecated Ingress from a `Peer` is now always one rule per range, and the backend keeps
   * the model's own sources exact on their side instead (egress towards a destination open to a
   * Peer range names its source group; egress towards Peers leaves such zones out). The prop has
   * no effect.
   * @default true
   */
  readonly excludeZoneRangesFromPeers?: boolean;

  /**
   * MONITOR's catch-all admits the internet (`0.0.0.0/0`, and `::/0` when the model uses IPv6)
   * instead of the VPC range. Warns `microseg:MonitorOpenToInternet`, and only then does the
   * backend acknowledge cdk-nag's AwsSolutions-EC23 for the catch-all.
   *
   * @default false
   */
  readonly monitorIngressFromInternet?: boolean;

  /**
   * Whether the segmentation is spread over nested stacks (`AWS::CloudFormation::Stack`, one per
   * zone and layer, without dependency cycles). Each nested stack stays within
   * `maxResourcesPerStack`, 200 parameters, 200 outputs and 1 MB.
   *
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
   * @default AwsSharding.AUTO
   */
  readonly sharding?: AwsSharding;

  /**
   * Egress towards workloads of zones placed on this backend names the flows' ports per zone
   * range. By default it is one all-traffic rule per block of zone ranges that holds the
   * destination zone (the fewest CIDRs covering exactly the ranges of the zones placed here that
   * are not open to a Peer range covering the model): every member of such a zone has exact
   * ingress, so the pair still allows exactly what the model allows, with far fewer rules (and
   * adding a flow towards a zone whose block is already reached changes nothing). Egress towards
   * `Peer`s and zones placed elsewhere always names the flows' ports.
   *
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
   *
   * @default false
   */
  readonly exactEgressPorts?: boolean;

  /**
   * Describe the rules of flows that have no `description` as `<from> to <to> on <ports>`.
   * A flow's own description is always rendered. Generated descriptions cost about a third of a
   * large template (CloudFormation allows 1 MB), so they are off by default; the manifest records
   * every rule's origin flow either way.
   *
   * @default false
   */
  readonly generatedRuleDescriptions?: boolean;

  /**
   * Also render each `NeverReach` invariant of the model as an AWS Network Access Analyzer
   * access scope (`AWS::EC2::NetworkInsightsAccessScope`, tagged `microseg:invariant`), so AWS's
   * own analyzer watches it too: paths from the source's security groups (or range; the internet
   * through internet gateways) to the destination's on the invariant's TCP/UDP ports. The
   * analyzer sees network paths, not pivots through compromised workloads (microseg checks
   * those at synth). See docs/invariants.md.
   *
   * @default false
   * @see https://docs.aws.amazon.com/vpc/latest/network-access-analyzer/what-is-network-access-analyzer.html
   */
  readonly networkAccessScopes?: boolean;
}

/** @internal The quotas the props set (AWS's defaults where not given). */
export function quotasOf(props: AwsSegmentationProps): AwsQuotas {
  return {
    rulesPerSecurityGroup: props.maxRulesPerSecurityGroup ?? DEFAULT_QUOTAS.rulesPerSecurityGroup,
    securityGroupsPerInterface: props.maxSecurityGroupsPerInterface ?? DEFAULT_QUOTAS.securityGroupsPerInterface,
    naclEntriesPerDirection: props.maxNaclEntriesPerDirection ?? DEFAULT_QUOTAS.naclEntriesPerDirection,
    resourcesPerStack: props.maxResourcesPerStack ?? DEFAULT_QUOTAS.resourcesPerStack,
  };
}

/** @internal Throws every invalid prop at once (`microseg:InvalidProp`); returns the props. */
export function validateProps(props: AwsSegmentationProps, path: string): AwsSegmentationProps {
  const problems: MicrosegProblem[] = [];
  const q = quotasOf(props);
  if (!Segmentation.isSegmentation(props.segmentation)) {
    problems.push({ code: 'InvalidProp', path, value: 'segmentation', message: 'is not a microseg Segmentation.', hint: 'Pass `segmentation: mySegmentation`.' });
  }
  if (!props.vpc || typeof (props.vpc as Partial<ec2.IVpc>).selectSubnets !== 'function') {
    problems.push({ code: 'InvalidProp', path, value: 'vpc', message: 'is required: the VPC of the security groups (an ec2.IVpc).', hint: 'Pass `vpc: myVpc` (e.g. ec2.Vpc.fromLookup(stack, "Vpc", { vpcId })).' });
  }
  const shardings = Object.values(AwsSharding) as string[];
  if (props.sharding !== undefined && !shardings.includes(props.sharding)) {
    const close = shardings.find(s => s === String(props.sharding).toUpperCase());
    problems.push({ code: 'InvalidProp', path, value: props.sharding, message: `sharding must be one of ${shardings.map(s => `AwsSharding.${s}`).join(', ')}.`, hint: close ? `Did you mean AwsSharding.${close}?` : 'E.g. sharding: AwsSharding.ALWAYS.' });
  }
  const intIn = (name: string, v: number, lo: number, hi: number, hint: string) => {
    if (!Number.isInteger(v) || v < lo || v > hi) problems.push({ code: 'InvalidProp', path, value: v, message: `${name} must be an integer from ${lo} to ${hi}.`, hint });
  };
  intIn('maxRulesPerSecurityGroup', q.rulesPerSecurityGroup, 1, 1000, 'AWS allows up to 1,000 (rules per group times groups per interface may not exceed 1,000).');
  intIn('maxSecurityGroupsPerInterface', q.securityGroupsPerInterface, 1, 16, 'AWS allows up to 16 security groups per network interface.');
  intIn('maxNaclEntriesPerDirection', q.naclEntriesPerDirection, 1, 40, 'AWS allows up to 40 network ACL entries per direction.');
  intIn('maxResourcesPerStack', q.resourcesPerStack, 1, 100_000, 'CloudFormation allows 500 resources per stack by default.');
  if (q.rulesPerSecurityGroup * q.securityGroupsPerInterface > 1000) {
    problems.push({ code: 'InvalidProp', path, value: `${q.rulesPerSecurityGroup} x ${q.securityGroupsPerInterface}`, message: 'rules per security group times security groups per interface may not exceed 1,000 (an AWS hard limit).', hint: 'Lower maxRulesPerSecurityGroup or maxSecurityGroupsPerInterface.' });
  }
  const e = props.ephemeralPortRange;
  if (e) {
    intIn('ephemeralPortRange.startPort', e.startPort, 0, 65535, 'Use a port from 0 to 65535, e.g. 1024.');
    intIn('ephemeralPortRange.endPort', e.endPort, 0, 65535, 'Use a port from 0 to 65535, e.g. 65535.');
    if (e.startPort > e.endPort) problems.push({ code: 'InvalidProp', path, value: `${e.startPort}-${e.endPort}`, message: 'the ephemeral port range starts after it ends.', hint: `Did you mean ${e.endPort}-${e.startPort}?` });
  }
  if (problems.length) throw MicrosegError.fromProblems(problems);
  return props;
}

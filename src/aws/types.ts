/**
 * The AWS plan's data: security groups with their rules, network ACLs with their entries, the
 * quotas checked, and the constants of the rendering. Plain data, no constructs.
 *
 * @internal (not exported from the submodule index)
 */

/** Quotas the plan checks. */
export interface AwsQuotas {
  readonly rulesPerSecurityGroup: number;
  readonly securityGroupsPerInterface: number;
  readonly naclEntriesPerDirection: number;
  readonly resourcesPerStack: number;
}

/** AWS default quotas. */
export const DEFAULT_QUOTAS: AwsQuotas = {
  rulesPerSecurityGroup: 60,
  securityGroupsPerInterface: 5,
  naclEntriesPerDirection: 20,
  resourcesPerStack: 500,
};

/** The match-nothing egress rule (same as aws-cdk-lib's `allowAllOutbound: false`). */
export const MATCH_NOTHING = { cidr: '255.255.255.255/32', type: 252, code: 86, description: 'Disallow all traffic' } as const;

/** A security group or network ACL protocol. */
export type AwsProtocol = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'all';

/** The other side of a security group rule. */
export type SgPeer =
  | { readonly kind: 'sg'; readonly group: string }
  | { readonly kind: 'cidr'; readonly cidr: string; readonly family: 'ipv4' | 'ipv6' }
  /** The VPC's primary IPv4 range, unknown at synth (a token). */
  | { readonly kind: 'vpc' };

/** One security group rule. */
export interface SgRulePlan {
  readonly direction: 'ingress' | 'egress';
  /** Canonical protocol: `tcp`, `udp`, `icmp`, `icmpv6`, `all`. */
  readonly protocol: AwsProtocol;
  /** TCP/UDP first port, ICMP type (-1 every); -1 for `all`. */
  readonly from: number;
  /** TCP/UDP last port, ICMP code (-1 every); -1 for `all`. */
  readonly to: number;
  readonly peer: SgPeer;
  readonly description: string;
  /** Construct paths of the flows the rule comes from. */
  readonly origins: string[];
  readonly kind: 'flow' | 'catchall' | 'matchnothing';
}

/** One security group. */
export interface SgGroupPlan {
  /** The group name (value of the `microseg:group` tag): the workload name for a workload group, `zone.<zone>` for a zone group. */
  readonly name: string;
  /**
   * `workload`: a workload's own group (holds its rules); `zone`: the group every workload of a
   * zone carries; `source`: a workload's source group (`src.<workload>`), which later-ranked
   * groups reference inline. Zone and source groups are source identities only: no ingress.
   */
  readonly kind: 'workload' | 'zone' | 'source';
  /** The workload (empty for a zone group). */
  readonly workload: string;
  readonly zone: string;
  readonly workloadPath: string;
  readonly logicalId: string;
  readonly monitor: boolean;
  readonly description: string;
  readonly tags: Record<string, string>;
  readonly ingress: SgRulePlan[];
  readonly egress: SgRulePlan[];
}

/** One network ACL entry. */
export interface NaclEntryPlan {
  readonly egress: boolean;
  readonly action: 'allow' | 'deny';
  /** Canonical protocol. */
  readonly protocol: AwsProtocol;
  /** IP protocol number (-1 all). */
  readonly protocolNumber: number;
  readonly from: number;
  readonly to: number;
  readonly cidr: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly ruleNumber: number;
  readonly band: 'return' | 'deny' | 'allow' | 'monitor';
  readonly logicalId: string;
  readonly origins: string[];
}

/** One network ACL (per zone with subnets). */
export interface NaclPlan {
  readonly zone: string;
  readonly logicalId: string;
  readonly monitor: boolean;
  readonly tags: Record<string, string>;
  readonly entries: NaclEntryPlan[];
  /** Subnet keys with the logical id of their association. */
  readonly associations: { readonly subnet: string; readonly logicalId: string }[];
}

/** NACL rule number bands (inclusive). */
export const NACL_BANDS = {
  return: { from: 100, to: 9999 },
  deny: { from: 10000, to: 19999 },
  allow: { from: 20000, to: 29999 },
} as const;
/**
 * Rule numbers of the MONITOR entries (just before the implicit deny): the allow-all entries
 * (ingress from the model's own network, egress everywhere), and the ingress of return traffic
 * of the catch-all egress (TCP and UDP to the ephemeral ports, and ICMP, from everywhere).
 */
export const NACL_MONITOR_NUMBERS = { ipv4: 32766, ipv6: 32765, returnTcp4: 32764, returnUdp4: 32763, returnIcmp4: 32762, returnTcp6: 32761, returnUdp6: 32760, returnIcmp6: 32759 } as const;
/** The NACL entry cidr that stands for the VPC's primary IPv4 range when it is a token. */
export const VPC_CIDR_TOKEN = 'vpc-cidr';

/** CloudFormation's limits per template. */
export interface StackLimits {
  readonly parameters: number;
  readonly outputs: number;
  readonly templateBytes: number;
}

export const DEFAULT_STACK_LIMITS: StackLimits = { parameters: 200, outputs: 200, templateBytes: 1_048_576 };

/** Input of `planAws` besides the policy. */
export interface AwsPlanOptions {
  /** Construct path of the backend (for messages). */
  readonly backendPath: string;
  /** Zones placed on this backend (default: all). */
  readonly zones?: string[];
  /** Zones that get a network ACL, with stable keys of their subnets (e.g. construct paths). */
  readonly naclSubnets?: Record<string, string[]>;
  /** The VPC's primary CIDR when known at synth. */
  readonly vpcCidr?: string;
  /** Ephemeral port range for stateless return traffic. */
  readonly ephemeral?: { readonly from: number; readonly to: number };
  readonly quotas?: AwsQuotas;
  /**
   * Egress towards workloads of zones placed here: `zone` (default) one all-traffic rule per
   * block holding the destination zone (see egressBlocks); `flow`: the flows' ports per
   * destination zone range.
   */
  readonly egressTowardsZones?: 'zone' | 'flow';
  /** Describe rules of flows without a description as `<from> to <to> on <ports>` (default false). */
  readonly generatedDescriptions?: boolean;
  /** MONITOR's catch-all ingress from the internet instead of the VPC range (default false). */
  readonly monitorIngressFromInternet?: boolean;
  /** Resources already in the stack that the backend did not create. */
  readonly otherResources?: number;
  /**
   * `none`: one stack (QuotaExceeded when it does not fit); `auto` (default): nested stacks when
   * one stack cannot hold the segmentation; `always`: nested stacks.
   */
  readonly sharding?: 'none' | 'auto' | 'always';
  /** The backend's construct path when CDK writes `aws:cdk:path` metadata (template size estimates). */
  readonly pathMetadata?: string;
  /** CloudFormation's per-template limits (parameters, outputs, template bytes). */
  readonly stackLimits?: StackLimits;
}

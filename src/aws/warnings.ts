/**
 * The AWS backend's warning ids (stable: users acknowledge them), declared once.
 */

/**
 * Warning ids of the AWS backend, for `segmentation.acknowledgeWarning(id, reason)`.
 */
export class AwsWarnings {
  /**
   * A destination zone has no `cidrs`, so egress towards its workloads uses the VPC range, which
   * also opens those ports towards unsegmented hosts in the VPC.
   */
  public static readonly EGRESS_TO_VPC_RANGE = 'microseg:EgressToVpcRange';
  /**
   * A Peer range lies entirely inside ranges it must leave out (zones placed on other backends
   * for ingress; zones open to Peer ranges for egress), so no rule is rendered for it.
   */
  public static readonly PEER_INSIDE_ZONES = 'microseg:PeerInsideZones';
  /**
   * Egress towards a Peer range leaves out the whole VPC range: a zone without `cidrs` must be
   * left out (it is open to Peer ranges that cover the model, or in MONITOR mode), and the VPC
   * range stands for its addresses. The flow then does not reach addresses of the VPC outside
   * every zone: less open than the model, never more.
   */
  public static readonly PEER_EGRESS_LEAVES_VPC_OUT = 'microseg:PeerEgressLeavesVpcOut';
  /** MONITOR's catch-all ingress is open to the internet (`monitorIngressFromInternet: true`). */
  public static readonly MONITOR_OPEN_TO_INTERNET = 'microseg:MonitorOpenToInternet';
  /**
   * A DenyFlow reaches MONITOR workloads: security groups cannot deny, so MONITOR's catch-all
   * lets its traffic pass (a network ACL blocks it only between zones given `subnets`).
   */
  public static readonly MONITOR_DENY_NOT_ENFORCED = 'microseg:MonitorDenyNotEnforced';
  /**
   * A member of a workload also carries security groups microseg does not manage (e.g. the
   * default group CDK creates for an `ec2.Instance`, with allow-all egress): their rules are
   * outside the model.
   */
  public static readonly UNMANAGED_GROUP = 'microseg:UnmanagedGroup';

  private constructor() {}
}

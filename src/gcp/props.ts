import type { Segmentation } from '../model/segmentation';

/**
 * How GCP firewall rules identify a workload's instances.
 */
export enum GcpIdentity {
  /**
   * A network tag per workload (`<segmentation>-<workload>`, hash-shortened to 63 characters):
   * put it on the workload's instances. Anyone who can edit an instance can change its tags.
   */
  NETWORK_TAG = 'NETWORK_TAG',
  /**
   * The workload's service account (given per workload in `serviceAccounts`): governed by IAM,
   * Google's recommendation. A rule cannot mix tags and service accounts.
   */
  SERVICE_ACCOUNT = 'SERVICE_ACCOUNT',
}

/**
 * Properties of a {@link GcpSegmentation} (and of {@link GcpTerraform}, which renders the same
 * firewall rules as plain Terraform JSON).
 */
export interface GcpSegmentationProps {
  /** The model to render. */
  readonly segmentation: Segmentation;

  /**
   * The VPC network of the firewall rules: a name, a self link, or a Terraform reference /
   * cdktf token (e.g. `network.name`).
   */
  readonly network: string;

  /**
   * The project of the firewall rules.
   *
   * @default - the provider's project
   */
  readonly project?: string;

  /**
   * How rules identify workloads.
   *
   * @default GcpIdentity.NETWORK_TAG
   */
  readonly identity?: GcpIdentity;

  /**
   * Per workload name, its service account email. Required for every workload on GCP when
   * `identity` is `SERVICE_ACCOUNT`.
   *
   * @default - none
   */
  readonly serviceAccounts?: { [workloadName: string]: string };

  /**
   * The zones placed on GCP. Flows between these zones and zones elsewhere are rendered with the
   * other side's `cidrs` (synth fails with `microseg:MissingCidrs` when they are missing).
   *
   * @default - every zone of the segmentation
   */
  readonly zones?: string[];

  /**
   * Priority of allow rules (lower wins).
   *
   * @default 1000
   */
  readonly allowPriority?: number;

  /**
   * Priority of `DenyFlow` guardrail rules: must be lower (stronger) than `allowPriority`.
   *
   * @default 900
   */
  readonly denyPriority?: number;

  /**
   * Priority of the explicit deny-all ingress and egress rules (the MONITOR catch-all uses this
   * value minus one). Must be higher than `allowPriority` + 1 and below 65535.
   *
   * @default 65000
   */
  readonly defaultDenyPriority?: number;

  /**
   * Whether egress towards workloads of zones placed on this backend names the flows' ports
   * (one rule per source and destination zone range). By default a source gets one all-traffic
   * egress rule naming every such zone range it talks to (`<seg>-allow-out-<src>-to-zones`):
   * the destination's ingress rules name the source identity and the ports exactly, so nothing
   * the model forbids passes, and far fewer rules are rendered. Egress towards zones elsewhere,
   * towards zones in MONITOR mode and towards `Peer`s always names the ports.
   *
   * @default false
   */
  readonly exactEgressPorts?: boolean;

  /**
   * Let the MONITOR catch-all of a zone in `EnforcementMode.MONITOR` admit every address
   * inbound (`0.0.0.0/0`, `::/0`), the internet included. By default the ingress catch-all
   * admits the model's own ranges only (every zone's `cidrs`, and the `cidrs` of workloads whose
   * zone has none), so monitoring a zone never opens it to the internet; the egress catch-all
   * admits every destination. Setting it raises the warning `microseg:MonitorOpenToInternet`.
   *
   * @default false
   * @see https://cloud.google.com/firewall/docs/firewalls
   */
  readonly monitorOpenToInternet?: boolean;

  /**
   * The network's own address ranges (the VPC network's subnet ranges (primary and secondary)). When given, a `Peer` that reaches beyond them
   * (such as `Peer.anyIpv4()`) is rendered without the whole network: a handful of prefixes
   * whatever the number of zone ranges, instead of the peer minus every zone range (warning
   * `microseg:PeerOverlapsNetwork`: the network's addresses outside every zone are then not part
   * of the peer either). Zones without `cidrs`, or with unresolved tokens as `cidrs`, are taken
   * to lie inside these ranges; without them, such a zone next to a `Peer` whose range could
   * hold its workloads fails synth (`microseg:MissingCidrs`, `microseg:UnresolvedRange`),
   * since the peer's rules could not exclude them.
   *
   * @default - peers are rendered minus every zone range of the model
   */
  readonly networkRanges?: string[];
}

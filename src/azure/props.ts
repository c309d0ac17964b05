import type { Segmentation } from '../model/segmentation';

/**
 * Properties of an {@link AzureSegmentation} (and of {@link AzureTerraform}, which renders the
 * same resources as plain Terraform JSON).
 */
export interface AzureSegmentationProps {
  /** The model to render. */
  readonly segmentation: Segmentation;

  /**
   * The resource group that holds the NSGs and ASGs (a name, or a Terraform reference such as
   * `${azurerm_resource_group.rg.name}` or a cdktf token).
   */
  readonly resourceGroupName: string;

  /** The Azure region of the NSGs and ASGs (e.g. `westeurope`). */
  readonly location: string;

  /**
   * The zones placed on Azure. Flows between these zones and zones elsewhere are rendered with
   * the other side's `cidrs` (synth fails with `microseg:MissingCidrs` when they are missing).
   *
   * @default - every zone of the segmentation
   */
  readonly zones?: string[];

  /**
   * Per zone name, the id of the subnet its NSG is associated with
   * (`azurerm_subnet_network_security_group_association`). Zones without an entry get an NSG
   * that you associate yourself (e.g. with network interfaces, via `networkSecurityGroupFor`).
   *
   * @default - no subnet associations
   */
  readonly subnetIds?: { [zoneName: string]: string };

  /**
   * The subscription the resources are deployed to. Only recorded in the manifest, so
   * `microseg audit --cloud azure` knows where to read without `--subscription`.
   *
   * @default - not recorded (the audit then needs `--subscription` or `AZURE_SUBSCRIPTION_ID`)
   */
  readonly subscriptionId?: string;

  /**
   * Extra tags for every NSG and ASG (microseg's own `microseg:*` tags always win).
   *
   * @default - only microseg's tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * What one network security group covers: a zone (`ZONE`, associated with the zone's subnet)
   * or a workload (`WORKLOAD`, associated with the workload's network interfaces, see
   * `networkSecurityGroupForWorkload`). Azure lets one NSG reference at most 100 application
   * security groups; with zones of many busy workloads (e.g. 1,000 workloads in 50 zones) zone
   * NSGs exceed it and synth fails with `microseg:QuotaExceeded`, while workload NSGs only
   * reference their workload's peers. `subnetIds` cannot be combined with `WORKLOAD`.
   *
   * @default AzureNsgScope.ZONE
   */
  readonly nsgScope?: AzureNsgScope;

  /**
   * Keep the ports on outbound rules towards zones placed on Azure. By default a source whose
   * flows into an ENFORCE zone on Azure are all checked exactly by that zone's inbound rules
   * (source ASG to destination ASG, ports) gets one all-traffic outbound rule listing those
   * zones' ranges instead of one outbound rule per flow: nothing the model forbids passes,
   * since the destination's inbound side decides, and it halves the rules. Outbound rules to
   * zones on other clouds, to peers and towards MONITOR zones always keep their ports.
   *
   * @default false
   */
  readonly exactEgressPorts?: boolean;

  /**
   * Let the MONITOR catch-all of a zone in `EnforcementMode.MONITOR` admit every address
   * inbound, the internet included. By default the inbound catch-all admits the virtual network
   * only (Azure's `VirtualNetwork` service tag: the VNet, peered VNets and connected on-premises
   * ranges), so monitoring a zone never opens it to the internet; its outbound catch-all admits
   * every destination. Setting it raises the warning `microseg:MonitorOpenToInternet`.
   *
   * @default false
   * @see https://learn.microsoft.com/azure/virtual-network/service-tags-overview
   */
  readonly monitorOpenToInternet?: boolean;

  /**
   * The network's own address ranges (the virtual network's address space). When given, a `Peer` that reaches beyond them
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

/** What one network security group rendered by microseg covers. */
export enum AzureNsgScope {
  /** One NSG per zone, for the zone's subnet (or NICs): the default. */
  ZONE = 'ZONE',
  /**
   * One NSG per workload, for the workload's network interfaces: exact rules on both ends of
   * every flow, each NSG referencing only its workload's peers (fits Azure's 100 ASGs per NSG
   * on large models).
   */
  WORKLOAD = 'WORKLOAD',
}

/**
 * A reference to an Azure resource rendered by microseg: plain strings that work in cdktf and in
 * plain Terraform JSON (Terraform interpolations), in the same configuration (stack).
 */
export interface AzureResourceReference {
  /** The resource id, as a Terraform interpolation (`${azurerm_application_security_group.<name>.id}`). */
  readonly id: string;
  /** The Azure resource name (known at synth). */
  readonly name: string;
  /** The Terraform address (`azurerm_application_security_group.<name>`). */
  readonly terraformAddress: string;
}

import { Construct } from 'constructs';
import { IrPolicy, writtenSection } from '../ir';
import { fail } from '../model/errors';
import type { Workload } from '../model/workload';
import type { Zone } from '../model/zone';
import { claimBackend } from '../ir/backends';
import { attachCdktfRendering } from '../terraform/cdktf-backend';
import { AZURERM_PROVIDER } from '../terraform/providers';
import { renderSpecs } from './cdktf-render';
import { AzurePlan, AZURE_TYPES, azureAsgName, azureAsgTfName, azureNsgName, azureNsgTfName } from './plan';
import { AzureNsgScope, AzureResourceReference, AzureSegmentationProps } from './props';
import { planFromProps } from './planner';
import { Cloud, ManifestCloudSection, SegmentationBackend } from '../model/backend';

/**
 * Renders a microseg model into Azure network security through CDK for Terraform (azurerm):
 * one application security group (ASG) per workload, one network security group (NSG) per zone
 * (associated with the zone's subnet when `subnetIds` gives one) or, with
 * `nsgScope: AzureNsgScope.WORKLOAD`, one per workload (for its network interfaces), and
 * `azurerm_network_security_rule` resources:
 *
 * - an allowed flow becomes an inbound rule on the destination zone's NSG and an outbound rule
 *   on the source zone's NSG (a packet passes only if both allow); the flows that share an NSG,
 *   direction, other end, protocol and port are one rule naming up to 10 ASGs on one side;
 *   `Peer`s and zones on other clouds are address prefixes (peers minus the model's zone ranges);
 * - Azure's default rules allow the whole virtual network (AllowVnetInBound, 65000), so every
 *   NSG gets explicit deny-all rules at 4096, inbound and outbound;
 * - `DenyFlow` guardrails are deny rules in priorities 100-599, allows use 600-4094, and a zone
 *   in MONITOR mode gets a catch-all allow `<seg>-in|out-monitor-catchall` at 4095;
 * - priorities are unique per direction per NSG and derive from rule content (a hash into the
 *   band, probing forward on collision), so adding a flow does not renumber other rules.
 *
 * Rendering is lazy: it happens once at synth, from the complete model. Errors (quota, missing
 * cidrs, priorities) are thrown at synth as `[microseg:Code]` messages. The manifest
 * `<segmentation>.microseg.json` is written into the app's output folder.
 *
 * cdktf and `@cdktf/provider-azurerm` are loaded only when this construct is created.
 *
 * @see https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview
 * @see https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-networking-limits
 */
export class AzureSegmentation extends SegmentationBackend {
  private readonly props: AzureSegmentationProps;
  private planned?: { plan: AzurePlan; policy: IrPolicy };

  constructor(scope: Construct, id: string, props: AzureSegmentationProps) {
    super(scope, id, Cloud.AZURE, props?.segmentation);
    this.props = props;
    claimBackend(this.segmentation, this.cloud, this);
    attachCdktfRendering(this, this.cloud, () => this.plan(), plan => renderSpecs(this, plan.resources), {
      what: 'AzureSegmentation', bindings: '@cdktf/provider-azurerm/lib/network-security-rule', provider: AZURERM_PROVIDER,
    });
  }

  /**
   * The application security group of a workload placed on Azure, to attach network interfaces
   * (e.g. `NetworkInterfaceApplicationSecurityGroupAssociation`). The id is a Terraform
   * interpolation valid in the same stack.
   *
   * @throws `microseg:UnknownWorkload` when the workload is not in this segmentation or not placed on Azure
   */
  public applicationSecurityGroupFor(workload: Workload): AzureResourceReference {
    this.checkPlaced(workload.zone, workload.node.path, 'UnknownWorkload', `workload "${workload.name}"`);
    const seg = this.segmentation.name;
    const tf = azureAsgTfName(seg, workload.name);
    return { id: `\${${AZURE_TYPES.asg}.${tf}.id}`, name: azureAsgName(seg, workload.name), terraformAddress: `${AZURE_TYPES.asg}.${tf}` };
  }

  /**
   * The network security group of a zone placed on Azure, to associate with subnets or
   * network interfaces yourself.
   *
   * @throws `microseg:UnknownZone` when the zone is not in this segmentation or not placed on Azure
   */
  public networkSecurityGroupFor(zone: Zone): AzureResourceReference {
    this.checkPlaced(zone, zone.node.path, 'UnknownZone', `zone "${zone.name}"`);
    if (this.props.nsgScope === AzureNsgScope.WORKLOAD) {
      fail('InvalidProp', zone.node.path, `zone "${zone.name}"`, `has no NSG of its own: ${this.node.path} renders one NSG per workload (nsgScope WORKLOAD).`, 'Use networkSecurityGroupForWorkload(workload) and associate it with the workload\'s network interfaces.');
    }
    return this.nsgReference(zone.name);
  }

  /**
   * The network security group that protects a workload placed on Azure: its own NSG with
   * `nsgScope: AzureNsgScope.WORKLOAD` (associate it with each of the workload's network
   * interfaces, e.g. `NetworkInterfaceSecurityGroupAssociation`), otherwise its zone's NSG.
   *
   * @throws `microseg:UnknownWorkload` when the workload is not in this segmentation or not placed on Azure
   */
  public networkSecurityGroupForWorkload(workload: Workload): AzureResourceReference {
    this.checkPlaced(workload.zone, workload.node.path, 'UnknownWorkload', `workload "${workload.name}"`);
    return this.nsgReference(this.props.nsgScope === AzureNsgScope.WORKLOAD ? workload.name : workload.zone.name);
  }

  /** Plans the model (once); the section with its expected rules in canonical order. */
  protected plannedSection(): ManifestCloudSection {
    return writtenSection(this.plan().plan.section);
  }

  private nsgReference(unit: string): AzureResourceReference {
    const seg = this.segmentation.name;
    const tf = azureNsgTfName(seg, unit);
    return { id: `\${${AZURE_TYPES.nsg}.${tf}.id}`, name: azureNsgName(seg, unit), terraformAddress: `${AZURE_TYPES.nsg}.${tf}` };
  }

  private checkPlaced(zone: Zone, path: string, code: 'UnknownWorkload' | 'UnknownZone', what: string): void {
    if (zone.segmentation !== this.segmentation) {
      fail(code, path, what, `is not part of segmentation "${this.segmentation.name}" rendered by ${this.node.path}.`);
    }
    if (this.props.zones && !this.props.zones.includes(zone.name)) {
      fail(code, path, what, `is in zone "${zone.name}", which is not placed on Azure by ${this.node.path}.`, `Add "${zone.name}" to the backend's zones, or use the backend of the cloud it is placed on.`);
    }
  }

  private plan(): { plan: AzurePlan; policy: IrPolicy } {
    if (!this.planned) this.planned = planFromProps(this.props, this.node.path);
    return this.planned;
  }
}

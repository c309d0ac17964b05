import { Construct } from 'constructs';
import { IrPolicy, writtenSection } from '../ir';
import { fail } from '../model/errors';
import type { Workload } from '../model/workload';
import { claimBackend } from '../ir/backends';
import { attachCdktfRendering, resolveTerraformText } from '../terraform/cdktf-backend';
import { GOOGLE_PROVIDER } from '../terraform/providers';
import { renderSpecs } from './cdktf-render';
import { GcpPlan, gcpNetworkTag } from './plan';
import { GcpIdentity, GcpSegmentationProps } from './props';
import { planFromProps } from './planner';
import { Cloud, ManifestCloudSection, SegmentationBackend } from '../model/backend';

/**
 * Renders a microseg model into GCP VPC firewall rules (`google_compute_firewall`) through CDK
 * for Terraform:
 *
 * - each workload is identified by a network tag (default) or its service account;
 * - an allowed flow becomes an ingress allow rule targeting the destination's identity with the
 *   source's identity (or ranges for `Peer`s and zones on other clouds), and an egress allow rule
 *   targeting the source's identity with destination ranges (egress rules can only name ranges:
 *   the destination zone's `cidrs`; a packet passes only if both allow). Towards zones on GCP
 *   (exact ingress) a source gets one all-traffic egress rule naming every zone range it
 *   reaches (`exactEgressPorts: true` keeps the ports); towards zones elsewhere, MONITOR zones
 *   and `Peer`s egress names the flows' ports;
 * - per zone, explicit deny-all ingress and egress rules (IPv4 and IPv6, logged) at
 *   `defaultDenyPriority` (65000), targeting the zone's workloads (GCP's implied egress rule
 *   allows everything); `DenyFlow` guardrails are logged deny rules at `denyPriority` (900),
 *   stronger than every allow (1000); a zone in MONITOR mode gets logged catch-all allows
 *   (`...-monitor-catchall`) one step before the deny-all;
 * - rule names are lowercase, at most 63 characters, derived from the model (hash-shortened
 *   when too long); peers are rendered minus the model's zone ranges.
 *
 * Rendering is lazy (once, at synth, from the complete model); the manifest
 * `<segmentation>.microseg.json` is written into the app's output folder. cdktf and
 * `@cdktf/provider-google` are loaded only when this construct is created.
 *
 * @see https://cloud.google.com/firewall/docs/firewalls
 */
export class GcpSegmentation extends SegmentationBackend {
  private readonly props: GcpSegmentationProps;
  private planned?: { plan: GcpPlan; policy: IrPolicy };

  constructor(scope: Construct, id: string, props: GcpSegmentationProps) {
    super(scope, id, Cloud.GCP, props?.segmentation);
    this.props = props;
    claimBackend(this.segmentation, this.cloud, this);
    attachCdktfRendering(this, this.cloud, () => this.plan(), plan => renderSpecs(this, plan.resources), {
      what: 'GcpSegmentation', bindings: '@cdktf/provider-google/lib/compute-firewall', provider: GOOGLE_PROVIDER,
    });
  }

  /**
   * The network tag the workload's instances must carry (`<segmentation>-<workload>`,
   * hash-shortened to 63 characters). Used by the rules when `identity` is `NETWORK_TAG`.
   *
   * @throws `microseg:UnknownWorkload` when the workload is not in this segmentation or not placed on GCP
   */
  public networkTagFor(workload: Workload): string {
    this.checkPlaced(workload);
    return gcpNetworkTag(this.segmentation.name, workload.name);
  }

  /**
   * The service account the workload's instances must run as (from `serviceAccounts`). Used by
   * the rules when `identity` is `SERVICE_ACCOUNT`.
   *
   * @throws `microseg:UnknownWorkload` when the workload is not placed on GCP, `microseg:InvalidProp` when it has no service account
   */
  public serviceAccountFor(workload: Workload): string {
    this.checkPlaced(workload);
    const sa = this.props.serviceAccounts?.[workload.name];
    if (!sa) {
      fail('InvalidProp', this.node.path, workload.name, `has no service account in serviceAccounts${(this.props.identity ?? GcpIdentity.NETWORK_TAG) === GcpIdentity.NETWORK_TAG ? ' (identity is NETWORK_TAG: use networkTagFor)' : ''}.`);
    }
    return sa;
  }

  /** Plans the model (once); the section with its expected rules in canonical order. */
  protected plannedSection(): ManifestCloudSection {
    return writtenSection(this.plan().plan.section);
  }

  private checkPlaced(workload: Workload): void {
    if (workload.zone.segmentation !== this.segmentation) {
      fail('UnknownWorkload', workload.node.path, workload.name, `is not part of segmentation "${this.segmentation.name}" rendered by ${this.node.path}.`);
    }
    if (this.props.zones && !this.props.zones.includes(workload.zone.name)) {
      fail('UnknownWorkload', workload.node.path, workload.name, `is in zone "${workload.zone.name}", which is not placed on GCP by ${this.node.path}.`, `Add "${workload.zone.name}" to the backend's zones, or use the backend of the cloud it is placed on.`);
    }
  }

  private plan(): { plan: GcpPlan; policy: IrPolicy } {
    if (!this.planned) this.planned = planFromProps(this.props, this.node.path, v => resolveTerraformText(this, v));
    return this.planned;
  }
}

import { Construct } from 'constructs';
import { IFlowEndpoint } from './endpoint';
import { fail } from './errors';
import { AllowFlow } from './flow';
import { Port } from './port';
import { WORKLOAD_SYMBOL } from './segmentation';
import { Zone } from './zone';

/**
 * Properties of a {@link Workload}.
 */
export interface WorkloadProps {
  /**
   * The workload's name, unique among the segmentation's workloads: lowercase letters, digits
   * and hyphens, starting with a letter, at most 40 characters.
   *
   * @default - the construct id, lower-cased
   */
  readonly name?: string;

  /**
   * Labels of the workload, merged over its zone's labels (the workload's win).
   *
   * @default - the zone's labels only
   */
  readonly labels?: { [key: string]: string };

  /**
   * Known addresses of the workload (CIDRs), optional.
   *
   * @default - none
   */
  readonly cidrs?: string[];
}

/**
 * The unit that gets its own identity in every cloud: one security group (AWS), one application
 * security group (Azure), one network tag or service account (GCP). Child of a {@link Zone}.
 */
export class Workload extends Construct implements IFlowEndpoint {
  /** Whether `x` is a Workload. */
  public static isWorkload(x: unknown): x is Workload {
    return x !== null && typeof x === 'object' && WORKLOAD_SYMBOL in (x as object);
  }

  /** The workload's name. */
  public readonly name: string;
  /** The zone the workload belongs to. */
  public readonly zone: Zone;
  /** The workload's own labels (see `labels` for the merged set). */
  public readonly ownLabels: { [key: string]: string };
  /** Known addresses of the workload. */
  public readonly cidrs: string[];

  constructor(scope: Construct, id: string, props: WorkloadProps = {}) {
    if (!Zone.isZone(scope)) {
      fail('InvalidScope', `${scope?.node?.path ?? ''}/${id}`, undefined, 'a Workload must be a direct child of a Zone.', 'Create it with `new Workload(zone, id)` or `zone.addWorkload(id)`.');
    }
    super(scope, id);
    Object.defineProperty(this, WORKLOAD_SYMBOL, { value: true });
    this.zone = scope;
    this.name = props.name ?? id.toLowerCase();
    this.ownLabels = { ...(props.labels ?? {}) };
    this.cidrs = [...(props.cidrs ?? [])];
  }

  /** The merged labels: the zone's, overlaid with the workload's own. */
  public get labels(): { [key: string]: string } {
    return { ...this.zone.labels, ...this.ownLabels };
  }

  /** `workload:<name>`. */
  public get endpointKey(): string {
    return `workload:${this.name}`;
  }

  /**
   * Allows traffic from `peer` to this workload on the given ports. Calling it twice with the
   * same arguments returns the same flow.
   */
  public allowFrom(peer: IFlowEndpoint, ...ports: Port[]): AllowFlow {
    return this.flowChild('From', peer, this, peer, ports);
  }

  /**
   * Allows traffic from this workload to `peer` on the given ports. Calling it twice with the
   * same arguments returns the same flow.
   */
  public allowTo(peer: IFlowEndpoint, ...ports: Port[]): AllowFlow {
    return this.flowChild('To', peer, peer, this, ports);
  }

  private flowChild(dir: string, peer: IFlowEndpoint, to: IFlowEndpoint, from: IFlowEndpoint, ports: Port[]): AllowFlow {
    const id = `${dir}-${peer.endpointKey}-${ports.map(p => p.key).sort().join('+') || 'none'}`.replace(/\//g, '_');
    const existing = this.node.tryFindChild(id);
    if (existing) return existing as AllowFlow;
    return new AllowFlow(this, id, { from, to, ports });
  }
}

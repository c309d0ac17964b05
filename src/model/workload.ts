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
 * The ports and the bookkeeping of a flow declared with {@link Workload.allowFromWith} or
 * {@link Workload.allowToWith}: the same fields as {@link AllowFlowProps} without the endpoints.
 */
export interface AllowOptions {
  /** The protocols and ports allowed (at least one). */
  readonly ports: Port[];

  /**
   * Why the flow exists. Becomes the rule description in every cloud.
   *
   * @default - derived from the endpoints and ports
   */
  readonly description?: string;

  /**
   * Who owns the flow (a team or person), recorded in the manifest and reports.
   *
   * @default - none
   */
  readonly owner?: string;

  /**
   * Date after which the flow must not be deployed any more (ISO 8601, e.g. `2027-03-31`).
   *
   * @default - never expires
   */
  readonly expires?: string;
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
    props = props ?? {};
    Object.defineProperty(this, WORKLOAD_SYMBOL, { value: true });
    this.zone = scope;
    this.name = props.name ?? id.toLowerCase();
    this.ownLabels = { ...(props.labels ?? {}) };
    // A non-array (e.g. one string) is kept as it is and reported by the compiler (InvalidCidr).
    this.cidrs = Array.isArray(props.cidrs) ? [...props.cidrs] : (props.cidrs ?? []);
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
   * same arguments returns the same flow. To give the flow a description, an owner or an expiry
   * date, use {@link allowFromWith}.
   */
  public allowFrom(peer: IFlowEndpoint, ...ports: Port[]): AllowFlow {
    return this.flowChild('From', peer, this, peer, { ports });
  }

  /**
   * Allows traffic from this workload to `peer` on the given ports. Calling it twice with the
   * same arguments returns the same flow. To give the flow a description, an owner or an expiry
   * date, use {@link allowToWith}.
   */
  public allowTo(peer: IFlowEndpoint, ...ports: Port[]): AllowFlow {
    return this.flowChild('To', peer, peer, this, { ports });
  }

  /**
   * Like {@link allowFrom}, with the ports in an options object that also takes `description`,
   * `owner` and `expires`: `api.allowFromWith(web, { ports: [Port.tcp(8080)], owner: 'team-api' })`.
   * (A separate method, because a jsii method cannot take variadic ports and an options object.)
   * The flow is the same child as `allowFrom(peer, ...ports)` would create; declaring it twice
   * with different options is an error (`microseg:InvalidProp`).
   */
  public allowFromWith(peer: IFlowEndpoint, options: AllowOptions): AllowFlow {
    return this.flowChild('From', peer, this, peer, options);
  }

  /**
   * Like {@link allowTo}, with the ports in an options object that also takes `description`,
   * `owner` and `expires` (see {@link allowFromWith}).
   */
  public allowToWith(peer: IFlowEndpoint, options: AllowOptions): AllowFlow {
    return this.flowChild('To', peer, peer, this, options);
  }

  private flowChild(dir: string, peer: IFlowEndpoint, to: IFlowEndpoint, from: IFlowEndpoint, options: AllowOptions): AllowFlow {
    const opts: Partial<AllowOptions> = options ?? {};
    const ports = Array.isArray(opts.ports) ? opts.ports : [];
    const portKey = (p: Port) => (Port.isPort(p) ? p.key : String((p as { protocol?: unknown } | undefined)?.protocol ?? p));
    const peerKey = (peer as { endpointKey?: unknown } | undefined)?.endpointKey;
    const id = `${dir}-${typeof peerKey === 'string' ? peerKey : 'missing'}-${ports.map(portKey).sort().join('+') || 'none'}`.replace(/\//g, '_');
    const existing = this.node.tryFindChild(id) as AllowFlow | undefined;
    if (existing) {
      const differs = (['description', 'owner', 'expires'] as const).filter(k => opts[k] !== undefined && opts[k] !== existing[k]);
      if (differs.length > 0) {
        fail('InvalidProp', existing.node.path, differs.join(', '), `this flow is already declared with a different ${differs.join(', ')}.`, 'Declare each flow once, with all its options.');
      }
      return existing;
    }
    return new AllowFlow(this, id, { from, to, ports: Array.isArray(opts.ports) ? ports : opts.ports as unknown as Port[], description: opts.description, owner: opts.owner, expires: opts.expires });
  }
}

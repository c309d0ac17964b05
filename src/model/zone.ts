import { Construct } from 'constructs';
import { IFlowEndpoint } from './endpoint';
import { fail } from './errors';
import { EnforcementMode, Segmentation, WORKLOAD_SYMBOL, ZONE_SYMBOL } from './segmentation';
// A value import in a cycle (workload.ts imports this file): only used at run time, inside methods.
import { Workload, WorkloadProps } from './workload';

/**
 * Properties of a {@link Zone}.
 */
export interface ZoneProps {
  /**
   * The zone's name, unique among the segmentation's zones: lowercase letters, digits and
   * hyphens, starting with a letter, at most 40 characters.
   *
   * @default - the construct id, lower-cased
   */
  readonly name?: string;

  /**
   * Labels every workload of the zone inherits (a workload's own labels win).
   *
   * @default - no labels
   */
  readonly labels?: { [key: string]: string };

  /**
   * The zone's address ranges (IPv4 or IPv6 CIDRs). Needed for network ACLs, GCP egress rules,
   * range-based egress and flows that cross clouds.
   *
   * @default - none
   */
  readonly cidrs?: string[];

  /**
   * Enforcement mode of this zone (overrides the segmentation's).
   *
   * @default - the segmentation's mode
   */
  readonly mode?: EnforcementMode;
}

/**
 * A group of workloads: a tier, an environment, a compliance scope. As a flow endpoint it
 * stands for all its workloads. Child of a {@link Segmentation}.
 */
export class Zone extends Construct implements IFlowEndpoint {
  /** Whether `x` is a Zone. */
  public static isZone(x: unknown): x is Zone {
    return x !== null && typeof x === 'object' && ZONE_SYMBOL in (x as object);
  }

  /** The zone's name. */
  public readonly name: string;
  /** The zone's own labels. */
  public readonly labels: { [key: string]: string };
  /** The zone's address ranges. */
  public readonly cidrs: string[];
  /** The segmentation this zone belongs to. */
  public readonly segmentation: Segmentation;

  private readonly explicitMode?: EnforcementMode;

  constructor(scope: Construct, id: string, props: ZoneProps = {}) {
    if (!Segmentation.isSegmentation(scope)) {
      fail('InvalidScope', `${scope?.node?.path ?? ''}/${id}`, undefined, 'a Zone must be a direct child of a Segmentation.', 'Create it with `new Zone(segmentation, id)` or `segmentation.addZone(id)`.');
    }
    super(scope, id);
    props = props ?? {};
    Object.defineProperty(this, ZONE_SYMBOL, { value: true });
    this.segmentation = scope;
    this.name = props.name ?? id.toLowerCase();
    this.labels = { ...(props.labels ?? {}) };
    // A non-array (e.g. one string) is kept as it is and reported by the compiler (InvalidCidr).
    this.cidrs = Array.isArray(props.cidrs) ? [...props.cidrs] : (props.cidrs ?? []);
    this.explicitMode = props.mode;
  }

  /** `zone:<name>`. */
  public get endpointKey(): string {
    return `zone:${this.name}`;
  }

  /** The effective enforcement mode (the zone's own, else the segmentation's). */
  public get mode(): EnforcementMode {
    return this.explicitMode ?? this.segmentation.mode;
  }

  /**
   * Adds a workload to this zone (same as `new Workload(zone, id, props)`).
   */
  public addWorkload(id: string, props: WorkloadProps = {}): Workload {
    return new Workload(this, id, props);
  }

  /** The zone's workloads, sorted by name. */
  public get workloads(): Workload[] {
    return (this.node.children.filter(c => WORKLOAD_SYMBOL in (c as object)) as unknown as Workload[])
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

import { Construct, IConstruct } from 'constructs';
import { fail } from './errors';
import type { AllowFlow, DenyFlow } from './flow';
import type { Workload } from './workload';
// A value import in a cycle (zone.ts imports this file): only used at run time, inside methods.
import { Zone, ZoneProps } from './zone';

const SEGMENTATION_SYMBOL = Symbol.for('microseg.Segmentation');
/** @internal */
export const ZONE_SYMBOL = Symbol.for('microseg.Zone');
/** @internal */
export const WORKLOAD_SYMBOL = Symbol.for('microseg.Workload');
/** @internal */
export const ALLOW_SYMBOL = Symbol.for('microseg.AllowFlow');
/** @internal */
export const DENY_SYMBOL = Symbol.for('microseg.DenyFlow');

/**
 * How a segmentation (or one zone) is enforced.
 */
export enum EnforcementMode {
  /** Default deny: only declared flows pass. */
  ENFORCE = 'ENFORCE',
  /**
   * Declared rules are rendered plus a clearly named catch-all allow (`...-monitor-catchall`),
   * so traffic keeps flowing while flow logs show what enforcement would block.
   */
  MONITOR = 'MONITOR',
}

/**
 * Properties of a {@link Segmentation}.
 */
export interface SegmentationProps {
  /**
   * The segmentation's name: lowercase letters, digits and hyphens, starting with a letter, at
   * most 40 characters. It prefixes every rendered resource name and names the manifest file.
   *
   * @default - the construct id, lower-cased
   */
  readonly name?: string;

  /**
   * How the segmentation is enforced; zones may override it.
   *
   * @default EnforcementMode.ENFORCE
   */
  readonly mode?: EnforcementMode;
}

/**
 * The root of a microsegmentation model: zones, their workloads, and the flows allowed between
 * them. Everything that is not allowed is denied.
 *
 * Semantics: allows are unioned (order never matters); a packet passes only if some `AllowFlow`
 * matches it and no `DenyFlow` does (denies always win). A flow needs both sides: the backends
 * render it as egress at the source and ingress at the destination.
 *
 * A Segmentation may sit anywhere in a CDK or CDKTF construct tree, or be a root of its own
 * (`Segmentation.root('Shop')`) so one model can feed a CDK app and a CDKTF app.
 */
export class Segmentation extends Construct {
  /**
   * Creates a segmentation that is the root of its own construct tree, to share one model
   * between several apps (e.g. a CDK app for AWS and a CDKTF app for Azure and GCP).
   */
  public static root(id: string, props: SegmentationProps = {}): Segmentation {
    return new Segmentation(undefined as unknown as Construct, id, props);
  }

  /** Whether `x` is a Segmentation. */
  public static isSegmentation(x: unknown): x is Segmentation {
    return x !== null && typeof x === 'object' && SEGMENTATION_SYMBOL in (x as object);
  }

  /**
   * The segmentation that contains `construct`.
   *
   * @throws `microseg:InvalidScope` when `construct` is not inside a segmentation
   */
  public static of(construct: IConstruct): Segmentation {
    const found = construct.node.scopes.slice().reverse().find(s => Segmentation.isSegmentation(s));
    if (!found) {
      fail('InvalidScope', construct.node.path, undefined, 'is not inside a microseg Segmentation.', 'Create zones and flows as children of a Segmentation (or of its zones and workloads).');
    }
    return found as Segmentation;
  }

  /** The segmentation's name. */
  public readonly name: string;
  /** The default enforcement mode. */
  public readonly mode: EnforcementMode;

  private readonly acknowledged = new Map<string, string>();

  constructor(scope: Construct, id: string, props: SegmentationProps = {}) {
    super(scope, id);
    Object.defineProperty(this, SEGMENTATION_SYMBOL, { value: true });
    this.name = props.name ?? id.toLowerCase();
    this.mode = props.mode ?? EnforcementMode.ENFORCE;
  }

  /**
   * Adds a zone to this segmentation (same as `new Zone(segmentation, id, props)`).
   */
  public addZone(id: string, props: ZoneProps = {}): Zone {
    return new Zone(this, id, props);
  }

  /** The zones, sorted by name (then construct path). */
  public get zones(): Zone[] {
    // Path breaks ties between equal names, so even a duplicate-name error is order-independent.
    return this.collect<Zone>(ZONE_SYMBOL).sort((a, b) => cmp(a.name, b.name) || cmp(a.node.path, b.node.path));
  }

  /** Every workload of every zone, sorted by name (then construct path). */
  public get workloads(): Workload[] {
    return this.collect<Workload>(WORKLOAD_SYMBOL).sort((a, b) => cmp(a.name, b.name) || cmp(a.node.path, b.node.path));
  }

  /** Every allowed flow, sorted by construct path. */
  public get allowFlows(): AllowFlow[] {
    return this.collect<AllowFlow>(ALLOW_SYMBOL).sort((a, b) => cmp(a.node.path, b.node.path));
  }

  /** Every deny guardrail, sorted by construct path. */
  public get denyFlows(): DenyFlow[] {
    return this.collect<DenyFlow>(DENY_SYMBOL).sort((a, b) => cmp(a.node.path, b.node.path));
  }

  /** The zone with this name, if any. */
  public findZone(name: string): Zone | undefined {
    return this.zones.find(z => z.name === name);
  }

  /** The workload with this name, if any. */
  public findWorkload(name: string): Workload | undefined {
    return this.workloads.find(w => w.name === name);
  }

  /**
   * Acknowledges a warning by its stable id (e.g. `microseg:PartialShadow`), with the reason.
   * Acknowledged warnings are not printed, and are recorded with their reason in the manifest.
   */
  public acknowledgeWarning(id: string, reason: string): void {
    this.acknowledged.set(id, reason);
  }

  /** The acknowledged warning ids and their reasons. */
  public get acknowledgedWarnings(): { [id: string]: string } {
    return Object.fromEntries([...this.acknowledged.entries()].sort(([a], [b]) => cmp(a, b)));
  }

  private collect<T>(symbol: symbol): T[] {
    return this.node.findAll().filter(c => symbol in (c as object)) as unknown as T[];
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

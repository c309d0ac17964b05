import { Construct } from 'constructs';
import { IFlowEndpoint } from './endpoint';
import { Port } from './port';
import { Segmentation } from './segmentation';

const INVARIANT_SYMBOL = Symbol.for('microseg.Invariant');

/** What an {@link Invariant} asserts. */
export enum InvariantKind {
  /** {@link Isolation}: nothing reaches a zone or selector except the listed endpoints. */
  ISOLATION = 'ISOLATION',
  /** {@link NeverReach}: no path from one endpoint to another, directly or through compromised workloads. */
  NEVER_REACH = 'NEVER_REACH',
  /** {@link MustReach}: one endpoint can reach another on the given ports. */
  MUST_REACH = 'MUST_REACH',
}

/**
 * What every invariant carries: why it exists and who answers for it. Both are written into the
 * manifest and into every violation and audit finding.
 */
export interface InvariantProps {
  /**
   * Why the invariant exists (e.g. `PCI DSS 1.3: the cardholder data zone is isolated`).
   *
   * @default - derived from the invariant's endpoints
   */
  readonly description?: string;

  /**
   * Who answers for the invariant (a team or person).
   *
   * @default - none
   */
  readonly owner?: string;
}

/**
 * Properties of an {@link Isolation}.
 */
export interface IsolationProps extends InvariantProps {
  /** The isolated endpoints: a `Zone` or a `Selector` (a `Workload` is accepted too). */
  readonly target: IFlowEndpoint;

  /**
   * The endpoints that may reach the target (workloads, zones, selectors or peers). Workloads of
   * the target itself always may.
   *
   * @default - none: only the target's own workloads reach it
   */
  readonly except?: IFlowEndpoint[];

  /**
   * The traffic the isolation is about.
   *
   * @default - all traffic
   */
  readonly ports?: Port[];
}

/**
 * Properties of a {@link NeverReach}.
 */
export interface NeverReachProps extends InvariantProps {
  /** Where an attacker starts: a workload, zone, selector or peer (`Peer.anyIpv4()`: the internet). */
  readonly from: IFlowEndpoint;
  /** What must stay out of reach: a workload, zone, selector or peer. */
  readonly to: IFlowEndpoint;

  /**
   * The traffic that must never arrive at `to` (the last hop of a path).
   *
   * @default - all traffic
   */
  readonly ports?: Port[];

  /**
   * The longest path considered, in hops. `1` checks direct flows only; `3` also paths through
   * two compromised intermediate workloads (an attacker who controls a workload uses every
   * service it reaches to pivot, as in `SegmentationAnalysis.blastRadius`).
   *
   * @default 1
   */
  readonly maxHops?: number;
}

/**
 * Properties of a {@link MustReach}.
 */
export interface MustReachProps extends InvariantProps {
  /** The clients: every workload of it (or every address of a peer) must reach `to`. */
  readonly from: IFlowEndpoint;
  /** The servers: every workload of it (or every address of a peer) must be reached. */
  readonly to: IFlowEndpoint;
  /** The traffic that must pass (every port of every range). */
  readonly ports: Port[];
}

/**
 * A property the segmentation must keep, checked at synth on the model and on every backend's
 * rendered rules, and by `microseg audit` on the live rules. A violation fails synth with
 * `microseg:InvariantViolated`, naming the invariant and the path that breaks it (hop by hop,
 * with the flows that open each hop), or for a {@link MustReach} what blocks it.
 *
 * Invariants are children of a {@link Segmentation} (any depth). See `docs/invariants.md`.
 */
export abstract class Invariant extends Construct {
  /** Whether `x` is an Invariant. */
  public static isInvariant(x: unknown): x is Invariant {
    return x !== null && typeof x === 'object' && INVARIANT_SYMBOL in (x as object);
  }

  /**
   * The invariants of a segmentation, sorted by construct path.
   */
  public static of(segmentation: Segmentation): Invariant[] {
    return segmentation.node.findAll().filter(c => Invariant.isInvariant(c))
      .map(c => c as Invariant)
      .sort((a, b) => (a.node.path < b.node.path ? -1 : a.node.path > b.node.path ? 1 : 0));
  }

  /** What the invariant asserts. */
  public readonly kind: InvariantKind;
  /** Why the invariant exists. */
  public readonly description?: string;
  /** Who answers for the invariant. */
  public readonly owner?: string;
  /** The segmentation the invariant belongs to. */
  public readonly segmentation: Segmentation;

  protected constructor(scope: Construct, id: string, kind: InvariantKind, props: InvariantProps) {
    super(scope, id);
    Object.defineProperty(this, INVARIANT_SYMBOL, { value: true });
    this.segmentation = Segmentation.of(this);
    this.kind = kind;
    this.description = props?.description;
    this.owner = props?.owner;
  }
}

/**
 * Nothing reaches `target` except its own workloads and the `except` endpoints: "nothing
 * reaches the data zone except the app tier". A direct property (one hop): a flow from any other
 * workload, or from any address outside the `except` peers, into a workload of the target
 * breaks it.
 *
 * @example
 * new Isolation(shop, 'DataIsolated', { target: data, except: [app], owner: 'team-sec', description: 'PCI scope' });
 */
export class Isolation extends Invariant {
  /** The isolated endpoints. */
  public readonly target: IFlowEndpoint;
  /** The endpoints that may reach the target. */
  public readonly except: IFlowEndpoint[];
  /** The traffic the isolation is about. */
  public readonly ports: Port[];

  constructor(scope: Construct, id: string, props: IsolationProps) {
    super(scope, id, InvariantKind.ISOLATION, props ?? ({} as IsolationProps));
    const p: Partial<IsolationProps> = props ?? {};
    // Missing or malformed props are reported by the compiler with codes, all at once.
    this.target = p.target!;
    this.except = Array.isArray(p.except) ? [...p.except] : (p.except === undefined ? [] : p.except as unknown as IFlowEndpoint[]);
    this.ports = portsOrAll(p.ports);
  }
}

/**
 * No path from `from` to `to` on `ports`: directly, or (with `maxHops` above 1) through
 * workloads an attacker has compromised on the way. Intermediate hops may use any service; the
 * last hop is the one that must not carry `ports`.
 *
 * @example
 * new NeverReach(shop, 'InternetNeverReachesData', { from: Peer.anyIpv4(), to: data, maxHops: 3, owner: 'team-sec' });
 */
export class NeverReach extends Invariant {
  /** Where an attacker starts. */
  public readonly from: IFlowEndpoint;
  /** What must stay out of reach. */
  public readonly to: IFlowEndpoint;
  /** The traffic that must never arrive. */
  public readonly ports: Port[];
  /** The longest path considered, in hops. */
  public readonly maxHops: number;

  constructor(scope: Construct, id: string, props: NeverReachProps) {
    super(scope, id, InvariantKind.NEVER_REACH, props ?? ({} as NeverReachProps));
    const p: Partial<NeverReachProps> = props ?? {};
    this.from = p.from!;
    this.to = p.to!;
    this.ports = portsOrAll(p.ports);
    this.maxHops = p.maxHops ?? 1;
  }
}

/**
 * Every workload (or address) of `from` can reach every workload (or address) of `to` on every
 * port of `ports`, directly. What blocks it is named when it does not hold: no flow, a
 * `DenyFlow`, or the rendered rules of a cloud.
 *
 * @example
 * new MustReach(shop, 'FrontendReachesApi', { from: frontend, to: api, ports: [Port.tcp(8080)], owner: 'team-web' });
 */
export class MustReach extends Invariant {
  /** The clients. */
  public readonly from: IFlowEndpoint;
  /** The servers. */
  public readonly to: IFlowEndpoint;
  /** The traffic that must pass. */
  public readonly ports: Port[];

  constructor(scope: Construct, id: string, props: MustReachProps) {
    super(scope, id, InvariantKind.MUST_REACH, props ?? ({} as MustReachProps));
    const p: Partial<MustReachProps> = props ?? {};
    this.from = p.from!;
    this.to = p.to!;
    this.ports = Array.isArray(p.ports) ? [...p.ports] : (p.ports === undefined ? [] : p.ports as unknown as Port[]);
  }
}

/** The ports given, or all traffic when none (a non-array is kept for the compiler to report). */
function portsOrAll(ports: Port[] | undefined): Port[] {
  if (ports === undefined || (Array.isArray(ports) && ports.length === 0)) return [Port.allTraffic()];
  return Array.isArray(ports) ? [...ports] : ports as unknown as Port[];
}

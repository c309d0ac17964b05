import { Construct } from 'constructs';
import { IFlowEndpoint } from './endpoint';
import { Port } from './port';
import { ALLOW_SYMBOL, DENY_SYMBOL, Segmentation } from './segmentation';

/**
 * Properties of an {@link AllowFlow}.
 */
export interface AllowFlowProps {
  /** Where the traffic starts. */
  readonly from: IFlowEndpoint;
  /** Where the traffic goes. */
  readonly to: IFlowEndpoint;
  /** The protocols and ports allowed (at least one). */
  readonly ports: Port[];

  /**
   * Why the flow exists. Becomes the rule description in every cloud, and the reason of
   * suppressed findings (e.g. cdk-nag) for internet-facing flows.
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
   * Synth fails once it has passed (`microseg:ExpiredFlow`) and warns during the last 14 days.
   *
   * @default - never expires
   */
  readonly expires?: string;
}

/**
 * One allowed flow: traffic from `from` to `to` on `ports`. Allows are unioned; order never
 * matters. The flow must be inside a {@link Segmentation} (any depth).
 */
export class AllowFlow extends Construct {
  /** Whether `x` is an AllowFlow. */
  public static isAllowFlow(x: unknown): x is AllowFlow {
    return x !== null && typeof x === 'object' && ALLOW_SYMBOL in (x as object);
  }

  /** Where the traffic starts. */
  public readonly from: IFlowEndpoint;
  /** Where the traffic goes. */
  public readonly to: IFlowEndpoint;
  /** The protocols and ports allowed. */
  public readonly ports: Port[];
  /** Why the flow exists. */
  public readonly description?: string;
  /** Who owns the flow. */
  public readonly owner?: string;
  /** Expiry date (ISO 8601), if any. */
  public readonly expires?: string;
  /** The segmentation the flow belongs to. */
  public readonly segmentation: Segmentation;

  constructor(scope: Construct, id: string, props: AllowFlowProps) {
    super(scope, id);
    Object.defineProperty(this, ALLOW_SYMBOL, { value: true });
    this.segmentation = Segmentation.of(this);
    // Missing or malformed props are reported by the compiler with codes, all at once.
    const p: Partial<AllowFlowProps> = props ?? {};
    this.from = p.from!;
    this.to = p.to!;
    this.ports = Array.isArray(p.ports) ? [...p.ports] : (p.ports === undefined ? [] : p.ports as unknown as Port[]);
    this.description = p.description;
    this.owner = p.owner;
    this.expires = p.expires;
  }

  /** `<from> -> <to>`: the flow's endpoints as text. */
  public get flowKey(): string {
    return `${endpointText(this.from)} -> ${endpointText(this.to)}`;
  }
}

/**
 * Properties of a {@link DenyFlow}.
 */
export interface DenyFlowProps {
  /** Where the denied traffic starts. */
  readonly from: IFlowEndpoint;
  /** Where the denied traffic goes. */
  readonly to: IFlowEndpoint;

  /**
   * The protocols and ports denied.
   *
   * @default - all traffic
   */
  readonly ports?: Port[];

  /**
   * Why the guardrail exists.
   *
   * @default - derived from the endpoints
   */
  readonly description?: string;
}

/**
 * A guardrail that always wins over allows. The compiler subtracts it from every allow: an
 * allow that becomes empty is an error (`microseg:ShadowedFlow`), a partly shadowed allow is a
 * warning (`microseg:PartialShadow`) that names the removed pairs. Where a cloud has deny rules
 * (network ACLs, Azure NSGs, GCP firewall) the guardrail is also rendered as deny rules.
 */
export class DenyFlow extends Construct {
  /** Whether `x` is a DenyFlow. */
  public static isDenyFlow(x: unknown): x is DenyFlow {
    return x !== null && typeof x === 'object' && DENY_SYMBOL in (x as object);
  }

  /** Where the denied traffic starts. */
  public readonly from: IFlowEndpoint;
  /** Where the denied traffic goes. */
  public readonly to: IFlowEndpoint;
  /** The protocols and ports denied. */
  public readonly ports: Port[];
  /** Why the guardrail exists. */
  public readonly description?: string;
  /** The segmentation the guardrail belongs to. */
  public readonly segmentation: Segmentation;

  constructor(scope: Construct, id: string, props: DenyFlowProps) {
    super(scope, id);
    Object.defineProperty(this, DENY_SYMBOL, { value: true });
    this.segmentation = Segmentation.of(this);
    const p: Partial<DenyFlowProps> = props ?? {};
    this.from = p.from!;
    this.to = p.to!;
    this.ports = Array.isArray(p.ports) && p.ports.length > 0 ? [...p.ports] : (p.ports === undefined || Array.isArray(p.ports) ? [Port.allTraffic()] : p.ports as unknown as Port[]);
    this.description = p.description;
  }

  /** `<from> -> <to>`: the guardrail's endpoints as text. */
  public get flowKey(): string {
    return `${endpointText(this.from)} -> ${endpointText(this.to)}`;
  }
}

/** An endpoint's key, or a readable stand-in for a missing or foreign value (never throws). */
function endpointText(ep: IFlowEndpoint | undefined): string {
  const key = (ep as { endpointKey?: unknown } | undefined | null)?.endpointKey;
  return typeof key === 'string' ? key : `<${ep === undefined ? 'missing' : typeof ep}>`;
}

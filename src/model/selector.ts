import { IFlowEndpoint } from './endpoint';

/**
 * All workloads whose merged labels (zone labels overlaid with the workload's own) contain every
 * given key/value pair. Resolved when the model is compiled; a selector that matches no workload
 * is an error (`microseg:EmptyEndpoint`).
 */
export class Selector implements IFlowEndpoint {
  /**
   * Select workloads by labels, e.g. `Selector.labels({ app: 'web', env: 'prod' })`.
   */
  public static labels(labels: { [key: string]: string }): Selector {
    return new Selector(labels);
  }

  /** Whether `x` is a Selector. */
  public static isSelector(x: unknown): x is Selector {
    return x instanceof Selector;
  }

  /** The label pairs every selected workload must carry. */
  public readonly matchLabels: { [key: string]: string };

  private constructor(labels: { [key: string]: string }) {
    this.matchLabels = { ...labels };
  }

  /** `selector:k1=v1,k2=v2` with keys sorted. */
  public get endpointKey(): string {
    const pairs = Object.keys(this.matchLabels).sort().map(k => `${k}=${this.matchLabels[k]}`);
    return `selector:${pairs.join(',')}`;
  }

  /** Whether the given merged labels match this selector. */
  public matches(labels: { [key: string]: string }): boolean {
    return Object.entries(this.matchLabels).every(([k, v]) => labels[k] === v);
  }
}

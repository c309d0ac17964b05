/**
 * Analyses of a segmentation model: the reachability matrix, the blast radius of a workload, and
 * summary figures. They run on the compiled policy (after selectors were resolved and denies
 * subtracted), so they describe exactly what every backend renders. No cloud imports.
 */
import { compile } from '../ir/compile';
import { IrPolicy } from '../ir/types';
import { MicrosegError } from '../model/errors';
import { Segmentation } from '../model/segmentation';
import { Workload } from '../model/workload';
import { blastRadiusOf } from './blast-radius';
import { checkInvariants, InvariantResult } from './invariants';
import { reachabilityOf } from './reachability';
import { formatSummaryText, summaryOf } from './summary';
import { AnalysisOptions, BlastRadius, ReachabilityEntry, SegmentationSummary } from './types';

export * from './types';
export type { InvariantHop, InvariantResult } from './invariants';

/**
 * Analyses of one segmentation model.
 *
 * Creating the analysis compiles the model, so it throws the same `microseg:...` errors as a
 * backend would (invalid input, expired or fully shadowed flows).
 *
 * @example
 * const analysis = SegmentationAnalysis.of(segmentation);
 * console.log(analysis.formatSummary());
 * const radius = analysis.blastRadius(web);
 * for (const t of radius.reachable) console.log(t.hops, t.target, t.services.join(','));
 */
export class SegmentationAnalysis {
  /**
   * Compiles `segmentation` and returns its analyses.
   *
   * @throws `microseg:*` errors for an invalid model (all problems listed together)
   */
  public static of(segmentation: Segmentation, options: AnalysisOptions = {}): SegmentationAnalysis {
    return new SegmentationAnalysis(segmentation, compile(segmentation, { now: options.now }));
  }

  private readonly segmentation: Segmentation;
  private readonly policy: IrPolicy;

  private constructor(segmentation: Segmentation, policy: IrPolicy) {
    this.segmentation = segmentation;
    this.policy = policy;
  }

  /** Summary figures: zones, workloads, flows, denies, IR rules, allowed pairs, exposure. */
  public summary(): SegmentationSummary {
    return summaryOf(this.policy);
  }

  /** The summary as a short human-readable text block. */
  public formatSummary(): string {
    return formatSummaryText(summaryOf(this.policy));
  }

  /**
   * The reachability matrix: one entry per (source, destination) that may talk, with the
   * services. Sources and destinations are workloads or CIDRs outside the model; a CIDR allow
   * that a DenyFlow punches a hole into appears as the remaining ranges.
   */
  public reachability(): ReachabilityEntry[] {
    return reachabilityOf(this.policy);
  }

  /**
   * What an attacker who controls `workload` can reach, directly and by pivoting through the
   * workloads it reaches, with the hop count and the ports of each last hop.
   *
   * @throws `microseg:UnknownWorkload` when the workload is not part of this segmentation
   */
  public blastRadius(workload: Workload): BlastRadius {
    if (workload.zone.segmentation !== this.segmentation) {
      throw new MicrosegError({
        code: 'UnknownWorkload', path: workload.node.path, value: workload.name,
        message: `belongs to another segmentation (${workload.zone.segmentation.node.path}), not ${this.segmentation.node.path}.`,
        hint: 'Analyse it with SegmentationAnalysis.of(<its segmentation>).',
      });
    }
    return this.blastRadiusByName(workload.name);
  }

  /**
   * The blast radius of the workload with this name (see `blastRadius`).
   *
   * @throws `microseg:UnknownWorkload` when there is no workload of that name
   */
  public blastRadiusByName(name: string): BlastRadius {
    return blastRadiusOf(this.policy, name);
  }

  /**
   * The verdict on every invariant (`Isolation`, `NeverReach`, `MustReach`) of the model, by
   * construct path: whether it holds on the compiled model and, when it does not, the path that
   * breaks it hop by hop (with the flows that open each hop) or what blocks a `MustReach`.
   * Backends run the same check at synth and fail with `microseg:InvariantViolated` (see
   * `docs/invariants.md`).
   */
  public invariants(): InvariantResult[] {
    return checkInvariants(this.policy);
  }
}

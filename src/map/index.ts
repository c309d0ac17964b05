/**
 * The segmentation map and the segmentation report: what the model allows, drawn (one
 * self-contained HTML page, laid out at generation time) and counted (markdown for a pull
 * request, JSON for dashboards). Both read a manifest written at synth (or a segmentation of this
 * process) and, optionally, the JSON of `microseg traffic simulate`.
 * @see https://github.com/microseg/microseg/blob/main/docs/map.md
 */
import { checkOutput, writeAtomically } from '../ir/files';
import { buildGraph } from './graph';
import { renderPage } from './html';
import { invariantsSide } from './invariants';
import { AUTO_COLLAPSE_ABOVE, layoutGraph } from './layout';
import { buildReport, renderReport } from './report';
import { loadSource } from './source';
import { MapCollapse, MapOptions, MapSummary, MapWriteOptions, ReportFormat, ReportOptions, SegmentationReportData } from './types';

export * from './types';

/**
 * The segmentation map: one HTML file with everything inline (no request leaves the page), laid
 * out at generation time with elkjs. Zones are groups of workloads; peers are the ranges flows
 * name (internet, on-premises); edges are the allowed pairs with their ports, guardrail denies and,
 * with traffic, observed, would-block and unused flows, each in its own colour and line style.
 * Clicking a workload shows its blast radius; the page carries tables as a text alternative.
 *
 * elkjs is an optional dependency: without it, `[microseg:MissingDependency]` names `npm i elkjs`.
 *
 * @example
 * await SegmentationMap.write({ manifest: 'cdk.out/shop.microseg.json', output: 'map.html' });
 */
export class SegmentationMap {
  /**
   * Renders the map page.
   *
   * @returns the HTML text
   * @throws `microseg:ManifestInvalid`, `InvalidOption` (traffic file), `MissingDependency` (elkjs)
   */
  public static async render(options: MapOptions): Promise<string> {
    return (await SegmentationMap.build(options)).html;
  }

  /**
   * Renders the map page and writes it to `options.output` (atomically; never over an input).
   *
   * @throws `microseg:UnsafeOutput` when the output is one of the inputs, and the errors of `render`
   */
  public static async write(options: MapWriteOptions): Promise<MapSummary> {
    const inputs = [
      ...(options.manifest ? [{ file: options.manifest, what: 'manifest' }] : []),
      ...(options.traffic ? [{ file: options.traffic, what: 'traffic simulation' }] : []),
    ];
    checkOutput(options.output, inputs);
    const built = await SegmentationMap.build(options);
    checkOutput(options.output, built.inputs);
    writeAtomically(options.output, built.html);
    return { ...built.summary, file: options.output };
  }

  private static async build(options: MapOptions): Promise<{ html: string; summary: MapSummary; inputs: { file: string; what: string }[] }> {
    const source = loadSource(options);
    const graph = buildGraph(source.policy, source.traffic);
    const layout = await layoutGraph(graph);
    const collapse = options.collapse ?? MapCollapse.AUTO;
    const collapsed = collapse === MapCollapse.ALL || (collapse === MapCollapse.AUTO && graph.workloadCount > AUTO_COLLAPSE_ABOVE);
    const side = options.invariants ? invariantsSide(source) : undefined;
    const html = renderPage(graph, layout, {
      title: options.title ?? `${graph.segmentation} segmentation map`, collapsed,
      extraSide: side?.side, extraText: side?.text,
    });
    return {
      html,
      inputs: [
        ...(source.manifestFile ? [{ file: source.manifestFile, what: 'manifest' }] : []),
        ...(source.trafficFile ? [{ file: source.trafficFile, what: 'traffic simulation' }] : []),
      ],
      summary: {
        bytes: Buffer.byteLength(html), zones: graph.zones.length, workloads: graph.workloadCount,
        peers: graph.nodes.filter(n => n.kind === 'peer').length, edges: graph.edges.length,
        traffic: graph.traffic, collapsed,
      },
    };
  }

  private constructor() {}
}

/**
 * The segmentation report: workloads covered by the model, allowed pairs out of all pairs (the
 * surface), flows per owner, expiring flows, and with traffic the unused flows and what would be
 * blocked; invariants with their verdicts when the manifest declares any.
 *
 * @example
 * const report = SegmentationReport.of({ manifest: 'cdk.out/shop.microseg.json' });
 * console.log(SegmentationReport.render(report, ReportFormat.MARKDOWN));
 */
export class SegmentationReport {
  /**
   * Builds the report.
   *
   * @throws `microseg:ManifestInvalid`, `InvalidOption` (traffic file), or the model's own errors
   */
  public static of(options: ReportOptions): SegmentationReportData {
    return buildReport(loadSource(options), options.expiringWithinDays ?? 30);
  }

  /** Renders a report as markdown (for a pull request) or JSON (for dashboards). */
  public static render(report: SegmentationReportData, format: ReportFormat): string {
    return renderReport(report, format);
  }

  private constructor() {}
}

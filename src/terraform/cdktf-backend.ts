/**
 * What the Azure and GCP cdktf constructs share: render once at synth (from an aspect on the
 * construct, so flows declared after the construct count), report the plan's warnings, and write
 * the manifest from cdktf's custom-synthesis hook with Terraform tokens resolved. cdktf is
 * required lazily: only when a construct is created, never when the submodule is imported.
 *
 * @internal (not exported from any submodule index)
 */
import type { ISynthesisSession } from 'cdktf';
import type { IConstruct } from 'constructs';
import { Cloud, IrPolicy, ManifestCloudSection, writeManifest } from '../ir';
import type { MicrosegWarning } from '../model/errors';
import { requireDependency } from './require';

/** The part of a cloud plan this module needs. */
export interface CdktfPlan {
  readonly section: ManifestCloudSection;
  readonly warnings: MicrosegWarning[];
}

function cdktfModule(what: string, path: string): typeof import('cdktf') {
  return requireDependency<typeof import('cdktf')>('cdktf', what, path);
}

/** Resolves a cdktf token to its Terraform text (`${google_compute_network.vpc.name}`); other strings pass through. */
export function resolveTerraformText(scope: IConstruct, value: string): string {
  const cdktf = cdktfModule('a Terraform backend', scope.node.path);
  if (!cdktf.Token.isUnresolved(value)) return value;
  return String(cdktf.Tokenization.resolve(value, { scope, resolver: new cdktf.DefaultTokenResolver(new cdktf.StringConcat()) }));
}

/**
 * Wires lazy rendering and the manifest into a backend construct. `plan` is called (and should
 * cache) when rendering; `emit` creates the cdktf resources once. `what` names the construct
 * class and `provider` a module of its provider bindings: both cdktf and the provider are
 * checked when the construct is created, so a missing package fails there, with the install line.
 */
export function attachCdktfRendering<P extends CdktfPlan>(
  construct: IConstruct,
  cloud: Cloud,
  plan: () => { plan: P; policy: IrPolicy },
  emit: (plan: P) => void,
  what: string = 'a Terraform backend',
  provider?: string,
): void {
  const cdktf = cdktfModule(what, construct.node.path);
  if (provider) requireDependency(provider, what, construct.node.path);
  let rendered = false;
  const render = () => {
    if (rendered) return;
    rendered = true;
    const p = plan().plan;
    emit(p);
    for (const w of p.warnings) cdktf.Annotations.of(construct).addWarning(`[${w.id}] at ${w.path}: ${w.message}`);
  };
  cdktf.Aspects.of(construct).add({ visit: (node: IConstruct) => { if (node === construct) render(); } });
  Object.defineProperty(construct, Symbol.for('cdktf/customSynthesis'), {
    value: {
      onSynthesize: (session: ISynthesisSession) => {
        render();
        const { plan: p, policy } = plan();
        const resolve = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, resolveTerraformText(construct, v)]));
        const resolveAll = (m: Record<string, Record<string, string>>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, resolve(v)]));
        writeManifest(session.outdir, policy, cloud, {
          ...p.section,
          settings: resolve(p.section.settings),
          identities: resolveAll(p.section.identities),
          containers: resolveAll(p.section.containers),
        });
      },
    },
    enumerable: false,
  });
}

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
import type { TfProviderRequirement } from './util';

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

/** What a backend construct needs from cdktf and its provider. */
export interface CdktfBackendOptions {
  /** The construct class, for messages (`GcpSegmentation`). */
  readonly what: string;
  /** A module of the provider bindings, checked when the construct is created. */
  readonly bindings: string;
  /** The provider requirement the rendered resources are tested against. */
  readonly provider: TfProviderRequirement;
}

/**
 * Wires lazy rendering and the manifest into a backend construct. `plan` is called (and should
 * cache) when rendering; `emit` creates the cdktf resources once. cdktf and the provider bindings
 * are checked when the construct is created, so a missing package fails there, with the install
 * line. Unless the stack configures the provider itself (its provider construct then declares
 * the requirement), the stack gets `terraform.required_providers` for the backend's provider.
 */
export function attachCdktfRendering<P extends CdktfPlan>(
  construct: IConstruct,
  cloud: Cloud,
  plan: () => { plan: P; policy: IrPolicy },
  emit: (plan: P) => void,
  options: CdktfBackendOptions,
): void {
  const cdktf = cdktfModule(options.what, construct.node.path);
  requireDependency(options.bindings, options.what, construct.node.path);
  let rendered = false;
  const render = () => {
    if (rendered) return;
    rendered = true;
    const p = plan().plan;
    emit(p);
    const stack = cdktf.TerraformStack.of(construct);
    const name = options.provider.name;
    const configured = stack.node.findAll().some(c => cdktf.TerraformProvider.isTerraformProvider(c) && c.terraformResourceType === name);
    if (!configured) {
      stack.addOverride(`terraform.required_providers.${name}`, { source: options.provider.source, version: options.provider.version });
    }
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

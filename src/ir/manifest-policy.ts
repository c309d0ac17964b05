/**
 * A manifest read back into the compiled policy it records (the inverse of `buildManifest`), so
 * the map, the report and the invariant checks of the audit work from the manifest alone, without
 * the app. Every problem is listed at once (`ManifestInvalid`). Pure.
 */
import { MicrosegError, MicrosegProblem } from '../model/errors';
import { MANIFEST_SCHEMA_VERSION } from './manifest';
import { parseServiceKey } from './services';
import { IrAtom, IrPolicy, IrRule } from './types';

const isArray = Array.isArray;

/**
 * The compiled policy a manifest carries, rebuilt: the model's zones, workloads, flows and denies
 * as written, the IR rules with their atoms, and the invariants. Every problem is listed at once;
 * `file` is where the manifest was read (the problems' path).
 */
export function policyOfManifest(m: any, file: string = 'manifest'): IrPolicy {
  const problems: MicrosegProblem[] = [];
  const bad = (value: unknown, message: string) => problems.push({ code: 'ManifestInvalid', path: file, value, message, hint: 'Synthesize again to write a complete manifest.' });
  if (m?.schemaVersion !== MANIFEST_SCHEMA_VERSION || m?.generator !== 'microseg') {
    throw new MicrosegError({ code: 'ManifestInvalid', path: file, value: m?.schemaVersion, message: `is not a microseg manifest of schema version ${MANIFEST_SCHEMA_VERSION}.`, hint: 'Pass the <segmentation>.microseg.json written at synth.' });
  }
  const model = m.model ?? {};
  for (const k of ['zones', 'workloads', 'flows', 'denies']) if (!isArray(model[k])) bad(k, `model.${k} is missing.`);
  if (!isArray(m.rules)) bad('rules', 'rules are missing.');
  if (typeof m.segmentation?.name !== 'string') bad('segmentation', 'segmentation.name is missing.');
  if (problems.length) throw MicrosegError.fromProblems(problems);
  const zoneOf = new Map<string, string>();
  for (const w of model.workloads) {
    if (typeof w?.name !== 'string' || typeof w?.zone !== 'string') bad(w, 'a workload without name or zone.');
    else zoneOf.set(w.name, w.zone);
  }
  const zones = new Set<string>(model.zones.map((z: any) => z?.name));
  for (const [w, z] of zoneOf) if (!zones.has(z)) bad(w, `workload ${w} names zone ${z}, which the manifest does not declare.`);
  const atom = (key: unknown): IrAtom | undefined => {
    if (typeof key !== 'string') return undefined;
    if (key.startsWith('w:')) {
      const zone = zoneOf.get(key.slice(2));
      return zone === undefined ? undefined : { kind: 'workload', workload: key.slice(2), zone };
    }
    if (key.startsWith('c:')) {
      const cidr = key.slice(2);
      return { kind: 'cidr', cidr, family: cidr.includes(':') ? 'ipv6' : 'ipv4' };
    }
    return undefined;
  };
  const rules: IrRule[] = [];
  for (const r of m.rules) {
    const source = atom(r?.source);
    const destination = atom(r?.destination);
    if (!source || !destination || typeof r?.service !== 'string') { bad(r, 'a rule names an unknown workload or has no service.'); continue; }
    rules.push({ source, destination, service: parseServiceKey(r.service), flows: isArray(r.flows) ? r.flows : [] });
  }
  if (problems.length) throw MicrosegError.fromProblems(problems);
  return {
    segmentation: { name: m.segmentation.name, path: m.segmentation.path ?? m.segmentation.name, mode: m.segmentation.mode === 'MONITOR' ? 'MONITOR' : 'ENFORCE' },
    zones: model.zones.map((z: any) => ({ ...z, labels: z.labels ?? {}, cidrs: z.cidrs ?? [], workloads: z.workloads ?? [] })),
    workloads: model.workloads.map((w: any) => ({ ...w, labels: w.labels ?? {}, cidrs: w.cidrs ?? [] })),
    flows: model.flows,
    denies: model.denies,
    rules,
    warnings: m.warnings ?? [],
    acknowledged: m.acknowledged ?? [],
    ...(isArray(model.invariants) && model.invariants.length ? { invariants: model.invariants } : {}),
  };
}

/**
 * The manifest `<segmentation>.microseg.json`, written by every backend at synth into its
 * assembly's output folder: the model, each cloud's identities and expected canonical rules.
 * It is the input of `microseg audit` and of later analyses.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ManifestCloudSection } from '../model/backend';
import { Cloud, sortCanonical } from './canonical';
import type { IrInvariant } from './invariants';
import { serviceKey } from './services';
import { atomKey, IrPolicy } from './types';

/** The manifest schema version. Bump on incompatible change; readers check it. */
export const MANIFEST_SCHEMA_VERSION = 1;

export type { ManifestCloudSection } from '../model/backend';

/** The whole manifest. */
export interface Manifest {
  readonly schemaVersion: number;
  readonly generator: string;
  readonly segmentation: { readonly name: string; readonly path: string; readonly mode: string };
  readonly model: {
    readonly zones: IrPolicy['zones'];
    readonly workloads: IrPolicy['workloads'];
    readonly flows: IrPolicy['flows'];
    readonly denies: IrPolicy['denies'];
    /**
     * The invariants (`Isolation`, `NeverReach`, `MustReach`), resolved: absent when the model
     * has none (an optional addition: schema version 1 readers ignore it).
     */
    readonly invariants?: IrInvariant[];
  };
  /** The IR rules: `source`/`destination` atom keys (`w:<workload>`, `c:<cidr>`) and service keys. */
  readonly rules: { readonly source: string; readonly destination: string; readonly service: string; readonly flows: string[] }[];
  readonly warnings: IrPolicy['warnings'];
  readonly acknowledged: IrPolicy['acknowledged'];
  readonly clouds: Partial<Record<Cloud, ManifestCloudSection>>;
}

/** The manifest file name for a segmentation. */
export function manifestFileName(segmentation: string): string {
  return `${segmentation}.microseg.json`;
}

/** Builds the cloud-independent part of the manifest. */
export function buildManifest(policy: IrPolicy): Manifest {
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    generator: 'microseg',
    segmentation: policy.segmentation,
    model: {
      zones: policy.zones, workloads: policy.workloads, flows: policy.flows, denies: policy.denies,
      ...(policy.invariants?.length ? { invariants: policy.invariants } : {}),
    },
    rules: policy.rules.map(r => ({ source: atomKey(r.source), destination: atomKey(r.destination), service: serviceKey(r.service), flows: r.flows })),
    warnings: policy.warnings,
    acknowledged: policy.acknowledged,
    clouds: {},
  };
}

/** Adds (or replaces) one cloud's section; sorts rules canonically. */
export function withCloud(manifest: Manifest, cloud: Cloud, section: ManifestCloudSection): Manifest {
  const clouds: Partial<Record<Cloud, ManifestCloudSection>> = { ...manifest.clouds, [cloud]: writtenSection(section) };
  const sorted = Object.fromEntries(Object.keys(clouds).sort().map(k => [k, clouds[k as Cloud]]));
  return { ...manifest, clouds: sorted };
}

/** A backend's section as the manifest records it: the expected rules in canonical order. */
export function writtenSection(section: ManifestCloudSection): ManifestCloudSection {
  return { ...section, expected: sortCanonical(section.expected) };
}

/** Serialises a manifest deterministically. */
export function serializeManifest(manifest: Manifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

/**
 * Writes the manifest into `outdir`, merging the cloud sections of a manifest another backend of
 * the same segmentation already wrote there.
 */
export function writeManifest(outdir: string, policy: IrPolicy, cloud: Cloud, section: ManifestCloudSection): string {
  const file = path.join(outdir, manifestFileName(policy.segmentation.name));
  let manifest = buildManifest(policy);
  if (fs.existsSync(file)) {
    try {
      const existing = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
      if (existing.schemaVersion === MANIFEST_SCHEMA_VERSION && existing.segmentation?.name === policy.segmentation.name) {
        for (const [c, s] of Object.entries(existing.clouds ?? {})) {
          if (c !== cloud && s) manifest = withCloud(manifest, c as Cloud, s);
        }
      }
    } catch {
      // an unreadable previous manifest is replaced
    }
  }
  manifest = withCloud(manifest, cloud, section);
  fs.mkdirSync(outdir, { recursive: true });
  fs.writeFileSync(file, serializeManifest(manifest));
  return file;
}

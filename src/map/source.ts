/**
 * The inputs of the map and the report: a compiled policy (from a manifest file or a segmentation
 * of this process) and, optionally, the JSON of `microseg traffic simulate`. Everything is checked
 * before anything is drawn; a problem is a `MicrosegError` (the CLI's exit 2).
 */
import * as fs from 'fs';
import * as path from 'path';
import { compile } from '../ir/compile';
import { Manifest } from '../ir/manifest';
import { policyOfManifest } from '../ir/manifest-policy';
import { IrPolicy } from '../ir/types';
import { MicrosegError } from '../model/errors';
// the JSON shape `traffic simulate` writes, declared once where it is produced (types only: no traffic code is loaded)
import type { SimulatedConversation, SimulateResult, TrafficCoverage, UnknownAddress, UnusedFlow } from '../traffic/types';
import { ModelSourceOptions } from './types';

/** A conversation of a simulation, as the map and the report read it. */
export type TrafficConversation = Pick<SimulatedConversation, 'from' | 'to' | 'protocol' | 'port' | 'verdict' | 'flows' | 'records' | 'bytes'>;

/** The parts of `traffic simulate --format json` (`SimulateResult`) the map and the report use. */
export interface TrafficInput extends Pick<SimulateResult, 'segmentation' | 'window'> {
  readonly conversations: TrafficConversation[];
  readonly unused: UnusedFlow[];
  readonly unknown: Pick<UnknownAddress, 'address'>[];
  readonly coverage: Pick<TrafficCoverage, 'conversations' | 'observedOfAllowed'>;
}

/** The loaded inputs. */
export interface Source {
  readonly policy: IrPolicy;
  /** The manifest as read (extra sections such as invariants live here). @default - compiled in process */
  readonly manifest?: Manifest & Record<string, unknown>;
  readonly manifestFile?: string;
  readonly traffic?: TrafficInput;
  readonly trafficFile?: string;
  readonly now: Date;
}

/** The manifest file of a path (a folder holding exactly one `*.microseg.json`, or the file). */
export function manifestFileOf(file: string): string {
  let stat: fs.Stats;
  try { stat = fs.statSync(file); } catch (e) {
    throw new MicrosegError({ code: 'ManifestInvalid', path: file, message: `cannot be read: ${(e as Error).message}`, hint: 'Pass the <segmentation>.microseg.json file written at synth (in cdk.out/ or cdktf.out/).' });
  }
  if (!stat.isDirectory()) return file;
  const found = fs.readdirSync(file).filter(f => f.endsWith('.microseg.json')).sort();
  if (found.length !== 1) {
    throw new MicrosegError({ code: 'ManifestInvalid', path: file, value: found, message: found.length ? 'holds several manifests.' : 'holds no *.microseg.json manifest.', hint: 'Pass the manifest file itself.' });
  }
  return path.join(file, found[0]);
}

function readJson(file: string, code: 'ManifestInvalid' | 'InvalidOption', what: string): any {
  let stat: fs.Stats;
  try { stat = fs.statSync(file); } catch (e) {
    throw new MicrosegError({ code, path: file, message: `cannot be read: ${(e as Error).message}`, hint: `Pass ${what}.` });
  }
  if (!stat.isFile()) throw new MicrosegError({ code, path: file, message: 'is not a regular file.', hint: `Pass ${what}.` });
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MicrosegError({ code, path: file, message: `is not JSON: ${(e as Error).message}`, hint: `Pass ${what}.` });
  }
}

const isArray = Array.isArray;

/** Reads and checks the JSON of `traffic simulate` (schemaVersion 1) for `segmentation`. */
export function readTraffic(file: string, segmentation: string): TrafficInput {
  const what = 'the JSON written by `microseg traffic simulate --format json`';
  const t = readJson(file, 'InvalidOption', what);
  if (t?.schemaVersion !== 1 || !isArray(t.conversations) || !isArray(t.unused)) {
    throw new MicrosegError({ code: 'InvalidOption', path: file, value: t?.schemaVersion, message: 'is not a traffic simulation of schema version 1.', hint: `Pass ${what}.` });
  }
  if (t.segmentation !== segmentation) {
    throw new MicrosegError({ code: 'InvalidOption', path: file, value: t.segmentation, message: `simulates segmentation "${t.segmentation}", not "${segmentation}".`, hint: 'Pass the simulation of this manifest.' });
  }
  const broken = t.conversations.find((c: any) => typeof c?.from !== 'string' || typeof c?.to !== 'string' || typeof c?.verdict !== 'string');
  if (broken) throw new MicrosegError({ code: 'InvalidOption', path: file, value: broken, message: 'has a conversation without from, to or verdict.', hint: `Pass ${what}.` });
  return {
    segmentation: t.segmentation,
    window: t.window,
    conversations: t.conversations.map((c: any) => ({ ...c, flows: isArray(c.flows) ? c.flows : [], records: Number(c.records ?? 0), bytes: Number(c.bytes ?? 0) })),
    unused: t.unused,
    unknown: isArray(t.unknown) ? t.unknown : [],
    coverage: { conversations: Number(t.coverage?.conversations ?? 0), observedOfAllowed: Number(t.coverage?.observedOfAllowed ?? 0) },
  };
}

/** Loads the inputs of a map or a report. */
export function loadSource(options: ModelSourceOptions): Source {
  const now = options.now === undefined ? new Date() : new Date(options.now);
  if (Number.isNaN(now.getTime())) {
    throw new MicrosegError({ code: 'InvalidDate', path: 'now', value: options.now, message: 'is not a date.', hint: 'Use an ISO date, e.g. 2026-11-30.' });
  }
  if ((options.manifest === undefined) === (options.segmentation === undefined)) {
    throw new MicrosegError({ code: 'InvalidProp', path: 'manifest', message: 'give exactly one of manifest and segmentation.', hint: 'Pass the manifest file written at synth, or the Segmentation construct.' });
  }
  let policy: IrPolicy;
  let manifest: (Manifest & Record<string, unknown>) | undefined;
  let manifestFile: string | undefined;
  if (options.manifest !== undefined) {
    manifestFile = manifestFileOf(options.manifest);
    manifest = readJson(manifestFile, 'ManifestInvalid', 'the <segmentation>.microseg.json written at synth');
    policy = policyOfManifest(manifest, manifestFile);
  } else {
    policy = compile(options.segmentation!, { now });
  }
  const traffic = options.traffic === undefined ? undefined : readTraffic(options.traffic, policy.segmentation.name);
  return { policy, manifest, manifestFile, traffic, trafficFile: options.traffic, now };
}

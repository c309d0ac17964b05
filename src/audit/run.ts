/**
 * One audit: load and check the manifest, read the live rules (or saved files), compute drift,
 * apply accepted drift, and decide the exit code (0 no drift, 1 drift, 2 incomplete). Fails
 * closed: any read error makes the outcome incomplete, whatever was found.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Cloud } from '../ir/canonical';
import { Manifest, MANIFEST_SCHEMA_VERSION, ManifestCloudSection } from '../ir/manifest';
import { MicrosegError } from '../model/errors';
import { computeDrift, sortFindings } from './drift';
import { requireRegularFile } from './files';
import { invariantFindings } from './invariants';
import { LiveState, SEVERITY_RANK } from './findings';
import { applyAcceptances, parseAcceptance, readIgnoreFile } from './ignore';
import { NaclSubnets, readAws } from './readers/aws';
import { DEFAULT_TIMEOUT_SECONDS, readLimits, ReadLimits } from './readers/limits';
import { readAzure } from './readers/azure';
import { readFromFiles } from './readers/from-file';
import { readGcp } from './readers/gcp';
import { kubernetesReaderOptions, readKubernetes, readKubernetesFromFiles } from './readers/kubernetes';
import { splitUnmanagedFirewalls } from './readers/gcp-convert';
import { semanticDrift, withAccepted } from './semantic';
import { AuditOptions, AuditResult, DriftAcceptance } from './types';
import { ReadProgress } from './readers/progress';

/**
 * Options of {@link runAudit}: the public {@link AuditOptions} (documented there), with the time
 * as a `Date`, plus a progress sink and test hooks.
 */
export interface RunOptions extends Omit<AuditOptions, 'now'> {
  readonly now?: Date;
  readonly progress?: ReadProgress;
  /** Tests: extra EC2Client configuration, an Azure TokenCredential, a GCP auth client. */
  readonly awsClientConfig?: Record<string, unknown>;
  readonly awsMaxAttempts?: number;
  readonly azureCredential?: unknown;
  readonly gcpAuthClient?: unknown;
}

/** Finds the manifest file when given a folder (e.g. `cdk.out`). */
export function resolveManifestFile(file: string): string {
  let stat: fs.Stats;
  try { stat = fs.statSync(file); } catch (e) {
    throw new MicrosegError({ code: 'ManifestInvalid', path: file, message: `cannot be read: ${(e as Error).message}`, hint: 'Pass the <segmentation>.microseg.json file written at synth (in cdk.out/ or cdktf.out/, or the folder given to the *.tf.json writers).' });
  }
  if (!stat.isDirectory()) {
    requireRegularFile(file, 'the manifest', 'NotAFile');
    return file;
  }
  const found = fs.readdirSync(file).filter(f => f.endsWith('.microseg.json')).sort();
  if (found.length === 1) requireRegularFile(path.join(file, found[0]), 'the manifest', 'NotAFile');
  if (found.length !== 1) {
    throw new MicrosegError({ code: 'ManifestInvalid', path: file, value: found, message: found.length ? 'holds several manifests.' : 'holds no *.microseg.json manifest.', hint: 'Pass the manifest file itself.' });
  }
  return path.join(file, found[0]);
}

/** Reads and checks a manifest (schema version, cloud section). */
export function loadManifest(file: string, cloud?: Cloud): Manifest {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (e) {
    throw new MicrosegError({ code: 'ManifestInvalid', path: file, message: `cannot be read as JSON: ${(e as Error).message}`, hint: 'Re-run synth to write it again.' });
  }
  if (manifest?.schemaVersion !== MANIFEST_SCHEMA_VERSION || manifest?.generator !== 'microseg') {
    throw new MicrosegError({
      code: 'ManifestInvalid', path: file, value: manifest?.schemaVersion,
      message: `is not a microseg manifest of schema version ${MANIFEST_SCHEMA_VERSION}.`,
      hint: 'Synthesize again with the microseg version that runs the audit.',
    });
  }
  if (cloud) {
    const section = manifest.clouds?.[cloud];
    if (!section || !Array.isArray(section.expected)) {
      throw new MicrosegError({
        code: 'ManifestInvalid', path: file, value: cloud,
        message: `has no ${cloud} section (clouds in it: ${Object.keys(manifest.clouds ?? {}).join(', ') || 'none'}).`,
        hint: `Synthesize the ${cloud} backend of this segmentation, or pass --cloud ${Object.keys(manifest.clouds ?? {})[0] ?? '<cloud>'}.`,
      });
    }
  }
  return manifest;
}

function setting(section: ManifestCloudSection, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = section.settings?.[k];
    if (typeof v === 'string' && v && !v.includes('${Token[')) return v;
  }
  return undefined;
}

/** The GCP network name: from the `network:<name>` container, else the last segment of `settings.network`. */
function gcpNetwork(section: ManifestCloudSection): string | undefined {
  const fromContainer = [...Object.keys(section.containers ?? {}), ...section.expected.map(r => r.container)].find(c => c.startsWith('network:'));
  if (fromContainer) return fromContainer.slice('network:'.length);
  const s = setting(section, 'network', 'networkName');
  return s ? s.split('/').filter(Boolean).pop() : undefined;
}

function missingSetting(file: string, what: string, flag: string): never {
  throw new MicrosegError({ code: 'ManifestInvalid', path: file, value: what, message: `does not say the ${what} to audit.`, hint: `Pass ${flag}.` });
}

/** The subnets each zone's NACL must be associated with, as the AWS backend recorded them. */
export function naclSubnetsOf(section: ManifestCloudSection): Record<string, NaclSubnets> {
  const out: Record<string, NaclSubnets> = {};
  const split = (v: unknown) => typeof v === 'string' ? v.split(',').map(x => x.trim()).filter(x => x && !x.includes('${Token[')) : [];
  for (const [c, fields] of Object.entries(section.containers ?? {})) {
    if (!c.startsWith('nacl:') || !fields) continue;
    const logicalIds = split(fields.subnetLogicalIds);
    const stacks = split(fields.subnetStackNames);
    const fallback = setting(section, 'stackName');
    const logical = logicalIds.map((logicalId, i) => ({ stackName: stacks[i] ?? fallback ?? '', logicalId })).filter(l => l.stackName);
    const subnetIds = split(fields.subnetIds).filter(x => x.startsWith('subnet-'));
    if (subnetIds.length || logical.length) out[c.slice(5)] = { subnetIds, logical };
  }
  return out;
}

/** Reads the live side for one cloud. */
export async function readLive(manifest: Manifest, file: string, options: RunOptions, limits: ReadLimits = readLimits(options)): Promise<LiveState> {
  const cloud = options.cloud;
  const section = manifest.clouds[cloud]!;
  const seg = manifest.segmentation.name;
  const prefixed = (p: string) => new Set([
    ...Object.keys(section.containers ?? {}), ...section.expected.flatMap(r => [r.container, r.peer, r.target ?? '']),
  ].filter(c => c.startsWith(p)).map(c => c.slice(p.length)));
  const containerNames = [...Object.keys(section.containers ?? {}), ...section.expected.map(r => r.container)];
  const asgNames = new Set([...prefixed('asg:'), ...Object.values(section.identities ?? {}).map(i => i.asgName).filter((x): x is string => !!x)]);
  const subnetOf: Record<string, string> = {};
  for (const [c, fields] of Object.entries(section.containers ?? {})) {
    if (c.startsWith('nsg:') && typeof fields?.subnetId === 'string' && fields.subnetId.startsWith('/subscriptions/')) subnetOf[c.slice(4)] = fields.subnetId;
  }
  if (cloud === 'kubernetes') {
    const k8s = kubernetesReaderOptions(seg, section);
    if (options.fromFiles && options.fromFiles.length) return readKubernetesFromFiles(options.fromFiles, k8s);
    return readKubernetes({ ...k8s, endpoint: options.kubernetesEndpoint, context: options.kubernetesContext, progress: options.progress, limits });
  }
  if (options.fromFiles && options.fromFiles.length) {
    return readFromFiles(options.fromFiles, {
      cloud, segmentation: seg, nsgNames: prefixed('nsg:'), asgNames, subnetOf,
      network: options.network ?? (cloud === 'gcp' ? gcpNetwork(section) : undefined),
      naclSubnets: cloud === 'aws' ? naclSubnetsOf(section) : undefined,
      declares: {
        groups: containerNames.some(c => c.startsWith('sg:')), acls: containerNames.some(c => c.startsWith('nacl:')),
        nsgs: containerNames.some(c => c.startsWith('nsg:')), asgs: asgNames.size > 0, firewalls: cloud === 'gcp',
      },
    });
  }
  if (cloud === 'aws') {
    const regions = options.regions?.length ? options.regions
      : [setting(section, 'region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? missingSetting(file, 'AWS region', '--region <region>[,<region>...]')];
    return readAws({ segmentation: seg, regions, progress: options.progress, clientConfig: options.awsClientConfig, maxAttempts: options.awsMaxAttempts, limits, naclSubnets: naclSubnetsOf(section) });
  }
  if (cloud === 'azure') {
    return readAzure({
      segmentation: seg, subnetOf,
      subscriptionId: options.subscriptionId ?? setting(section, 'subscriptionId', 'subscription') ?? process.env.AZURE_SUBSCRIPTION_ID ?? missingSetting(file, 'Azure subscription', '--subscription <id>'),
      resourceGroup: options.resourceGroup ?? setting(section, 'resourceGroupName', 'resourceGroup') ?? missingSetting(file, 'Azure resource group', '--resource-group <name>'),
      nsgNames: prefixed('nsg:'), asgNames, endpoint: options.azureEndpoint, credential: options.azureCredential, progress: options.progress, limits,
    });
  }
  return readGcp({
    project: options.project ?? setting(section, 'project', 'projectId') ?? process.env.GOOGLE_CLOUD_PROJECT ?? missingSetting(file, 'GCP project', '--project <id>'),
    network: options.network ?? gcpNetwork(section) ?? missingSetting(file, 'GCP network', '--network <name>'),
    endpoint: options.gcpEndpoint, authClient: options.gcpAuthClient, progress: options.progress, limits,
  });
}

/**
 * Reads the live side within the overall deadline (`timeoutSeconds`): the readers stop their
 * calls when it passes; should anything still hang (a credential provider, say), the read is
 * given up at the deadline plus a grace second and the outcome is incomplete.
 */
async function readWithDeadline(manifest: Manifest, file: string, options: RunOptions): Promise<LiveState> {
  const seconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), seconds * 1000);
  let grace: NodeJS.Timeout | undefined;
  try {
    const limits = readLimits({ ...options, signal: deadline.signal });
    const read = readLive(manifest, file, options, limits);
    read.catch(() => undefined);
    const late = new Promise<LiveState>(resolve => {
      deadline.signal.addEventListener('abort', () => {
        grace = setTimeout(() => resolve({
          cloud: options.cloud, rules: [], containers: [], unmanaged: [], notes: [], requests: 0, pages: 0,
          errors: [`${options.cloud}: the overall deadline of ${seconds} s (--timeout) passed and the reads did not stop: nothing could be read completely.`],
        }), 1000);
      }, { once: true });
    });
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
    if (grace) clearTimeout(grace);
  }
}

/** `.microsegignore` in the working directory, when present. */
export function defaultIgnoreFile(): string | undefined {
  return fs.existsSync('.microsegignore') ? '.microsegignore' : undefined;
}

/** Loads the acceptances of the ignore file and the command line. */
export function loadAcceptances(options: RunOptions): DriftAcceptance[] {
  const out: DriftAcceptance[] = [];
  const file = options.ignoreFile ?? defaultIgnoreFile();
  const policy = { now: options.now, maxAcceptDays: options.maxAcceptDays };
  if (file) out.push(...readIgnoreFile(file, policy));
  for (const a of options.accept ?? []) {
    const r = parseAcceptance(a, '--accept', policy);
    if ('code' in r) throw new MicrosegError(r);
    out.push(r);
  }
  return out;
}

/**
 * Runs an audit. Throws `MicrosegError` for unusable input (manifest, ignore file, missing SDK);
 * read failures do not throw: they make the outcome incomplete (exit code 2).
 */
export async function runAudit(options: RunOptions): Promise<AuditResult> {
  const started = Date.now();
  const file = resolveManifestFile(options.manifestFile);
  const manifest = loadManifest(file, options.cloud);
  for (const f of options.fromFiles ?? []) requireRegularFile(f, 'saved CLI outputs');
  const acceptances = loadAcceptances(options);
  let live = await readWithDeadline(manifest, file, options);
  const section = manifest.clouds[options.cloud]!;
  // every live rule applies, unmanaged ones included: the invariants are evaluated on all of them
  const everyLiveRule = live.rules;
  if (options.cloud === 'gcp') {
    // firewall rules microseg did not render that target a segmented workload: unmanaged
    const split = splitUnmanagedFirewalls(live.rules, new Set(section.expected.map(r => r.name).filter((n): n is string => !!n)), section.identities ?? {});
    live = { ...live, rules: split.rules, unmanaged: [...live.unmanaged, ...split.unmanaged] };
  }
  // several regions: each must match the manifest on its own
  const multi = live.regions && live.regions.length > 1;
  const ruleDrift = multi
    ? live.regions!.flatMap(r => computeDrift(section.expected, r.rules, r.unmanaged, { cloud: options.cloud, manifest, expectedFromManifest: true, region: r.region }, r.detached))
    : computeDrift(section.expected, live.rules, live.unmanaged, { cloud: options.cloud, manifest, expectedFromManifest: true }, live.detached);
  // semantic drift: the packets the live rules treat differently (only where the rule sets
  // differ), with accepted rule drift counted as declared (its consequences are accepted with it)
  const now = options.now ?? new Date();
  const wildcards = options.acceptCriticalWildcards === true;
  const accepted = applyAcceptances(ruleDrift, acceptances, now, wildcards).accepted.map(a => a.finding);
  // a partial view would make drift of what was not read (fail closed: exit 2 says so)
  const semantic = live.errors.length ? [{ findings: [], packets: 0, notes: ['semantic drift not computed: the live view is incomplete.'] }] : multi
    ? live.regions!.map(r => semanticDrift(manifest, options.cloud, withAccepted(section.expected, accepted.filter(f => f.region === r.region)), r.rules, r.region))
    : [semanticDrift(manifest, options.cloud, withAccepted(section.expected, accepted), live.rules)];
  // the model's invariants, evaluated on every live rule (each region on its own)
  const broken = multi
    ? live.regions!.flatMap(r => invariantFindings(manifest, options.cloud, r.rules, r.region))
    : invariantFindings(manifest, options.cloud, everyLiveRule);
  const all = sortFindings([...ruleDrift, ...semantic.flatMap(x => x.findings), ...broken]);
  const applied = applyAcceptances(all, acceptances, now, wildcards);
  const complete = live.errors.length === 0;
  return {
    segmentation: manifest.segmentation.name,
    cloud: options.cloud,
    manifestFile: file,
    complete,
    errors: live.errors,
    notes: [...live.notes, ...semantic.flatMap(x => x.notes)],
    findings: applied.findings,
    accepted: applied.accepted,
    expiredAcceptances: applied.expired,
    unusedAcceptances: applied.unused,
    expectedRules: section.expected.length,
    liveRules: live.rules.length,
    packetsEvaluated: semantic.reduce((n, x) => n + x.packets, 0),
    containers: live.containers,
    requests: live.requests,
    pages: live.pages,
    durationMs: Date.now() - started,
    exitCode: !complete ? 2 : applied.findings.some(f => SEVERITY_RANK[f.severity] <= SEVERITY_RANK[options.failOn ?? 'low']) ? 1 : 0,
  };
}

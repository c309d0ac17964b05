/**
 * Deployments from the manifest: where each workload's members sit on a cloud (the identities
 * they carry, their zone, an address), as each backend recorded it, so a cloud's rules (the plan
 * or the live ones) can be evaluated on the model's workloads. Pure.
 */
import { Cloud, CanonicalRule } from '../ir/canonical';
import { cidr } from '../ir/cidr';
import type { Manifest, ManifestCloudSection } from '../ir/manifest';
import type { IrPolicy } from '../ir/types';
import { AwsDeployment, AwsRuleEvaluator } from './aws';
import { AzureDeployment, AzureRuleEvaluator } from './azure';
import { GcpDeployment, GcpRuleEvaluator } from './gcp';
import { Address, PacketEvaluator } from './rules';

/** The parts of the model a deployment needs (the manifest's `model`, or the compiled policy). */
export type ModelView = Pick<IrPolicy, 'zones' | 'workloads'>;

/**
 * An address of a member of each workload: inside the workload's first CIDR, else inside its
 * zone's first CIDR (one per workload of the zone, so members of two workloads differ); none
 * when neither declares ranges.
 *
 * @param placement where members of some workloads really sit (workload -> CIDR)
 */
export function memberAddresses(model: ModelView, placement: Readonly<Record<string, string>> = {}): Map<string, Address> {
  const out = new Map<string, Address>();
  const zones = new Map(model.zones.map(z => [z.name, z]));
  for (const w of model.workloads) {
    const zone = zones.get(w.zone);
    const where = placement[w.name] ?? w.cidrs[0];
    if (where !== undefined) {
      const c = cidr(where);
      out.set(w.name, { family: c.family, value: c.first + 10n });
    } else if (zone && zone.cidrs.length > 0) {
      const c = cidr(zone.cidrs[0]);
      out.set(w.name, { family: c.family, value: c.first + 10n + BigInt(zone.workloads.indexOf(w.name)) });
    }
  }
  return out;
}

function split(list: string | undefined): string[] {
  return (list ?? '').split(',').map(s => s.trim()).filter(Boolean);
}

/** The AWS deployment a manifest section records (groups per workload, NACL zones). */
export function awsDeployment(model: ModelView, section: ManifestCloudSection, addresses = memberAddresses(model)): AwsDeployment {
  const zoneOf = new Map(model.workloads.map(w => [w.name, w.zone]));
  const groups = new Map<string, string[]>();
  for (const [w, id] of Object.entries(section.identities ?? {})) {
    const names = split(id.securityGroupNames);
    groups.set(w, (names.length ? names : [id.securityGroupName]).filter(Boolean).map(n => `sg:${n}`));
  }
  const naclZones = Object.keys(section.containers ?? {}).filter(c => c.startsWith('nacl:')).map(c => c.slice('nacl:'.length));
  return { groupsOf: w => groups.get(w), zoneOf: w => zoneOf.get(w), addressOf: w => addresses.get(w), naclZones };
}

/**
 * The Azure deployment a manifest section records (ASG and NSGs per workload). The
 * `VirtualNetwork` tag covers the model's ranges (zones' and workloads' CIDRs) unless given.
 */
export function azureDeployment(model: ModelView, section: ManifestCloudSection, addresses = memberAddresses(model), virtualNetworkRanges?: readonly string[]): AzureDeployment {
  const asgs = new Map<string, string[]>();
  const subnetNsg = new Map<string, string>();
  for (const [w, id] of Object.entries(section.identities ?? {})) {
    if (id.asgName) asgs.set(w, [`asg:${id.asgName}`]);
  }
  const zoneNsg = new Map<string, string>();
  const nicNsg = new Map<string, string>();
  for (const [container, c] of Object.entries(section.containers ?? {})) {
    if (!container.startsWith('nsg:')) continue;
    if (c.workload) nicNsg.set(c.workload, container);
    else if (c.zone) zoneNsg.set(c.zone, container);
  }
  const zoneOf = new Map(model.workloads.map(w => [w.name, w.zone]));
  for (const w of asgs.keys()) {
    const z = zoneNsg.get(zoneOf.get(w) ?? '');
    if (z) subnetNsg.set(w, z);
  }
  const ranges = virtualNetworkRanges ?? [...new Set([...model.zones.flatMap(z => z.cidrs), ...model.workloads.flatMap(w => w.cidrs)])];
  return { asgsOf: w => asgs.get(w), subnetNsgOf: w => subnetNsg.get(w), nicNsgOf: w => nicNsg.get(w), addressOf: w => addresses.get(w), virtualNetworkRanges: ranges };
}

/** The GCP deployment a manifest section records (network tag or service account per workload). */
export function gcpDeployment(model: ModelView, section: ManifestCloudSection, addresses = memberAddresses(model)): GcpDeployment {
  const instances = new Map<string, { tags: string[]; serviceAccount?: string }>();
  for (const [w, id] of Object.entries(section.identities ?? {})) {
    instances.set(w, { tags: id.networkTag ? [id.networkTag] : [], ...(id.serviceAccount ? { serviceAccount: id.serviceAccount } : {}) });
  }
  return { instanceOf: w => instances.get(w), addressOf: w => addresses.get(w) };
}

/** The clouds whose canonical rules the semantic layer evaluates. */
export const EVALUATED_CLOUDS: readonly Cloud[] = [Cloud.AWS, Cloud.AZURE, Cloud.GCP];

/** Options of {@link evaluatorFor}. */
export interface EvaluatorOptions {
  /**
   * The ranges Azure's `VirtualNetwork` service tag covers.
   * @default - the model's ranges (zones' and workloads' CIDRs)
   */
  readonly virtualNetworkRanges?: readonly string[];
}

/**
 * An evaluator of a cloud's rules (the plan's or the live ones) on the deployment the manifest
 * records for that cloud; undefined for a cloud without a canonical-rule evaluator (Kubernetes:
 * see `NetworkPolicyEvaluator`) or without a section in the manifest.
 */
export function evaluatorFor(manifest: Pick<Manifest, 'model' | 'clouds'>, cloud: Cloud, rules: readonly CanonicalRule[], options: EvaluatorOptions = {}): PacketEvaluator | undefined {
  const section = manifest.clouds[cloud];
  if (!section) return undefined;
  const model = manifest.model;
  switch (cloud) {
    case 'aws': return new AwsRuleEvaluator(rules, awsDeployment(model, section));
    case 'azure': return new AzureRuleEvaluator(rules, azureDeployment(model, section, undefined, options.virtualNetworkRanges));
    case 'gcp': return new GcpRuleEvaluator(rules, gcpDeployment(model, section));
    default: return undefined;
  }
}

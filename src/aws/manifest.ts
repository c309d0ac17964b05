/**
 * The AWS section of the manifest (`<segmentation>.microseg.json`, read by `microseg audit`):
 * where the backend's resources live (stack, nested stack, logical ids, tags), the identities
 * each workload carries, and the expected rules of the plan.
 *
 * @internal
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ManifestCloudSection } from '../ir';
import { AwsPlan } from './plan';
import { StackWiring } from './wiring';

/** What the AWS section is built from. */
export interface AwsManifestInput {
  readonly backendPath: string;
  readonly stack: Stack;
  readonly vpc: ec2.IVpc;
  /** The VPC's primary range when known at synth. */
  readonly vpcCidr?: string;
  /** The ephemeral port range (`from-to`). */
  readonly ephemeralPorts: string;
  /** Zones placed on the backend. */
  readonly zones: string[];
  readonly plan: AwsPlan;
  readonly wiring: StackWiring;
  /** zone -> subnet key -> subnet (zones given `subnets`). */
  readonly subnets: ReadonlyMap<string, ReadonlyMap<string, ec2.ISubnet>>;
}

/** The AWS section of the manifest. */
export function awsManifestSection(m: AwsManifestInput): ManifestCloudSection {
  const settings = awsSettings(m);
  const where = (key: string) => m.wiring.location(key, m.stack, settings.stackName);
  return {
    backendPath: m.backendPath,
    zones: m.zones,
    settings,
    identities: awsIdentities(m.plan, where),
    containers: { ...groupContainers(m.plan, where), ...naclContainers(m, where) },
    expected: m.plan.expected,
  };
}

function awsSettings(m: AwsManifestInput): Record<string, string> {
  return {
    stackName: concrete(m.stack.stackName),
    region: concrete(m.stack.region),
    account: concrete(m.stack.account),
    vpcId: concrete(m.vpc.vpcId),
    vpcLogicalId: refId(m.stack, m.vpc.vpcId),
    vpcCidr: m.vpcCidr ?? '',
    ephemeralPorts: m.ephemeralPorts,
  };
}

/** Per workload: its own group and every group it must carry. */
function awsIdentities(plan: AwsPlan, where: (key: string) => Record<string, string>): Record<string, Record<string, string>> {
  const byName = new Map(plan.groups.map(g => [g.name, g]));
  const identities: Record<string, Record<string, string>> = {};
  for (const g of plan.groups) {
    if (g.kind !== 'workload') continue;
    const all = plan.groupsOf[g.workload] ?? [g.name];
    identities[g.workload] = {
      securityGroupLogicalId: g.logicalId, securityGroupName: g.name, zone: g.zone, ...where(g.name),
      securityGroupNames: all.join(','), securityGroupLogicalIds: all.map(n => byName.get(n)?.logicalId ?? '').join(','),
      ...tagFields(g.tags),
    };
  }
  return identities;
}

function groupContainers(plan: AwsPlan, where: (key: string) => Record<string, string>): Record<string, Record<string, string>> {
  const containers: Record<string, Record<string, string>> = {};
  for (const g of plan.groups) {
    containers[`sg:${g.name}`] = { kind: 'securityGroup', groupKind: g.kind, logicalId: g.logicalId, ...where(g.name), ...tagFields(g.tags) };
  }
  return containers;
}

function naclContainers(m: AwsManifestInput, where: (key: string) => Record<string, string>): Record<string, Record<string, string>> {
  const containers: Record<string, Record<string, string>> = {};
  for (const n of m.plan.nacls) {
    const subs = [...(m.subnets.get(n.zone)?.values() ?? [])];
    containers[`nacl:${n.zone}`] = {
      kind: 'networkAcl', logicalId: n.logicalId, ...where(`nacl:${n.zone}`),
      subnetIds: subs.map(s => concrete(s.subnetId)).filter(Boolean).join(','),
      subnetLogicalIds: subs.map(s => refId(m.stack, s.subnetId)).filter(Boolean).join(','),
      // the stacks of those subnets (same order): with the logical ids, the audit finds them
      // live through the tags CloudFormation puts on them (docs/audit.md)
      subnetStackNames: subs.filter(s => refId(m.stack, s.subnetId)).map(s => concrete(Stack.of(s).stackName)).join(','),
      ...tagFields(n.tags),
    };
  }
  return containers;
}

function concrete(v: string): string {
  return Token.isUnresolved(v) ? '' : v;
}

/** The logical id a token refers to (`Ref` or `Fn::GetAtt`), '' for a concrete value. */
function refId(stack: Stack, v: string): string {
  if (!Token.isUnresolved(v)) return '';
  const r = stack.resolve(v) as { Ref?: string; 'Fn::GetAtt'?: string[] };
  return r?.Ref ?? r?.['Fn::GetAtt']?.[0] ?? '';
}

function tagFields(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`tag:${k}`, v]));
}

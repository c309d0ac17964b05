/**
 * Membership of AWS resources in workloads: attaching a workload's security groups to resources,
 * and checking at synth that every resource carrying one of them carries all of them and sits in
 * the workload's zone.
 *
 * @internal
 */
import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { MicrosegProblem, MicrosegWarning } from '../model/errors';
import { Cidr, cidrContains, isCidr, parseCidr } from '../ir';
import { AwsWarnings } from './warnings';

type Json = any;

/** Where a resource type keeps its security groups and subnets (CloudFormation property paths). */
interface Carrier {
  readonly groups: (p: Json) => Json[];
  readonly subnets: (p: Json) => Json[];
}

const list = (v: Json): Json[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Resource types that take security groups. */
export const CARRIERS: Record<string, Carrier> = {
  'AWS::EC2::Instance': {
    groups: p => [...list(p.SecurityGroupIds), ...list(p.NetworkInterfaces).flatMap((n: Json) => list(n.GroupSet))],
    subnets: p => [...list(p.SubnetId), ...list(p.NetworkInterfaces).map((n: Json) => n.SubnetId).filter(Boolean)],
  },
  'AWS::EC2::LaunchTemplate': {
    groups: p => [...list(p.LaunchTemplateData?.SecurityGroupIds), ...list(p.LaunchTemplateData?.NetworkInterfaces).flatMap((n: Json) => list(n.Groups))],
    subnets: () => [],
  },
  'AWS::AutoScaling::LaunchConfiguration': { groups: p => list(p.SecurityGroups), subnets: () => [] },
  'AWS::AutoScaling::AutoScalingGroup': { groups: () => [], subnets: p => list(p.VPCZoneIdentifier) },
  'AWS::ECS::Service': {
    groups: p => list(p.NetworkConfiguration?.AwsvpcConfiguration?.SecurityGroups),
    subnets: p => list(p.NetworkConfiguration?.AwsvpcConfiguration?.Subnets),
  },
  'AWS::Lambda::Function': { groups: p => list(p.VpcConfig?.SecurityGroupIds), subnets: p => list(p.VpcConfig?.SubnetIds) },
  'AWS::RDS::DBInstance': { groups: p => list(p.VPCSecurityGroups), subnets: () => [] },
  'AWS::RDS::DBCluster': { groups: p => list(p.VpcSecurityGroupIds), subnets: () => [] },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    groups: p => list(p.SecurityGroups),
    subnets: p => [...list(p.Subnets), ...list(p.SubnetMappings).map((m: Json) => m.SubnetId)],
  },
  'AWS::EC2::NetworkInterface': { groups: p => list(p.GroupSet), subnets: p => list(p.SubnetId) },
  'AWS::EC2::VPCEndpoint': { groups: p => list(p.SecurityGroupIds), subnets: p => list(p.SubnetIds) },
};

/** The L1 security group list properties that can be extended in place (plain arrays). */
const L1_LISTS: Record<string, (cfn: Json) => { get: () => Json; set: (v: Json[]) => void; path?: string } | undefined> = {
  'AWS::Lambda::Function': cfn => (cfn.vpcConfig ? { get: () => cfn.vpcConfig.securityGroupIds, set: v => { cfn.vpcConfig = { ...cfn.vpcConfig, securityGroupIds: v }; } } : undefined),
  'AWS::RDS::DBInstance': cfn => ({ get: () => cfn.vpcSecurityGroups, set: v => { cfn.vpcSecurityGroups = v; } }),
  'AWS::RDS::DBCluster': cfn => ({ get: () => cfn.vpcSecurityGroupIds, set: v => { cfn.vpcSecurityGroupIds = v; } }),
  'AWS::ECS::Service': cfn => (cfn.networkConfiguration?.awsvpcConfiguration ? {
    get: () => cfn.networkConfiguration.awsvpcConfiguration.securityGroups,
    set: v => { cfn.networkConfiguration = { ...cfn.networkConfiguration, awsvpcConfiguration: { ...cfn.networkConfiguration.awsvpcConfiguration, securityGroups: v } }; },
  } : undefined),
  'AWS::ElasticLoadBalancingV2::LoadBalancer': cfn => ({ get: () => cfn.securityGroups, set: v => { cfn.securityGroups = v; } }),
  'AWS::EC2::VPCEndpoint': cfn => ({ get: () => cfn.securityGroupIds, set: v => { cfn.securityGroupIds = v; } }),
  'AWS::EC2::LaunchTemplate': cfn => ({
    get: () => cfn.launchTemplateData?.securityGroupIds,
    set: v => { cfn.launchTemplateData = { ...cfn.launchTemplateData, securityGroupIds: v }; },
    // A launch template created without security groups renders a lazy empty list.
    path: 'LaunchTemplateData.SecurityGroupIds',
  }),
};

function isConnectable(x: unknown): x is ec2.IConnectable {
  try {
    return typeof x === 'object' && x !== null && 'connections' in x && (x as ec2.IConnectable).connections instanceof ec2.Connections;
  } catch {
    return false; // e.g. a LaunchTemplate created without security groups throws from `connections`
  }
}

/**
 * Adds `groups` to `target` through its own API where it has one, its `connections`, and its
 * CloudFormation resource where CDK rendered a fixed list. Returns what could not be attached.
 */
export function addGroups(target: IConstruct, groups: ec2.ISecurityGroup[]): string | undefined {
  if (target instanceof ec2.Instance) {
    for (const g of groups) if (!target.connections.securityGroups.includes(g)) target.addSecurityGroup(g);
    return undefined;
  }
  // Loaded on demand: most apps attach instances or connectables only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autoscaling = require('aws-cdk-lib/aws-autoscaling') as typeof import('aws-cdk-lib/aws-autoscaling');
  if (target instanceof autoscaling.AutoScalingGroup) {
    const missing = groups.filter(g => !target.connections.securityGroups.includes(g));
    try {
      for (const g of missing) target.addSecurityGroup(g);
    } catch {
      return 'the Auto Scaling group was created from a launch template: attach the launch template instead (backend.attach(workload, launchTemplate)).';
    }
    return undefined;
  }
  if (isConnectable(target)) {
    const have = target.connections.securityGroups;
    target.connections.addSecurityGroup(...groups.filter(g => !have.includes(g)));
  }
  // ECS services render their L1 network configuration lazily from a fixed list on the service.
  const service = target as { networkConfiguration?: { awsvpcConfiguration?: { securityGroups?: string[] } } };
  const awsvpc = service.networkConfiguration?.awsvpcConfiguration;
  if (awsvpc && Array.isArray(awsvpc.securityGroups) && !Token.isUnresolved(awsvpc.securityGroups)) {
    const ids = [...awsvpc.securityGroups];
    for (const g of groups) if (!ids.includes(g.securityGroupId)) ids.push(g.securityGroupId);
    service.networkConfiguration = { ...service.networkConfiguration, awsvpcConfiguration: { ...awsvpc, securityGroups: ids } };
    return undefined;
  }
  const cfn = CfnResource.isCfnResource(target) ? target : target.node.defaultChild;
  if (cfn && CfnResource.isCfnResource(cfn) && L1_LISTS[cfn.cfnResourceType]) {
    const access = L1_LISTS[cfn.cfnResourceType](cfn);
    // A connectable whose L1 list is rendered lazily from its connections (ECS services) has them already.
    if (!access) return isConnectable(target) ? undefined : `its ${cfn.cfnResourceType} is not in a VPC (no security groups to attach): place it in the VPC (vpc, vpcSubnets).`;
    const current = access.get();
    if (current === undefined || (Array.isArray(current) && !Token.isUnresolved(current))) {
      const ids = [...(current ?? [])];
      for (const g of groups) if (!ids.includes(g.securityGroupId)) ids.push(g.securityGroupId);
      access.set(ids);
    } else if (!isConnectable(target) && access.path) {
      cfn.addPropertyOverride(access.path, groups.map(g => g.securityGroupId));
    }
    return undefined;
  }
  if (isConnectable(target)) return undefined;
  return `${target.node.path} takes no security groups that microseg knows how to attach (ec2.Instance, AutoScalingGroup, LaunchTemplate, ECS services, Lambda functions, RDS instances and clusters, load balancers, or any ec2.IConnectable).`;
}

/** What {@link checkMembership} needs. */
export interface MembershipInput {
  readonly root: IConstruct;
  /** Constructs of the backend itself (skipped). */
  readonly own: ReadonlySet<IConstruct>;
  /** Logical id of each microseg group -> its name. */
  readonly groupByLogicalId: ReadonlyMap<string, string>;
  /** Group names per workload (own, zone, source). */
  readonly groupsOf: Readonly<Record<string, string[]>>;
  /** Zone of each workload, and workload paths. */
  readonly workloads: ReadonlyMap<string, { zone: string; path: string }>;
  /** Concrete ranges per zone. */
  readonly zoneRanges: ReadonlyMap<string, string[]>;
  /** Known subnet CIDRs: by subnet id (imports) and by CfnSubnet logical id. */
  readonly subnetCidrs: ReadonlyMap<string, string>;
  /** `securityGroupsFor`'s order per workload, for the hint. */
  readonly backendPath: string;
}

function refId(v: Json): string | undefined {
  if (typeof v === 'string') return v;
  if (v?.Ref) return v.Ref;
  if (Array.isArray(v?.['Fn::GetAtt'])) return v['Fn::GetAtt'][0];
  return undefined;
}

/** A resource that can carry security groups (or an RDS subnet group), with its resolved properties. */
interface FoundResource { readonly res: CfnResource; readonly props: Json }

/**
 * Walks the app: every resource that carries one of a workload's groups carries all of them,
 * and sits in subnets inside its zone's ranges (where CDK knows the subnets).
 */
export function checkMembership(input: MembershipInput): { problems: MicrosegProblem[]; warnings: MicrosegWarning[] } {
  const problems: MicrosegProblem[] = [];
  const warnings: MicrosegWarning[] = [];
  const byLogical = carriersByLogicalId(input);
  for (const [, { res, props }] of byLogical) {
    if (!CARRIERS[res.cfnResourceType]) continue;
    const { all, names, subnets } = carriedGroups(res, props, byLogical, input);
    if (names.length === 0) continue;
    const workloads = checkGroups(res, all, names, input, problems, warnings);
    checkPlacement(res, workloads, subnets, input, problems);
  }
  return { problems, warnings };
}

/** The app's resources that may carry groups, and its RDS subnet groups, by resolved logical id. */
function carriersByLogicalId(input: MembershipInput): Map<string, FoundResource> {
  const resources = input.root.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && !input.own.has(c));
  const byLogical = new Map<string, FoundResource>();
  const resolved = (res: CfnResource): Json => {
    const stack = Stack.of(res);
    const t = stack.resolve((res as Json)._toCloudFormation()) as Json;
    return Object.values<Json>(t.Resources ?? {})[0]?.Properties ?? {};
  };
  for (const res of resources) {
    if (CARRIERS[res.cfnResourceType] || res.cfnResourceType === 'AWS::RDS::DBSubnetGroup') {
      byLogical.set(Stack.of(res).resolve(res.logicalId), { res, props: resolved(res) });
    }
  }
  return byLogical;
}

/**
 * The groups a resource carries (all of them, and the names of microseg's) and its subnets: an
 * Auto Scaling group's groups come from its launch template or configuration, an RDS database's
 * subnets from its subnet group.
 */
function carriedGroups(res: CfnResource, props: Json, byLogical: ReadonlyMap<string, FoundResource>, input: MembershipInput): { all: Json[]; names: string[]; subnets: Json[] } {
  const carrier = CARRIERS[res.cfnResourceType];
  const groupNamesOf = (values: Json[]) => values.map(v => input.groupByLogicalId.get(refId(v) ?? '')).filter((x): x is string => !!x);
  let all = carrier.groups(props);
  let names = groupNamesOf(all);
  let subnets = carrier.subnets(props);
  if (res.cfnResourceType === 'AWS::AutoScaling::AutoScalingGroup') {
    const lt = props.LaunchTemplate?.LaunchTemplateId ?? props.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId;
    const source = byLogical.get(refId(lt) ?? refId(props.LaunchConfigurationName) ?? '');
    if (source) {
      all = CARRIERS[source.res.cfnResourceType].groups(source.props);
      names = groupNamesOf(all);
    }
  }
  if (res.cfnResourceType === 'AWS::RDS::DBInstance' || res.cfnResourceType === 'AWS::RDS::DBCluster') {
    const group = byLogical.get(refId(props.DBSubnetGroupName) ?? '');
    subnets = group ? list(group.props.SubnetIds) : [];
  }
  return { all, names, subnets };
}

/**
 * A member's groups: groups microseg does not manage (a warning), every group of each workload it
 * is a member of, and a zone group only with a workload of that zone. Returns the workloads.
 */
function checkGroups(res: CfnResource, all: Json[], names: string[], input: MembershipInput, problems: MicrosegProblem[], warnings: MicrosegWarning[]): string[] {
  const carried = new Set(names);
  const foreign = all.filter(v => !input.groupByLogicalId.has(refId(v) ?? ''));
  if (foreign.length > 0) {
    warnings.push({
      id: AwsWarnings.UNMANAGED_GROUP, path: res.node.path,
      message: `is a member of a workload but also carries ${foreign.length} security group(s) microseg does not manage (${foreign.map(v => refId(v) ?? JSON.stringify(v)).join(', ')}): their rules (e.g. a default allow-all egress) are outside the model. Create the resource with a microseg group (e.g. securityGroup: backend.securityGroupsFor(workload)[0]) and attach it, or acknowledge this warning.`,
    });
  }
  const workloads = [...new Set(names.map(n => (n.startsWith('src.') ? n.slice(4) : n)).filter(n => input.groupsOf[n]))].sort();
  for (const w of workloads) {
    const missing = input.groupsOf[w].filter(g => !carried.has(g));
    if (missing.length > 0) {
      problems.push({
        code: 'IncompleteMembership', path: res.node.path, value: w,
        message: `carries security groups of workload "${w}" but not ${missing.join(', ')}: a member of a workload must carry all of its groups (${input.groupsOf[w].join(', ')}), or flows towards and from it break.`,
        hint: `Attach the resource with ${input.backendPath}'s attach(${w}, resource) instead of adding the groups by hand.`,
      });
    }
  }
  for (const zoneGroup of names.filter(n => n.startsWith('zone.'))) {
    const zone = zoneGroup.slice(5);
    if (!workloads.some(w => input.workloads.get(w)?.zone === zone)) {
      problems.push({
        code: 'IncompleteMembership', path: res.node.path, value: zoneGroup,
        message: `carries the group of zone "${zone}" but no workload's groups of that zone: the zone group stands for the zone's workloads in other groups' rules.`,
        hint: `Attach the resource to a workload of zone "${zone}" with attach(workload, resource).`,
      });
    }
  }
  return workloads;
}

/**
 * Placement: subnets inside the zone's ranges, where the subnets' CIDRs are known. When some
 * of the zone's ranges are tokens, a subnet outside its known ranges is outside the zone only
 * if it lies inside another zone's known range (zone ranges are disjoint).
 */
function checkPlacement(res: CfnResource, workloads: string[], subnets: Json[], input: MembershipInput, problems: MicrosegProblem[]): void {
  const known = (zone: string) => (input.zoneRanges.get(zone) ?? []).map(c => parseCidr(c)).filter(isCidr) as Cidr[];
  for (const w of workloads) {
    const zone = input.workloads.get(w)?.zone;
    if (!zone) continue;
    const ranges = known(zone);
    const partlyUnknown = ranges.length < (input.zoneRanges.get(zone) ?? []).length;
    if (ranges.length === 0 && !partlyUnknown) continue;
    for (const s of subnets) {
      const key = refId(s);
      const cidr = key ? input.subnetCidrs.get(key) : undefined;
      const p = cidr ? parseCidr(cidr) : undefined;
      if (!p || !isCidr(p)) continue;
      const elsewhere = () => [...input.zoneRanges.keys()].some(z => z !== zone && known(z).some(r => r.family === p.family && cidrContains(r, p)));
      if (!ranges.some(r => r.family === p.family && cidrContains(r, p)) && (!partlyUnknown || elsewhere())) {
        problems.push({
          code: 'OutsideZone', path: res.node.path, value: cidr,
          message: `is a member of workload "${w}" but sits in a subnet (${key}) outside its zone "${zone}" (${input.zoneRanges.get(zone)!.join(', ')}), so rules by range would not reach it.`,
          hint: `Place it in the subnets of zone "${zone}" (e.g. vpcSubnets: the selection given for "${zone}" in \`subnets\`), or give zone "${zone}" that subnet.`,
        });
      }
    }
  }
}

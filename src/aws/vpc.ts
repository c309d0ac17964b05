/**
 * What CDK knows of the VPC at synth: its ranges (primary and secondary, when concrete), the
 * subnets given per zone (stable keys, CIDRs), and the subnet CIDRs of the whole app (to check
 * that members sit in their zone).
 *
 * @internal
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { ZoneSubnet } from './ranges';

/** The subnets given per zone (`subnets` prop), by stable key. */
export interface ZoneSubnets {
  /** zone -> subnet key -> subnet. */
  readonly objects: Map<string, Map<string, ec2.ISubnet>>;
  /** zone -> subnet keys (the plan's input). */
  readonly keys: Record<string, string[]>;
  /** zone -> subnets with their CIDRs (the range check's input). */
  readonly ranges: Record<string, ZoneSubnet[]>;
}

/** Selects the subnets of every zone given `subnets` (zones sorted). */
export function selectZoneSubnets(stack: Stack, vpc: ec2.IVpc, selections: { [zone: string]: ec2.SubnetSelection } | undefined): ZoneSubnets {
  const objects = new Map<string, Map<string, ec2.ISubnet>>();
  const keys: Record<string, string[]> = {};
  const ranges: Record<string, ZoneSubnet[]> = {};
  for (const zone of Object.keys(selections ?? {}).sort()) {
    const m = new Map<string, ec2.ISubnet>();
    for (const s of vpc.selectSubnets(selections![zone]).subnets) m.set(subnetKey(stack, s), s);
    objects.set(zone, m);
    keys[zone] = [...m.keys()];
    ranges[zone] = [...m.entries()].map(([name, sub]) => ({ name, cidr: subnetCidr(sub) }));
  }
  return { objects, keys, ranges };
}

/** The VPC's primary IPv4 range when CDK knows it at synth. */
export function vpcCidrOf(vpc: ec2.IVpc): string | undefined {
  if (!Token.isUnresolved(vpc.vpcCidrBlock)) return vpc.vpcCidrBlock;
  const child = vpc.node.defaultChild;
  if (child instanceof ec2.CfnVPC && typeof child.cidrBlock === 'string' && !Token.isUnresolved(child.cidrBlock)) return child.cidrBlock;
  return undefined;
}

/** Secondary IPv4 ranges of a VPC created in this app (`AWS::EC2::VPCCidrBlock` under it). */
export function secondaryVpcRanges(vpc: ec2.IVpc): string[] {
  return vpc.node.findAll()
    .filter((c): c is ec2.CfnVPCCidrBlock => c instanceof ec2.CfnVPCCidrBlock)
    .map(c => c.cidrBlock)
    .filter((c): c is string => typeof c === 'string' && !Token.isUnresolved(c));
}

/** Subnet CIDRs CDK knows: CDK-created subnets by logical id, imported ones by subnet id. */
export function knownSubnetCidrs(root: IConstruct, vpc: ec2.IVpc, selections: { [zone: string]: ec2.SubnetSelection } | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of root.node.findAll()) {
    if (c instanceof ec2.CfnSubnet && typeof c.cidrBlock === 'string' && !Token.isUnresolved(c.cidrBlock)) out.set(Stack.of(c).resolve(c.logicalId), c.cidrBlock);
  }
  const subnets = [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets,
    ...Object.values(selections ?? {}).flatMap(sel => sel.subnets ?? [])];
  for (const s of subnets) {
    const cidr = subnetCidr(s);
    if (!Token.isUnresolved(s.subnetId) && cidr && !Token.isUnresolved(cidr)) out.set(s.subnetId, cidr);
  }
  return out;
}

/** A subnet's IPv4 CIDR as CDK knows it (undefined for an import without it). */
function subnetCidr(s: ec2.ISubnet): string | undefined {
  try {
    const c = s.ipv4CidrBlock;
    if (!Token.isUnresolved(c)) return c;
    const cfn = s.node.defaultChild;
    if (cfn instanceof ec2.CfnSubnet && typeof cfn.cidrBlock === 'string') return cfn.cidrBlock;
    return c;
  } catch {
    return undefined; // an imported subnet without ipv4CidrBlock
  }
}

/** A stable key of a subnet: its id when concrete, else its construct path (relative to the stack). */
function subnetKey(stack: Stack, s: ec2.ISubnet): string {
  if (!Token.isUnresolved(s.subnetId)) return s.subnetId;
  const base = stack.node.path;
  return s.node.path.startsWith(base + '/') ? s.node.path.slice(base.length + 1) : s.node.path;
}

/**
 * Emission: the CloudFormation resources of an AWS plan (security groups with their inline rules,
 * network ACLs with their entries and subnet associations), in the stack the wiring assigns
 * (see wiring.ts). It renders what the plan says and decides nothing.
 *
 * @internal
 */
import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { NaclPlan, SgGroupPlan, SgRulePlan, VPC_CIDR_TOKEN } from './types';
import { StackWiring } from './wiring';

/** Findings about open ingress that a declared internet-facing flow (or MONITOR's catch-all) raises on purpose. */
const OPEN_INGRESS_RULES = ['AwsSolutions-EC23', 'CloudFormation-Validate::W2508'];

/** Emits the security groups and network ACLs of a plan. */
export class AwsEmitter {
  private readonly groups = new Map<string, ec2.CfnSecurityGroup>();

  constructor(private readonly vpc: ec2.IVpc, private readonly segmentation: string, private readonly wiring: StackWiring) {}

  /** The id of a created group (in its own stack). */
  public groupId(name: string): string | undefined {
    return this.groups.get(name)?.attrGroupId;
  }

  /** Creates a group (without rules: every group exists before any rule references one). */
  public createGroup(g: SgGroupPlan): void {
    const cfn = new ec2.CfnSecurityGroup(this.wiring.scopeOf(g.name), `sg-${g.name}`, {
      groupDescription: g.description,
      vpcId: this.vpc.vpcId,
    });
    cfn.overrideLogicalId(g.logicalId);
    this.groups.set(g.name, cfn);
  }

  /** Sets a created group's tags and inline rules. */
  public emitGroup(g: SgGroupPlan): void {
    const cfn = this.group(g.name);
    for (const [k, v] of Object.entries(g.tags)) cfn.tags.setTag(k, v);
    const ingress = g.ingress.map(r => this.inlineRule(g.name, r));
    cfn.securityGroupIngress = ingress.length ? ingress : undefined;
    cfn.securityGroupEgress = g.egress.map(r => this.inlineRule(g.name, r));
    // Internet-facing flows are declared on purpose: suppress cdk-nag's finding with the flow's reason.
    const open = g.ingress.filter(r => r.kind === 'flow' && isAnywhere(r));
    const catchall = g.ingress.some(r => r.kind === 'catchall' && isAnywhere(r));
    if (open.length > 0 || catchall) {
      const reasons = open.map(r => r.description);
      if (catchall) reasons.push(`EnforcementMode.MONITOR: ${this.segmentation}-monitor-catchall keeps traffic flowing while flow logs are studied`);
      const reason = nagReason(reasons);
      for (const id of OPEN_INGRESS_RULES) Validations.of(cfn).acknowledge({ id, reason }); // cdk-nag 3, CloudFormation validation
      cfn.addMetadata('cdk_nag', { rules_to_suppress: [{ id: 'AwsSolutions-EC23', reason }] }); // cdk-nag 2
    }
  }

  /** Emits a zone's network ACL, its entries and its subnet associations. */
  public emitNacl(n: NaclPlan, subnets: ReadonlyMap<string, ec2.ISubnet>): void {
    const scope = this.wiring.scopeOf(`nacl:${n.zone}`);
    const nacl = new ec2.CfnNetworkAcl(scope, `nacl-${n.zone}`, {
      vpcId: this.vpc.vpcId,
      tags: Object.entries(n.tags).map(([key, value]) => ({ key, value })),
    });
    nacl.overrideLogicalId(n.logicalId);
    for (const e of n.entries) {
      const icmp = e.protocol === 'icmp' || e.protocol === 'icmpv6';
      const entry = new ec2.CfnNetworkAclEntry(scope, e.logicalId, {
        networkAclId: nacl.ref,
        ruleNumber: e.ruleNumber,
        ruleAction: e.action,
        egress: e.egress,
        protocol: e.protocolNumber,
        ...(e.family === 'ipv6' ? { ipv6CidrBlock: e.cidr } : { cidrBlock: e.cidr === VPC_CIDR_TOKEN ? this.vpc.vpcCidrBlock : e.cidr }),
        ...(e.protocol === 'tcp' || e.protocol === 'udp' ? { portRange: { from: e.from, to: e.to } } : {}),
        ...(icmp ? { icmp: { type: e.from, code: e.to } } : {}),
      });
      entry.overrideLogicalId(e.logicalId);
    }
    for (const a of n.associations) {
      const subnet = subnets.get(a.subnet);
      if (!subnet) throw new Error(`microseg internal error: no subnet "${a.subnet}" for the network ACL of zone "${n.zone}"`);
      const assoc = new ec2.CfnSubnetNetworkAclAssociation(scope, a.logicalId, { networkAclId: nacl.ref, subnetId: subnet.subnetId });
      assoc.overrideLogicalId(a.logicalId);
    }
  }

  private group(name: string): ec2.CfnSecurityGroup {
    const g = this.groups.get(name);
    if (!g) throw new Error(`microseg internal error: the security group "${name}" was not created`);
    return g;
  }

  private inlineRule(group: string, r: SgRulePlan): ec2.CfnSecurityGroup.IngressProperty & ec2.CfnSecurityGroup.EgressProperty {
    const idOf = (peer: string) => this.wiring.groupIdFor(group, peer, this.group(peer).attrGroupId);
    const peer = r.peer.kind === 'sg'
      ? (r.direction === 'egress' ? { destinationSecurityGroupId: idOf(r.peer.group) } : { sourceSecurityGroupId: idOf(r.peer.group) })
      : r.peer.kind === 'vpc'
        ? { cidrIp: this.vpc.vpcCidrBlock }
        : r.peer.family === 'ipv6' ? { cidrIpv6: r.peer.cidr } : { cidrIp: r.peer.cidr };
    return { ...protocolProps(r), ...peer, ...(r.description ? { description: r.description } : {}) };
  }
}

function isAnywhere(r: SgRulePlan): boolean {
  return r.peer.kind === 'cidr' && (r.peer.cidr === '0.0.0.0/0' || r.peer.cidr === '::/0');
}

function protocolProps(r: SgRulePlan): { ipProtocol: string; fromPort?: number; toPort?: number } {
  switch (r.protocol) {
    case 'all': return { ipProtocol: '-1' };
    case 'icmpv6': return { ipProtocol: '58', fromPort: r.from, toPort: r.to };
    default: return { ipProtocol: r.protocol, fromPort: r.from, toPort: r.to };
  }
}

function nagReason(descriptions: string[]): string {
  const text = [...new Set(descriptions)].sort().join('; ');
  return text.length >= 10 ? text : `Declared internet-facing flow: ${text}`;
}

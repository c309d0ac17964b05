/**
 * The AWS evaluator of the tests: given a synthesized CloudFormation template, the backend and the
 * compiled policy, answers "is this packet allowed?" by evaluating what was rendered. It reads the
 * template into canonical rules and asks the semantic layer (`src/semantics/aws.ts`), which
 * evaluates them the way EC2 does:
 *
 * - security groups are stateful: the source's egress AND the destination's ingress must allow
 *   the packet (a rule matches by address range, or by a referenced group the other end carries);
 *   inline rules and separate `AWS::EC2::SecurityGroupIngress/Egress` resources both count;
 * - network ACLs are stateless, lowest rule number first, first match wins, implicit deny: the
 *   request must pass the source subnet's egress and the destination subnet's ingress, and its
 *   reply (TCP and UDP to an ephemeral port, the echo reply of an ICMP echo request; other ICMP
 *   messages get none) the destination's egress and the source's ingress.
 *
 * A workload's members carry `backend.securityGroupsFor(workload)`, have an address inside the
 * workload's first CIDR (else inside its zone's first CIDR), and sit in their zone's subnets (traffic always crosses subnets).
 *
 * Parameters of the top stack take their `Default` (the value the stack deploys with).
 * Nested stacks (sharded output) are followed the way CloudFormation wires them: a child's
 * `Ref` to one of its parameters takes the value the parent's `AWS::CloudFormation::Stack`
 * passes, a `Fn::GetAtt [<nested stack>, Outputs.X]` the producer child's output X, and
 * `Fn::Join`, `Fn::Split` and `Fn::Select` (on `CommaDelimitedList` parameters too) are applied.
 * Give the assembly directory (the app's `outdir`) to read the nested templates.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NestedStack, Stack } from 'aws-cdk-lib';
import { AwsSegmentation } from '../../src/aws';
import { CanonicalRule, IrPolicy, RuleAction, RuleDirection } from '../../src/ir';
import { AWS_RETURN_PORT, AwsRuleEvaluator, memberAddresses, protocolName } from '../../src/semantics';

/** Source port of return traffic (inside every ephemeral range AWS documents). */
export const RETURN_PORT = AWS_RETURN_PORT;

type Json = any;

/** One template: the backend's stack or a nested stack (with the parent and its resource id there). */
interface Tpl { json: Json; parent?: Tpl; resourceId?: string; children: Map<string, Tpl> }

/**
 * Evaluates packets against a synthesized template: reads the rendered security groups and
 * network ACLs into canonical rules (groups named by logical id) and asks the semantic layer's
 * {@link AwsRuleEvaluator}.
 */
export class AwsEvaluator extends AwsRuleEvaluator {
  /** Templates evaluated (the backend's stack and its nested stacks). */
  public readonly templates: Json[];
  /** The rendered rules, canonical (containers and group peers are `sg:<logical id>`). */
  public readonly rules: CanonicalRule[];

  /**
   * @param placement where members of some workloads really sit (workload -> a CIDR, e.g. the
   * subnet of the instance that runs it): their address is taken inside it instead.
   */
  constructor(template: Json, backend: AwsSegmentation, policy: IrPolicy, assemblyDir?: string, placement: Record<string, string> = {}) {
    const read = new TemplateReader(template, backend, assemblyDir);
    const stack = Stack.of(backend);
    const groupsOf = new Map<string, string[]>();
    for (const w of policy.workloads) {
      const construct = backend.segmentation.findWorkload(w.name);
      if (!construct) continue;
      try {
        groupsOf.set(w.name, backend.securityGroupsFor(construct).map(g => `sg:${read.refId(stack.resolve(g.securityGroupId))}`));
      } catch {
        // not placed on this backend
      }
    }
    const addresses = memberAddresses(policy, placement);
    const zoneOf = new Map(policy.workloads.map(w => [w.name, w.zone]));
    const rules = read.rules(policy.segmentation.name);
    super(rules.rules, {
      groupsOf: w => groupsOf.get(w) ?? [],
      zoneOf: w => zoneOf.get(w),
      addressOf: w => {
        const a = addresses.get(w);
        if (!a) throw new Error(`evaluator: workload ${w} has no known address (give it cidrs)`);
        return a;
      },
      naclZones: rules.naclZones,
    });
    this.templates = read.all.map(t => t.json);
    this.rules = rules.rules;
  }
}

/** Reads a template (and its nested stacks) the way CloudFormation wires them. */
class TemplateReader {
  readonly all: Tpl[];
  private readonly resources: Record<string, Json>;
  private readonly root: Tpl;

  constructor(template: Json, backend: AwsSegmentation, assemblyDir?: string) {
    const stack = Stack.of(backend);
    this.root = { json: template, children: new Map() };
    this.all = [this.root];
    const nested = backend.node.children.filter((c): c is NestedStack => NestedStack.isNestedStack(c));
    if (nested.length > 0 && !assemblyDir) throw new Error('evaluator: the output is sharded into nested stacks: pass the assembly directory');
    for (const ns of nested) {
      const resourceId = stack.getLogicalId(ns.nestedStackResource!);
      if (!template.Resources?.[resourceId]) throw new Error(`evaluator: nested stack resource ${resourceId} is missing from the parent template`);
      const child: Tpl = { json: JSON.parse(fs.readFileSync(path.join(assemblyDir!, ns.templateFile), 'utf8')), parent: this.root, resourceId, children: new Map() };
      this.root.children.set(resourceId, child);
      this.all.push(child);
    }
    this.resources = Object.assign({}, ...this.all.map(t => t.json.Resources ?? {}));
  }

  /** The security group rules and network ACL entries, canonical; zones whose ACL is associated with subnets. */
  rules(seg: string): { rules: CanonicalRule[]; naclZones: string[] } {
    const out: CanonicalRule[] = [];
    const zoneOfNacl = new Map<string, string>();
    const entries: [Tpl, Json][] = [];
    for (const tpl of this.all) {
      const refId = (v: Json) => this.refId(this.resolve(tpl, v));
      for (const [id, r] of Object.entries<Json>(tpl.json.Resources ?? {})) {
        const p = r.Properties ?? {};
        switch (r.Type) {
          case 'AWS::EC2::SecurityGroup':
            for (const x of p.SecurityGroupIngress ?? []) out.push(this.sgRule(tpl, id, RuleDirection.INGRESS, x));
            for (const x of p.SecurityGroupEgress ?? []) out.push(this.sgRule(tpl, id, RuleDirection.EGRESS, x));
            break;
          case 'AWS::EC2::SecurityGroupIngress':
            out.push(this.sgRule(tpl, refId(p.GroupId), RuleDirection.INGRESS, p));
            break;
          case 'AWS::EC2::SecurityGroupEgress':
            out.push(this.sgRule(tpl, refId(p.GroupId), RuleDirection.EGRESS, p));
            break;
          case 'AWS::EC2::NetworkAcl': {
            const tags = Object.fromEntries((p.Tags ?? []).map((t: Json) => [t.Key, t.Value]));
            if (tags['microseg:segmentation'] === seg && tags['microseg:zone']) {
              const associated = Object.values<Json>(tpl.json.Resources).some(a => a.Type === 'AWS::EC2::SubnetNetworkAclAssociation' && refId(a.Properties.NetworkAclId) === id);
              if (associated) zoneOfNacl.set(id, tags['microseg:zone']);
            }
            break;
          }
          case 'AWS::EC2::NetworkAclEntry':
            entries.push([tpl, p]);
            break;
        }
      }
    }
    for (const [tpl, e] of entries) {
      const zone = zoneOfNacl.get(this.refId(this.resolve(tpl, e.NetworkAclId)));
      if (zone === undefined) continue;
      const protocol = protocolName(String(e.Protocol));
      const ports = protocol === 'icmp' || protocol === 'icmpv6' ? icmpPorts(e.Icmp?.Type, e.Icmp?.Code)
        : protocol === 'tcp' || protocol === 'udp' ? `${e.PortRange.From}-${e.PortRange.To}` : '*';
      out.push({
        container: `nacl:${zone}`, direction: e.Egress ? RuleDirection.EGRESS : RuleDirection.INGRESS, action: e.RuleAction === 'allow' ? RuleAction.ALLOW : RuleAction.DENY,
        protocol, ports, peer: `cidr:${e.CidrBlock !== undefined ? this.cidrText(this.resolve(tpl, e.CidrBlock)) : e.Ipv6CidrBlock}`, priority: e.RuleNumber,
      });
    }
    return { rules: out, naclZones: [...new Set(zoneOfNacl.values())].sort() };
  }

  private sgRule(tpl: Tpl, group: string, direction: RuleDirection, x: Json): CanonicalRule {
    const side = direction === RuleDirection.INGRESS ? 'Source' : 'Destination';
    const ref = x[`${side}SecurityGroupId`];
    const protocol = protocolName(String(x.IpProtocol));
    const ports = protocol === 'icmp' || protocol === 'icmpv6' ? icmpPorts(x.FromPort, x.ToPort)
      : protocol === 'tcp' || protocol === 'udp' ? `${x.FromPort}-${x.ToPort}` : '*';
    const peer = ref !== undefined ? `sg:${this.refId(this.resolve(tpl, ref))}`
      : x.CidrIp !== undefined ? `cidr:${this.cidrText(this.resolve(tpl, x.CidrIp))}`
        : x.CidrIpv6 !== undefined ? `cidr:${x.CidrIpv6}` : 'none:';
    return { container: `sg:${group}`, direction, action: RuleAction.ALLOW, protocol, ports, peer };
  }

  /**
   * Resolves a value the way CloudFormation does across nested stacks: parameters to the value
   * the parent passes, nested-stack outputs to the producer's output, Join/Split/Select applied.
   * Group references end as `{ 'Fn::GetAtt': [<logical id>, 'GroupId'] }` (or a `Ref`).
   */
  private resolve(tpl: Tpl, v: Json): Json {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(x => this.resolve(tpl, x));
    if (typeof v.Ref === 'string') {
      if (tpl.json.Parameters?.[v.Ref] !== undefined && tpl.parent) {
        const passed = tpl.parent.json.Resources[tpl.resourceId!].Properties?.Parameters?.[v.Ref];
        if (passed === undefined) throw new Error(`evaluator: the parent passes no value for parameter ${v.Ref}`);
        const value = this.resolve(tpl.parent, passed);
        return tpl.json.Parameters[v.Ref].Type === 'CommaDelimitedList' && typeof value === 'string' ? value.split(',') : value;
      }
      // A parameter of the top stack: the value the stack deploys with when none is passed.
      const own = !tpl.parent ? tpl.json.Parameters?.[v.Ref] : undefined;
      if (own?.Default !== undefined && own.Type === 'String') return own.Default;
      return v;
    }
    const att = v['Fn::GetAtt'];
    if (Array.isArray(att) && typeof att[1] === 'string' && att[1].startsWith('Outputs.')) {
      const child = tpl.children.get(att[0]);
      if (!child) throw new Error(`evaluator: ${att[0]} is not a nested stack of this template`);
      const out = child.json.Outputs?.[att[1].slice('Outputs.'.length)];
      if (!out) throw new Error(`evaluator: nested stack ${att[0]} has no output ${att[1]}`);
      return this.resolve(child, out.Value);
    }
    if (v['Fn::Join']) {
      const [sep, parts] = v['Fn::Join'];
      // Joined group ids: a group is represented by its logical id (unique across the templates).
      return (this.resolve(tpl, parts) as Json[]).map(x => (typeof x === 'string' ? x : this.refId(x))).join(sep);
    }
    if (v['Fn::Split']) {
      const [sep, text] = v['Fn::Split'];
      return String(this.resolve(tpl, text)).split(sep);
    }
    if (v['Fn::Select']) {
      const [i, list] = v['Fn::Select'];
      let l = this.resolve(tpl, list);
      if (typeof l === 'string') l = l.split(',');
      else if (!Array.isArray(l)) l = [l]; // CDK renders Fn::Join of one element as the element
      return l[Number(this.resolve(tpl, i))];
    }
    return v;
  }

  private cidrText(v: Json): string {
    if (typeof v === 'string') return v;
    const att = v?.['Fn::GetAtt'];
    if (att && att[1] === 'CidrBlock') return this.resources[att[0]].Properties.CidrBlock;
    throw new Error(`evaluator: cannot resolve CIDR ${JSON.stringify(v)}`);
  }

  refId(v: Json): string {
    if (typeof v === 'string') return v;
    if (v?.Ref) return v.Ref;
    if (v?.['Fn::GetAtt']) return v['Fn::GetAtt'][0];
    throw new Error(`evaluator: cannot resolve reference ${JSON.stringify(v)}`);
  }
}

function icmpPorts(type: number | undefined, code: number | undefined): string {
  if (type === undefined || type === -1) return '*';
  return code === undefined || code === -1 ? `${type}` : `${type}/${code}`;
}

/**
 * The AWS evaluator: given a synthesized CloudFormation template, the backend and the compiled
 * policy, answers "is this packet allowed?" by evaluating what was rendered, the way EC2 does:
 *
 * - security groups are stateful: the source's egress AND the destination's ingress must allow
 *   the packet (a rule matches by address range, or by a referenced group the other end carries);
 *   inline rules and separate `AWS::EC2::SecurityGroupIngress/Egress` resources both count;
 * - network ACLs are stateless, lowest rule number first, first match wins, implicit deny: the
 *   request must pass the source subnet's egress and the destination subnet's ingress, and the
 *   return traffic (to an ephemeral port) the destination's egress and the source's ingress.
 *
 * A workload's members carry `backend.securityGroupsFor(workload)`, have an address inside the
 * workload's first CIDR (else inside its zone's first CIDR), and sit in their zone's subnets (traffic always crosses subnets).
 *
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
import { cidr, cidrHas, IrPolicy, Packet, PacketEnd } from '../../src/ir';

/** Source port of return traffic (inside every ephemeral range AWS documents). */
export const RETURN_PORT = 50000;

type Json = any;

interface SgRule { protocol: string; from?: number; to?: number; cidr?: string; cidrV6?: string; group?: string }

/** One template: the backend's stack or a nested stack (with the parent and its resource id there). */
interface Tpl { json: Json; parent?: Tpl; resourceId?: string; children: Map<string, Tpl> }

/** Evaluates packets against a synthesized template. */
export class AwsEvaluator {
  private readonly resources: Record<string, Json>;
  private readonly ingress = new Map<string, SgRule[]>();
  private readonly egress = new Map<string, SgRule[]>();
  private readonly groupsOf = new Map<string, string[]>();
  private readonly naclOfZone = new Map<string, string>();
  private readonly naclEntries = new Map<string, Json[]>();
  private readonly addressOf = new Map<string, { family: 'ipv4' | 'ipv6'; value: bigint }>();
  private readonly zoneOf = new Map<string, string>();

  /** Templates evaluated (the backend's stack and its nested stacks). */
  public readonly templates: Json[] = [];
  private readonly root: Tpl;

  /**
   * @param placement where members of some workloads really sit (workload -> a CIDR, e.g. the
   * subnet of the instance that runs it): their address is taken inside it instead.
   */
  constructor(template: Json, backend: AwsSegmentation, policy: IrPolicy, assemblyDir?: string, placement: Record<string, string> = {}) {
    const stack = Stack.of(backend);
    this.root = { json: template, children: new Map() };
    const all: Tpl[] = [this.root];
    const nested = backend.node.children.filter((c): c is NestedStack => NestedStack.isNestedStack(c));
    if (nested.length > 0 && !assemblyDir) throw new Error('evaluator: the output is sharded into nested stacks: pass the assembly directory');
    for (const ns of nested) {
      const resourceId = stack.getLogicalId(ns.nestedStackResource!);
      if (!template.Resources?.[resourceId]) throw new Error(`evaluator: nested stack resource ${resourceId} is missing from the parent template`);
      const child: Tpl = { json: JSON.parse(fs.readFileSync(path.join(assemblyDir!, ns.templateFile), 'utf8')), parent: this.root, resourceId, children: new Map() };
      this.root.children.set(resourceId, child);
      all.push(child);
    }
    this.templates = all.map(t => t.json);
    this.resources = Object.assign({}, ...all.map(t => t.json.Resources ?? {}));
    for (const w of policy.workloads) {
      this.zoneOf.set(w.name, w.zone);
      const construct = backend.segmentation.findWorkload(w.name);
      if (!construct) continue;
      let groups: string[];
      try {
        groups = backend.securityGroupsFor(construct).map(g => this.refId(stack.resolve(g.securityGroupId)));
      } catch {
        continue; // not placed on this backend
      }
      this.groupsOf.set(w.name, groups);
      const zone = policy.zones.find(z => z.name === w.zone);
      if (placement[w.name]) {
        const c = cidr(placement[w.name]);
        this.addressOf.set(w.name, { family: c.family, value: c.first + 10n });
      } else if (w.cidrs.length > 0) {
        const c = cidr(w.cidrs[0]);
        this.addressOf.set(w.name, { family: c.family, value: c.first + 10n });
      } else if (zone && zone.cidrs.length > 0) {
        // No known address: one inside the zone's first range, distinct per workload.
        const c = cidr(zone.cidrs[0]);
        this.addressOf.set(w.name, { family: c.family, value: c.first + 10n + BigInt(zone.workloads.indexOf(w.name)) });
      }
    }
    const seg = policy.segmentation.name;
    for (const tpl of all) {
      const refId = (v: Json) => this.refId(this.resolve(tpl, v));
      for (const [id, r] of Object.entries<Json>(tpl.json.Resources ?? {})) {
        const p = r.Properties ?? {};
        switch (r.Type) {
          case 'AWS::EC2::SecurityGroup':
            for (const x of p.SecurityGroupIngress ?? []) this.push(this.ingress, id, this.sgRule(tpl, x, 'Source'));
            for (const x of p.SecurityGroupEgress ?? []) this.push(this.egress, id, this.sgRule(tpl, x, 'Destination'));
            break;
          case 'AWS::EC2::SecurityGroupIngress':
            this.push(this.ingress, refId(p.GroupId), this.sgRule(tpl, p, 'Source'));
            break;
          case 'AWS::EC2::SecurityGroupEgress':
            this.push(this.egress, refId(p.GroupId), this.sgRule(tpl, p, 'Destination'));
            break;
          case 'AWS::EC2::NetworkAcl': {
            const tags = Object.fromEntries((p.Tags ?? []).map((t: Json) => [t.Key, t.Value]));
            if (tags['microseg:segmentation'] === seg && tags['microseg:zone']) {
              const associated = Object.values<Json>(tpl.json.Resources).some(a => a.Type === 'AWS::EC2::SubnetNetworkAclAssociation' && refId(a.Properties.NetworkAclId) === id);
              if (associated) this.naclOfZone.set(tags['microseg:zone'], id);
            }
            break;
          }
          case 'AWS::EC2::NetworkAclEntry':
            this.push(this.naclEntries, refId(p.NetworkAclId), p);
            break;
        }
      }
    }
    for (const list of this.naclEntries.values()) list.sort((a, b) => a.RuleNumber - b.RuleNumber);
  }

  /** Whether the rendered security groups and network ACLs allow the packet. */
  public allows(p: Packet): boolean {
    return this.securityGroupsAllow(p) && this.naclsAllow(p);
  }

  /** The security group part alone. */
  public securityGroupsAllow(p: Packet): boolean {
    const src = this.end(p.source);
    const dst = this.end(p.destination);
    if (src.workload !== undefined) {
      const ok = src.groups.some(g => (this.egress.get(g) ?? []).some(r => this.sgMatches(r, p, dst)));
      if (!ok) return false;
    }
    if (dst.workload !== undefined) {
      const ok = dst.groups.some(g => (this.ingress.get(g) ?? []).some(r => this.sgMatches(r, p, src)));
      if (!ok) return false;
    }
    return true;
  }

  /** The network ACL part alone (request and return traffic). */
  public naclsAllow(p: Packet): boolean {
    const src = this.end(p.source);
    const dst = this.end(p.destination);
    const srcNacl = src.workload !== undefined ? this.naclOfZone.get(this.zoneOf.get(src.workload)!) : undefined;
    const dstNacl = dst.workload !== undefined ? this.naclOfZone.get(this.zoneOf.get(dst.workload)!) : undefined;
    const reply = p.protocol === 'icmp' ? { protocol: p.protocol, port: 0, code: 0 } : { protocol: p.protocol, port: RETURN_PORT, code: -1 };
    const req = { protocol: p.protocol, port: p.port, code: p.code ?? -1 };
    if (srcNacl && !this.naclPasses(srcNacl, true, dst.address, req)) return false;
    if (dstNacl && !this.naclPasses(dstNacl, false, src.address, req)) return false;
    if (dstNacl && !this.naclPasses(dstNacl, true, src.address, reply)) return false;
    if (srcNacl && !this.naclPasses(srcNacl, false, dst.address, reply)) return false;
    return true;
  }

  /** Zones whose subnets have a microseg network ACL. */
  public get naclZones(): string[] {
    return [...this.naclOfZone.keys()].sort();
  }

  private end(e: PacketEnd): { workload?: string; groups: string[]; address: { family: 'ipv4' | 'ipv6'; value: bigint } } {
    if ('workload' in e) {
      const address = this.addressOf.get(e.workload);
      if (!address) throw new Error(`evaluator: workload ${e.workload} has no known address (give it cidrs)`);
      return { workload: e.workload, groups: this.groupsOf.get(e.workload) ?? [], address };
    }
    return { groups: [], address: { family: e.family, value: e.address } };
  }

  private sgMatches(r: SgRule, p: Packet, other: { groups: string[]; address: { family: 'ipv4' | 'ipv6'; value: bigint } }): boolean {
    if (!protocolMatches(r.protocol, p.protocol, other.address.family)) return false;
    if (r.protocol !== '-1') {
      if (p.protocol === 'icmp') {
        if (!icmpMatches(r.from ?? -1, r.to ?? -1, p.port, p.code ?? -1)) return false;
      } else if (!(r.from! <= p.port && p.port <= r.to!)) {
        return false;
      }
    }
    if (r.group) return other.groups.includes(r.group);
    const range = r.cidr ?? r.cidrV6;
    return !!range && cidrHas(cidr(range), other.address.family, other.address.value);
  }

  private naclPasses(nacl: string, egress: boolean, remote: { family: 'ipv4' | 'ipv6'; value: bigint }, t: { protocol: string; port: number; code: number }): boolean {
    for (const e of this.naclEntries.get(nacl) ?? []) {
      if (Boolean(e.Egress) !== egress) continue;
      const range = e.CidrBlock ?? e.Ipv6CidrBlock;
      if (!cidrHas(cidr(range), remote.family, remote.value)) continue;
      if (!protocolMatches(String(e.Protocol), t.protocol, remote.family)) continue;
      if (Number(e.Protocol) !== -1) {
        if (t.protocol === 'icmp') {
          if (!icmpMatches(e.Icmp?.Type ?? -1, e.Icmp?.Code ?? -1, t.port, t.code)) continue;
        } else if (!(e.PortRange.From <= t.port && t.port <= e.PortRange.To)) {
          continue;
        }
      }
      return e.RuleAction === 'allow';
    }
    return false;
  }

  private sgRule(tpl: Tpl, x: Json, side: 'Source' | 'Destination'): SgRule {
    const group = x[`${side}SecurityGroupId`];
    return {
      protocol: String(x.IpProtocol),
      from: x.FromPort,
      to: x.ToPort,
      cidr: x.CidrIp !== undefined ? this.cidrText(this.resolve(tpl, x.CidrIp)) : undefined,
      cidrV6: x.CidrIpv6,
      group: group !== undefined ? this.refId(this.resolve(tpl, group)) : undefined,
    };
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

  private refId(v: Json): string {
    if (typeof v === 'string') return v;
    if (v?.Ref) return v.Ref;
    if (v?.['Fn::GetAtt']) return v['Fn::GetAtt'][0];
    throw new Error(`evaluator: cannot resolve reference ${JSON.stringify(v)}`);
  }

  private push<T>(m: Map<string, T[]>, k: string, v: T): void {
    let l = m.get(k);
    if (!l) { l = []; m.set(k, l); }
    l.push(v);
  }
}

function protocolMatches(ruleProtocol: string, protocol: string, family: 'ipv4' | 'ipv6'): boolean {
  const r = ruleProtocol.toLowerCase();
  if (r === '-1') return true;
  switch (protocol) {
    case 'tcp': return r === 'tcp' || r === '6';
    case 'udp': return r === 'udp' || r === '17';
    case 'icmp': return family === 'ipv6' ? (r === 'icmpv6' || r === '58') : (r === 'icmp' || r === '1');
    default: return false;
  }
}

function icmpMatches(type: number, code: number, pType: number, pCode: number): boolean {
  if (type === -1) return true;
  if (type !== pType) return false;
  return code === -1 || code === pCode;
}

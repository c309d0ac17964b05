/**
 * CDK's `connections` on microseg groups: every rule CDK adds to one of them
 * (`connections.allowFrom/To`, `addIngressRule/addEgressRule`, load balancer targets,
 * `allowDefaultPortFrom`) is recorded, and at synth becomes a flow of the model (with the CDK
 * peer and port) or a coded error that says how to declare it. Nothing vanishes.
 *
 * @internal
 */
import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { AllowFlow, IFlowEndpoint, Peer, Port, Segmentation } from '../model';
import { MicrosegProblem } from '../model/errors';
import { shortHash } from './names';

/** One rule CDK asked a microseg group for. */
export interface CdkRule {
  readonly group: string;
  readonly direction: 'ingress' | 'egress';
  readonly peer: ec2.IPeer;
  readonly port: ec2.Port;
  readonly description?: string;
}

/** Replaces a group's rule methods so CDK's rules are recorded instead of dropped. */
export function recordRules(group: ec2.ISecurityGroup, name: string, sink: CdkRule[]): void {
  const g = group as { addIngressRule: ec2.ISecurityGroup['addIngressRule']; addEgressRule: ec2.ISecurityGroup['addEgressRule'] };
  g.addIngressRule = (peer, port, description) => { sink.push({ group: name, direction: 'ingress', peer, port, description }); };
  g.addEgressRule = (peer, port, description) => { sink.push({ group: name, direction: 'egress', peer, port, description }); };
}

interface End { readonly key: string; readonly endpoint?: IFlowEndpoint; readonly zone?: string; readonly workload?: string }

/** What {@link materialize} needs. */
export interface MaterializeInput {
  readonly rules: readonly CdkRule[];
  readonly segmentation: Segmentation;
  readonly backendPath: string;
  /** The group a peer object stands for, when it is one of this backend's groups. */
  readonly groupOfPeer: (peer: ec2.IPeer) => string | undefined;
}

function portOf(p: ec2.Port): Port | string {
  const j = p.toRuleJson() as { ipProtocol: string; fromPort?: number; toPort?: number };
  const from = j.fromPort; const to = j.toPort;
  if ((from !== undefined && Token.isUnresolved(from)) || (to !== undefined && Token.isUnresolved(to))) return `${p.toString()} (a token)`;
  switch (j.ipProtocol) {
    case 'tcp': return from === 0 && to === 65535 ? Port.allTcp() : from === to ? Port.tcp(from!) : Port.tcpRange(from!, to!);
    case 'udp': return from === 0 && to === 65535 ? Port.allUdp() : from === to ? Port.udp(from!) : Port.udpRange(from!, to!);
    case 'icmp': return from === undefined || from === -1 ? Port.icmp() : to === undefined || to === -1 ? Port.icmp(from) : Port.icmp(from, to);
    case '-1': return Port.allTraffic();
    default: return p.toString();
  }
}

/**
 * Turns the recorded rules into flows of the model (`AllowFlow`s under the segmentation, with
 * ids from their content) and returns the rules that cannot be modelled as problems.
 */
export function materialize(input: MaterializeInput): MicrosegProblem[] {
  const seg = input.segmentation;
  const problems: MicrosegProblem[] = [];
  const endOfGroup = (name: string): End | undefined => {
    if (name.startsWith('zone.')) {
      const z = seg.findZone(name.slice(5));
      return z ? { key: `zone:${z.name}`, endpoint: z, zone: z.name } : undefined;
    }
    const w = seg.findWorkload(name.startsWith('src.') ? name.slice(4) : name);
    return w ? { key: `workload:${w.name}`, endpoint: w, workload: w.name, zone: w.zone.name } : undefined;
  };
  const endOfPeer = (peer: ec2.IPeer): End | string => {
    const group = input.groupOfPeer(peer);
    if (group) return endOfGroup(group) ?? `${group}`;
    const cfg = peer.toIngressRuleConfig() as { cidrIp?: string; cidrIpv6?: string };
    if (typeof cfg.cidrIp === 'string' && !Token.isUnresolved(cfg.cidrIp)) return { key: `ipv4:${cfg.cidrIp}`, endpoint: Peer.ipv4(cfg.cidrIp) };
    if (typeof cfg.cidrIpv6 === 'string' && !Token.isUnresolved(cfg.cidrIpv6)) return { key: `ipv6:${cfg.cidrIpv6}`, endpoint: Peer.ipv6(cfg.cidrIpv6) };
    const raw = cfg.cidrIp ?? cfg.cidrIpv6;
    if (typeof raw === 'string' && Token.isUnresolved(raw)) return 'an address range unknown at synth (e.g. the VPC\'s CIDR)';
    return peer.uniqueId;
  };

  interface Pair { target: End; other: End; port: Port; portKey: string; rule: CdkRule }
  const pairs: Pair[] = [];
  for (const r of input.rules) {
    const target = endOfGroup(r.group);
    const other = endOfPeer(r.peer);
    const port = portOf(r.port);
    const peerPath = (r.peer as Partial<IConstruct>).node?.path ?? (Token.isUnresolved(r.peer.uniqueId) ? input.backendPath : r.peer.uniqueId);
    if (!target) continue;
    if (typeof other === 'string' || typeof port === 'string') {
      const what = `${r.direction === 'ingress' ? 'from' : 'to'} ${typeof other === 'string' ? other : other.key} on ${typeof port === 'string' ? port : r.port.toString()}`;
      const tokenPort = typeof port === 'string' && port.endsWith('(a token)');
      const [fromKey, toKey] = r.direction === 'ingress' ? [typeof other === 'string' ? '<source>' : other.key, target.key] : [target.key, typeof other === 'string' ? '<destination>' : other.key];
      const why = typeof other === 'string' ? 'the peer is neither a microseg group nor an address range'
        : tokenPort ? 'the port is known only at deploy time (e.g. an RDS endpoint port: allowDefaultPortFrom), and a flow needs a concrete port'
          : 'the port is not TCP, UDP, ICMP or all traffic';
      problems.push({
        code: 'UnmodelledConnection', path: peerPath, value: `${r.group} ${what}`,
        message: `CDK added a rule ${what} to microseg's security group "${r.group}" (connections.allowFrom/To, addIngressRule, a load balancer target, allowDefaultPortFrom), and it cannot become a flow of the model: ${why}.`,
        hint: typeof other === 'string'
          ? 'Make the other resource a member of a workload (backend.attach(workload, resource), created with only microseg groups, e.g. `securityGroup: backend.securityGroupsFor(workload)[0]`) and declare the flow between the workloads, or declare it with a Peer range: workload.allowFrom(Peer.ipv4(...), Port.tcp(...)).'
          : tokenPort
            ? `Declare the flow ${fromKey} -> ${toKey} on the model with the concrete port instead (e.g. allowFrom(..., Port.tcp(5432)) for PostgreSQL), and drop the CDK call.`
            : 'Declare the flow on the model with a TCP, UDP, ICMP or all-traffic Port.',
      });
      continue;
    }
    pairs.push({ target, other, port, portKey: r.port.toString(), rule: r });
  }
  // An attached resource carries its workload's own, zone and source groups, so one CDK call
  // fans out over all of them: a zone end stands for the zone only when no workload of that
  // zone stands at the same place of the same rule.
  const same = (a: Pair, b: Pair) => a.rule.direction === b.rule.direction && a.portKey === b.portKey;
  const kept = pairs.filter(p => {
    if (p.target.workload === undefined && pairs.some(q => same(p, q) && q.other.key === p.other.key && q.target.workload !== undefined && q.target.zone === p.target.zone)) return false;
    if (p.other.endpoint && p.other.zone !== undefined && p.other.workload === undefined && pairs.some(q => same(p, q) && q.target.key === p.target.key && q.other.workload !== undefined && q.other.zone === p.other.zone)) return false;
    return true;
  });
  const done = new Set<string>();
  for (const p of kept) {
    const [from, to] = p.rule.direction === 'ingress' ? [p.other, p.target] : [p.target, p.other];
    if (from.key === to.key && from.workload === undefined) continue;
    const key = `${from.key}>${to.key}|${p.portKey}`;
    if (done.has(key)) continue;
    done.add(key);
    if (from.endpoint && to.endpoint && from.key.startsWith('ipv') && to.key.startsWith('ipv')) continue;
    new AllowFlow(seg, `Cdk${shortHash(key)}`, {
      from: from.endpoint!, to: to.endpoint!, ports: [p.port],
      description: p.rule.description ? `${p.rule.description} (CDK connections)` : `CDK connections: ${p.portKey}`,
    });
  }
  return problems;
}

/**
 * `NeverReach` invariants as AWS Network Access Analyzer scopes (`AWS::EC2::NetworkInsightsAccessScope`),
 * so AWS's own analyzer watches them too (opt-in: `networkAccessScopes` on the backend).
 *
 * One scope per `NeverReach` whose ends are on this backend: its match paths go from the source
 * (the security groups of its workloads, or its address range; the internet through internet
 * gateways) to the destination, on the invariant's TCP/UDP ports. Network Access Analyzer finds
 * network paths (through gateways, peering, load balancers ...), not paths through compromised
 * workloads: it watches the direct part (`maxHops` 1) of the invariant, microseg checks the rest.
 * ICMP cannot be expressed in a packet header statement (TCP and UDP only) and is left out, with
 * a warning.
 *
 * @see https://docs.aws.amazon.com/vpc/latest/network-access-analyzer/what-is-network-access-analyzer.html
 * @see https://docs.aws.amazon.com/vpc/latest/network-access-analyzer/resource-statement.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-networkinsightsaccessscope.html
 */
import { Annotations, CfnTag } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { IrService } from '../ir/services';
import { IrEndpointRef, IrPolicy } from '../ir/types';

/** What the scopes need from the backend. */
export interface AccessScopeContext {
  readonly policy: IrPolicy;
  /** The workloads placed on this backend. */
  readonly localWorkloads: Set<string>;
  /** The id (a token) of the security group every member of the workload carries. */
  readonly groupIdOf: (workload: string) => string;
}

type PathStatement = ec2.CfnNetworkInsightsAccessScope.PathStatementRequestProperty;

/** Emits one access scope per `NeverReach` of the policy whose workload ends are all on this backend. */
export function emitAccessScopes(scope: Construct, ctx: AccessScopeContext): ec2.CfnNetworkInsightsAccessScope[] {
  const out: ec2.CfnNetworkInsightsAccessScope[] = [];
  for (const inv of ctx.policy.invariants ?? []) {
    if (inv.kind !== 'NEVER_REACH' || !inv.from) continue;
    if (![inv.from, inv.to].every(r => r.workloads.every(w => ctx.localWorkloads.has(w)))) continue;
    const headers = packetHeaders(inv.services);
    if (headers.icmpLeftOut) {
      Annotations.of(scope).addWarningV2('microseg:AccessScopeIcmp', `Network Access Analyzer matches TCP and UDP only: the ICMP of ${inv.path} is not part of its access scope (microseg still checks it). [${inv.path}]`);
    }
    if (headers.statements.length === 0) continue;
    const matchPaths = headers.statements.map(h => ({
      source: end(inv.from!, ctx, 'source', h),
      destination: end(inv.to, ctx, 'destination', h),
    }));
    const id = `Scope${inv.path.replace(/[^A-Za-z0-9]/g, '')}`;
    const tags: CfnTag[] = [
      { key: 'microseg:segmentation', value: ctx.policy.segmentation.name },
      { key: 'microseg:invariant', value: inv.path },
      { key: 'Name', value: clip(`${ctx.policy.segmentation.name}: ${inv.description}`) },
      ...(inv.owner ? [{ key: 'microseg:owner', value: clip(inv.owner) }] : []),
    ];
    out.push(new ec2.CfnNetworkInsightsAccessScope(scope, id, { matchPaths, tags }));
  }
  return out;
}

interface Headers { protocols?: string[]; destinationPorts?: string[] }

/** Packet header statements for the services: none for all traffic, else one per protocol. */
function packetHeaders(services: IrService[]): { statements: Headers[]; icmpLeftOut: boolean } {
  if (services.some(s => s.protocol === 'all')) return { statements: [{}], icmpLeftOut: false };
  const statements: Headers[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const ranges = services.filter(s => s.protocol === protocol);
    if (ranges.length === 0) continue;
    const every = ranges.some(r => r.from === 0 && r.to === 65535);
    statements.push({ protocols: [protocol], ...(every ? {} : { destinationPorts: ranges.map(r => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)) }) });
  }
  return { statements, icmpLeftOut: services.some(s => s.protocol === 'icmp') };
}

function end(ref: IrEndpointRef, ctx: AccessScopeContext, role: 'source' | 'destination', h: Headers): PathStatement {
  const header: ec2.CfnNetworkInsightsAccessScope.PacketHeaderStatementRequestProperty = {
    ...(h.protocols ? { protocols: h.protocols } : {}),
    ...(role === 'destination' && h.destinationPorts ? { destinationPorts: h.destinationPorts } : {}),
  };
  if (ref.kind === 'cidr') {
    const everywhere = ref.cidr === '0.0.0.0/0' || ref.cidr === '::/0';
    const addresses = role === 'source' ? { sourceAddresses: [ref.cidr!] } : { destinationAddresses: [ref.cidr!] };
    return {
      // the internet is reached through internet gateways; another range by its addresses
      ...(everywhere ? { resourceStatement: { resourceTypes: ['AWS::EC2::InternetGateway'] } } : {}),
      packetHeaderStatement: { ...header, ...(everywhere ? {} : addresses) },
    };
  }
  return {
    resourceStatement: { resources: ref.workloads.map(w => ctx.groupIdOf(w)) },
    ...(Object.keys(header).length ? { packetHeaderStatement: header } : {}),
  };
}

/** Tag values are at most 256 characters. */
function clip(text: string): string {
  return text.length <= 256 ? text : `${text.slice(0, 253)}...`;
}

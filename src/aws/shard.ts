/**
 * Sharding of an AWS plan over nested stacks (pure: no constructs).
 *
 * Layout, per zone (a zone bigger than a stack is split into consecutive parts by group order):
 * - a *sources* stack: the zone's group and its workloads' source groups. They hold no ingress
 *   rules and reference nothing, so these stacks depend on nothing;
 * - a *rules* stack: the zone's workload groups with their inline rules and the zone's network
 *   ACL. A rule references a zone group or a source group (sources stacks), or the own group of
 *   a workload that sorts earlier in the canonical order (the same stack, or the rules stack of
 *   an earlier zone). So stack dependencies follow the canonical zone order: no cycle.
 *
 * Which stack holds a resource depends on zone and workload names (and zone ranges, through the
 * canonical order) only, never on flows: adding a flow never moves a resource between stacks.
 *
 * Cross-stack references are packed: every stack exports the ids of its groups as a few outputs
 * (each the comma-joined ids of at most {@link IDS_PER_OUTPUT} groups, far below CloudFormation's
 * 4,096 bytes per parameter value), and a consumer takes one `CommaDelimitedList` parameter per
 * output it needs, picking ids with `Fn::Select`. So a stack needs at most a handful of outputs
 * and one parameter per (producer stack, chunk) it references.
 *
 * @internal
 */
import { ProblemSink } from '../plan';
import { pascal, shortHash } from './names';
import { AwsQuotas, DEFAULT_STACK_LIMITS, NaclPlan, SgGroupPlan, StackLimits } from './types';

export { DEFAULT_STACK_LIMITS };
export type { StackLimits };

/** Group ids packed into one output / parameter (sg ids are 20 characters: 150 x 21 < 4,096 bytes). */
export const IDS_PER_OUTPUT = 150;

/** One nested stack. */
export interface ShardPlan {
  /** Construct id of the nested stack (from the zone name, layer and part). */
  readonly id: string;
  readonly layer: 'sources' | 'rules';
  readonly zone: string;
  /** 0 for the first part of a zone's layer. */
  readonly part: number;
  /** Group names, in canonical order. */
  readonly groups: string[];
  /** Zones whose network ACL lives here. */
  readonly nacls: string[];
  /** Group names per output (chunks of {@link IDS_PER_OUTPUT}). */
  readonly outputs: string[][];
  /** (producer stack id, output index) pairs this stack imports, sorted. */
  readonly imports: { readonly stack: string; readonly output: number }[];
  readonly resources: number;
  /** Parameters: imports plus values the parent passes (VPC id and range, subnet ids). */
  readonly parameters: number;
  /** Estimated template size in bytes. */
  readonly templateBytes: number;
}

export interface ShardOptions {
  readonly quotas: AwsQuotas;
  readonly limits?: StackLimits;
  readonly backendPath: string;
  /** Canonical rank of every group. */
  readonly rank: ReadonlyMap<string, number>;
  /** Zone paths (for messages). */
  readonly zonePaths: Map<string, string>;
  /** Construct path of the backend when CDK writes `aws:cdk:path` metadata (for size estimates). */
  readonly pathMetadata?: string;
  /** Values the parent passes to every rules stack that holds security groups (VPC id, VPC range). */
  readonly parentValues?: number;
}

/** The worst case of a zone's network ACL in resources (flow-independent, so stacks do not move). */
export function naclBound(quotas: AwsQuotas, associations: number): number {
  // 1 ACL + associations + entries: per direction and family at most the quota, plus the MONITOR entries.
  return 1 + associations + 4 * quotas.naclEntriesPerDirection + 4;
}

/**
 * Template bytes of a group as CDK writes it (JSON with one-space indentation, at depth 2, with
 * room for `aws:cdk:path` metadata); references are counted in their larger cross-stack form.
 */
export function groupBytes(g: SgGroupPlan, crossStack: boolean, pathPrefix?: string): number {
  const rule = (r: SgGroupPlan['ingress'][number]) => ({
    ...(r.peer.kind === 'cidr' ? { CidrIp: r.peer.cidr } : r.peer.kind === 'vpc' ? { CidrIp: { 'Fn::GetAtt': ['VpcXXXXXXXX', 'CidrBlock'] } } : {}),
    ...(r.description ? { Description: r.description } : {}),
    ...(r.protocol === 'all' ? { IpProtocol: '-1' } : { FromPort: r.from, IpProtocol: r.protocol, ToPort: r.to }),
    ...(r.peer.kind === 'sg' ? { [r.direction === 'egress' ? 'DestinationSecurityGroupId' : 'SourceSecurityGroupId']: crossStack ? { 'Fn::Select': [100, { Ref: 'IdsSourcesXXXXXXXXXXXXXXXXXXXXXX0' }] } : { 'Fn::GetAtt': [g.logicalId, 'GroupId'] } } : {}),
  });
  const resource = {
    [g.logicalId]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: g.description,
        SecurityGroupEgress: g.egress.map(rule),
        SecurityGroupIngress: g.ingress.map(rule),
        Tags: Object.entries(g.tags).map(([Key, Value]) => ({ Key, Value })),
        VpcId: { Ref: 'VpcXXXXXXXXXXXXXXXXX' },
      },
      ...(pathPrefix !== undefined ? { Metadata: { 'aws:cdk:path': `${pathPrefix}/${crossStack ? 'RulesXXXXXXXXXXXXXXXXXXXX/' : ''}sg-${g.name}` } } : {}),
    },
  };
  const text = JSON.stringify(resource, undefined, 1);
  let lines = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
  return text.length + 2 * lines;
}

function naclBytes(n: NaclPlan): number {
  return 500 + n.entries.length * 420 + n.associations.length * 260;
}

/**
 * Spreads the groups and network ACLs over nested stacks. Problems (a stack over a limit even
 * after splitting) go to the sink.
 */
export function planShards(groups: SgGroupPlan[], nacls: NaclPlan[], opts: ShardOptions, sink: ProblemSink): ShardPlan[] {
  const limits = opts.limits ?? DEFAULT_STACK_LIMITS;
  const R = opts.quotas.resourcesPerStack;
  const byName = new Map(groups.map(g => [g.name, g]));
  const naclOf = new Map(nacls.map(n => [n.zone, n]));
  const zones = [...new Set([...groups.map(g => g.zone), ...nacls.map(n => n.zone)])];
  const rankOf = (name: string) => opts.rank.get(name) ?? Number.MAX_SAFE_INTEGER;
  // Zones in canonical order (by their zone group's rank).
  zones.sort((a, b) => rankOf(`zone.${a}`) - rankOf(`zone.${b}`));

  const shards: Omit<ShardPlan, 'imports' | 'parameters'>[] = [];
  const stackOf = new Map<string, string>();
  const place = (layer: 'sources' | 'rules', zone: string, members: SgGroupPlan[], capacity: number, withNacl: boolean) => {
    const sorted = [...members].sort((a, b) => rankOf(a.name) - rankOf(b.name));
    const parts: SgGroupPlan[][] = [];
    for (let i = 0; i < sorted.length; i += capacity) parts.push(sorted.slice(i, i + capacity));
    if (parts.length === 0 && withNacl && naclOf.has(zone)) parts.push([]);
    parts.forEach((list, part) => {
      const id = `${layer === 'sources' ? 'Sources' : 'Rules'}${pascal(zone)}${part ? `Part${part + 1}` : ''}${shortHash(`${layer}|${zone}|${part}`).slice(0, 4)}`;
      const nacl = withNacl && part === 0 ? naclOf.get(zone) : undefined;
      const outputs: string[][] = [];
      for (let i = 0; i < list.length; i += IDS_PER_OUTPUT) outputs.push(list.slice(i, i + IDS_PER_OUTPUT).map(g => g.name));
      for (const g of list) stackOf.set(g.name, id);
      shards.push({
        id, layer, zone, part,
        groups: list.map(g => g.name),
        nacls: nacl ? [zone] : [],
        outputs,
        resources: list.length + (nacl ? 1 + nacl.entries.length + nacl.associations.length : 0),
        templateBytes: 400 + list.reduce((s, g) => s + groupBytes(g, true, opts.pathMetadata), 0) + (nacl ? naclBytes(nacl) : 0) + outputs.length * (200 + IDS_PER_OUTPUT * 70),
      });
    });
  };
  for (const zone of zones) {
    const members = groups.filter(g => g.zone === zone);
    place('sources', zone, members.filter(g => g.kind !== 'workload'), Math.max(1, R), false);
    const assoc = naclOf.get(zone)?.associations.length ?? 0;
    place('rules', zone, members.filter(g => g.kind === 'workload'), Math.max(1, R - (naclOf.has(zone) ? naclBound(opts.quotas, assoc) : 0)), true);
  }

  const out: ShardPlan[] = [];
  for (const s of shards) {
    const imports = new Map<string, { stack: string; output: number }>();
    for (const name of s.groups) {
      for (const r of [...byName.get(name)!.ingress, ...byName.get(name)!.egress]) {
        if (r.peer.kind !== 'sg') continue;
        const producer = stackOf.get(r.peer.group);
        if (!producer || producer === s.id) continue;
        const p = shards.find(x => x.id === producer)!;
        const output = p.outputs.findIndex(o => o.includes(r.peer.kind === 'sg' ? r.peer.group : ''));
        imports.set(`${producer}|${output}`, { stack: producer, output });
      }
    }
    const list = [...imports.values()].sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : a.output - b.output));
    const nacl = s.nacls.length ? naclOf.get(s.nacls[0]) : undefined;
    const parameters = list.length + (s.groups.length ? (opts.parentValues ?? 2) : 0) + (nacl ? nacl.associations.length + 1 : 0);
    out.push({ ...s, imports: list, parameters, templateBytes: s.templateBytes + list.length * 150 });
  }

  for (const s of out) {
    const path = opts.zonePaths.get(s.zone) ?? opts.backendPath;
    const over = (what: string, n: number, limit: number, hint: string) => sink.error({
      code: 'QuotaExceeded', path, value: n,
      message: `the nested stack ${s.id} (${s.layer} of zone "${s.zone}") would hold ${n} ${what}, more than the limit of ${limit}.`, hint,
    });
    if (s.resources > R) over('resources', s.resources, R, 'Raise `maxResourcesPerStack` if CloudFormation raised your limit, or lower `maxNaclEntriesPerDirection`.');
    if (s.parameters > limits.parameters) over('parameters', s.parameters, limits.parameters, 'Split the zone (fewer zones referenced per stack), or reduce the zones this zone exchanges traffic with.');
    if (s.outputs.length > limits.outputs) over('outputs', s.outputs.length, limits.outputs, 'Lower `maxResourcesPerStack` so the zone is split into more stacks.');
    if (s.templateBytes > limits.templateBytes) over('template bytes (estimated)', s.templateBytes, limits.templateBytes, 'Lower `maxResourcesPerStack` so the zone is split into more, smaller stacks.');
  }
  return out;
}

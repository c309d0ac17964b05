import { Annotations, AspectPriority, Aspects, CfnOutput, CfnParameter, CfnResource, Fn, IAspect, Lazy, NestedStack, Stack, Stage, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, IConstruct } from 'constructs';
import { verifyInvariants } from '../analysis/invariants';
import { verifyRenderedInvariants } from '../analysis/invariants-on-rules';
import { compile, crossCloudWarnings, IrPolicy, ManifestCloudSection, placeRules, writeManifest } from '../ir';
import { claimBackend } from '../ir/backends';
import { Segmentation, Workload } from '../model';
import { fail, MicrosegError, MicrosegProblem } from '../model/errors';
import { AwsPlan, AwsQuotas, DEFAULT_QUOTAS, NaclPlan, planAws, SgGroupPlan, SgRulePlan, sourceGroupName, VPC_CIDR_TOKEN, zoneGroupName } from './plan';
import { emitAccessScopes } from './access-scopes';
import { CdkRule, materialize, recordRules } from './connections';
import { addGroups, checkMembership } from './membership';
import { checkRanges, ZoneSubnet } from './ranges';
import { ShardPlan } from './shard';

/**
 * A range of ports (inclusive).
 */
export interface EphemeralPortRange {
  /** First port of the range. */
  readonly startPort: number;
  /** Last port of the range. */
  readonly endPort: number;
}

/**
 * How the backend spreads a segmentation over CloudFormation stacks.
 */
export enum AwsSharding {
  /**
   * One stack when the segmentation fits it (`maxResourcesPerStack`, 1 MB template), else
   * nested stacks.
   */
  AUTO = 'AUTO',
  /** Always one stack: `QuotaExceeded` when the segmentation does not fit. */
  NONE = 'NONE',
  /**
   * Always nested stacks (per zone: one with its zone and source groups, one with its workload
   * groups and network ACL). Choose it for an estate that will grow past one stack, so it never
   * moves from one layout to the other.
   */
  ALWAYS = 'ALWAYS',
}

/**
 * Properties of an {@link AwsSegmentation}.
 */
export interface AwsSegmentationProps {
  /** The model to render. */
  readonly segmentation: Segmentation;

  /** The VPC the workloads live in: security groups and network ACLs are created in it. */
  readonly vpc: ec2.IVpc;

  /**
   * Names of the zones placed on AWS. Flows between these zones and others (another cloud,
   * on-premises) are rendered with the other zones' `cidrs`.
   *
   * @default - every zone of the segmentation
   */
  readonly zones?: string[];

  /**
   * Subnets of zones, by zone name. A zone given here takes its address ranges from these
   * subnets (their CIDRs as CDK knows them, for CDK-created and imported subnets alike; declared
   * `cidrs` must then contain every subnet), gets a network ACL associated with them, and its
   * members (see `attach`) must sit in them. Every zone it exchanges traffic with needs ranges
   * too (its own `subnets` or `cidrs`).
   *
   * @default - no network ACLs; zones use their declared `cidrs`
   */
  readonly subnets?: { [zoneName: string]: ec2.SubnetSelection };

  /**
   * Address ranges outside the VPC that zones placed on this backend may use (on-premises
   * networks, peered VPCs). Every concrete range of such a zone must lie inside the VPC's ranges
   * or one of these, else synth fails with `microseg:RangeOutsideNetwork`.
   *
   * @default - none: zone ranges lie inside the VPC
   */
  readonly externalRanges?: string[];

  /**
   * Rules per security group per direction (IPv4 and IPv6 counted separately).
   *
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups
   * @default 60
   */
  readonly maxRulesPerSecurityGroup?: number;

  /**
   * Security groups per network interface (at most 16; rules per group times groups per
   * interface may not exceed 1,000).
   *
   * @default 5
   */
  readonly maxSecurityGroupsPerInterface?: number;

  /**
   * Network ACL entries per direction (at most 40).
   *
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-nacls
   * @default 20
   */
  readonly maxNaclEntriesPerDirection?: number;

  /**
   * Resources per CloudFormation stack (the backend's own plus what the stack already holds).
   *
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
   * @default 500
   */
  readonly maxResourcesPerStack?: number;

  /**
   * Ports clients use as source ports; network ACLs are stateless, so return traffic of every
   * allowed flow is allowed back on these ports.
   *
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html
   * @default - 1024-65535 (what AWS advises: it covers Linux, Windows, ELB, NAT gateways and Lambda)
   */
  readonly ephemeralPortRange?: EphemeralPortRange;

  /**
   * Formerly: carve the zones' ranges out of Peer ranges in ingress rules.
   *
   * @deprecated Ingress from a `Peer` is now always one rule per range, and the backend keeps
   * the model's own sources exact on their side instead (egress towards a destination open to a
   * Peer range names its source group; egress towards Peers leaves such zones out). The prop has
   * no effect.
   * @default true
   */
  readonly excludeZoneRangesFromPeers?: boolean;

  /**
   * MONITOR's catch-all admits the internet (`0.0.0.0/0`, and `::/0` when the model uses IPv6)
   * instead of the VPC range. Warns `microseg:MonitorOpenToInternet`, and only then does the
   * backend acknowledge cdk-nag's AwsSolutions-EC23 for the catch-all.
   *
   * @default false
   */
  readonly monitorIngressFromInternet?: boolean;

  /**
   * Whether the segmentation is spread over nested stacks (`AWS::CloudFormation::Stack`, one per
   * zone and layer, without dependency cycles). Each nested stack stays within
   * `maxResourcesPerStack`, 200 parameters, 200 outputs and 1 MB.
   *
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
   * @default AwsSharding.AUTO
   */
  readonly sharding?: AwsSharding;

  /**
   * Egress towards workloads of zones placed on this backend names the flows' ports per zone
   * range. By default it is one all-traffic rule per block of zone ranges that holds the
   * destination zone (the fewest CIDRs covering exactly the ranges of the zones placed here that
   * are not open to a Peer range covering the model): every member of such a zone has exact
   * ingress, so the pair still allows exactly what the model allows, with far fewer rules (and
   * adding a flow towards a zone whose block is already reached changes nothing). Egress towards
   * `Peer`s and zones placed elsewhere always names the flows' ports.
   *
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
   *
   * @default false
   */
  readonly exactEgressPorts?: boolean;

  /**
   * Describe the rules of flows that have no `description` as `<from> to <to> on <ports>`.
   * A flow's own description is always rendered. Generated descriptions cost about a third of a
   * large template (CloudFormation allows 1 MB), so they are off by default; the manifest records
   * every rule's origin flow either way.
   *
   * @default false
   */
  readonly generatedRuleDescriptions?: boolean;

  /**
   * Also render each `NeverReach` invariant of the model as an AWS Network Access Analyzer
   * access scope (`AWS::EC2::NetworkInsightsAccessScope`, tagged `microseg:invariant`), so AWS's
   * own analyzer watches it too: paths from the source's security groups (or range; the internet
   * through internet gateways) to the destination's on the invariant's TCP/UDP ports. The
   * analyzer sees network paths, not pivots through compromised workloads (microseg checks
   * those at synth). See docs/invariants.md.
   *
   * @default false
   * @see https://docs.aws.amazon.com/vpc/latest/network-access-analyzer/what-is-network-access-analyzer.html
   */
  readonly networkAccessScopes?: boolean;
}

/**
 * Warning ids of the AWS backend, for `segmentation.acknowledgeWarning(id, reason)`.
 */
export class AwsWarnings {
  /**
   * A destination zone has no `cidrs`, so egress towards its workloads uses the VPC range, which
   * also opens those ports towards unsegmented hosts in the VPC.
   */
  public static readonly EGRESS_TO_VPC_RANGE = 'microseg:EgressToVpcRange';
  /**
   * A Peer range lies entirely inside ranges it must leave out (zones placed on other backends
   * for ingress; zones open to Peer ranges for egress), so no rule is rendered for it.
   */
  public static readonly PEER_INSIDE_ZONES = 'microseg:PeerInsideZones';
  /** MONITOR's catch-all ingress is open to the internet (`monitorIngressFromInternet: true`). */
  public static readonly MONITOR_OPEN_TO_INTERNET = 'microseg:MonitorOpenToInternet';
  /**
   * A DenyFlow reaches MONITOR workloads: security groups cannot deny, so MONITOR's catch-all
   * lets its traffic pass (a network ACL blocks it only between zones given `subnets`).
   */
  public static readonly MONITOR_DENY_NOT_ENFORCED = 'microseg:MonitorDenyNotEnforced';
  /**
   * A member of a workload also carries security groups microseg does not manage (e.g. the
   * default group CDK creates for an `ec2.Instance`, with allow-all egress): their rules are
   * outside the model.
   */
  public static readonly UNMANAGED_GROUP = 'microseg:UnmanagedGroup';

  private constructor() {}
}

class RenderAspect implements IAspect {
  constructor(private readonly backend: AwsSegmentation) {}
  public visit(node: IConstruct): void {
    if (node === this.backend) this.backend._render();
  }
}

/**
 * Renders a microseg model into AWS: a security group per workload holding its rules (no
 * default egress), a zone group per zone and a source group per workload (source identities
 * that other groups reference; they allow nothing), an ingress rule on the destination and an
 * egress rule on the source for every allowed flow, and a network ACL for every zone given
 * `subnets`. A flow from a whole zone is one reference to the zone group. Every rule is inline
 * and references only groups earlier in a canonical order, so there is no dependency cycle;
 * a segmentation too big for one stack is spread over nested stacks (see `sharding`).
 *
 * Rendering is lazy: it happens once at synth from the complete model, so flows declared after
 * the backend was created count. Every model error (invalid input, missing CIDRs, quotas) is
 * thrown before anything is rendered. At synth the backend writes
 * `<segmentation>.microseg.json` (the manifest `microseg audit` reads) into the cloud assembly.
 *
 * Semantics: a packet passes when the source's egress and the destination's ingress allow it.
 * Ingress is exact (security group references for workloads, one rule per Peer range); egress
 * towards workloads of the model uses the destination zone's `cidrs` (or the VPC range), except
 * towards a zone with a workload open to a Peer range that covers the model's addresses: there it
 * names each destination's source group. Egress towards Peers is exact and leaves those zones out.
 */
export class AwsSegmentation extends Construct {
  /** The rendered model. */
  public readonly segmentation: Segmentation;
  /** The VPC. */
  public readonly vpc: ec2.IVpc;

  private readonly props: AwsSegmentationProps;
  private readonly quotas: AwsQuotas;
  private readonly cfnGroups = new Map<string, ec2.CfnSecurityGroup>();
  private readonly nestedStacks = new Map<string, NestedStack>();
  private readonly shardPlans = new Map<string, ShardPlan>();
  /** Group name or `nacl:<zone>` -> id of the nested stack holding it (absent: this stack). */
  private readonly shardOfKey = new Map<string, string>();
  private readonly importParams = new Map<string, CfnParameter>();
  private readonly groupRefs = new Map<string, ec2.ISecurityGroup>();
  private readonly cdkRules: CdkRule[] = [];
  private rendered = false;
  private renderedPlan?: AwsPlan;
  private renderedPolicy?: IrPolicy;

  constructor(scope: Construct, id: string, props: AwsSegmentationProps) {
    super(scope, id);
    props = props ?? ({} as AwsSegmentationProps);
    this.props = props;
    this.segmentation = props.segmentation;
    this.vpc = props.vpc;
    this.quotas = {
      rulesPerSecurityGroup: props.maxRulesPerSecurityGroup ?? DEFAULT_QUOTAS.rulesPerSecurityGroup,
      securityGroupsPerInterface: props.maxSecurityGroupsPerInterface ?? DEFAULT_QUOTAS.securityGroupsPerInterface,
      naclEntriesPerDirection: props.maxNaclEntriesPerDirection ?? DEFAULT_QUOTAS.naclEntriesPerDirection,
      resourcesPerStack: props.maxResourcesPerStack ?? DEFAULT_QUOTAS.resourcesPerStack,
    };
    this.validateProps();
    claimBackend(this.segmentation, 'aws', this);
    Aspects.of(this).add(new RenderAspect(this), { priority: AspectPriority.MUTATING });
  }

  /**
   * Every security group a member of `workload` must carry (attach ALL of them to its
   * instances, functions, tasks or endpoints): the workload's own group, its zone's group and its
   * source group, in that order. The list depends on the workload and its zone only, never on
   * flows. The groups are created at synth (in this stack or a nested stack), so their ids
   * resolve then.
   *
   * Prefer `attach(workload, ...resources)`, which adds all of them. Rules CDK adds to these
   * groups (`connections.allowFrom/To`, `addIngressRule`, load balancer targets,
   * `allowDefaultPortFrom`) become flows of the model at synth, with CDK's peer and port, or
   * fail synth with `microseg:UnmodelledConnection` saying how to declare them.
   */
  public securityGroupsFor(workload: Workload): ec2.ISecurityGroup[] {
    if (!Workload.isWorkload(workload) || workload.zone.segmentation !== this.segmentation) {
      fail('UnknownWorkload', this.node.path, (workload as Workload | undefined)?.node?.path, `is not a workload of segmentation "${this.segmentation.name}".`, 'Pass a Workload of the segmentation given to this backend.');
    }
    if (this.props.zones && !this.props.zones.includes(workload.zone.name)) {
      fail('UnknownWorkload', this.node.path, workload.name, `is in zone "${workload.zone.name}", which is not placed on this backend (zones: ${this.props.zones.join(', ')}).`, `Add "${workload.zone.name}" to \`zones\`.`);
    }
    // The workload's own group first, then its zone's group (a source identity for zone flows).
    return [this.groupRef(workload.name), this.groupRef(zoneGroupName(workload.zone.name)), this.groupRef(sourceGroupName(workload.name))];
  }

  /**
   * Makes `targets` members of `workload`: adds ALL of the workload's security groups (see
   * `securityGroupsFor`) to each of them, through the target's own API where it has one
   * (`ec2.Instance`, `autoscaling.AutoScalingGroup`), its `connections` (any `ec2.IConnectable`:
   * load balancers, ECS services, Lambda functions, RDS instances and clusters, ...) and its
   * CloudFormation resource where CDK rendered a fixed list (Lambda `VpcConfig`, RDS
   * `VPCSecurityGroups`, ECS `AwsvpcConfiguration`, `ec2.LaunchTemplate`).
   *
   * At synth the backend walks the app: every resource that carries one of a workload's groups
   * must carry all of them (`microseg:IncompleteMembership`), and must sit in subnets inside the
   * workload's zone ranges where CDK knows the subnets (`microseg:OutsideZone`).
   *
   * @param workload a workload of this backend's segmentation, in a zone placed here
   * @param targets the resources that run the workload
   */
  public attach(workload: Workload, ...targets: IConstruct[]): void {
    const groups = this.securityGroupsFor(workload);
    const problems: MicrosegProblem[] = [];
    for (const t of targets) {
      const why = addGroups(t, groups);
      if (why) problems.push({ code: 'InvalidProp', path: t.node.path, value: workload.name, message: `cannot be attached to workload "${workload.name}": ${why}`, hint: 'Attach the resource that carries the network interfaces, or add the groups of securityGroupsFor(workload) to it yourself.' });
    }
    if (problems.length) throw MicrosegError.fromProblems(problems);
  }

  /** @internal The plan rendered at synth (for tests and tools). */
  public get _plan(): AwsPlan | undefined {
    return this.renderedPlan;
  }

  /** @internal The compiled policy rendered at synth. */
  public get _policy(): IrPolicy | undefined {
    return this.renderedPolicy;
  }

  /** @internal Renders everything (once); called by the backend's aspect at synth. */
  public _render(): void {
    if (this.rendered) return;
    this.rendered = true;
    const stack = Stack.of(this);
    // Rules added through CDK's `connections` join the model first (or fail with a coded error).
    const unmodelled = materialize({
      rules: this.cdkRules, segmentation: this.segmentation, backendPath: this.node.path,
      groupOfPeer: peer => [...this.groupRefs.entries()].find(([, g]) => g === peer)?.[0],
    });
    if (unmodelled.length > 0) throw MicrosegError.fromProblems(unmodelled);
    const compiled = compile(this.segmentation);
    const localZones = new Set(this.props.zones ?? compiled.zones.map(z => z.name));

    const subnetObjects = new Map<string, Map<string, ec2.ISubnet>>();
    const naclSubnets: Record<string, string[]> = {};
    const zoneSubnets: Record<string, ZoneSubnet[]> = {};
    for (const zone of Object.keys(this.props.subnets ?? {}).sort()) {
      const selected = this.vpc.selectSubnets(this.props.subnets![zone]).subnets;
      const m = new Map<string, ec2.ISubnet>();
      for (const s of selected) m.set(subnetKey(stack, s), s);
      subnetObjects.set(zone, m);
      naclSubnets[zone] = [...m.keys()];
      zoneSubnets[zone] = [...m.entries()].map(([name, sub]) => ({ name, cidr: subnetCidr(sub) }));
    }

    // Zones learn their ranges from their subnets; every concrete range is checked against the VPC.
    const vpcCidr = this.vpcCidr();
    const ranged = checkRanges({
      policy: compiled, localZones, backendPath: this.node.path,
      vpcRanges: [...(vpcCidr ? [vpcCidr] : []), ...this.secondaryVpcRanges()],
      externalRanges: this.props.externalRanges ?? [],
      subnets: zoneSubnets,
    });
    if (ranged.problems.length > 0) throw MicrosegError.fromProblems(ranged.problems);
    const policy = ranged.policy;
    verifyInvariants(policy);
    const placed = placeRules(policy, this.props.zones, this.node.path);

    const mine = new Set<IConstruct>(this.node.findAll());
    const otherResources = stack.node.findAll().filter(c => CfnResource.isCfnResource(c) && Stack.of(c) === stack && !mine.has(c)).length;

    const plan = planAws(policy, placed, {
      backendPath: this.node.path,
      zones: this.props.zones,
      naclSubnets,
      vpcCidr,
      ephemeral: this.props.ephemeralPortRange ? { from: this.props.ephemeralPortRange.startPort, to: this.props.ephemeralPortRange.endPort } : undefined,
      quotas: this.quotas,
      monitorIngressFromInternet: this.props.monitorIngressFromInternet,
      egressTowardsZones: this.props.exactEgressPorts ? 'flow' : 'zone',
      generatedDescriptions: this.props.generatedRuleDescriptions ?? false,
      otherResources,
      pathMetadata: this.node.tryGetContext('aws:cdk:enable-path-metadata') ? this.node.path : undefined,
      sharding: this.props.sharding === AwsSharding.NONE ? 'none' : this.props.sharding === AwsSharding.ALWAYS ? 'always' : 'auto',
    });
    this.renderedPlan = plan;
    this.renderedPolicy = policy;

    // Nested stacks (when sharded), then every group, then their rules (which reference groups).
    for (const sh of plan.shards ?? []) {
      this.shardPlans.set(sh.id, sh);
      this.nestedStacks.set(sh.id, new NestedStack(this, sh.id, { description: `microseg ${this.segmentation.name}: ${sh.layer} of zone ${sh.zone}${sh.part ? ` (part ${sh.part + 1})` : ''}` }));
      for (const g of sh.groups) this.shardOfKey.set(g, sh.id);
      for (const z of sh.nacls) this.shardOfKey.set(`nacl:${z}`, sh.id);
    }
    for (const g of plan.groups) this.createGroup(g);
    for (const g of plan.groups) this.emitGroup(g);
    for (const sh of plan.shards ?? []) {
      // Every stack exports the ids of all its groups, packed (stable: independent of flows).
      sh.outputs.forEach((names, i) => {
        const out = new CfnOutput(this.nestedStacks.get(sh.id)!, outputId(i), { value: Fn.join(',', names.map(n => this.cfnGroups.get(n)!.attrGroupId)) });
        out.overrideLogicalId(outputId(i));
      });
    }
    for (const n of plan.nacls) this.emitNacl(n, subnetObjects.get(n.zone)!);
    if (this.props.networkAccessScopes) {
      const own = new Map(plan.groups.filter(g => g.kind === 'workload').map(g => [g.workload, g.name]));
      emitAccessScopes(this, { policy, localWorkloads: new Set(own.keys()), groupIdOf: w => this.cfnGroups.get(own.get(w)!)!.attrGroupId });
    }
    if (plan.nacls.length > 0) {
      // The network ACLs were asked for (`subnets`) and are generated from the model, so cdk-nag's
      // advice against hand-managed NACLs does not apply to them.
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-VPC3',
        reason: `Network ACLs of zones ${plan.nacls.map(n => n.zone).join(', ')} are generated by microseg from the segmentation model and audited against it.`,
      });
    }

    // Every resource carrying a workload's group carries all of them, in the workload's zone.
    const membership = checkMembership({
      root: this.node.root,
      own: new Set<IConstruct>(this.node.findAll()),
      groupByLogicalId: new Map(plan.groups.map(g => [g.logicalId, g.name])),
      groupsOf: plan.groupsOf,
      workloads: new Map(policy.workloads.map(w => [w.name, { zone: w.zone, path: w.path }])),
      zoneRanges: new Map(policy.zones.map(z => [z.name, z.cidrs])),
      subnetCidrs: this.knownSubnetCidrs(),
      backendPath: this.node.path,
    });
    if (membership.problems.length > 0) throw MicrosegError.fromProblems(membership.problems);
    const acknowledged = new Set(policy.acknowledged.map(a => a.id));
    for (const w of [...policy.warnings, ...plan.warnings, ...membership.warnings.filter(x => !acknowledged.has(x.id)), ...crossCloudWarnings(policy, this.props.zones, this.node.path)]) {
      Annotations.of(this).addWarningV2(w.id, `${w.message} [${w.path}]`);
    }
    this.writeManifest(stack, policy, plan, subnetObjects);
  }

  // ---- emission ---------------------------------------------------------------------------

  private groupRef(name: string): ec2.ISecurityGroup {
    let ref = this.groupRefs.get(name);
    if (!ref) {
      // The group itself is created at synth (in this stack or in a nested stack, see `sharding`).
      const id = Lazy.string({
        produce: () => {
          const g = this.cfnGroups.get(name);
          if (!g) throw new Error(`microseg: the security group "${name}" is created at synth; resolve its id after synthesis.`);
          return g.attrGroupId;
        },
      });
      ref = ec2.SecurityGroup.fromSecurityGroupId(this, `sg-${name}-ref`, id, { mutable: false, allowAllOutbound: false });
      // Rules CDK adds through `connections` become flows of the model at synth (or errors).
      recordRules(ref, name, this.cdkRules);
      this.groupRefs.set(name, ref);
    }
    return ref;
  }

  /** The scope (this backend, or a nested stack) that holds a group or a zone's network ACL. */
  private scopeOf(key: string): Construct {
    const shard = this.shardOfKey.get(key);
    return shard ? this.nestedStacks.get(shard)! : this;
  }

  private createGroup(g: SgGroupPlan): void {
    const cfn = new ec2.CfnSecurityGroup(this.scopeOf(g.name), `sg-${g.name}`, {
      groupDescription: g.description,
      vpcId: this.vpc.vpcId,
    });
    cfn.overrideLogicalId(g.logicalId);
    this.cfnGroups.set(g.name, cfn);
  }

  /** The id of `group` as seen from the stack that holds `consumer` (a packed import across nested stacks). */
  private groupIdFor(consumer: string, group: string): string {
    const own = this.cfnGroups.get(group)!;
    const from = this.shardOfKey.get(consumer);
    const producer = this.shardOfKey.get(group);
    if (!from || from === producer) return own.attrGroupId;
    const p = this.shardPlans.get(producer!)!;
    const output = p.outputs.findIndex(o => o.includes(group));
    const key = `${from}|${producer}|${output}`;
    let param = this.importParams.get(key);
    if (!param) {
      const consumerStack = this.nestedStacks.get(from)!;
      const name = `Ids${producer}${output}`;
      param = new CfnParameter(consumerStack, name, { type: 'CommaDelimitedList', description: `Security group ids exported by ${producer} (output ${output})` });
      param.overrideLogicalId(name);
      const producerStack = this.nestedStacks.get(producer!)!;
      consumerStack.setParameter(name, Token.asString(producerStack.nestedStackResource!.getAtt(`Outputs.${outputId(output)}`)));
      this.importParams.set(key, param);
    }
    return Fn.select(p.outputs[output].indexOf(group), param.valueAsList);
  }

  private emitGroup(g: SgGroupPlan): void {
    const cfn = this.cfnGroups.get(g.name)!;
    for (const [k, v] of Object.entries(g.tags)) cfn.tags.setTag(k, v);
    const ingress = g.ingress.map(r => this.inlineRule(g.name, r));
    cfn.securityGroupIngress = ingress.length ? ingress : undefined;
    cfn.securityGroupEgress = g.egress.map(r => this.inlineRule(g.name, r));
    // Internet-facing flows are declared on purpose: suppress cdk-nag's finding with the flow's reason.
    const open = g.ingress.filter(r => r.kind === 'flow' && r.peer.kind === 'cidr' && (r.peer.cidr === '0.0.0.0/0' || r.peer.cidr === '::/0'));
    const catchall = g.ingress.some(r => r.kind === 'catchall' && r.peer.kind === 'cidr' && (r.peer.cidr === '0.0.0.0/0' || r.peer.cidr === '::/0'));
    if (open.length > 0 || catchall) {
      const reasons = open.map(r => r.description);
      if (catchall) reasons.push(`EnforcementMode.MONITOR: ${this.segmentation.name}-monitor-catchall keeps traffic flowing while flow logs are studied`);
      const reason = nagReason(reasons);
      for (const id of OPEN_INGRESS_RULES) Validations.of(cfn).acknowledge({ id, reason }); // cdk-nag 3, CloudFormation validation
      cfn.addMetadata('cdk_nag', { rules_to_suppress: [{ id: 'AwsSolutions-EC23', reason }] }); // cdk-nag 2
    }
  }

  private inlineRule(group: string, r: SgRulePlan): ec2.CfnSecurityGroup.IngressProperty & ec2.CfnSecurityGroup.EgressProperty {
    const peer = r.peer.kind === 'sg'
      ? (r.direction === 'egress' ? { destinationSecurityGroupId: this.groupIdFor(group, r.peer.group) } : { sourceSecurityGroupId: this.groupIdFor(group, r.peer.group) })
      : r.peer.kind === 'vpc'
        ? { cidrIp: this.vpc.vpcCidrBlock }
        : r.peer.family === 'ipv6' ? { cidrIpv6: r.peer.cidr } : { cidrIp: r.peer.cidr };
    return { ...protocolProps(r), ...peer, ...(r.description ? { description: r.description } : {}) };
  }

  private emitNacl(n: NaclPlan, subnets: Map<string, ec2.ISubnet>): void {
    const scope = this.scopeOf(`nacl:${n.zone}`);
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
      const assoc = new ec2.CfnSubnetNetworkAclAssociation(scope, a.logicalId, {
        networkAclId: nacl.ref,
        subnetId: subnets.get(a.subnet)!.subnetId,
      });
      assoc.overrideLogicalId(a.logicalId);
    }
  }

  private writeManifest(stack: Stack, policy: IrPolicy, plan: AwsPlan, subnets: Map<string, Map<string, ec2.ISubnet>>): void {
    const outdir = Stage.of(this)?.outdir;
    if (!outdir) return;
    const concrete = (v: string) => (Token.isUnresolved(v) ? '' : v);
    const refId = (v: string): string => {
      if (!Token.isUnresolved(v)) return '';
      const r = stack.resolve(v) as { Ref?: string; 'Fn::GetAtt'?: string[] };
      return r?.Ref ?? r?.['Fn::GetAtt']?.[0] ?? '';
    };
    const tagFields = (tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [`tag:${k}`, v]));
    const settings: Record<string, string> = {
      stackName: concrete(stack.stackName),
      region: concrete(stack.region),
      account: concrete(stack.account),
      vpcId: concrete(this.vpc.vpcId),
      vpcLogicalId: refId(this.vpc.vpcId),
      vpcCidr: this.vpcCidr() ?? '',
      ephemeralPorts: `${this.props.ephemeralPortRange?.startPort ?? 1024}-${this.props.ephemeralPortRange?.endPort ?? 65535}`,
    };
    const identities: Record<string, Record<string, string>> = {};
    const containers: Record<string, Record<string, string>> = {};
    const byName = new Map(plan.groups.map(g => [g.name, g]));
    // Where a resource lives: the backend's stack, or a nested stack of it (its construct id and
    // the logical id of its AWS::CloudFormation::Stack resource in the backend's stack).
    const where = (key: string): Record<string, string> => {
      const shard = this.shardOfKey.get(key);
      if (!shard) return { stackName: settings.stackName };
      const ns = this.nestedStacks.get(shard)!;
      return { stackName: settings.stackName, nestedStack: shard, nestedStackLogicalId: stack.getLogicalId(ns.nestedStackResource as CfnResource) };
    };
    for (const g of plan.groups) {
      if (g.kind === 'workload') {
        const all = plan.groupsOf[g.workload] ?? [g.name];
        identities[g.workload] = {
          securityGroupLogicalId: g.logicalId, securityGroupName: g.name, zone: g.zone, ...where(g.name),
          securityGroupNames: all.join(','), securityGroupLogicalIds: all.map(n => byName.get(n)?.logicalId ?? '').join(','),
          ...tagFields(g.tags),
        };
      }
      containers[`sg:${g.name}`] = { kind: 'securityGroup', groupKind: g.kind, logicalId: g.logicalId, ...where(g.name), ...tagFields(g.tags) };
    }
    for (const n of plan.nacls) {
      const subs = [...subnets.get(n.zone)!.values()];
      containers[`nacl:${n.zone}`] = {
        kind: 'networkAcl', logicalId: n.logicalId, ...where(`nacl:${n.zone}`),
        subnetIds: subs.map(s => concrete(s.subnetId)).filter(Boolean).join(','),
        subnetLogicalIds: subs.map(s => refId(s.subnetId)).filter(Boolean).join(','),
        // the stacks of those subnets (same order): with the logical ids, the audit finds them
        // live through the tags CloudFormation puts on them (docs/audit.md)
        subnetStackNames: subs.filter(s => refId(s.subnetId)).map(s => concrete(Stack.of(s).stackName)).join(','),
        ...tagFields(n.tags),
      };
    }
    const section: ManifestCloudSection = {
      backendPath: this.node.path,
      zones: this.props.zones ?? policy.zones.map(z => z.name),
      settings,
      identities,
      containers,
      expected: plan.expected,
    };
    verifyRenderedInvariants(policy, 'aws', section);
    writeManifest(outdir, policy, 'aws', section);
  }

  /** Secondary IPv4 ranges of a VPC created in this app (`AWS::EC2::VPCCidrBlock` under it). */
  private secondaryVpcRanges(): string[] {
    return this.vpc.node.findAll()
      .filter((c): c is ec2.CfnVPCCidrBlock => c instanceof ec2.CfnVPCCidrBlock)
      .map(c => c.cidrBlock)
      .filter((c): c is string => typeof c === 'string' && !Token.isUnresolved(c));
  }

  /** Subnet CIDRs CDK knows: CDK-created subnets by logical id, imported ones by subnet id. */
  private knownSubnetCidrs(): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of this.node.root.node.findAll()) {
      if (c instanceof ec2.CfnSubnet && typeof c.cidrBlock === 'string' && !Token.isUnresolved(c.cidrBlock)) out.set(Stack.of(c).resolve(c.logicalId), c.cidrBlock);
    }
    const subnets = [...this.vpc.publicSubnets, ...this.vpc.privateSubnets, ...this.vpc.isolatedSubnets,
      ...Object.values(this.props.subnets ?? {}).flatMap(sel => sel.subnets ?? [])];
    for (const s of subnets) {
      const cidr = subnetCidr(s);
      if (!Token.isUnresolved(s.subnetId) && cidr && !Token.isUnresolved(cidr)) out.set(s.subnetId, cidr);
    }
    return out;
  }

  private vpcCidr(): string | undefined {
    if (!Token.isUnresolved(this.vpc.vpcCidrBlock)) return this.vpc.vpcCidrBlock;
    const child = this.vpc.node.defaultChild;
    if (child instanceof ec2.CfnVPC && typeof child.cidrBlock === 'string' && !Token.isUnresolved(child.cidrBlock)) return child.cidrBlock;
    return undefined;
  }

  private validateProps(): void {
    const problems: MicrosegProblem[] = [];
    const path = this.node.path;
    if (!Segmentation.isSegmentation(this.props.segmentation)) {
      problems.push({ code: 'InvalidProp', path, value: 'segmentation', message: 'is not a microseg Segmentation.', hint: 'Pass `segmentation: mySegmentation`.' });
    }
    if (!this.props.vpc || typeof (this.props.vpc as Partial<ec2.IVpc>).selectSubnets !== 'function') {
      problems.push({ code: 'InvalidProp', path, value: 'vpc', message: 'is required: the VPC of the security groups (an ec2.IVpc).', hint: 'Pass `vpc: myVpc` (e.g. ec2.Vpc.fromLookup(stack, "Vpc", { vpcId })).' });
    }
    const shardings = Object.values(AwsSharding) as string[];
    if (this.props.sharding !== undefined && !shardings.includes(this.props.sharding)) {
      const close = shardings.find(s => s === String(this.props.sharding).toUpperCase());
      problems.push({ code: 'InvalidProp', path, value: this.props.sharding, message: `sharding must be one of ${shardings.map(s => `AwsSharding.${s}`).join(', ')}.`, hint: close ? `Did you mean AwsSharding.${close}?` : 'E.g. sharding: AwsSharding.ALWAYS.' });
    }
    const intIn = (name: string, v: number, lo: number, hi: number, hint: string) => {
      if (!Number.isInteger(v) || v < lo || v > hi) problems.push({ code: 'InvalidProp', path, value: v, message: `${name} must be an integer from ${lo} to ${hi}.`, hint });
    };
    const q = this.quotas;
    intIn('maxRulesPerSecurityGroup', q.rulesPerSecurityGroup, 1, 1000, 'AWS allows up to 1,000 (rules per group times groups per interface may not exceed 1,000).');
    intIn('maxSecurityGroupsPerInterface', q.securityGroupsPerInterface, 1, 16, 'AWS allows up to 16 security groups per network interface.');
    intIn('maxNaclEntriesPerDirection', q.naclEntriesPerDirection, 1, 40, 'AWS allows up to 40 network ACL entries per direction.');
    intIn('maxResourcesPerStack', q.resourcesPerStack, 1, 100_000, 'CloudFormation allows 500 resources per stack by default.');
    if (q.rulesPerSecurityGroup * q.securityGroupsPerInterface > 1000) {
      problems.push({ code: 'InvalidProp', path, value: `${q.rulesPerSecurityGroup} x ${q.securityGroupsPerInterface}`, message: 'rules per security group times security groups per interface may not exceed 1,000 (an AWS hard limit).', hint: 'Lower maxRulesPerSecurityGroup or maxSecurityGroupsPerInterface.' });
    }
    const e = this.props.ephemeralPortRange;
    if (e) {
      intIn('ephemeralPortRange.startPort', e.startPort, 0, 65535, 'Use a port from 0 to 65535, e.g. 1024.');
      intIn('ephemeralPortRange.endPort', e.endPort, 0, 65535, 'Use a port from 0 to 65535, e.g. 65535.');
      if (e.startPort > e.endPort) problems.push({ code: 'InvalidProp', path, value: `${e.startPort}-${e.endPort}`, message: 'the ephemeral port range starts after it ends.', hint: `Did you mean ${e.endPort}-${e.startPort}?` });
    }
    if (problems.length) throw MicrosegError.fromProblems(problems);
  }
}

/** Logical id of a nested stack's i-th packed output of group ids. */
function outputId(i: number): string {
  return `GroupIds${i}`;
}

function protocolProps(r: SgRulePlan): { ipProtocol: string; fromPort?: number; toPort?: number } {
  switch (r.protocol) {
    case 'all': return { ipProtocol: '-1' };
    case 'icmpv6': return { ipProtocol: '58', fromPort: r.from, toPort: r.to };
    default: return { ipProtocol: r.protocol, fromPort: r.from, toPort: r.to };
  }
}

/** Findings about open ingress that a declared internet-facing flow (or MONITOR's catch-all) raises on purpose. */
const OPEN_INGRESS_RULES = ['AwsSolutions-EC23', 'CloudFormation-Validate::W2508'];

function nagReason(descriptions: string[]): string {
  const text = [...new Set(descriptions)].sort().join('; ');
  return text.length >= 10 ? text : `Declared internet-facing flow: ${text}`;
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

function subnetKey(stack: Stack, s: ec2.ISubnet): string {
  if (!Token.isUnresolved(s.subnetId)) return s.subnetId;
  const base = stack.node.path;
  return s.node.path.startsWith(base + '/') ? s.node.path.slice(base.length + 1) : s.node.path;
}

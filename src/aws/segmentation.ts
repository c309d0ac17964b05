import { Annotations, AspectPriority, Aspects, CfnResource, IAspect, Lazy, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, IConstruct } from 'constructs';
import { verifyInvariants } from '../analysis/invariants';
import { verifyRenderedInvariants } from '../analysis/invariants-on-rules';
import { compile, crossCloudWarnings, IrPolicy, PlacedRule, placeRules, writeManifest, writtenSection } from '../ir';
import { claimBackend } from '../ir/backends';
import { Workload } from '../model';
import { Cloud, ManifestCloudSection, SegmentationBackend } from '../model/backend';
import { fail, MicrosegError, MicrosegProblem } from '../model/errors';
import { emitAccessScopes } from './access-scopes';
import { CdkRule, materialize, recordRules } from './connections';
import { AwsEmitter } from './emit';
import { awsManifestSection } from './manifest';
import { addGroups, checkMembership } from './membership';
import { sourceGroupName, zoneGroupName } from './names';
import { AwsPlan, planAws } from './plan';
import { AwsQuotas } from './types';
import { AwsSegmentationProps, AwsSharding, quotasOf, validateProps } from './props';
import { checkRanges } from './ranges';
import { knownSubnetCidrs, secondaryVpcRanges, selectZoneSubnets, vpcCidrOf, ZoneSubnets } from './vpc';
import { StackWiring } from './wiring';

export * from './props';
export * from './warnings';

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
export class AwsSegmentation extends SegmentationBackend {
  /** The VPC. */
  public readonly vpc: ec2.IVpc;

  private readonly props: AwsSegmentationProps;
  private readonly quotas: AwsQuotas;
  private emitter?: AwsEmitter;
  private readonly groupRefs = new Map<string, ec2.ISecurityGroup>();
  private readonly cdkRules: CdkRule[] = [];
  private rendered = false;
  private renderedPlan?: AwsPlan;
  private renderedPolicy?: IrPolicy;
  private renderedSection?: ManifestCloudSection;
  private failure?: unknown;

  constructor(scope: Construct, id: string, props: AwsSegmentationProps) {
    // every invalid prop at once, before the base checks the segmentation alone
    props = validateProps(props ?? ({} as AwsSegmentationProps), scope.node.path ? `${scope.node.path}/${id}` : id);
    super(scope, id, Cloud.AWS, props.segmentation);
    this.props = props;
    this.vpc = props.vpc;
    this.quotas = quotasOf(props);
    claimBackend(this.segmentation, this.cloud, this);
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
    this.checkPlaced(workload);
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

  /** Renders the backend on first use, as synth does, and returns its manifest section as written. */
  protected plannedSection(): ManifestCloudSection {
    this._render();
    if (this.failure) throw this.failure;
    if (!this.renderedSection) throw new Error(`microseg internal error: ${this.node.path} rendered no manifest section`);
    return writtenSection(this.renderedSection);
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
    try {
      this.renderOnce();
    } catch (e) {
      this.failure = e;
      throw e;
    }
  }

  private renderOnce(): void {
    const stack = Stack.of(this);
    const { policy, placed, subnets, vpcCidr } = this.compileModel(stack);
    const plan = this.planFor(stack, policy, placed, subnets, vpcCidr);
    this.renderedPlan = plan;
    this.renderedPolicy = policy;
    const wiring = this.emit(plan, policy, subnets);
    this.checkMembersAndWarn(policy, plan);
    const section = awsManifestSection({
      backendPath: this.node.path, stack, vpc: this.vpc, vpcCidr,
      ephemeralPorts: `${this.props.ephemeralPortRange?.startPort ?? 1024}-${this.props.ephemeralPortRange?.endPort ?? 65535}`,
      zones: this.props.zones ?? policy.zones.map(z => z.name), plan, wiring, subnets: subnets.objects,
    });
    this.renderedSection = section;
    const outdir = Stage.of(this)?.outdir;
    if (!outdir) return;
    verifyRenderedInvariants(policy, Cloud.AWS, section);
    writeManifest(outdir, policy, Cloud.AWS, section);
  }

  /**
   * The model as this backend renders it: rules added through CDK's `connections` joined (or a
   * coded error), compiled, zones given their subnets' ranges (each concrete range checked
   * against the VPC), invariants verified, rules placed.
   */
  private compileModel(stack: Stack): { policy: IrPolicy; placed: PlacedRule[]; subnets: ZoneSubnets; vpcCidr?: string } {
    const unmodelled = materialize({
      rules: this.cdkRules, segmentation: this.segmentation, backendPath: this.node.path,
      groupOfPeer: peer => [...this.groupRefs.entries()].find(([, g]) => g === peer)?.[0],
    });
    if (unmodelled.length > 0) throw MicrosegError.fromProblems(unmodelled);
    const compiled = compile(this.segmentation);
    const subnets = selectZoneSubnets(stack, this.vpc, this.props.subnets);
    const vpcCidr = vpcCidrOf(this.vpc);
    const ranged = checkRanges({
      policy: compiled, localZones: new Set(this.props.zones ?? compiled.zones.map(z => z.name)), backendPath: this.node.path,
      vpcRanges: [...(vpcCidr ? [vpcCidr] : []), ...secondaryVpcRanges(this.vpc)],
      externalRanges: this.props.externalRanges ?? [],
      subnets: subnets.ranges,
    });
    if (ranged.problems.length > 0) throw MicrosegError.fromProblems(ranged.problems);
    const policy = ranged.policy;
    verifyInvariants(policy);
    return { policy, placed: placeRules(policy, this.props.zones, this.node.path), subnets, vpcCidr };
  }

  /** The plan of the policy, with the props as options. */
  private planFor(stack: Stack, policy: IrPolicy, placed: PlacedRule[], subnets: ZoneSubnets, vpcCidr: string | undefined): AwsPlan {
    const mine = new Set<IConstruct>(this.node.findAll());
    const otherResources = stack.node.findAll().filter(c => CfnResource.isCfnResource(c) && Stack.of(c) === stack && !mine.has(c)).length;
    const p = this.props;
    return planAws(policy, placed, {
      backendPath: this.node.path,
      zones: p.zones,
      naclSubnets: subnets.keys,
      vpcCidr,
      ephemeral: p.ephemeralPortRange ? { from: p.ephemeralPortRange.startPort, to: p.ephemeralPortRange.endPort } : undefined,
      quotas: this.quotas,
      monitorIngressFromInternet: p.monitorIngressFromInternet,
      egressTowardsZones: p.exactEgressPorts ? 'flow' : 'zone',
      generatedDescriptions: p.generatedRuleDescriptions ?? false,
      otherResources,
      pathMetadata: this.node.tryGetContext('aws:cdk:enable-path-metadata') ? this.node.path : undefined,
      sharding: p.sharding === AwsSharding.NONE ? 'none' : p.sharding === AwsSharding.ALWAYS ? 'always' : 'auto',
    });
  }

  /** Nested stacks (when sharded), then every group, then their rules (which reference groups), then network ACLs. */
  private emit(plan: AwsPlan, policy: IrPolicy, subnets: ZoneSubnets): StackWiring {
    const wiring = new StackWiring(this, this.segmentation.name, plan.shards);
    const emitter = new AwsEmitter(this.vpc, this.segmentation.name, wiring);
    this.emitter = emitter;
    for (const g of plan.groups) emitter.createGroup(g);
    for (const g of plan.groups) emitter.emitGroup(g);
    wiring.exportGroupIds(name => this.createdGroupId(name));
    for (const n of plan.nacls) emitter.emitNacl(n, subnets.objects.get(n.zone) ?? new Map());
    if (this.props.networkAccessScopes) {
      const own = new Map(plan.groups.filter(g => g.kind === 'workload').map(g => [g.workload, g.name]));
      emitAccessScopes(this, { policy, localWorkloads: new Set(own.keys()), groupIdOf: w => this.createdGroupId(own.get(w) ?? w) });
    }
    if (plan.nacls.length > 0) {
      // The network ACLs were asked for (`subnets`) and are generated from the model, so cdk-nag's
      // advice against hand-managed NACLs does not apply to them.
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-VPC3',
        reason: `Network ACLs of zones ${plan.nacls.map(n => n.zone).join(', ')} are generated by microseg from the segmentation model and audited against it.`,
      });
    }
    return wiring;
  }

  /** Every resource carrying a workload's group carries all of them, in the workload's zone; then the warnings. */
  private checkMembersAndWarn(policy: IrPolicy, plan: AwsPlan): void {
    const membership = checkMembership({
      root: this.node.root,
      own: new Set<IConstruct>(this.node.findAll()),
      groupByLogicalId: new Map(plan.groups.map(g => [g.logicalId, g.name])),
      groupsOf: plan.groupsOf,
      workloads: new Map(policy.workloads.map(w => [w.name, { zone: w.zone, path: w.path }])),
      zoneRanges: new Map(policy.zones.map(z => [z.name, z.cidrs])),
      subnetCidrs: knownSubnetCidrs(this.node.root, this.vpc, this.props.subnets),
      backendPath: this.node.path,
    });
    if (membership.problems.length > 0) throw MicrosegError.fromProblems(membership.problems);
    const acknowledged = new Set(policy.acknowledged.map(a => a.id));
    for (const w of [...policy.warnings, ...plan.warnings, ...membership.warnings.filter(x => !acknowledged.has(x.id)), ...crossCloudWarnings(policy, this.props.zones, this.node.path)]) {
      Annotations.of(this).addWarningV2(w.id, `${w.message} [${w.path}]`);
    }
  }

  /** Fails with `microseg:UnknownWorkload` unless the workload is of this segmentation and in a zone placed here. */
  private checkPlaced(workload: Workload): void {
    if (!Workload.isWorkload(workload) || workload.zone.segmentation !== this.segmentation) {
      fail('UnknownWorkload', this.node.path, (workload as Workload | undefined)?.node?.path, `is not a workload of segmentation "${this.segmentation.name}".`, 'Pass a Workload of the segmentation given to this backend.');
    }
    if (this.props.zones && !this.props.zones.includes(workload.zone.name)) {
      fail('UnknownWorkload', this.node.path, workload.name, `is in zone "${workload.zone.name}", which is not placed on this backend (zones: ${this.props.zones.join(', ')}).`, `Add "${workload.zone.name}" to \`zones\`.`);
    }
  }

  /** The id of a group created at synth (an internal error before). */
  private createdGroupId(name: string): string {
    const id = this.emitter?.groupId(name);
    if (!id) throw new Error(`microseg: the security group "${name}" is created at synth; resolve its id after synthesis.`);
    return id;
  }

  private groupRef(name: string): ec2.ISecurityGroup {
    let ref = this.groupRefs.get(name);
    if (!ref) {
      // The group itself is created at synth (in this stack or in a nested stack, see `sharding`).
      const id = Lazy.string({ produce: () => this.createdGroupId(name) });
      ref = ec2.SecurityGroup.fromSecurityGroupId(this, `sg-${name}-ref`, id, { mutable: false, allowAllOutbound: false });
      // Rules CDK adds through `connections` become flows of the model at synth (or errors).
      recordRules(ref, name, this.cdkRules);
      this.groupRefs.set(name, ref);
    }
    return ref;
  }
}

/**
 * The language every backend speaks: the clouds, the canonical form of a cloud rule, a
 * backend's section of the manifest, and the interface every backend construct implements
 * (AWS, Azure, GCP, Kubernetes). Plain data and one interface; the functions over them live in
 * the IR (`src/ir/canonical.ts`, `src/ir/manifest.ts`).
 *
 * @see https://github.com/microseg/microseg/blob/main/docs/architecture.md
 */
import { Construct, IConstruct } from 'constructs';
import { fail } from './errors';
import { Segmentation } from './segmentation';
import type { Workload } from './workload';

/** The clouds (and clusters) microseg renders to and audits. */
export enum Cloud {
  /** EC2 security groups and network ACLs (`AwsSegmentation`). */
  AWS = 'aws',
  /** Network security groups and application security groups (`AzureSegmentation`). */
  AZURE = 'azure',
  /** VPC firewall rules (`GcpSegmentation`). */
  GCP = 'gcp',
  /** NetworkPolicies of the segmentation's namespaces (`KubernetesSegmentation`). */
  KUBERNETES = 'kubernetes',
}

/** The direction of a cloud rule, seen from the container it lives in. */
export enum RuleDirection {
  /** Inbound: the peer is the source. */
  INGRESS = 'ingress',
  /** Outbound: the peer is the destination. */
  EGRESS = 'egress',
}

/** What a cloud rule does with the packets it matches. */
export enum RuleAction {
  /** Lets them through. */
  ALLOW = 'allow',
  /** Drops them. */
  DENY = 'deny',
}

/**
 * One cloud rule in canonical form: the form in which a backend records what it rendered (its
 * plan, in the manifest) and the audit's readers report what is live, so that drift is a set
 * difference of one shape and the semantic evaluators read both alike.
 *
 * A cloud rule with several peers, targets or ports is several canonical rules with the same
 * priority and action.
 */
export interface CanonicalRule {
  /**
   * Where the rule lives: AWS `sg:<group name>` or `nacl:<zone>`; Azure `nsg:<nsg name>`; GCP
   * `network:<network name>`; Kubernetes `networkpolicy:<namespace>/<name>`.
   */
  readonly container: string;
  /** Inbound or outbound. */
  readonly direction: RuleDirection;
  /** Allow or deny. */
  readonly action: RuleAction;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `all`, or an IP protocol number as text. */
  readonly protocol: string;
  /** `*`, `443`, `1024-65535`; ICMP `*`, `<type>` or `<type>/<code>`. */
  readonly ports: string;
  /**
   * The other side: `sg:<group name>`, `cidr:<cidr>`, `asg:<name>`, `tag:<tag>`, `sa:<email>`,
   * `pl:<prefix list id>`, `*` (any).
   */
  readonly peer: string;
  /**
   * The protected side where a container holds many (Azure ASG, GCP target tag or service
   * account), `*` for all of them.
   * @default - the whole container
   */
  readonly target?: string;
  /**
   * NACL rule number, Azure or GCP priority.
   * @default - none (security groups, NetworkPolicies)
   */
  readonly priority?: number;
  /**
   * The cloud rule's name, where the cloud has one (Azure, GCP).
   * @default - none
   */
  readonly name?: string;
  /**
   * Construct path of the flow (or guardrail, or zone) the rule comes from.
   * @default - none
   */
  readonly origin?: string;
}

/** What one backend records in the manifest `<segmentation>.microseg.json` (`clouds.<cloud>`). */
export interface ManifestCloudSection {
  /** Construct path of the backend. */
  readonly backendPath: string;
  /** Zones placed on this cloud. */
  readonly zones: string[];
  /** Cloud settings the audit needs (region, VPC logical id, resource group, network, project...). */
  readonly settings: { [key: string]: string };
  /**
   * Per workload: the identity its members must carry (e.g. `securityGroupName`, `asgName`,
   * `networkTag`, `serviceAccount`, `podLabels`) and its zone.
   */
  readonly identities: { [workload: string]: { [key: string]: string } };
  /** Per container (e.g. `sg:<name>`, `nsg:<name>`): how to find it (logical id, Terraform address, tags). */
  readonly containers: { [container: string]: { [key: string]: string } };
  /** The rules the backend rendered, canonical: its plan, and the audit's expected side. */
  readonly expected: CanonicalRule[];
}

/**
 * What every backend offers, whatever its cloud: the identity a member of a workload must carry,
 * the backend's section of the manifest, and its rendered plan as canonical rules. The audit,
 * the map and the semantic evaluators read these, so a new backend that implements this
 * interface is understood by all of them.
 *
 * Planning happens once, on first use (or at synth); an invalid model throws a
 * `MicrosegError` listing every problem.
 */
export interface ISegmentationBackend extends IConstruct {
  /** The rendered model. */
  readonly segmentation: Segmentation;

  /** The cloud this backend renders to (its section of the manifest: `clouds.<cloud>`). */
  readonly cloud: Cloud;

  /**
   * The identity a member of the workload must carry for the rules to apply to it: the
   * manifest's `identities[<workload>]` (e.g. AWS `securityGroupName`, Azure `asgName`, GCP
   * `networkTag` or `serviceAccount`, Kubernetes `namespace` and `podLabels`), with its `zone`.
   *
   * @throws `microseg:UnknownWorkload` when the workload is not placed on this backend
   */
  memberIdentity(workload: Workload): { [key: string]: string };

  /** The backend's section of the manifest, as it is written at synth. */
  manifestSection(): ManifestCloudSection;

  /** The rendered plan: every rule the backend renders, canonical (the manifest's `expected`). */
  plannedRules(): CanonicalRule[];
}

const PLACED_ON: Record<Cloud, string> = { aws: 'AWS', azure: 'Azure', gcp: 'GCP', kubernetes: 'the cluster' };

/**
 * The part every backend construct shares: the model it renders, its cloud, and the
 * {@link ISegmentationBackend} members read from its manifest section (planned once, on first
 * use). A backend supplies the section; the identities it records decide which workloads it
 * places.
 */
export abstract class SegmentationBackend extends Construct implements ISegmentationBackend {
  /** The rendered model. */
  public readonly segmentation: Segmentation;

  /** The cloud this backend renders to (its section of the manifest: `clouds.<cloud>`). */
  public readonly cloud: Cloud;

  private section?: ManifestCloudSection;

  /**
   * @param cloud the backend's cloud
   * @param segmentation the model to render (`microseg:InvalidProp` when it is not a `Segmentation`)
   */
  protected constructor(scope: Construct, id: string, cloud: Cloud, segmentation: Segmentation) {
    super(scope, id);
    if (!Segmentation.isSegmentation(segmentation)) {
      fail('InvalidProp', this.node.path, 'segmentation', 'is not a microseg Segmentation.', 'Pass `segmentation: mySegmentation`.');
    }
    this.segmentation = segmentation;
    this.cloud = cloud;
  }

  /**
   * The identity a member of the workload must carry for the rules to apply to it (the
   * manifest's `identities[<workload>]`, with its `zone`).
   *
   * @throws `microseg:UnknownWorkload` when the workload is not placed on this backend
   */
  public memberIdentity(workload: Workload): { [key: string]: string } {
    const identity = workload?.zone?.segmentation === this.segmentation ? this.manifestSection().identities[workload.name] : undefined;
    if (!identity) {
      fail('UnknownWorkload', workload?.node?.path ?? this.node.path, workload?.name,
        `is not placed on ${PLACED_ON[this.cloud]} by ${this.node.path} (segmentation "${this.segmentation.name}").`,
        'Use the backend of the cloud the workload\'s zone is placed on, or add the zone to this backend\'s zones.');
    }
    return { ...identity };
  }

  /** The backend's section of the manifest, as it is written at synth (plans on first use). */
  public manifestSection(): ManifestCloudSection {
    if (!this.section) this.section = this.plannedSection();
    return this.section;
  }

  /** The rendered plan: every rule the backend renders, canonical (the manifest's `expected`). */
  public plannedRules(): CanonicalRule[] {
    return this.manifestSection().expected;
  }

  /** Plans the model (once) and returns the section as written: expected rules in canonical order. */
  protected abstract plannedSection(): ManifestCloudSection;
}

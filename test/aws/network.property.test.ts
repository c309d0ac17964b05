/**
 * The AWS evaluator agrees with the model on VPCs shaped like real ones: zones made of scattered
 * /24 subnets (one per AZ, spread over the VPC, ranges learnt from the subnets), Peer ranges that
 * overlap the zones, token ranges (a zone subnet imported with a CloudFormation parameter as its
 * CIDR, Peer ranges given as parameters) and members attached with `attach()` as instances, Auto
 * Scaling groups, launch templates or Lambda functions placed in their zone's subnets. A model
 * either renders with 0 mismatches or fails synth with a coded error: `UnresolvedRange` where a
 * token would have to be known to stay exact, `OutsideZone` for a member placed in another zone's
 * subnet on purpose.
 *
 * The template's parameters take their defaults (what the stack deploys with), so the oracle
 * runs on the policy with every token replaced by its parameter's default.
 */
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as fc from 'fast-check';
import { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, IFlowEndpoint, Peer, Port, Segmentation, Selector, Workload, Zone } from '../../src';
import { AwsSegmentation } from '../../src/aws';
import { IrPolicy, modelAllows } from '../../src/ir';
import { AwsEvaluator } from '../support/aws-evaluator';
import { EndpointSpec, ModelSpec, modelArb, packetArb, PortSpec, workloadName, zoneName } from '../support/model-arbitrary';
import { checkUntil } from '../support/property';
import './helpers';

const VPC = '10.0.0.0/16';
/** Peer ranges that overlap the zones' subnets (besides the model's external ones). */
const OVERLAPPING = ['10.0.0.0/8', '10.0.64.0/18', '10.0.1.0/24', '10.0.0.0/16'];
/** peerSwap value that turns a flow's Peer range into a CloudFormation parameter (default: the range). */
const TOKEN_PEER = OVERLAPPING.length + 1;
const AMI = ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' });
const TYPE = new ec2.InstanceType('t3.micro');
const KINDS = ['instance', 'asg', 'launchTemplate', 'lambda'] as const;
type Kind = typeof KINDS[number];

/** Subnet of zone i in AZ k: scattered over the VPC, one /18 per AZ. */
const subnetCidr = (zone: number, az: number) => `10.0.${az * 64 + zone}.0/24`;

interface NetSpec {
  spec: ModelSpec;
  azs: number[];
  /** Per flow then deny: keep its Peer range (0), swap it for one overlapping the zones (1..4), or a parameter (5). */
  peerSwap: number[];
  /** Per zone: its first subnet is imported with a parameter as its CIDR. */
  tokenSubnet: boolean[];
  /** Per zone, per workload: what runs it. */
  kinds: Kind[][];
  /** A workload (zone, index) whose resource is placed in the next zone's subnet on purpose. */
  misplace: { zone: number; workload: number } | null;
}

const netArb: fc.Arbitrary<NetSpec> = modelArb().chain(spec => {
  const n = spec.flows.length + spec.denies.length;
  return fc.record({
    spec: fc.constant(spec),
    azs: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: spec.zones.length, maxLength: spec.zones.length }),
    peerSwap: fc.array(fc.integer({ min: 0, max: TOKEN_PEER }), { minLength: n, maxLength: n }),
    tokenSubnet: fc.array(fc.integer({ min: 0, max: 3 }).map(x => x === 0), { minLength: spec.zones.length, maxLength: spec.zones.length }),
    kinds: fc.tuple(...spec.zones.map(z => fc.array(fc.constantFrom(...KINDS), { minLength: z.workloads.length, maxLength: z.workloads.length }))),
    // one model in six places a member in the wrong zone
    misplace: fc.oneof(
      { weight: 5, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: spec.zones.length - 1 }).chain(zone => fc.integer({ min: 0, max: spec.zones[zone].workloads.length - 1 }).map(workload => ({ zone, workload }))) },
    ),
  });
});

function toPort(p: PortSpec): Port {
  switch (p.kind) {
    case 'tcp': return p.from === p.to ? Port.tcp(p.from) : Port.tcpRange(p.from, p.to);
    case 'udp': return p.from === p.to ? Port.udp(p.from) : Port.udpRange(p.from, p.to);
    case 'icmp': return Port.icmp(p.type);
    case 'all': return Port.allTraffic();
  }
}

/** Runs workload `w` as a resource of `kind` in `subnet`, attached to the workload. */
function member(stack: Stack, backend: AwsSegmentation, vpc: ec2.IVpc, w: Workload, kind: Kind, subnet: ec2.ISubnet, id: string): IConstruct {
  const vpcSubnets = { subnets: [subnet] };
  switch (kind) {
    case 'instance': {
      const r = new ec2.Instance(stack, id, { vpc, vpcSubnets, instanceType: TYPE, machineImage: AMI, securityGroup: backend.securityGroupsFor(w)[0] });
      backend.attach(w, r);
      return r;
    }
    case 'asg': {
      const r = new autoscaling.AutoScalingGroup(stack, id, { vpc, vpcSubnets, instanceType: TYPE, machineImage: AMI });
      backend.attach(w, r);
      return r;
    }
    case 'launchTemplate': {
      const lt = new ec2.LaunchTemplate(stack, `${id}Lt`, { instanceType: TYPE, machineImage: AMI });
      backend.attach(w, lt);
      return new autoscaling.AutoScalingGroup(stack, id, { vpc, vpcSubnets, launchTemplate: lt });
    }
    case 'lambda': {
      const r = new lambda.Function(stack, id, { vpc, vpcSubnets, runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;') });
      backend.attach(w, r);
      return r;
    }
  }
}

function render(n: NetSpec) {
  const app = new App();
  const stack = new Stack(app, 'Net', { env: { account: '111111111111', region: 'us-east-1' } });
  const azNames = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: azNames, vpcCidrBlock: VPC });
  const seg = new Segmentation(stack, 'Seg', { name: 'seg' });
  /** token text -> the parameter's default */
  const tokens = new Map<string, string>();
  const param = (id: string, value: string) => {
    const t = new CfnParameter(stack, id, { default: value }).valueAsString;
    tokens.set(t, value);
    return t;
  };
  const zones: Zone[] = [];
  const workloads: Workload[][] = [];
  const subnets: Record<string, ec2.SubnetSelection> = {};
  const zoneSubnets: ec2.ISubnet[][] = [];
  n.spec.zones.forEach((z, i) => {
    zones[i] = new Zone(seg, `Z${i}`, { name: zoneName(i) }); // no cidrs: learnt from the subnets
    zoneSubnets[i] = Array.from({ length: n.azs[i] }, (_, k) => ec2.Subnet.fromSubnetAttributes(stack, `S${i}-${k}`, {
      subnetId: `subnet-${String(i).padStart(2, '0')}${k}${'0'.repeat(14)}`, availabilityZone: azNames[k],
      ipv4CidrBlock: k === 0 && n.tokenSubnet[i] ? param(`Z${i}Subnet0`, subnetCidr(i, k)) : subnetCidr(i, k),
    }));
    subnets[zoneName(i)] = { subnets: zoneSubnets[i] };
    workloads[i] = z.workloads.map((w, j) => new Workload(zones[i], `W${j}`, { name: workloadName(i, j), labels: w.labels }));
  });
  let swap = 0;
  const ep = (e: EndpointSpec): IFlowEndpoint => {
    switch (e.kind) {
      case 'workload': return workloads[e.zone][e.workload];
      case 'zone': return zones[e.zone];
      case 'selector': { const [k, v] = e.label.split('='); return Selector.labels({ [k]: v }); }
      case 'peer': {
        const s = n.peerSwap[swap] ?? 0;
        return Peer.ipv4(s === 0 ? e.cidr : s === TOKEN_PEER ? param(`Peer${swap}`, e.cidr) : OVERLAPPING[s - 1]);
      }
    }
  };
  n.spec.flows.forEach((f, i) => { swap = i; new AllowFlow(seg, `Flow${i}`, { from: ep(f.from), to: ep(f.to), ports: f.ports.map(toPort) }); });
  n.spec.denies.forEach((d, i) => { swap = n.spec.flows.length + i; new DenyFlow(seg, `Deny${i}`, { from: ep(d.from), to: ep(d.to), ports: d.ports.map(toPort) }); });
  const backend = new AwsSegmentation(stack, 'Aws', {
    segmentation: seg, vpc, subnets, maxRulesPerSecurityGroup: 200, maxNaclEntriesPerDirection: 40,
  });
  // One member per workload, in the zone's last subnet (or, for the misplaced one, in the next
  // zone's last subnet), attached: it carries only microseg's groups.
  const placement: Record<string, string> = {};
  let misplaced: string | undefined;
  workloads.forEach((ws, i) => ws.forEach((w, j) => {
    let zone = i;
    if (n.misplace && n.misplace.zone === i && n.misplace.workload === j && n.spec.zones.length > 1) {
      const other = (i + 1) % n.spec.zones.length;
      // only into a subnet whose CIDR CDK knows (the check needs it)
      if (!(n.tokenSubnet[other] && zoneSubnets[other].length === 1)) zone = other;
    }
    const k = zoneSubnets[zone].length - 1;
    const r = member(stack, backend, vpc, w, n.kinds[i][j], zoneSubnets[zone][k], `M${i}-${j}`);
    if (zone !== i) misplaced = r.node.path;
    // Distinct addresses per workload inside the member's subnet.
    placement[w.name] = `10.0.${k * 64 + zone}.${16 * j}/28`;
  }));
  const synth = () => app.synth().getStackByName('Net').template;
  return { synth, backend, placement, tokens, misplaced };
}

/** The policy as deployed: every token replaced by its parameter's default. */
function resolved(policy: IrPolicy, tokens: Map<string, string>): IrPolicy {
  let text = JSON.stringify(policy);
  for (const [t, v] of tokens) text = text.split(t).join(v);
  return JSON.parse(text);
}

describe('AWS evaluator agrees with the model on scattered subnets, overlapping Peers, token ranges and attached resources', () => {
  it('0 mismatches; what cannot be exact is a coded error', () => {
    const arb = netArb.chain(n => fc.tuple(fc.constant(n), fc.array(packetArb(n.spec), { minLength: 25, maxLength: 25 })));
    const t = checkUntil(arb, ([n, packets], tally) => {
      const r = render(n);
      let template;
      try {
        template = r.synth();
      } catch (e) {
        const text = String(e);
        // a model error (a fully shadowed allow) is reported before the network is looked at
        if (/microseg:ShadowedFlow/.test(text)) { tally.refuse(); return; }
        if (/microseg:OutsideZone/.test(text)) {
          // placed in another zone's subnet on purpose: OutsideZone naming the resource
          expect(r.misplaced, text).toBeDefined();
          expect(text).toContain(`[microseg:OutsideZone] at ${r.misplaced!.split('/').slice(0, 2).join('/')}`);
          tally.add('misplaced');
          return;
        }
        // UnresolvedRange: a token range that exactness needs to know (never more open than the model)
        expect(text).toMatch(/microseg:(QuotaExceeded|UnresolvedRange)/);
        if (/UnresolvedRange/.test(text)) {
          // only where a range is a token here (the VPC range is concrete)
          expect(r.tokens.size, text).toBeGreaterThan(0);
          tally.add('unresolved');
        }
        tally.refuse();
        return;
      }
      expect(r.misplaced, `a member placed outside its zone was accepted: ${JSON.stringify({ kinds: n.kinds, misplace: n.misplace, azs: n.azs, tokenSubnet: n.tokenSubnet })}`).toBeUndefined();
      tally.add('models');
      const policy = resolved(r.backend._policy!, r.tokens);
      if (r.backend._plan!.groups.some(g => g.egress.some(x => x.peer.kind === 'sg'))) tally.add('exposed');
      if (n.tokenSubnet.some(Boolean)) tally.add('tokenZones');
      if ([...r.tokens.keys()].some(k => JSON.stringify(r.backend._policy!.flows).includes(k))) tally.add('tokenPeers');
      for (const k of new Set(n.kinds.flat())) tally.add(k);
      const ev = new AwsEvaluator(template, r.backend, policy, undefined, r.placement);
      for (const p of packets) {
        expect(ev.allows(p), JSON.stringify({ p, peerSwap: n.peerSwap, tokenSubnet: n.tokenSubnet }, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(modelAllows(policy, p));
        tally.add('packets');
      }
    }, {
      until: { packets: 500, models: 20, exposed: 1, tokenZones: 3, tokenPeers: 2, misplaced: 2, instance: 2, asg: 2, launchTemplate: 2, lambda: 2 },
      batch: 5, maxRuns: 400,
    });
    expect(t.get('packets')).toBeGreaterThanOrEqual(500);
    expect(t.get('models'), String(t)).toBeGreaterThanOrEqual(20);
  }, 600_000);
});

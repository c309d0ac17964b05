/**
 * The AWS evaluator agrees with the model on VPCs shaped like real ones: zones made of scattered
 * /24 subnets (one per AZ, spread over the VPC, ranges learnt from the subnets), Peer ranges that
 * overlap the zones, and members attached as instances placed in their zone's subnets.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, IFlowEndpoint, Peer, Port, Segmentation, Selector, Workload, Zone } from '../../src';
import { AwsSegmentation } from '../../src/aws';
import { modelAllows } from '../../src/ir';
import { AwsEvaluator } from '../support/aws-evaluator';
import { EndpointSpec, ModelSpec, modelArb, packetArb, PortSpec, workloadName, zoneName } from '../support/model-arbitrary';
import './helpers';

const VPC = '10.0.0.0/16';
/** Peer ranges that overlap the zones' subnets (besides the model's external ones). */
const OVERLAPPING = ['10.0.0.0/8', '10.0.64.0/18', '10.0.1.0/24', '10.0.0.0/16'];
const AMI = ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' });

/** Subnet of zone i in AZ k: scattered over the VPC, one /18 per AZ. */
const subnetCidr = (zone: number, az: number) => `10.0.${az * 64 + zone}.0/24`;

interface NetSpec { spec: ModelSpec; azs: number[]; peerSwap: number[] }

const netArb: fc.Arbitrary<NetSpec> = modelArb().chain(spec => fc.record({
  spec: fc.constant(spec),
  azs: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: spec.zones.length, maxLength: spec.zones.length }),
  // For each flow: keep its Peer range (0) or swap it for one overlapping the zones.
  peerSwap: fc.array(fc.integer({ min: 0, max: OVERLAPPING.length }), { minLength: spec.flows.length + spec.denies.length, maxLength: spec.flows.length + spec.denies.length }),
}));

function toPort(p: PortSpec): Port {
  switch (p.kind) {
    case 'tcp': return p.from === p.to ? Port.tcp(p.from) : Port.tcpRange(p.from, p.to);
    case 'udp': return p.from === p.to ? Port.udp(p.from) : Port.udpRange(p.from, p.to);
    case 'icmp': return Port.icmp(p.type);
    case 'all': return Port.allTraffic();
  }
}

function render(n: NetSpec) {
  const app = new App();
  const stack = new Stack(app, 'Net', { env: { account: '111111111111', region: 'us-east-1' } });
  const azNames = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: azNames, vpcCidrBlock: VPC });
  const seg = new Segmentation(stack, 'Seg', { name: 'seg' });
  const zones: Zone[] = [];
  const workloads: Workload[][] = [];
  const subnets: Record<string, ec2.SubnetSelection> = {};
  const zoneSubnets: ec2.ISubnet[][] = [];
  n.spec.zones.forEach((z, i) => {
    zones[i] = new Zone(seg, `Z${i}`, { name: zoneName(i) }); // no cidrs: learnt from the subnets
    zoneSubnets[i] = Array.from({ length: n.azs[i] }, (_, k) => ec2.Subnet.fromSubnetAttributes(stack, `S${i}-${k}`, {
      subnetId: `subnet-${String(i).padStart(2, '0')}${k}${'0'.repeat(14)}`, availabilityZone: azNames[k], ipv4CidrBlock: subnetCidr(i, k),
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
      case 'peer': { const s = n.peerSwap[swap] ?? 0; return Peer.ipv4(s === 0 ? e.cidr : OVERLAPPING[s - 1]); }
    }
  };
  n.spec.flows.forEach((f, i) => { swap = i; new AllowFlow(seg, `Flow${i}`, { from: ep(f.from), to: ep(f.to), ports: f.ports.map(toPort) }); });
  n.spec.denies.forEach((d, i) => { swap = n.spec.flows.length + i; new DenyFlow(seg, `Deny${i}`, { from: ep(d.from), to: ep(d.to), ports: d.ports.map(toPort) }); });
  const backend = new AwsSegmentation(stack, 'Aws', {
    segmentation: seg, vpc, subnets, maxRulesPerSecurityGroup: 200, maxNaclEntriesPerDirection: 40,
  });
  // One instance per workload, in the zone's last subnet, attached (only microseg groups).
  const placement: Record<string, string> = {};
  workloads.forEach((ws, i) => ws.forEach((w, j) => {
    const k = zoneSubnets[i].length - 1;
    const instance = new ec2.Instance(stack, `I${i}-${j}`, {
      vpc, vpcSubnets: { subnets: [zoneSubnets[i][k]] }, instanceType: new ec2.InstanceType('t3.micro'), machineImage: AMI,
      securityGroup: backend.securityGroupsFor(w)[0],
    });
    backend.attach(w, instance);
    // Distinct addresses per workload inside the instance's subnet.
    placement[w.name] = `10.0.${k * 64 + i}.${16 * j}/28`;
  }));
  const template = app.synth().getStackByName('Net').template;
  return { template, backend, placement };
}

describe('AWS evaluator agrees with the model on scattered subnets, overlapping Peers and attached instances', () => {
  it('0 mismatches', () => {
    let checked = 0; let models = 0; let skipped = 0; let exposed = 0;
    fc.assert(fc.property(netArb.chain(n => fc.tuple(fc.constant(n), fc.array(packetArb(n.spec), { minLength: 25, maxLength: 25 }))), ([n, packets]) => {
      let r;
      try {
        r = render(n);
      } catch (e) {
        expect(String(e)).toMatch(/microseg:(ShadowedFlow|QuotaExceeded)/);
        skipped++;
        return;
      }
      models++;
      const policy = r.backend._policy!;
      if (r.backend._plan!.groups.some(g => g.egress.some(x => x.peer.kind === 'sg'))) exposed++;
      const ev = new AwsEvaluator(r.template, r.backend, policy, undefined, r.placement);
      for (const p of packets) {
        expect(ev.allows(p), JSON.stringify({ p, peerSwap: n.peerSwap }, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(modelAllows(policy, p));
        checked++;
      }
    }), { numRuns: Number(process.env.AWS_NET_RUNS ?? 40), ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}) });
    expect(checked).toBeGreaterThanOrEqual(500);
    expect(skipped).toBeLessThan(models);
    expect(exposed).toBeGreaterThan(0);
  }, 600_000);
});

/**
 * Manifests for the audit tests: a compiled model plus expected canonical rules written by the
 * conventions of the helper brief (a miniature backend per cloud), until the real backends'
 * synthesized manifests are used (see e2e tests).
 */
import { CanonicalRule, Cloud, RuleAction, RuleDirection } from '../../src/ir/canonical';
import { compile } from '../../src/ir/compile';
import { buildManifest, Manifest, withCloud } from '../../src/ir/manifest';
import { IrAtom, IrPolicy } from '../../src/ir/types';
import { Peer, Port, Segmentation } from '../../src/model';

/** The compile date of the fixtures. */
export const FIXTURE_NOW = new Date('2026-11-01T00:00:00Z');

/** The three-tier shop's model: internet -> frontend:443 -> api:8080 -> db:5432, plus an outbound call of api. */
export function shopModel() {
  const seg = Segmentation.root('Shop', { name: 'shop' });
  const web = seg.addZone('Web', { name: 'web', cidrs: ['10.1.0.0/16'] });
  const app = seg.addZone('App', { name: 'app', cidrs: ['10.2.0.0/16'] });
  const data = seg.addZone('Data', { name: 'data', cidrs: ['10.3.0.0/16'] });
  const frontend = web.addWorkload('Frontend', { name: 'frontend' });
  const api = app.addWorkload('Api', { name: 'api' });
  const db = data.addWorkload('Db', { name: 'db' });
  frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
  api.allowFrom(frontend, Port.tcp(8080), Port.tcp(8081));
  db.allowFrom(api, Port.tcp(5432));
  api.allowTo(Peer.ipv4('198.51.100.0/24'), Port.tcp(443));
  return { seg, web, app, data, frontend, api, db };
}

/** The shop compiled (the date every audit fixture uses). */
export function shopPolicy(): IrPolicy {
  return compile(shopModel().seg, { now: FIXTURE_NOW });
}

const svc = (s: { protocol: string; from: number; to: number }): { protocol: string; ports: string } => {
  if (s.protocol === 'all') return { protocol: 'all', ports: '*' };
  if (s.protocol === 'icmp') return { protocol: 'icmp', ports: s.from === -1 ? '*' : s.to === -1 ? `${s.from}` : `${s.from}/${s.to}` };
  return { protocol: s.protocol, ports: s.from === 0 && s.to === 65535 ? '*' : s.from === s.to ? `${s.from}` : `${s.from}-${s.to}` };
};

/** AWS: one SG per workload, SG references between workloads, match-nothing egress, one NACL for zone `data`. */
export function awsExpected(policy: IrPolicy): CanonicalRule[] {
  const out: CanonicalRule[] = [];
  const peer = (a: IrAtom) => a.kind === 'workload' ? `sg:${a.workload}` : `cidr:${a.cidr}`;
  for (const r of policy.rules) {
    const s = svc(r.service);
    const origin = r.flows[0];
    if (r.destination.kind === 'workload') out.push({ container: `sg:${r.destination.workload}`, direction: RuleDirection.INGRESS, action: RuleAction.ALLOW, ...s, peer: peer(r.source), origin });
    if (r.source.kind === 'workload') out.push({ container: `sg:${r.source.workload}`, direction: RuleDirection.EGRESS, action: RuleAction.ALLOW, ...s, peer: peer(r.destination), origin });
  }
  for (const w of policy.workloads) {
    if (!out.some(r => r.container === `sg:${w.name}` && r.direction === 'egress')) {
      out.push({ container: `sg:${w.name}`, direction: RuleDirection.EGRESS, action: RuleAction.ALLOW, protocol: 'icmp', ports: '252/86', peer: 'cidr:255.255.255.255/32', origin: w.path });
    }
  }
  out.push(
    { container: 'nacl:data', direction: RuleDirection.INGRESS, action: RuleAction.ALLOW, protocol: 'tcp', ports: '5432', peer: 'cidr:10.2.0.0/16', priority: 100, origin: 'Shop/Data/Db/From-workload:api-tcp:5432' },
    { container: 'nacl:data', direction: RuleDirection.EGRESS, action: RuleAction.ALLOW, protocol: 'tcp', ports: '1024-65535', peer: 'cidr:10.2.0.0/16', priority: 100, origin: 'Shop/Data/Db/From-workload:api-tcp:5432' },
  );
  return out;
}

/** Azure: one NSG per zone, one ASG per workload, priorities from 100, deny-all at 4096. */
export function azureExpected(policy: IrPolicy): CanonicalRule[] {
  const out: CanonicalRule[] = [];
  const prio = new Map<string, number>();
  const next = (nsg: string, dir: string) => { const k = `${nsg}|${dir}`; const p = (prio.get(k) ?? 99) + 1; prio.set(k, p); return p; };
  const peer = (a: IrAtom) => a.kind === 'workload' ? `asg:${a.workload}` : `cidr:${a.cidr}`;
  for (const r of policy.rules) {
    const s = svc(r.service);
    const origin = r.flows[0];
    if (r.destination.kind === 'workload') {
      const nsg = `nsg:${r.destination.zone}`; const priority = next(nsg, 'in');
      out.push({ container: nsg, direction: RuleDirection.INGRESS, action: RuleAction.ALLOW, ...s, peer: peer(r.source), target: `asg:${r.destination.workload}`, priority, name: `in-${priority}`, origin });
    }
    if (r.source.kind === 'workload') {
      const nsg = `nsg:${r.source.zone}`; const priority = next(nsg, 'out');
      out.push({ container: nsg, direction: RuleDirection.EGRESS, action: RuleAction.ALLOW, ...s, peer: peer(r.destination), target: `asg:${r.source.workload}`, priority, name: `out-${priority}`, origin });
    }
  }
  for (const z of policy.zones) {
    for (const direction of [RuleDirection.INGRESS, RuleDirection.EGRESS]) {
      out.push({ container: `nsg:${z.name}`, direction, action: RuleAction.DENY, protocol: 'all', ports: '*', peer: '*', target: '*', priority: 4096, name: `deny-all-${direction === RuleDirection.INGRESS ? 'inbound' : 'outbound'}`, origin: z.path });
    }
  }
  return out;
}

/** GCP: network tags per workload; ingress by tag, egress by the destination zone's ranges; deny-all at 65534. */
export function gcpExpected(policy: IrPolicy, network = 'prod'): CanonicalRule[] {
  const out: CanonicalRule[] = [];
  const container = `network:${network}`;
  const zoneCidrs = new Map(policy.zones.map(z => [z.name, z.cidrs]));
  policy.rules.forEach((r, i) => {
    const s = svc(r.service);
    const origin = r.flows[0];
    if (r.destination.kind === 'workload') {
      const peer = r.source.kind === 'workload' ? `tag:${r.source.workload}` : `cidr:${r.source.cidr}`;
      out.push({ container, direction: RuleDirection.INGRESS, action: RuleAction.ALLOW, ...s, peer, target: `tag:${r.destination.workload}`, priority: 1000, name: `shop-in-${i}`, origin });
    }
    if (r.source.kind === 'workload') {
      const peers = r.destination.kind === 'workload' ? zoneCidrs.get(r.destination.zone)! : [r.destination.cidr];
      for (const c of peers) out.push({ container, direction: RuleDirection.EGRESS, action: RuleAction.ALLOW, ...s, peer: `cidr:${c}`, target: `tag:${r.source.workload}`, priority: 1000, name: `shop-out-${i}`, origin });
    }
  });
  out.push(
    { container, direction: RuleDirection.INGRESS, action: RuleAction.DENY, protocol: 'all', ports: '*', peer: 'cidr:0.0.0.0/0', target: '*', priority: 65534, name: 'shop-deny-all-ingress', origin: policy.segmentation.path },
    { container, direction: RuleDirection.EGRESS, action: RuleAction.DENY, protocol: 'all', ports: '*', peer: 'cidr:0.0.0.0/0', target: '*', priority: 65534, name: 'shop-deny-all-egress', origin: policy.segmentation.path },
  );
  return out;
}

/** The shop manifest with all three cloud sections. */
export function shopManifest(): Manifest {
  const policy = shopPolicy();
  let m = buildManifest(policy);
  m = withCloud(m, Cloud.AWS, {
    backendPath: 'App/Stack/Seg', zones: ['app', 'data', 'web'], settings: { region: 'eu-west-1' },
    identities: Object.fromEntries(policy.workloads.map(w => [w.name, { securityGroupName: w.name }])),
    containers: { ...Object.fromEntries(policy.workloads.map(w => [`sg:${w.name}`, { workload: w.name }])), 'nacl:data': { zone: 'data' } },
    expected: awsExpected(policy),
  });
  m = withCloud(m, Cloud.AZURE, {
    backendPath: 'Tf/Seg', zones: ['app', 'data', 'web'], settings: { resourceGroupName: 'rg-shop', subscriptionId: '00000000-0000-0000-0000-000000000001', location: 'westeurope' },
    identities: Object.fromEntries(policy.workloads.map(w => [w.name, { asgName: w.name }])),
    containers: Object.fromEntries(policy.zones.map(z => [`nsg:${z.name}`, { zone: z.name }])),
    expected: azureExpected(policy),
  });
  m = withCloud(m, Cloud.GCP, {
    backendPath: 'Tf/Seg', zones: ['app', 'data', 'web'], settings: { project: 'shop-prod', network: 'prod' },
    identities: Object.fromEntries(policy.workloads.map(w => [w.name, { networkTag: w.name }])),
    containers: { 'network:prod': {} },
    expected: gcpExpected(policy),
  });
  return m;
}

/**
 * A larger generated shop: `zones` zones of `perZone` workloads; each workload is reachable from
 * the previous zone's workload with the same index on two ports, and calls a shared service.
 */
export function largePolicy(zones: number, perZone: number): IrPolicy {
  const seg = Segmentation.root('Big', { name: 'big' });
  const ws: import('../../src/model').Workload[][] = [];
  for (let z = 0; z < zones; z++) {
    const zone = seg.addZone(`Z${z}`, { name: `z${z}`, cidrs: [`10.${z + 1}.0.0/16`] });
    ws.push(Array.from({ length: perZone }, (_, j) => zone.addWorkload(`W${j}`, { name: `w${z}-${j}` })));
  }
  const shared = ws[0][0];
  for (let z = 0; z < zones; z++) {
    for (let j = 0; j < perZone; j++) {
      if (z > 0) ws[z][j].allowFrom(ws[z - 1][j], Port.tcp(8000 + z), Port.tcp(9000 + j));
      if (!(z === 0 && j === 0)) shared.allowFrom(ws[z][j], Port.tcp(53));
    }
  }
  shared.allowFrom(Peer.anyIpv4(), Port.tcp(443));
  return compile(seg, { now: FIXTURE_NOW });
}

/** A manifest with an AWS section only, for a policy. */
export function awsManifest(policy: IrPolicy): Manifest {
  return withCloud(buildManifest(policy), Cloud.AWS, {
    backendPath: 'App/Stack/Seg', zones: policy.zones.map(z => z.name), settings: { region: 'eu-west-1' },
    identities: Object.fromEntries(policy.workloads.map(w => [w.name, { securityGroupName: w.name }])),
    containers: Object.fromEntries(policy.workloads.map(w => [`sg:${w.name}`, { workload: w.name }])),
    expected: awsExpected(policy).filter(r => !r.container.startsWith('nacl:')),
  });
}

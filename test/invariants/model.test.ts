/**
 * Invariants on the model: the constructs, their validation (coded errors, all problems at once),
 * the verdicts with the breaking path or the blockers, and the synth-time failure of every backend.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, Invariant, InvariantKind, Isolation, MustReach, NeverReach, Peer, Port, Segmentation, Selector } from '../../src';
import { SegmentationAnalysis } from '../../src/analysis';
import { AwsSegmentation } from '../../src/aws';
import { AzureTerraform } from '../../src/azure';
import { GcpTerraform } from '../../src/gcp';
import { compile } from '../../src/ir';
import { KubernetesManifests } from '../../src/k8s';

function shop() {
  const seg = Segmentation.root('Shop');
  const web = seg.addZone('Web', { cidrs: ['10.0.1.0/24'] });
  const app = seg.addZone('App', { cidrs: ['10.0.2.0/24'], labels: { tier: 'app' } });
  const data = seg.addZone('Data', { cidrs: ['10.0.3.0/24'], labels: { pci: 'yes' } });
  const frontend = web.addWorkload('Frontend');
  const api = app.addWorkload('Api');
  const worker = app.addWorkload('Worker');
  const db = data.addWorkload('Db');
  const f1 = frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
  const f2 = api.allowFrom(frontend, Port.tcp(8080));
  const f3 = db.allowFrom(app, Port.tcp(5432));
  return { seg, web, app, data, frontend, api, worker, db, f1, f2, f3 };
}

const verdicts = (seg: Segmentation) => SegmentationAnalysis.of(seg).invariants();

describe('invariant constructs', () => {
  it('are children of the segmentation, resolved at compile and listed by path', () => {
    const m = shop();
    new MustReach(m.seg, 'B', { from: m.frontend, to: m.api, ports: [Port.tcp(8080)], owner: 'team-web' });
    new Isolation(m.seg, 'A', { target: m.data, except: [m.app], description: 'PCI scope' });
    new NeverReach(m.seg, 'C', { from: Peer.anyIpv4(), to: Selector.labels({ pci: 'yes' }), maxHops: 3 });
    expect(Invariant.of(m.seg).map(i => [i.node.id, i.kind])).toEqual([['A', InvariantKind.ISOLATION], ['B', InvariantKind.MUST_REACH], ['C', InvariantKind.NEVER_REACH]]);
    const ir = compile(m.seg).invariants!;
    expect(ir.map(i => i.path)).toEqual(['Shop/A', 'Shop/B', 'Shop/C']);
    expect(ir[0]).toMatchObject({ kind: 'ISOLATION', description: 'PCI scope', to: { key: 'zone:data', workloads: ['db'] }, except: [{ key: 'zone:app', workloads: ['api', 'worker'] }], services: [{ protocol: 'all' }], maxHops: 1 });
    expect(ir[1]).toMatchObject({ kind: 'MUST_REACH', owner: 'team-web', description: 'workload:frontend must reach workload:api', services: [{ protocol: 'tcp', from: 8080, to: 8080 }] });
    expect(ir[2]).toMatchObject({ kind: 'NEVER_REACH', from: { kind: 'cidr', cidr: '0.0.0.0/0' }, to: { workloads: ['db'] }, maxHops: 3 });
  });

  it('a model without invariants compiles to the same IR as before (no invariants key)', () => {
    expect('invariants' in compile(shop().seg)).toBe(false);
  });

  it('bad input: coded errors with path, value and hint, all at once, before anything is checked', () => {
    const m = shop();
    const other = Segmentation.root('Other').addZone('Z').addWorkload('W');
    new NeverReach(m.seg, 'Hops', { from: m.web, to: m.data, maxHops: 0 });
    new NeverReach(m.seg, 'Frac', { from: m.web, to: m.data, maxHops: 1.5 });
    new Isolation(m.seg, 'PeerTarget', { target: Peer.anyIpv4() });
    new Isolation(m.seg, 'NoTarget', {} as any);
    new MustReach(m.seg, 'NoPorts', { from: m.web, to: m.app, ports: [] });
    new MustReach(m.seg, 'Foreign', { from: other, to: m.app, ports: [Port.tcp(1)] });
    new MustReach(m.seg, 'Peers', { from: Peer.anyIpv4(), to: Peer.ipv4('10.0.0.0/8'), ports: [Port.tcp(1)] });
    new NeverReach(m.seg, 'BadSel', { from: Selector.labels({ nope: 'x' }), to: m.data });
    new NeverReach(m.seg, 'BadPort', { from: m.web, to: m.data, ports: [Port.tcp(70000)] });
    new NeverReach(m.seg, 'Owner', { from: m.web, to: m.data, owner: '' });
    let err: any;
    try { compile(m.seg); } catch (e) { err = e; }
    const lines = String(err.message).split('\n');
    expect(lines[0]).toMatch(/^10 problems, nothing was rendered/);
    const has = (re: RegExp) => expect(lines.some(l => re.test(l)), re.source).toBe(true);
    has(/\[microseg:InvalidProp\] at Shop\/Hops: 0: `maxHops` is a whole number of hops from 1/);
    has(/\[microseg:InvalidProp\] at Shop\/Frac: 1\.5: /);
    has(/\[microseg:UnsupportedEndpoint\] at Shop\/PeerTarget: "ipv4:0\.0\.0\.0\/0": an Isolation protects workloads .* use NeverReach/);
    has(/\[microseg:InvalidProp\] at Shop\/NoTarget: "target": the isolated `target` is missing/);
    has(/\[microseg:EmptyPorts\] at Shop\/NoPorts: "ports"/);
    has(/\[microseg:UnsupportedEndpoint\] at Shop\/Foreign: "workload:w": the source belongs to another segmentation/);
    has(/\[microseg:UnsupportedEndpoint\] at Shop\/Peers: .*both ends are Peers/);
    has(/\[microseg:EmptyEndpoint\] at Shop\/BadSel: "selector:nope=x": the source selector matches no workload/);
    has(/\[microseg:InvalidPort\] at Shop\/BadPort: 70000/);
    has(/\[microseg:InvalidProp\] at Shop\/Owner: "": `owner` must be a non-empty string/);
  });
});

describe('verdicts on the model', () => {
  it('Isolation: holds while only the exceptions reach the target; a new flow breaks it, named hop and flow', () => {
    const m = shop();
    new Isolation(m.seg, 'DataIsolated', { target: m.data, except: [m.app], owner: 'team-sec', description: 'PCI scope' });
    expect(verdicts(m.seg)).toMatchObject([{ holds: true, checkedOn: 'model', hops: [] }]);
    const bad = m.db.allowFrom(m.frontend, Port.tcp(5432));
    const [v] = verdicts(m.seg);
    expect(v).toMatchObject({ holds: false, owner: 'team-sec', hops: [{ from: 'frontend', to: 'db', services: ['tcp:5432'], flows: [bad.node.path] }] });
    expect(v.message).toBe(`Isolation "PCI scope" (owner: team-sec) is broken on the model: frontend -[tcp:5432 by ${bad.node.path}]-> db.`);
  });

  it('Isolation: a peer source outside the excepted ranges breaks it; inside them it does not', () => {
    const m = shop();
    new Isolation(m.seg, 'I', { target: m.data, except: [m.app, Peer.ipv4('10.9.0.0/16')] });
    m.db.allowFrom(Peer.ipv4('10.9.1.0/24'), Port.tcp(5432));
    expect(verdicts(m.seg)[0].holds).toBe(true);
    m.db.allowFrom(Peer.ipv4('10.8.0.0/15'), Port.tcp(22));
    expect(verdicts(m.seg)[0]).toMatchObject({ holds: false, hops: [{ from: '10.8.0.0/16', to: 'db', services: ['tcp:22'] }] });
  });

  it('Isolation on ports: other ports into the target do not count', () => {
    const m = shop();
    new Isolation(m.seg, 'I', { target: m.data, ports: [Port.tcp(22)] });
    expect(verdicts(m.seg)[0].holds).toBe(true);
    m.db.allowFrom(m.web, Port.tcpRange(20, 30));
    expect(verdicts(m.seg)[0].hops).toMatchObject([{ from: 'frontend', to: 'db', services: ['tcp:20-30'] }]);
  });

  it('NeverReach: direct only by default; through compromised workloads within maxHops, shortest path hop by hop', () => {
    const m = shop();
    new NeverReach(m.seg, 'Direct', { from: Peer.anyIpv4(), to: m.data });
    new NeverReach(m.seg, 'Two', { from: Peer.anyIpv4(), to: m.data, maxHops: 2 });
    new NeverReach(m.seg, 'Three', { from: Peer.anyIpv4(), to: m.data, maxHops: 3, owner: 'team-sec' });
    new NeverReach(m.seg, 'OtherPort', { from: Peer.anyIpv4(), to: m.data, maxHops: 3, ports: [Port.tcp(22)] });
    const [direct, other, three, two] = verdicts(m.seg);
    expect([direct.holds, two.holds, other.holds]).toEqual([true, true, true]);
    expect(three).toMatchObject({ holds: false, invariant: 'Shop/Three' });
    expect(three.hops).toEqual([
      { from: '0.0.0.0/0', to: 'frontend', services: ['tcp:443'], flows: [m.f1.node.path] },
      { from: 'frontend', to: 'api', services: ['tcp:8080'], flows: [m.f2.node.path] },
      { from: 'api', to: 'db', services: ['tcp:5432'], flows: [m.f3.node.path] },
    ]);
    expect(three.message).toContain('NeverReach "ipv4:0.0.0.0/0 never reaches zone:data" (owner: team-sec) is broken on the model: 0.0.0.0/0 -[tcp:443 by Shop/Web/Frontend/From-ipv4:0.0.0.0_0-tcp:443]-> frontend -[tcp:8080 by');
  });

  it('NeverReach: a DenyFlow on the way cuts the path; towards a peer (exfiltration) too', () => {
    const m = shop();
    new NeverReach(m.seg, 'A', { from: Peer.anyIpv4(), to: m.data, maxHops: 5 });
    new NeverReach(m.seg, 'Exfil', { from: m.data, to: Peer.anyIpv4(), maxHops: 1 });
    expect(verdicts(m.seg).map(v => v.holds)).toEqual([false, true]);
    new DenyFlow(m.seg, 'ApiNeverReachesData', { from: m.api, to: m.data });
    expect(verdicts(m.seg).map(v => v.holds)).toEqual([true, true]);
    new AllowFlow(m.seg, 'Other', { from: m.frontend, to: m.worker, ports: [Port.tcp(9000)] });
    expect(verdicts(m.seg)[0].hops.map(h => h.to)).toEqual(['frontend', 'worker', 'db']);
    m.db.allowTo(Peer.ipv4('198.51.100.0/24'), Port.tcp(443));
    expect(verdicts(m.seg)[1]).toMatchObject({ holds: false, hops: [{ from: 'db', to: '198.51.100.0/24', services: ['tcp:443'] }] });
  });

  it('MustReach: holds, or names what blocks it (no flow, other ports, a DenyFlow, addresses not covered)', () => {
    const m = shop();
    new MustReach(m.seg, 'A', { from: m.frontend, to: m.api, ports: [Port.tcp(8080)] });
    new MustReach(m.seg, 'B', { from: m.frontend, to: m.api, ports: [Port.tcpRange(8080, 8081)] });
    new MustReach(m.seg, 'C', { from: m.web, to: m.data, ports: [Port.tcp(5432)] });
    new MustReach(m.seg, 'D', { from: m.worker, to: m.db, ports: [Port.tcp(5432)] });
    new MustReach(m.seg, 'E', { from: Peer.ipv4('203.0.113.0/24'), to: m.frontend, ports: [Port.tcp(443)] });
    new MustReach(m.seg, 'F', { from: Peer.ipv4('10.0.0.0/8'), to: m.api, ports: [Port.tcp(80)] });
    m.api.allowFrom(Peer.ipv4('10.0.0.0/9'), Port.tcp(80));
    new DenyFlow(m.seg, 'NoWorker', { from: m.worker, to: m.data, ports: [Port.tcp(5432)], description: 'batch jobs use the replica' });
    const v = Object.fromEntries(verdicts(m.seg).map(r => [r.invariant.split('/')[1], r]));
    expect(v.A.holds).toBe(true);
    expect(v.E.holds).toBe(true);
    expect(v.B.blockers).toEqual([`frontend -> api tcp:8081: the flows between them (${m.f2.node.path}) allow only tcp:8080`]);
    expect(v.C.blockers).toEqual(['frontend -> db tcp:5432: no AllowFlow declares it']);
    expect(v.D.blockers).toEqual(['worker -> db tcp:5432: blocked by DenyFlow Shop/NoWorker (batch jobs use the replica)']);
    expect(v.F.blockers[0]).toMatch(/^10\.0\.0\.0\/8 -> api tcp:80 \(from 10\.128\.0\.0\): /);
    expect(v.D.message).toMatch(/^MustReach "workload:worker must reach workload:db" does not hold on the model: worker -> db/);
  });
});

describe('synth fails on a violated invariant, in every backend', () => {
  function broken() {
    const m = shop();
    new NeverReach(m.seg, 'InternetNeverReachesData', { from: Peer.anyIpv4(), to: m.data, maxHops: 3, owner: 'team-sec' });
    new MustReach(m.seg, 'WorkerReachesDb', { from: m.worker, to: m.db, ports: [Port.tcp(6432)] });
    return m;
  }
  const expectViolations = (fn: () => unknown) => {
    let err: any;
    try { fn(); } catch (e) { err = e; }
    expect(String(err)).toContain('InvariantViolated');
    expect(err?.code).toBe('InvariantViolated');
    expect(err.message).toMatch(/^2 problems/);
    expect(err.message).toContain('[microseg:InvariantViolated] at Shop/InternetNeverReachesData: "ipv4:0.0.0.0/0 never reaches zone:data": NeverReach');
    expect(err.message).toContain('[microseg:InvariantViolated] at Shop/WorkerReachesDb: "workload:worker must reach workload:db": MustReach');
  };

  it('AWS (cdk synth)', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const m = broken();
    const vpc = new ec2.Vpc(stack, 'Vpc', { ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'), natGateways: 0, subnetConfiguration: [] });
    new AwsSegmentation(stack, 'Microseg', { segmentation: m.seg, vpc });
    expectViolations(() => app.synth());
  });

  it('Azure, GCP and Kubernetes (plain writers)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'inv-'));
    expectViolations(() => AzureTerraform.write(out, { segmentation: broken().seg, resourceGroupName: 'rg', location: 'westeurope' }));
    expectViolations(() => GcpTerraform.write(out, { segmentation: broken().seg, network: 'vpc' }));
    expectViolations(() => KubernetesManifests.write(out, { segmentation: broken().seg }));
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('a model whose invariants hold synthesizes as before', () => {
    const m = shop();
    new Isolation(m.seg, 'DataIsolated', { target: m.data, except: [m.app] });
    new MustReach(m.seg, 'FrontendReachesApi', { from: m.frontend, to: m.api, ports: [Port.tcp(8080)] });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'inv-'));
    GcpTerraform.write(out, { segmentation: m.seg, network: 'vpc' });
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'shop.microseg.json'), 'utf8'));
    expect(manifest.schemaVersion).toBe(1);
    expect(manifest.model.invariants.map((i: any) => [i.path, i.kind])).toEqual([['Shop/DataIsolated', 'ISOLATION'], ['Shop/FrontendReachesApi', 'MUST_REACH']]);
    expect(manifest.model.invariants[0]).toMatchObject({ to: { key: 'zone:data', workloads: ['db'] }, except: [{ key: 'zone:app', workloads: ['api', 'worker'] }], maxHops: 1 });
  });

  it('a model without invariants writes no invariants key into the manifest', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'inv-'));
    GcpTerraform.write(out, { segmentation: shop().seg, network: 'vpc' });
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'shop.microseg.json'), 'utf8'));
    expect(Object.keys(manifest.model)).toEqual(['zones', 'workloads', 'flows', 'denies']);
  });
});

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import * as fc from 'fast-check';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, EnforcementMode, Peer, Port, Segmentation, Zone } from '../../src';
import { AzureTerraform } from '../../src/azure';
import { GcpIdentity, GcpSegmentation, GcpSegmentationProps, GcpTerraform } from '../../src/gcp';
import { gcpName, planGcp } from '../../src/gcp/plan';
import { compile } from '../../src/ir';
import { buildModel, ModelSpec, modelArb } from '../support/model-arbitrary';

function shop(opts: { monitor?: boolean } = {}) {
  const seg = Segmentation.root('Shop');
  const web = new Zone(seg, 'Web', { cidrs: ['10.1.0.0/16'] });
  const app = new Zone(seg, 'App', { cidrs: ['10.2.0.0/16', 'fd00:2::/64'] });
  const data = new Zone(seg, 'Data', { cidrs: ['10.3.0.0/16'], mode: opts.monitor ? EnforcementMode.MONITOR : undefined });
  const frontend = web.addWorkload('Frontend');
  const api = app.addWorkload('Api');
  const worker = app.addWorkload('Worker');
  const db = data.addWorkload('Db');
  frontend.allowFrom(Peer.anyIpv4(), Port.tcp(443));
  api.allowFrom(frontend, Port.tcp(8080), Port.tcp(8443));
  db.allowFrom(app, Port.tcp(5432));
  new DenyFlow(seg, 'NoSshIntoData', { from: app, to: data, ports: [Port.tcp(22)] });
  return { seg, web, app, data, frontend, api, worker, db };
}

const props = (seg: Segmentation, extra: Partial<GcpSegmentationProps> = {}): GcpSegmentationProps => ({ segmentation: seg, network: 'prod-vpc', ...extra });
const synth = (build: (stack: Construct) => void): any => JSON.parse(Testing.synthScope(build));
const fw = (tf: any, name: string) => Object.values<any>(tf.resource.google_compute_firewall).find(r => r.name === name);
const all = (tf: any) => Object.values<any>(tf.resource.google_compute_firewall);

describe('GcpSegmentation (cdktf, network tags)', () => {
  const m = shop();
  const tf = synth(stack => { new GcpSegmentation(stack, 'Gcp', props(m.seg, { project: 'shop-prod' })); });

  it('renders an allow as ingress rules on the destination tag, one per service, gathering the source tags', () => {
    expect(fw(tf, 'shop-allow-in-api-tcp-8080')).toMatchObject({
      network: 'prod-vpc', project: 'shop-prod', direction: 'INGRESS', priority: 1000,
      allow: [{ protocol: 'tcp', ports: ['8080'] }], source_tags: ['shop-frontend'], target_tags: ['shop-api'],
      description: expect.stringMatching(/^microseg shop: allow frontend -> api on tcp:8080 \(Shop\/App\/Api\//),
    });
    expect(fw(tf, 'shop-allow-in-api-tcp-8443')).toMatchObject({ allow: [{ protocol: 'tcp', ports: ['8443'] }], source_tags: ['shop-frontend'] });
    expect(fw(tf, 'shop-allow-in-api-tcp-8080').log_config).toBeUndefined();
    // a zone endpoint: one rule with every source tag of the zone
    expect(fw(tf, 'shop-allow-in-db-tcp-5432')).toMatchObject({ source_tags: ['shop-api', 'shop-worker'], target_tags: ['shop-db'] });
  });

  it('renders egress towards zones on GCP as one all-traffic rule per source and family, naming every zone range it reaches', () => {
    expect(fw(tf, 'shop-allow-out-frontend-to-zones')).toMatchObject({
      direction: 'EGRESS', priority: 1000, allow: [{ protocol: 'all' }], destination_ranges: ['10.2.0.0/16'], target_tags: ['shop-frontend'],
      description: 'microseg shop: allow frontend -> zone app (all traffic; the destinations\' ingress rules are exact)',
    });
    expect(fw(tf, 'shop-allow-out-frontend-to-zones-v6')).toMatchObject({ direction: 'EGRESS', allow: [{ protocol: 'all' }], destination_ranges: ['fd00:2::/64'], target_tags: ['shop-frontend'] });
    expect(fw(tf, 'shop-allow-out-api-to-zones')).toMatchObject({ allow: [{ protocol: 'all' }], destination_ranges: ['10.3.0.0/16'], target_tags: ['shop-api'] });
    // no per-zone egress allows towards zones on this backend
    expect(all(tf).filter(r => r.direction === 'EGRESS' && r.allow && /-to-z-/.test(r.name))).toEqual([]);
  });

  it('a source reaching several zones gets one egress rule naming all of their ranges', () => {
    const m = shop();
    m.db.allowFrom(m.frontend, Port.tcp(5432));
    const tf2 = JSON.parse(GcpTerraform.render(props(m.seg)));
    expect(fw(tf2, 'shop-allow-out-frontend-to-zones')).toMatchObject({ allow: [{ protocol: 'all' }], destination_ranges: ['10.2.0.0/16', '10.3.0.0/16'] });
    expect(fw(tf2, 'shop-allow-out-frontend-to-zones').description).toContain('frontend -> zone app, zone data');
  });

  it('exactEgressPorts: true renders one egress rule per source and destination zone range with the flows\' ports', () => {
    const tf2 = JSON.parse(GcpTerraform.render(props(shop().seg, { exactEgressPorts: true })));
    expect(fw(tf2, 'shop-allow-out-frontend-to-z-app')).toMatchObject({
      direction: 'EGRESS', priority: 1000, allow: [{ protocol: 'tcp', ports: ['8080', '8443'] }], destination_ranges: ['10.2.0.0/16'], target_tags: ['shop-frontend'],
    });
    expect(fw(tf2, 'shop-allow-out-frontend-to-z-app-v6')).toMatchObject({ direction: 'EGRESS', destination_ranges: ['fd00:2::/64'] });
    expect(fw(tf2, 'shop-allow-out-api-to-z-data')).toMatchObject({ allow: [{ protocol: 'tcp', ports: ['5432'] }], destination_ranges: ['10.3.0.0/16'], target_tags: ['shop-api'] });
    expect(fw(tf2, 'shop-allow-out-frontend-to-zones')).toBeUndefined();
  });

  it('keeps the ports towards a zone in MONITOR mode (its catch-all ingress is not exact)', () => {
    const tf2 = JSON.parse(GcpTerraform.render(props(shop({ monitor: true }).seg)));
    expect(fw(tf2, 'shop-allow-out-api-to-z-data')).toMatchObject({ allow: [{ protocol: 'tcp', ports: ['5432'] }], destination_ranges: ['10.3.0.0/16'] });
    expect(fw(tf2, 'shop-allow-out-api-to-zones')).toBeUndefined();
    expect(fw(tf2, 'shop-allow-out-frontend-to-zones')).toMatchObject({ allow: [{ protocol: 'all' }], destination_ranges: ['10.2.0.0/16'] });
  });

  it('adds logged deny-all ingress and egress per zone (IPv4 and IPv6) at 65000, targeting the zone workloads', () => {
    expect(fw(tf, 'shop-app-in-v4-deny-all')).toMatchObject({
      direction: 'INGRESS', priority: 65000, deny: [{ protocol: 'all' }], source_ranges: ['0.0.0.0/0'], target_tags: ['shop-api', 'shop-worker'], log_config: { metadata: 'INCLUDE_ALL_METADATA' },
    });
    expect(fw(tf, 'shop-app-out-v6-deny-all')).toMatchObject({ direction: 'EGRESS', priority: 65000, destination_ranges: ['::/0'], target_tags: ['shop-api', 'shop-worker'] });
    expect(all(tf).filter(r => r.name.endsWith('-deny-all'))).toHaveLength(12);
  });

  it('renders DenyFlows as logged deny rules stronger than every allow', () => {
    expect(fw(tf, 'shop-deny-in-db-tcp-22')).toMatchObject({ direction: 'INGRESS', priority: 900, deny: [{ protocol: 'tcp', ports: ['22'] }], source_tags: ['shop-api', 'shop-worker'], target_tags: ['shop-db'], log_config: { metadata: 'INCLUDE_ALL_METADATA' } });
    // the guardrail covers the whole data zone: egress deny by its range too
    expect(fw(tf, 'shop-deny-out-worker-to-z-data')).toMatchObject({ direction: 'EGRESS', priority: 900, destination_ranges: ['10.3.0.0/16'], target_tags: ['shop-worker'] });
    const allows = all(tf).filter(r => r.allow && !r.name.includes('monitor')).map(r => r.priority);
    const denies = all(tf).filter(r => r.deny && !r.name.endsWith('deny-all')).map(r => r.priority);
    expect(Math.max(...denies)).toBeLessThan(Math.min(...allows));
  });

  it('names rules lowercase RFC 1035, at most 63 characters, unique', () => {
    const names = all(tf).map(r => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it('returns the network tag of a workload', () => {
    const b = new GcpSegmentation(new TerraformStack(Testing.app(), 's'), 'Gcp', props(m.seg));
    expect(b.networkTagFor(m.api)).toBe('shop-api');
    expect(() => b.serviceAccountFor(m.api)).toThrow(/microseg:InvalidProp.*NETWORK_TAG/);
  });
});

describe('GcpSegmentation: service accounts, modes, placement', () => {
  const sas = { frontend: 'fe@p.iam.gserviceaccount.com', api: 'api@p.iam.gserviceaccount.com', worker: 'wk@p.iam.gserviceaccount.com', db: 'db@p.iam.gserviceaccount.com' };

  it('uses service accounts on both sides, never mixed with tags', () => {
    const m = shop();
    const tf = synth(stack => { new GcpSegmentation(stack, 'Gcp', props(m.seg, { identity: GcpIdentity.SERVICE_ACCOUNT, serviceAccounts: sas })); });
    expect(fw(tf, 'shop-allow-in-api-tcp-8443')).toMatchObject({ source_service_accounts: [sas.frontend], target_service_accounts: [sas.api] });
    expect(fw(tf, 'shop-allow-in-db-tcp-5432')).toMatchObject({ source_service_accounts: [sas.api, sas.worker] });
    expect(fw(tf, 'shop-app-in-v4-deny-all')).toMatchObject({ target_service_accounts: [sas.api, sas.worker] });
    for (const r of all(tf)) expect(r.source_tags ?? r.target_tags).toBeUndefined();
    const b = new GcpSegmentation(new TerraformStack(Testing.app(), 's'), 'Gcp', props(m.seg, { identity: GcpIdentity.SERVICE_ACCOUNT, serviceAccounts: sas }));
    expect(b.serviceAccountFor(m.db)).toBe(sas.db);
  });

  it('splits deny-all targets beyond 10 service accounts per rule', () => {
    const seg = Segmentation.root('Many');
    const z = new Zone(seg, 'Z', { cidrs: ['10.1.0.0/16'] });
    const accounts: Record<string, string> = {};
    for (let i = 0; i < 12; i++) { z.addWorkload(`W${i}`); accounts[`w${i}`] = `w${i}@p.iam.gserviceaccount.com`; }
    new AllowFlow(seg, 'F', { from: z.workloads[0], to: z.workloads[1], ports: [Port.tcp(1)] });
    const json = JSON.parse(GcpTerraform.render(props(seg, { identity: GcpIdentity.SERVICE_ACCOUNT, serviceAccounts: accounts })));
    expect(fw(json, 'many-z-in-v4-deny-all').target_service_accounts).toHaveLength(10);
    expect(fw(json, 'many-z-in-v4-deny-all-2').target_service_accounts).toHaveLength(2);
  });

  it('gathers the sources of one service in one ingress rule, split beyond 30 tags', () => {
    const seg = Segmentation.root('Fan');
    const callers = new Zone(seg, 'Callers', { cidrs: ['10.1.0.0/16'] });
    const svc = new Zone(seg, 'Svc', { cidrs: ['10.2.0.0/16'] }).addWorkload('Dns');
    for (let i = 0; i < 32; i++) callers.addWorkload(`C${String(i).padStart(2, '0')}`);
    svc.allowFrom(callers, Port.udp(53));
    const json = JSON.parse(GcpTerraform.render(props(seg)));
    expect(fw(json, 'fan-allow-in-dns-udp-53').source_tags).toHaveLength(30);
    expect(fw(json, 'fan-allow-in-dns-udp-53-2').source_tags).toEqual(['fan-c30', 'fan-c31']);
    expect(all(json).filter(r => r.direction === 'INGRESS' && r.allow)).toHaveLength(2);
  });

  it('MONITOR zones get logged catch-all allows just before the deny-all', () => {
    const m = shop({ monitor: true });
    const tf = synth(stack => { new GcpSegmentation(stack, 'Gcp', props(m.seg)); });
    expect(fw(tf, 'shop-data-in-v4-monitor-catchall')).toMatchObject({ direction: 'INGRESS', priority: 64999, allow: [{ protocol: 'all' }], target_tags: ['shop-db'], log_config: { metadata: 'INCLUDE_ALL_METADATA' } });
    expect(fw(tf, 'shop-data-out-v4-monitor-catchall')).toMatchObject({ direction: 'EGRESS', priority: 64999, destination_ranges: ['0.0.0.0/0'] });
    expect(fw(tf, 'shop-app-in-v4-monitor-catchall')).toBeUndefined();
  });

  it('renders zones on other clouds as their cidrs', () => {
    const m = shop();
    const tf = synth(stack => { new GcpSegmentation(stack, 'Gcp', props(m.seg, { zones: ['data'] })); });
    expect(fw(tf, 'shop-allow-in-db-tcp-5432-ranges')).toMatchObject({ source_ranges: ['10.2.0.0/16'], allow: [{ protocol: 'tcp', ports: ['5432'] }], target_tags: ['shop-db'] });
    expect(fw(tf, 'shop-allow-in-db-tcp-5432-ranges-v6')).toMatchObject({ source_ranges: ['fd00:2::/64'] });
    expect(fw(tf, 'shop-deny-in-db-tcp-22-ranges')).toMatchObject({ source_ranges: ['10.2.0.0/16'], deny: [{ protocol: 'tcp', ports: ['22'] }] });
    expect(all(tf).every(r => r.target_tags?.every((t: string) => t === 'shop-db'))).toBe(true);
  });

  it('renders ICMP and all traffic, warning that ICMP types cannot be matched', () => {
    const m = shop();
    new AllowFlow(m.seg, 'Ping', { from: m.frontend, to: m.api, ports: [Port.icmp(8)] });
    new AllowFlow(m.seg, 'Any', { from: m.frontend, to: m.db, ports: [Port.allTraffic()] });
    const stack = new TerraformStack(Testing.app(), 's');
    new GcpSegmentation(stack, 'Gcp', props(m.seg));
    const tf = JSON.parse(Testing.synth(stack));
    expect(fw(tf, 'shop-allow-in-api-icmp-8')).toMatchObject({ allow: [{ protocol: 'icmp' }], source_tags: ['shop-frontend'] });
    expect(fw(tf, 'shop-allow-in-db-all')).toMatchObject({ allow: [{ protocol: 'all' }], source_tags: ['shop-frontend'] });
    expect(fw(tf, 'shop-allow-out-frontend-to-zones')).toMatchObject({ allow: [{ protocol: 'all' }], destination_ranges: ['10.2.0.0/16', '10.3.0.0/16'] });
    const exact = JSON.parse(GcpTerraform.render(props(m.seg, { exactEgressPorts: true })));
    expect(fw(exact, 'shop-allow-out-frontend-to-z-app').allow).toEqual([{ protocol: 'tcp', ports: ['8080', '8443'] }, { protocol: 'icmp' }]);
    const warnings = stack.node.findAll().flatMap(c => c.node.metadata).map(md => String(md.data));
    expect(warnings.some(w => w.includes('microseg:IcmpTypeWidened') && w.includes('Shop/Ping'))).toBe(true);
  });

  it('hash-shortens long names to 63 characters, stably', () => {
    const long = `a${'b'.repeat(39)}-allow-in-${'c'.repeat(40)}-from-${'d'.repeat(40)}`;
    const n = gcpName(long);
    expect(n).toHaveLength(63);
    expect(n).toMatch(/^[a-z][-a-z0-9]*-[0-9a-f]{8}$/);
    expect(gcpName(long)).toBe(n);
    expect(gcpName('short-name')).toBe('short-name');
  });
});

describe('GcpSegmentation errors', () => {
  it('rejects bad props', () => {
    const m = shop();
    expect(() => GcpTerraform.render(props(m.seg, { network: '' }))).toThrow(/microseg:InvalidProp.*network/);
    expect(() => GcpTerraform.render(props(m.seg, { identity: GcpIdentity.SERVICE_ACCOUNT }))).toThrow(/microseg:InvalidProp.*"api, db, frontend, worker"/);
    expect(() => GcpTerraform.render(props(m.seg, { serviceAccounts: { ghost: 'g@p.iam.gserviceaccount.com' } }))).toThrow(/microseg:UnknownWorkload.*"ghost"/);
    expect(() => GcpTerraform.render(props(m.seg, { serviceAccounts: { api: 'not-an-email' } }))).toThrow(/microseg:InvalidProp.*not-an-email/);
    expect(() => GcpTerraform.render(props(m.seg, { denyPriority: 1000, allowPriority: 1000 }))).toThrow(/microseg:InvalidProp.*denyPriority/);
    expect(() => GcpTerraform.render(props(m.seg, { defaultDenyPriority: 1001 }))).toThrow(/microseg:InvalidProp.*defaultDenyPriority/);
  });

  it('fails with MissingCidrs when egress needs a local zone range', () => {
    const seg = Segmentation.root('X');
    const a = new Zone(seg, 'A', { cidrs: ['10.1.0.0/16'] });
    const b = new Zone(seg, 'B');
    b.addWorkload('Bw').allowFrom(a.addWorkload('Aw'), Port.tcp(443));
    expect(() => GcpTerraform.render(props(seg))).toThrow(/microseg:MissingCidrs.*"b".*destination ranges/);
  });

  it('fails with MissingCidrs for a remote zone without cidrs, and UnknownZone for a bad zone', () => {
    const seg = Segmentation.root('X');
    const a = new Zone(seg, 'A', { cidrs: ['10.1.0.0/16'] });
    const b = new Zone(seg, 'B');
    a.addWorkload('Aw').allowFrom(b.addWorkload('Bw'), Port.tcp(443));
    expect(() => GcpTerraform.render(props(seg, { zones: ['a'] }))).toThrow(/microseg:MissingCidrs.*"b"/);
    expect(() => GcpTerraform.render(props(seg, { zones: ['c'] }))).toThrow(/microseg:UnknownZone.*"c"/);
  });

  it('rejects workloads not placed on GCP', () => {
    const m = shop();
    const b = new GcpSegmentation(new TerraformStack(Testing.app(), 's'), 'Gcp', props(m.seg, { zones: ['data'] }));
    expect(() => b.networkTagFor(m.api)).toThrow(/microseg:UnknownWorkload/);
  });
});

describe('plain Terraform JSON and manifest', () => {
  it('renders the same firewall rules as the cdktf construct', () => {
    const m = shop();
    const json = JSON.parse(GcpTerraform.render(props(m.seg)));
    const tf = synth(stack => { new GcpSegmentation(stack, 'Gcp', props(m.seg)); });
    expect(Object.keys(json)).toEqual(['resource', 'terraform']);
    expect(Object.keys(json.resource)).toEqual(['google_compute_firewall']);
    for (const [name, attrs] of Object.entries<any>(json.resource.google_compute_firewall)) {
      expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_-]*$/);
      expect(tf.resource.google_compute_firewall[name], name).toEqual(attrs);
    }
    expect(Object.keys(tf.resource.google_compute_firewall).length).toBe(Object.keys(json.resource.google_compute_firewall).length);
  });

  it('writes clouds.gcp into the app outdir at synth, next to another cloud', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'microseg-gcpapp-'));
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'gcp');
    new GoogleProvider(stack, 'google', { project: 'shop-prod', region: 'europe-west1' });
    const m = shop();
    new GcpSegmentation(stack, 'Gcp', props(m.seg, { network: 'projects/shop-prod/global/networks/prod-vpc' }));
    app.synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'shop.microseg.json'), 'utf8'));
    const gcp = manifest.clouds.gcp;
    expect(gcp.settings).toEqual({ network: 'projects/shop-prod/global/networks/prod-vpc', identity: 'NETWORK_TAG' });
    expect(gcp.identities.api).toEqual({ networkTag: 'shop-api', zone: 'app' });
    expect(Object.keys(gcp.containers)).toEqual(['network:prod-vpc']);
    expect(gcp.expected).toContainEqual({
      container: 'network:prod-vpc', direction: 'ingress', action: 'allow', protocol: 'tcp', ports: '8443',
      peer: 'tag:shop-frontend', target: 'tag:shop-api', priority: 1000, name: 'shop-allow-in-api-tcp-8443', origin: expect.stringMatching(/^Shop\/App\/Api\//),
    });
    expect(gcp.expected).toContainEqual(expect.objectContaining({ direction: 'egress', action: 'allow', protocol: 'all', ports: '*', peer: 'cidr:10.2.0.0/16', target: 'tag:shop-frontend', priority: 1000, name: 'shop-allow-out-frontend-to-zones' }));
    expect(gcp.expected.filter((r: any) => r.direction === 'egress' && r.action === 'allow' && r.target === 'tag:shop-frontend').map((r: any) => r.peer).sort()).toEqual(['cidr:10.2.0.0/16', 'cidr:fd00:2::/64']);
    // a second backend of another cloud merges into the same manifest
    AzureTerraform.write(outdir, { segmentation: m.seg, resourceGroupName: 'rg', location: 'westeurope', zones: ['web'] });
    const merged = JSON.parse(fs.readFileSync(path.join(outdir, 'shop.microseg.json'), 'utf8'));
    expect(Object.keys(merged.clouds)).toEqual(['azure', 'gcp']);
  });
});

describe('determinism and stability', () => {
  const spec: ModelSpec = {
    zones: [{ workloads: [{ labels: { app: 'web' } }, { labels: {} }] }, { workloads: [{ labels: { app: 'api' } }, { labels: { tier: 'data' } }] }, { workloads: [{ labels: {} }] }],
    flows: [
      { from: { kind: 'peer', cidr: '0.0.0.0/0' }, to: { kind: 'workload', zone: 0, workload: 0 }, ports: [{ kind: 'tcp', from: 443, to: 443 }] },
      { from: { kind: 'zone', zone: 0 }, to: { kind: 'selector', label: 'app=api' }, ports: [{ kind: 'tcp', from: 8080, to: 8080 }] },
      { from: { kind: 'workload', zone: 1, workload: 0 }, to: { kind: 'zone', zone: 2 }, ports: [{ kind: 'udp', from: 53, to: 53 }, { kind: 'icmp' }] },
      { from: { kind: 'workload', zone: 2, workload: 0 }, to: { kind: 'peer', cidr: '203.0.113.0/24' }, ports: [{ kind: 'all' }] },
    ],
    denies: [{ from: { kind: 'zone', zone: 0 }, to: { kind: 'zone', zone: 2 }, ports: [{ kind: 'all' }] }],
  };

  it('gives byte-identical JSON for any declaration order', () => {
    const render = (seed: number) => GcpTerraform.render(props(buildModel(spec, { shuffleSeed: seed }).seg));
    const base = render(0);
    for (const seed of [3, 17, 99]) expect(render(seed)).toBe(base);
    const viaCdktf = (seed: number) => Testing.synthScope(stack => { new GcpSegmentation(stack, 'Gcp', props(buildModel(spec, { shuffleSeed: seed }).seg)); });
    expect(viaCdktf(5)).toBe(viaCdktf(0));
  });

  it('adding one flow adds only its rules', () => {
    const before = JSON.parse(GcpTerraform.render(props(buildModel(spec).seg))).resource.google_compute_firewall;
    const more = { ...spec, flows: [...spec.flows, { from: { kind: 'workload', zone: 1, workload: 1 }, to: { kind: 'workload', zone: 0, workload: 1 }, ports: [{ kind: 'tcp', from: 5432, to: 5432 }] }] } as ModelSpec;
    const after = JSON.parse(GcpTerraform.render(props(buildModel(more).seg))).resource.google_compute_firewall;
    for (const [name, attrs] of Object.entries(before)) expect(after[name], name).toEqual(attrs);
    expect(Object.keys(after).filter(k => !(k in before)).sort()).toEqual(['seg-allow-in-w0-1-tcp-5432', 'seg-allow-out-w1-1-to-zones']);
  });

  const changes = (more: ModelSpec, extra: Partial<GcpSegmentationProps> = {}) => {
    const before = JSON.parse(GcpTerraform.render(props(buildModel(spec).seg, extra))).resource.google_compute_firewall;
    const after = JSON.parse(GcpTerraform.render(props(buildModel(more).seg, extra))).resource.google_compute_firewall;
    return {
      before, after,
      changed: Object.keys(before).filter(k => JSON.stringify(before[k]) !== JSON.stringify(after[k])),
      added: Object.keys(after).filter(k => !(k in before)).sort(),
    };
  };

  it('a flow towards a zone the source already reaches changes no egress rule (only the new ingress rule)', () => {
    const more = { ...spec, flows: [...spec.flows, { from: { kind: 'workload', zone: 0, workload: 1 }, to: { kind: 'workload', zone: 1, workload: 1 }, ports: [{ kind: 'tcp', from: 5432, to: 5432 }] }] } as ModelSpec;
    const { changed, added } = changes(more);
    expect(changed).toEqual([]);
    expect(added).toEqual(['seg-allow-in-w1-1-tcp-5432']);
  });

  it('a flow towards a zone the source does not reach yet extends only that source\'s egress rule, in place', () => {
    const more = { ...spec, flows: [...spec.flows, { from: { kind: 'workload', zone: 1, workload: 0 }, to: { kind: 'workload', zone: 0, workload: 1 }, ports: [{ kind: 'tcp', from: 5432, to: 5432 }] }] } as ModelSpec;
    const { before, after, changed, added } = changes(more);
    expect(changed).toEqual(['seg-allow-out-w1-0-to-zones']);
    expect(before['seg-allow-out-w1-0-to-zones'].destination_ranges).toEqual(['10.3.0.0/16']);
    expect(after['seg-allow-out-w1-0-to-zones']).toMatchObject({ name: before['seg-allow-out-w1-0-to-zones'].name, priority: 1000, allow: [{ protocol: 'all' }], destination_ranges: ['10.1.0.0/16', '10.3.0.0/16'] });
    expect(added).toEqual(['seg-allow-in-w0-1-tcp-5432']);
  });

  it('exactEgressPorts: a flow from a source that already sends to the destination zone extends that egress rule in place', () => {
    const more = { ...spec, flows: [...spec.flows, { from: { kind: 'workload', zone: 0, workload: 1 }, to: { kind: 'workload', zone: 1, workload: 1 }, ports: [{ kind: 'tcp', from: 5432, to: 5432 }] }] } as ModelSpec;
    const { before, after, changed, added } = changes(more, { exactEgressPorts: true });
    expect(changed).toEqual(['seg-allow-out-w0-1-to-z-z1']);
    expect(after['seg-allow-out-w0-1-to-z-z1']).toMatchObject({ name: before['seg-allow-out-w0-1-to-z-z1'].name, priority: 1000, allow: [{ protocol: 'tcp', ports: ['5432', '8080'] }] });
    expect(added).toEqual(['seg-allow-in-w1-1-tcp-5432']);
  });

  it('adding a flow never renames, removes or re-prioritises an existing rule (random models)', () => {
    fc.assert(fc.property(modelArb({ maxDenies: 0 }), spec0 => {
      const z = spec0.zones.length - 1; const w = spec0.zones[z].workloads.length - 1;
      const extra = { from: { kind: 'workload', zone: 0, workload: 0 }, to: { kind: 'workload', zone: z, workload: w }, ports: [{ kind: 'tcp', from: 9999, to: 9999 }] } as ModelSpec['flows'][number];
      const plan = (s: ModelSpec) => planGcp(compile(buildModel(s).seg), { backendPath: 'G', network: 'n', identity: 'NETWORK_TAG' });
      const p0 = plan(spec0); const p1 = plan({ ...spec0, flows: [...spec0.flows, extra] });
      const after = new Map(p1.resources.map(r => [r.name, r.attributes]));
      for (const r of p0.resources) {
        expect(after.get(r.name), r.name).toBeDefined();
        expect(after.get(r.name)!.priority).toBe(r.attributes.priority);
        expect(after.get(r.name)!.direction).toBe(r.attributes.direction);
      }
    }), { numRuns: 100 });
  });

  it('adding a flow changes no egress rule but the source\'s to-zones rule, and none when its zone is already reached (random models)', () => {
    fc.assert(fc.property(modelArb({ maxDenies: 0 }), fc.nat(), (spec0, pick) => {
      const z = pick % spec0.zones.length; const w = spec0.zones[z].workloads.length - 1;
      const extra = { from: { kind: 'workload', zone: 0, workload: 0 }, to: { kind: 'workload', zone: z, workload: w }, ports: [{ kind: 'tcp', from: 9999, to: 9999 }] } as ModelSpec['flows'][number];
      const egress = (s: ModelSpec) => new Map(planGcp(compile(buildModel(s).seg), { backendPath: 'G', network: 'n', identity: 'NETWORK_TAG' }).resources
        .filter(r => r.attributes.direction === 'EGRESS').map(r => [r.attributes.name as string, JSON.stringify(r.attributes)]));
      const before = egress(spec0); const after = egress({ ...spec0, flows: [...spec0.flows, extra] });
      const own = `seg-allow-out-w0-0-to-zones`;
      const reached = before.has(own) && (JSON.parse(before.get(own)!).destination_ranges as string[]).includes(`10.${z + 1}.0.0/16`);
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter(k => before.get(k) !== after.get(k));
      expect(changed).toEqual(reached ? [] : [own]);
    }), { numRuns: 100 });
  });
});

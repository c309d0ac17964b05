/**
 * Reference models for the bench (docs/architecture.md, performance targets), generated deterministically from a seed.
 *
 * Shaped like real estates: zones in tiers (edge, web, app, data, shared), grouped in business
 * domains; most flows go from one tier to the next (mostly inside the source's domain), some stay
 * within a tier, a few go back; shared services (dns, logging, ntp, auth, ...) are called by whole
 * zones (zone-as-source flows); a monitoring server scrapes every labelled workload through a
 * label selector; edge load balancers take internet ingress. Every zone has an address range
 * inside the VPC range 10.0.0.0/16.
 *
 * The topology is plain data (`BenchTopology`), so baselines are written from the same data, and
 * `buildSegmentation` turns it into a real microseg `Segmentation` (in any declaration order).
 */
import { Construct } from 'constructs';
import { IFlowEndpoint, Peer, Port, Segmentation, Selector, Workload, Zone } from '../src';

export type Tier = 'edge' | 'web' | 'app' | 'data' | 'shared';
export const TIERS: readonly Tier[] = ['edge', 'web', 'app', 'data', 'shared'];

/** A size of reference model. */
export interface SizeSpec {
  readonly name: string;
  readonly zones: number;
  readonly workloads: number;
  readonly flows: number;
}

export const SIZES: Record<'S' | 'M' | 'L', SizeSpec> = {
  S: { name: 'S', zones: 5, workloads: 30, flows: 150 },
  M: { name: 'M', zones: 10, workloads: 200, flows: 2000 },
  L: { name: 'L', zones: 50, workloads: 1000, flows: 10000 },
};

export const DEFAULT_SEED = 'microseg-bench-1';
export const VPC_CIDR = '10.0.0.0/16';
/** The label the monitoring selector matches. */
export const SCRAPE_LABEL = { scrape: 'node-exporter' } as const;
/** The port the monitoring server scrapes. */
export const SCRAPE_PORT: BenchPort = { protocol: 'tcp', from: 9100, to: 9100 };

/** One protocol/port range (TCP/UDP only in the reference models). */
export interface BenchPort {
  readonly protocol: 'tcp' | 'udp';
  readonly from: number;
  readonly to: number;
}

export interface BenchZone {
  readonly name: string;
  readonly tier: Tier;
  /** Business domain (0-based); shared zones serve every domain. */
  readonly domain: number;
  /** The zone's first address range (the whole zone in the contiguous layout). */
  readonly cidr: string;
  /** Every address range of the zone (one /22, or one /24 per availability zone when scattered). */
  readonly cidrs: string[];
  readonly labels: Record<string, string>;
  /** Workload names, in generation order. */
  readonly workloads: string[];
}

export interface BenchWorkload {
  readonly name: string;
  readonly zone: string;
  readonly tier: Tier;
  /** Service kind (lb, web, svc, pg, dns, ...). */
  readonly kind: string;
  /** The workload's own labels (merged over its zone's in the model). */
  readonly labels: Record<string, string>;
  /** The ports the workload listens on: every flow towards it uses them. */
  readonly ports: BenchPort[];
}

export type BenchEndpoint =
  | { readonly kind: 'workload'; readonly name: string }
  | { readonly kind: 'zone'; readonly name: string }
  | { readonly kind: 'selector'; readonly labels: Record<string, string> }
  | { readonly kind: 'cidr'; readonly cidr: string; readonly family: 'ipv4' | 'ipv6' };

export type FlowKind = 'next-tier' | 'same-tier' | 'back-edge' | 'to-shared' | 'zone-shared' | 'monitoring' | 'internet';

export interface BenchFlow {
  /** `<from key> -> <to key>`: unique per model. */
  readonly key: string;
  readonly kind: FlowKind;
  readonly from: BenchEndpoint;
  readonly to: BenchEndpoint;
  readonly ports: BenchPort[];
}

/**
 * How zone ranges sit in the VPC: `contiguous`, one /22 per zone; `scattered`, like a real VPC of
 * subnet groups, one /24 per zone per availability zone (three), each AZ's subnets in its own
 * /18 of 10.0.0.0/16: zone i has 10.0.i.0/24, 10.0.(64+i).0/24 and 10.0.(128+i).0/24.
 */
export type BenchLayout = 'contiguous' | 'scattered';
export const LAYOUTS: readonly BenchLayout[] = ['contiguous', 'scattered'];
/** Availability zones of the scattered layout. */
export const SCATTERED_AZS = 3;

export interface BenchTopology {
  readonly size: SizeSpec;
  readonly seed: string;
  readonly layout: BenchLayout;
  readonly vpcCidr: string;
  readonly zones: BenchZone[];
  readonly workloads: BenchWorkload[];
  readonly flows: BenchFlow[];
}

// ---- deterministic randomness ----------------------------------------------------------------

/** A seeded PRNG (sfc32 seeded by a string hash): same seed, same sequence, on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    let h = 1779033703 ^ seed.length;
    for (let i = 0; i < seed.length; i++) {
      h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    const next = () => {
      h = Math.imul(h ^ (h >>> 16), 2246822507);
      h = Math.imul(h ^ (h >>> 13), 3266489909);
      return (h ^= h >>> 16) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next();
    for (let i = 0; i < 15; i++) this.float();
  }

  /** A float in [0, 1). */
  float(): number {
    this.a >>>= 0; this.b >>>= 0; this.c >>>= 0; this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[this.int(xs.length)];
  }

  /** Picks by weight. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((s, [, w]) => s + w, 0);
    let x = this.float() * total;
    for (const [v, w] of choices) {
      if ((x -= w) < 0) return v;
    }
    return choices[choices.length - 1][0];
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

// ---- services ----------------------------------------------------------------------------------

const tcp = (from: number, to = from): BenchPort => ({ protocol: 'tcp', from, to });
const udp = (from: number, to = from): BenchPort => ({ protocol: 'udp', from, to });

/** Service kinds per tier, with the ports they listen on. */
const KINDS: Record<Tier, readonly { kind: string; ports: BenchPort[] }[]> = {
  edge: [{ kind: 'lb', ports: [tcp(443), tcp(80)] }],
  web: [{ kind: 'web', ports: [tcp(8443)] }, { kind: 'web', ports: [tcp(8080)] }, { kind: 'bff', ports: [tcp(3000)] }],
  app: [
    { kind: 'svc', ports: [tcp(8080)] }, { kind: 'svc', ports: [tcp(8443)] }, { kind: 'grpc', ports: [tcp(50051)] },
    { kind: 'svc', ports: [tcp(8080), tcp(8081)] }, { kind: 'worker', ports: [tcp(9000, 9009)] },
  ],
  data: [
    { kind: 'pg', ports: [tcp(5432)] }, { kind: 'mysql', ports: [tcp(3306)] }, { kind: 'redis', ports: [tcp(6379)] },
    { kind: 'kafka', ports: [tcp(9092, 9094)] }, { kind: 'es', ports: [tcp(9200), tcp(9300)] }, { kind: 'mongo', ports: [tcp(27017)] },
  ],
  shared: [],
};

/** Shared services, in the order each shared zone gets them (so every shared zone has the core ones). */
const SHARED_KINDS: readonly { kind: string; ports: BenchPort[] }[] = [
  { kind: 'dns', ports: [udp(53), tcp(53)] },
  { kind: 'log', ports: [tcp(6514), udp(514)] },
  { kind: 'mon', ports: [tcp(9090)] },
  { kind: 'ntp', ports: [udp(123)] },
  { kind: 'auth', ports: [tcp(443)] },
  { kind: 'vault', ports: [tcp(8200)] },
  { kind: 'repo', ports: [tcp(443)] },
  { kind: 'mail', ports: [tcp(25), tcp(587)] },
];
/** Shared services every non-shared zone calls as a whole (zone-as-source flows). */
const ZONE_CALLED_KINDS = ['dns', 'log', 'ntp', 'auth', 'vault', 'repo'];

const TIER_ZONE_SHARE: Record<Tier, number> = { edge: 0.1, web: 0.2, app: 0.3, data: 0.2, shared: 0.2 };
const TIER_ZONE_WEIGHT: Record<Tier, number> = { edge: 0.7, web: 1, app: 1.2, data: 1, shared: 0.5 };
/** Workload-sourced flows a destination accepts at most (keeps rules per group realistic). */
const MAX_IN_DEGREE = 24;
/** Shared zones hold at least dns, log, mon, ntp and auth. */
const MIN_SHARED_WORKLOADS = 5;

// ---- generator ---------------------------------------------------------------------------------

/** Largest-remainder apportionment of `total` by `weights`, each part at least `min`. */
function apportion(total: number, weights: readonly number[], minimum: number | readonly number[]): number[] {
  const n = weights.length;
  const mins = weights.map((_, i) => (typeof minimum === 'number' ? minimum : minimum[i]));
  if (total < mins.reduce((s, m) => s + m, 0)) throw new Error(`cannot give ${n} parts at least ${mins.join('/')} of ${total}`);
  const sum = weights.reduce((s, w) => s + w, 0);
  const raw = weights.map(w => (w / sum) * total);
  const out = raw.map((r, i) => Math.max(mins[i], Math.floor(r)));
  const byRemainder = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  let left = total - out.reduce((s, x) => s + x, 0);
  for (let k = 0; left > 0; k++, left--) out[byRemainder[k % n][1]]++;
  for (let k = 0; left < 0; k++) {
    const i = byRemainder[n - 1 - (k % n)][1];
    if (out[i] > mins[i]) { out[i]--; left++; }
  }
  return out;
}

/** The key of an endpoint, as microseg prints it (`workload:x`, `zone:x`, `selector:k=v`, `ipv4:cidr`). */
export function endpointKey(e: BenchEndpoint): string {
  switch (e.kind) {
    case 'workload': return `workload:${e.name}`;
    case 'zone': return `zone:${e.name}`;
    case 'selector': return `selector:${Object.keys(e.labels).sort().map(k => `${k}=${e.labels[k]}`).join(',')}`;
    case 'cidr': return `${e.family}:${e.cidr}`;
  }
}

/** Generates the reference topology of a size from a seed. Pure and deterministic. */
export function generateTopology(sizeOrName: SizeSpec | keyof typeof SIZES, seed: string = DEFAULT_SEED, layout: BenchLayout = 'contiguous'): BenchTopology {
  const size = typeof sizeOrName === 'string' ? SIZES[sizeOrName] : sizeOrName;
  if (!size) throw new Error(`unknown size ${String(sizeOrName)}`);
  if (size.zones < TIERS.length) throw new Error('a reference model needs at least one zone per tier');
  if (size.zones > 64) throw new Error('at most 64 zones fit the /22 zone ranges of 10.0.0.0/16');
  const rng = new Rng(`${seed}/${size.name}/${size.zones}/${size.workloads}/${size.flows}`);

  // Zones per tier, then domains = number of edge zones.
  const zonesPerTier = apportion(size.zones, TIERS.map(t => TIER_ZONE_SHARE[t]), 1);
  const domains = zonesPerTier[0];
  const zoneTiers: { tier: Tier; k: number }[] = [];
  TIERS.forEach((tier, ti) => { for (let k = 0; k < zonesPerTier[ti]; k++) zoneTiers.push({ tier, k }); });

  // Workloads per zone: weighted by tier, jittered.
  const weights = zoneTiers.map(z => TIER_ZONE_WEIGHT[z.tier] * (0.7 + 0.6 * rng.float()));
  const perZone = apportion(size.workloads, weights, zoneTiers.map(z => (z.tier === 'shared' ? MIN_SHARED_WORKLOADS : 2)));

  const zones: BenchZone[] = [];
  const workloads: BenchWorkload[] = [];
  zoneTiers.forEach((zt, i) => {
    const name = `${zt.tier}-${zt.k}`;
    const domain = zt.tier === 'shared' ? -1 : zt.k % domains;
    const labels: Record<string, string> = { tier: zt.tier, ...(domain >= 0 ? { domain: `d${domain}` } : {}) };
    const names: string[] = [];
    for (let j = 0; j < perZone[i]; j++) {
      const spec = zt.tier === 'shared' ? SHARED_KINDS[j % SHARED_KINDS.length] : rng.pick(KINDS[zt.tier]);
      const wname = `${name}-${spec.kind}-${String(j).padStart(2, '0')}`;
      const wlabels: Record<string, string> = { app: spec.kind };
      if (zt.tier === 'web' || zt.tier === 'app' || zt.tier === 'data') Object.assign(wlabels, SCRAPE_LABEL);
      names.push(wname);
      workloads.push({ name: wname, zone: name, tier: zt.tier, kind: spec.kind, labels: wlabels, ports: spec.ports.map(p => ({ ...p })) });
    }
    // The layout changes the ranges only: workloads and flows are the same in both.
    const cidrs = layout === 'scattered'
      ? Array.from({ length: SCATTERED_AZS }, (_, az) => `10.0.${az * 64 + i}.0/24`)
      : [`10.0.${i * 4}.0/22`];
    zones.push({ name, tier: zt.tier, domain, cidr: cidrs[0], cidrs, labels, workloads: names });
  });

  const byName = new Map(workloads.map(w => [w.name, w]));
  const zoneByName = new Map(zones.map(z => [z.name, z]));
  const tierZones = (t: Tier) => zones.filter(z => z.tier === t);
  const tierWorkloads = (t: Tier) => workloads.filter(w => w.tier === t);

  const flows: BenchFlow[] = [];
  const seen = new Set<string>();
  const inDegree = new Map<string, number>();
  const add = (kind: FlowKind, from: BenchEndpoint, to: BenchEndpoint, ports: BenchPort[]): boolean => {
    const key = `${endpointKey(from)} -> ${endpointKey(to)}`;
    if (seen.has(key) || flows.length >= size.flows) return false;
    if (from.kind === 'workload' && to.kind === 'workload') {
      if (from.name === to.name) return false;
      const d = inDegree.get(to.name) ?? 0;
      if (d >= MAX_IN_DEGREE) return false;
      inDegree.set(to.name, d + 1);
    }
    seen.add(key);
    flows.push({ key, kind, from, to, ports: ports.map(p => ({ ...p })) });
    return true;
  };
  const wl = (w: BenchWorkload): BenchEndpoint => ({ kind: 'workload', name: w.name });

  // Internet ingress: every edge load balancer from 0.0.0.0/0; every third also from ::/0.
  tierWorkloads('edge').forEach((w, i) => {
    add('internet', { kind: 'cidr', cidr: '0.0.0.0/0', family: 'ipv4' }, wl(w), w.ports);
    if (i % 3 === 0) add('internet', { kind: 'cidr', cidr: '::/0', family: 'ipv6' }, wl(w), w.ports);
  });

  // Shared services called by whole zones.
  const shared = tierWorkloads('shared');
  const zoneCalls = new Set<string>();
  for (const z of zones.filter(zz => zz.tier !== 'shared')) {
    for (const kind of ZONE_CALLED_KINDS) {
      const candidates = shared.filter(w => w.kind === kind);
      if (candidates.length === 0) continue;
      const target = rng.pick(candidates);
      if (add('zone-shared', { kind: 'zone', name: z.name }, wl(target), target.ports)) zoneCalls.add(`${z.name}|${target.name}`);
    }
  }

  // The monitoring server scrapes every labelled workload.
  const mon = shared.find(w => w.kind === 'mon');
  if (mon) add('monitoring', wl(mon), { kind: 'selector', labels: { ...SCRAPE_LABEL } }, [SCRAPE_PORT]);

  // Workload-to-workload flows.
  const remaining = size.flows - flows.length;
  const quotas: [FlowKind, number][] = [['same-tier', 0.15], ['back-edge', 0.05], ['to-shared', 0.1]];
  const pickInDomain = (tier: Tier, domain: number, local: number): BenchWorkload => {
    const zs = tierZones(tier);
    const inDomain = zs.filter(z => z.domain === domain);
    const z = inDomain.length > 0 && rng.float() < local ? rng.pick(inDomain) : rng.pick(zs);
    return byName.get(rng.pick(z.workloads))!;
  };
  const generators: Record<string, () => boolean> = {
    'next-tier': () => {
      const [src, dst] = rng.weighted<[Tier, Tier]>([[['edge', 'web'], 0.2], [['web', 'app'], 0.4], [['app', 'data'], 0.4]]);
      const s = rng.pick(tierWorkloads(src));
      const d = pickInDomain(dst, zoneByName.get(s.zone)!.domain, 0.8);
      return add('next-tier', wl(s), wl(d), d.ports);
    },
    'same-tier': () => {
      const tier = rng.weighted<Tier>([['app', 0.6], ['web', 0.2], ['data', 0.2]]);
      const s = rng.pick(tierWorkloads(tier));
      const z = zoneByName.get(s.zone)!;
      const d = rng.float() < 0.7 ? byName.get(rng.pick(z.workloads))! : pickInDomain(tier, z.domain, 0.8);
      return add('same-tier', wl(s), wl(d), d.ports);
    },
    'back-edge': () => {
      const [src, dst] = rng.weighted<[Tier, Tier]>([[['app', 'web'], 0.5], [['data', 'app'], 0.5]]);
      const s = rng.pick(tierWorkloads(src));
      const d = pickInDomain(dst, zoneByName.get(s.zone)!.domain, 0.9);
      return add('back-edge', wl(s), wl(d), d.ports);
    },
    'to-shared': () => {
      const s = rng.pick(workloads.filter(w => w.tier !== 'shared'));
      const d = rng.pick(shared);
      if (zoneCalls.has(`${s.zone}|${d.name}`)) return false;
      return add('to-shared', wl(s), wl(d), d.ports);
    },
  };
  for (const [kind, share] of quotas) {
    const target = Math.round(remaining * share);
    let made = 0;
    for (let attempts = 0; made < target && attempts < target * 50; attempts++) if (generators[kind]()) made++;
  }
  for (let attempts = 0; flows.length < size.flows; attempts++) {
    if (attempts > size.flows * 200) throw new Error(`could not generate ${size.flows} distinct flows (got ${flows.length})`);
    generators['next-tier']();
  }

  return { size, seed, layout, vpcCidr: VPC_CIDR, zones, workloads, flows };
}

// ---- derived views -----------------------------------------------------------------------------

/** The workloads a flow end stands for (empty for a CIDR). */
export function endpointMembers(topo: BenchTopology, e: BenchEndpoint): string[] {
  switch (e.kind) {
    case 'workload': return [e.name];
    case 'zone': return topo.zones.find(z => z.name === e.name)!.workloads;
    case 'selector': {
      const zoneLabels = new Map(topo.zones.map(z => [z.name, z.labels]));
      return topo.workloads
        .filter(w => {
          const merged: Record<string, string> = { ...zoneLabels.get(w.zone), ...w.labels };
          return Object.entries(e.labels).every(([k, v]) => merged[k] === v);
        })
        .map(w => w.name);
    }
    case 'cidr': return [];
  }
}

/** A flow expanded as a hand-writer would: one pair per member (zones and selectors expanded). */
export interface ExpandedFlow {
  readonly flow: string;
  /** A workload name, or a CIDR peer. */
  readonly from: { readonly workload: string } | { readonly cidr: string; readonly family: 'ipv4' | 'ipv6' };
  readonly to: string;
  readonly ports: BenchPort[];
}

/** Expands every flow to (source member or CIDR, destination workload, ports). */
export function expandFlows(topo: BenchTopology): ExpandedFlow[] {
  const out: ExpandedFlow[] = [];
  for (const f of topo.flows) {
    const sources = f.from.kind === 'cidr' ? [{ cidr: f.from.cidr, family: f.from.family }] : endpointMembers(topo, f.from).map(workload => ({ workload }));
    const dests = endpointMembers(topo, f.to);
    for (const from of sources) {
      for (const to of dests) {
        if ('workload' in from && from.workload === to) continue;
        out.push({ flow: f.key, from, to, ports: f.ports });
      }
    }
  }
  return out;
}

/** Counts per flow kind, tier and totals: the shape of a topology. */
export function describeTopology(topo: BenchTopology) {
  const byKind: Record<string, number> = {};
  for (const f of topo.flows) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  const zonesByTier: Record<string, number> = {};
  for (const z of topo.zones) zonesByTier[z.tier] = (zonesByTier[z.tier] ?? 0) + 1;
  return {
    size: topo.size.name,
    seed: topo.seed,
    zones: topo.zones.length,
    workloads: topo.workloads.length,
    flows: topo.flows.length,
    expandedPairs: expandFlows(topo).length,
    zonesByTier,
    flowsByKind: byKind,
  };
}

// ---- building the microseg model -----------------------------------------------------------

export interface BuildOptions {
  /** Construct id (and, lower-cased, name) of the segmentation. Default `Bench`. */
  readonly id?: string;
  /** When set, zones, workloads and flows are declared in an order shuffled by this seed. */
  readonly shuffleSeed?: string;
}

export interface BuiltModel {
  readonly seg: Segmentation;
  readonly zones: Map<string, Zone>;
  readonly workloads: Map<string, Workload>;
}

const toPort = (p: BenchPort): Port => {
  if (p.protocol === 'tcp') return p.from === p.to ? Port.tcp(p.from) : Port.tcpRange(p.from, p.to);
  return p.from === p.to ? Port.udp(p.from) : Port.udpRange(p.from, p.to);
};

/**
 * Builds the topology as a microseg `Segmentation` inside `scope` (or as a root of its own when
 * `scope` is undefined). Flows are declared with `allowFrom` on the destination workload, or
 * `allowTo` on the source for the selector flow, so construct paths derive from content.
 */
export function buildSegmentation(scope: Construct | undefined, topo: BenchTopology, options: BuildOptions = {}): BuiltModel {
  const id = options.id ?? 'Bench';
  const seg = scope ? new Segmentation(scope, id, { name: id.toLowerCase() }) : Segmentation.root(id, { name: id.toLowerCase() });
  const rng = options.shuffleSeed !== undefined ? new Rng(options.shuffleSeed) : undefined;
  const order = <T>(xs: readonly T[]): T[] => (rng ? rng.shuffle(xs) : [...xs]);

  const zones = new Map<string, Zone>();
  const workloads = new Map<string, Workload>();
  const wlByZone = new Map<string, BenchWorkload[]>();
  for (const w of topo.workloads) wlByZone.set(w.zone, [...(wlByZone.get(w.zone) ?? []), w]);
  for (const z of order(topo.zones)) {
    const zone = seg.addZone(z.name, { name: z.name, labels: z.labels, cidrs: z.cidrs });
    zones.set(z.name, zone);
    for (const w of order(wlByZone.get(z.name) ?? [])) {
      workloads.set(w.name, zone.addWorkload(w.name, { name: w.name, labels: w.labels }));
    }
  }
  const endpoint = (e: BenchEndpoint): IFlowEndpoint => {
    switch (e.kind) {
      case 'workload': return workloads.get(e.name)!;
      case 'zone': return zones.get(e.name)!;
      case 'selector': return Selector.labels(e.labels);
      case 'cidr': return e.family === 'ipv4' ? (e.cidr === '0.0.0.0/0' ? Peer.anyIpv4() : Peer.ipv4(e.cidr)) : (e.cidr === '::/0' ? Peer.anyIpv6() : Peer.ipv6(e.cidr));
    }
  };
  for (const f of order(topo.flows)) {
    const ports = order(f.ports).map(toPort);
    if (f.to.kind === 'workload') workloads.get(f.to.name)!.allowFrom(endpoint(f.from), ...ports);
    else if (f.from.kind === 'workload') workloads.get(f.from.name)!.allowTo(endpoint(f.to), ...ports);
    else throw new Error(`flow ${f.key} has no workload end`);
  }
  return { seg, zones, workloads };
}

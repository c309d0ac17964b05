/**
 * Kubernetes planning: IR -> `networking.k8s.io/v1` NetworkPolicy objects and the manifest
 * section. Pure: imports no cdk8s. Shared by the cdk8s construct and the plain YAML writer.
 *
 * A pipeline of named steps over one context: validate the options, place the rules (zones here
 * vs elsewhere), build the peers (pods by label, ranges as `ipBlock` with `except`), then the
 * policies (default deny and DNS per namespace, one allow policy per workload, MONITOR
 * catch-alls) and the manifest section.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
import { CanonicalRule } from '../ir/canonical';
import { Cidr, cidr, cidrContains, isCidr, parseCidr } from '../ir/cidr';
import { ManifestCloudSection } from '../ir/manifest';
import { placeRules } from '../ir/placement';
import { IrService, mergeServices } from '../ir/services';
import { IrAtom, IrPolicy, IrWorkload } from '../ir/types';
import { MicrosegError, MicrosegProblem, MicrosegWarning } from '../model/errors';
import { isUnresolved } from '../model/tokens';
import { isLabelKey, isLabelValue, isNamespaceName, labelValue, objectName } from './names';
import { canonicalRulesOf, KubeEgressRule, KubeIngressRule, KubeLabelSelector, KubeNetworkPolicy, KubePeer, KubePort, MANAGED_BY_LABEL, NAMESPACE_NAME_LABEL, policyContainer, SEGMENTATION_LABEL, selectorText, WORKLOAD_LABEL } from '../ir/k8s-policy';

/** Where the cluster's DNS runs, and whether pods may reach it. */
export interface KubeDnsConfig {
  readonly allow: boolean;
  readonly namespace: string;
  readonly podLabels: Record<string, string>;
}

/** The default cluster DNS: CoreDNS (or kube-dns) pods labelled `k8s-app=kube-dns` in `kube-system`. */
export const DEFAULT_DNS: KubeDnsConfig = { allow: true, namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } };

/** Namespaces of the control plane that never get a default deny from microseg. */
export const RESERVED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

/** Input of {@link planKubernetes}. */
export interface KubernetesPlanOptions {
  readonly backendPath: string;
  /** Zones placed on the cluster (default: all). */
  readonly zones?: string[];
  /** Zone name -> namespace (default: the zone's name). */
  readonly namespaces?: Record<string, string>;
  /** The cluster's pod address ranges (required when any `ipBlock` is rendered). */
  readonly podCidrs?: string[];
  /** DNS egress (default: {@link DEFAULT_DNS}). */
  readonly dns?: Partial<KubeDnsConfig>;
}

/** The result of planning. */
export interface KubernetesPlan {
  /** The policies, sorted by namespace then name. */
  readonly policies: KubeNetworkPolicy[];
  /** The namespaces the policies live in (sorted). */
  readonly namespaces: string[];
  /** Per workload placed on the cluster: the labels its pods must carry. */
  readonly podLabels: Record<string, Record<string, string>>;
  /** Per workload placed on the cluster: its namespace. */
  readonly workloadNamespaces: Record<string, string>;
  readonly section: ManifestCloudSection;
  readonly warnings: MicrosegWarning[];
}

/** One planning run: the policy, the options, indexes, and the problem and warning sinks. */
interface Ctx {
  readonly policy: IrPolicy;
  readonly opts: KubernetesPlanOptions;
  readonly seg: string;
  readonly problems: MicrosegProblem[];
  readonly warnings: MicrosegWarning[];
  readonly acknowledged: Set<string>;
  readonly local: Set<string>;
  readonly workloads: Map<string, IrWorkload>;
  readonly zoneCidrs: Map<string, string[]>;
  namespaceOf: Map<string, string>;
  podCidrs: Cidr[];
  dns: KubeDnsConfig;
}

function warn(ctx: Ctx, id: string, path: string, message: string): void {
  if (!ctx.acknowledged.has(id) && !ctx.warnings.some(w => w.id === id && w.path === path && w.message === message)) ctx.warnings.push({ id, path, message });
}

function throwIfAny(problems: MicrosegProblem[]): void {
  if (problems.length) throw MicrosegError.fromProblems(problems);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The labels a workload's pods carry: its own (valid) labels, the segmentation and the workload. */
export function podLabels(segmentation: string, workload: Pick<IrWorkload, 'name' | 'labels'>): { labels: Record<string, string>; dropped: string[] } {
  const own: Record<string, string> = {};
  const dropped: string[] = [];
  for (const k of Object.keys(workload.labels).sort()) {
    const v = workload.labels[k];
    if (k.startsWith('microseg.io/') || !isLabelKey(k) || !isLabelValue(v)) dropped.push(`${k}=${v}`);
    else own[k] = v;
  }
  return { labels: { ...own, [SEGMENTATION_LABEL]: labelValue(segmentation), [WORKLOAD_LABEL]: labelValue(workload.name) }, dropped };
}

/** The selector of one workload's pods (segmentation and workload labels). */
export function workloadSelector(segmentation: string, workload: string): KubeLabelSelector {
  return { matchLabels: { [SEGMENTATION_LABEL]: labelValue(segmentation), [WORKLOAD_LABEL]: labelValue(workload) } };
}

/** Step 1: the options (namespaces, pod ranges, DNS). */
function validateOptions(ctx: Ctx): void {
  const { opts, policy, problems } = ctx;
  const zoneNames = policy.zones.map(z => z.name);
  for (const [zone, ns] of Object.entries(opts.namespaces ?? {}).sort(([a], [b]) => cmp(a, b))) {
    if (!zoneNames.includes(zone)) {
      problems.push({ code: 'UnknownZone', path: opts.backendPath, value: zone, message: 'namespaces names a zone that is not in the segmentation.', hint: `Zones are: ${zoneNames.join(', ')}.` });
    } else if (!ctx.local.has(zone)) {
      problems.push({ code: 'InvalidProp', path: opts.backendPath, value: zone, message: 'namespaces maps a zone that is not placed on this cluster.', hint: `Add "${zone}" to the backend's zones, or remove it from namespaces.` });
    }
    if (isUnresolved(ns) || !isNamespaceName(ns)) {
      problems.push({ code: 'InvalidProp', path: opts.backendPath, value: ns, message: `is not a valid namespace for zone "${zone}": lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters.`, hint: `Did you mean "${String(ns).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63)}"?` });
    }
  }
  const dns: KubeDnsConfig = {
    allow: opts.dns?.allow ?? DEFAULT_DNS.allow,
    namespace: opts.dns?.namespace ?? DEFAULT_DNS.namespace,
    podLabels: opts.dns?.podLabels ?? DEFAULT_DNS.podLabels,
  };
  if (!isNamespaceName(dns.namespace)) {
    problems.push({ code: 'InvalidProp', path: opts.backendPath, value: dns.namespace, message: 'dns.namespace is not a valid namespace name.', hint: 'E.g. dns: { namespace: "kube-system" }.' });
  }
  for (const [k, v] of Object.entries(dns.podLabels)) {
    if (!isLabelKey(k) || !isLabelValue(v)) problems.push({ code: 'InvalidLabel', path: opts.backendPath, value: `${k}=${v}`, message: 'dns.podLabels holds a label that is not a valid Kubernetes label.', hint: 'E.g. dns: { podLabels: { "k8s-app": "kube-dns" } }.' });
  }
  if (Object.keys(dns.podLabels).length === 0) {
    problems.push({ code: 'InvalidProp', path: opts.backendPath, value: dns.podLabels, message: 'dns.podLabels is empty: it would allow egress to every pod of the DNS namespace.', hint: 'Name the DNS pods\' labels, e.g. { "k8s-app": "kube-dns" }, or turn the default off with dns: { allow: false }.' });
  }
  ctx.dns = dns;
  const namespaceOf = new Map<string, string>();
  for (const z of policy.zones) if (ctx.local.has(z.name)) namespaceOf.set(z.name, opts.namespaces?.[z.name] ?? z.name);
  for (const [zone, ns] of [...namespaceOf.entries()].sort(([a], [b]) => cmp(a, b))) {
    if (RESERVED_NAMESPACES.includes(ns) || (dns.allow && ns === dns.namespace)) {
      problems.push({ code: 'InvalidProp', path: opts.backendPath, value: ns, message: `zone "${zone}" maps to a namespace of the control plane (or of the cluster DNS); a default deny there would break the cluster.`, hint: `Map the zone to its own namespace: namespaces: { '${zone}': '${zone}-apps' }.` });
    }
  }
  ctx.namespaceOf = namespaceOf;
  const pods: Cidr[] = [];
  for (const text of opts.podCidrs ?? []) {
    if (isUnresolved(text)) { problems.push({ code: 'UnresolvedRange', path: opts.backendPath, value: text, message: 'podCidrs must be known at synth (Kubernetes YAML cannot hold a deploy-time token).', hint: 'Give the literal pod ranges, e.g. podCidrs: ["10.244.0.0/16"].' }); continue; }
    const c = parseCidr(text);
    if (isCidr(c)) pods.push(c);
    else problems.push({ code: 'InvalidCidr', path: opts.backendPath, value: text, message: `podCidrs: ${c.message}`, hint: c.hint });
  }
  ctx.podCidrs = pods;
}

/** A rendered rule end in the making: a local workload, or address ranges. */
type PeerSpec =
  | { readonly kind: 'pods'; readonly key: string; readonly workload: string }
  | { readonly kind: 'ranges'; readonly key: string; readonly blocks: { cidr: string; except: string[] }[] };

/** One workload's rules in one direction, by peer key. */
interface Side { peer: PeerSpec; services: IrService[]; flows: Set<string> }

/**
 * Ranges that must stay out of an `ipBlock`: the pod ranges (pods are selected by label, and on
 * many network plugins `ipBlock` also matches pod addresses) and every zone's `cidrs` other than
 * the block's own zone (those addresses are in the model and get their own rules).
 */
function outsideRanges(ctx: Ctx, ownZone: string | undefined, path: string): Cidr[] {
  const out = [...ctx.podCidrs];
  for (const [zone, list] of ctx.zoneCidrs) {
    if (zone === ownZone) continue;
    for (const text of list) {
      if (isUnresolved(text)) { warn(ctx, 'microseg:UnresolvedExcept', path, `Zone "${zone}" has a range only known at deploy time (${text}); it cannot be cut out of the ipBlocks of this cluster.`); continue; }
      out.push(cidr(text));
    }
  }
  return out;
}

/** An ipBlock for `text` minus `outside`; undefined when `outside` covers it entirely. */
function ipBlock(text: string, outside: Cidr[]): { cidr: string; except: string[] } | undefined {
  const c = cidr(text);
  const inner: Cidr[] = [];
  for (const o of outside) {
    if (o.family !== c.family) continue;
    if (cidrContains(o, c)) return undefined;
    if (cidrContains(c, o)) inner.push(o);
  }
  const minimal = inner.filter(o => !inner.some(p => p !== o && cidrContains(p, o) && p.text !== o.text)).map(o => o.text);
  return { cidr: c.text, except: [...new Set(minimal)].sort((a, b) => cmpCidr(cidr(a), cidr(b))) };
}

function cmpCidr(a: Cidr, b: Cidr): number {
  return a.first < b.first ? -1 : a.first > b.first ? 1 : a.prefix - b.prefix;
}

/** Step 2: placement. Per local workload, the ingress and egress sides. */
function placeSides(ctx: Ctx): { ingress: Map<string, Map<string, Side>>; egress: Map<string, Map<string, Side>> } {
  const { policy, opts } = ctx;
  placeRules(policy, opts.zones, opts.backendPath); // UnknownZone, MissingCidrs
  const ingress = new Map<string, Map<string, Side>>();
  const egress = new Map<string, Map<string, Side>>();
  const peerCache = new Map<string, PeerSpec | null>();
  let needsPodCidrs: string | undefined;
  const peerOf = (a: IrAtom, flow: string): PeerSpec | null => {
    const key = a.kind === 'cidr' ? `c:${a.cidr}` : ctx.local.has(a.zone) ? `w:${a.workload}` : `z:${a.zone}`;
    if (peerCache.has(key)) return peerCache.get(key)!;
    let spec: PeerSpec | null;
    if (a.kind === 'workload' && ctx.local.has(a.zone)) {
      spec = { kind: 'pods', key, workload: a.workload };
    } else {
      needsPodCidrs = needsPodCidrs ?? flow;
      const own = a.kind === 'workload' ? a.zone : undefined;
      const texts = a.kind === 'cidr' ? [a.cidr] : ctx.zoneCidrs.get(a.zone) ?? [];
      const blocks: { cidr: string; except: string[] }[] = [];
      for (const t of texts) {
        if (isUnresolved(t)) {
          ctx.problems.push(a.kind === 'cidr'
            ? { code: 'UnresolvedRange', path: flow, value: t, message: 'this Peer range is only known at deploy time; Kubernetes YAML cannot hold it.', hint: 'Give the Peer a literal range (e.g. Peer.ipv4(\'203.0.113.0/24\')) to render this flow on Kubernetes.' }
            : { code: 'UnresolvedRange', path: flow, value: t, message: `zone "${own}" has a range only known at deploy time; Kubernetes YAML cannot hold it.`, hint: `Give zone "${own}" literal cidrs to render flows with it on Kubernetes.` });
          continue;
        }
        const b = ipBlock(t, outsideRanges(ctx, own, opts.backendPath));
        if (b) blocks.push(b);
        else if (a.kind === 'cidr') warn(ctx, 'microseg:PeerOverlapsZones', opts.backendPath, `Peer ${t} lies entirely inside the pod ranges or the model's zone ranges; it is not rendered (peers are addresses outside the model).`);
        else ctx.problems.push({ code: 'OverlappingRanges', path: flow, value: t, message: `zone "${own}" (not on this cluster) lies inside the pod ranges or another zone's ranges, so it cannot be told apart from them.`, hint: 'Check podCidrs and the zone cidrs: zones elsewhere must not overlap the cluster\'s pod ranges.' });
      }
      for (const b of blocks) {
        if (a.kind === 'cidr' && b.except.length) warn(ctx, 'microseg:PeerOverlapsZones', opts.backendPath, `Peer ${a.cidr} overlaps the pod ranges or zone ranges of the model; it is rendered with except: ${b.except.join(', ')} (peers are addresses outside the model).`);
      }
      spec = blocks.length ? { kind: 'ranges', key, blocks: blocks.sort((x, y) => cmpCidr(cidr(x.cidr), cidr(y.cidr))) } : null;
    }
    peerCache.set(key, spec);
    return spec;
  };
  const add = (map: Map<string, Map<string, Side>>, workload: string, peer: PeerSpec, service: IrService, flows: string[]) => {
    let m = map.get(workload);
    if (!m) { m = new Map(); map.set(workload, m); }
    let s = m.get(peer.key);
    if (!s) { s = { peer, services: [], flows: new Set() }; m.set(peer.key, s); }
    s.services.push(service);
    flows.forEach(f => s!.flows.add(f));
  };
  for (const r of policy.rules) {
    const sl = r.source.kind === 'workload' && ctx.local.has(r.source.zone);
    const dl = r.destination.kind === 'workload' && ctx.local.has(r.destination.zone);
    if (!sl && !dl) continue;
    if (dl && r.destination.kind === 'workload') {
      const p = peerOf(r.source, r.flows[0]);
      if (p) add(ingress, r.destination.workload, p, r.service, r.flows);
    }
    if (sl && r.source.kind === 'workload') {
      const p = peerOf(r.destination, r.flows[0]);
      if (p) add(egress, r.source.workload, p, r.service, r.flows);
    }
  }
  if (needsPodCidrs && ctx.podCidrs.length === 0 && !(opts.podCidrs ?? []).length) {
    ctx.problems.push({
      code: 'InvalidProp', path: opts.backendPath, value: 'podCidrs',
      message: `is required: flow ${needsPodCidrs} is rendered as an ipBlock (a Peer or a zone elsewhere), and the cluster's pod ranges must be cut out of it (many network plugins match ipBlocks against pod addresses too).`,
      hint: 'Give the cluster\'s pod ranges, e.g. podCidrs: ["10.244.0.0/16"] (kubectl get nodes -o jsonpath="{.items[*].spec.podCIDR}").',
    });
  }
  return { ingress, egress };
}

/** NetworkPolicy ports for services; `undefined` ports means every port and protocol. Returns `null` when nothing is expressible. */
function portsOf(ctx: Ctx, services: IrService[], flows: string[]): KubePort[] | undefined | null {
  const merged = mergeServices(services);
  if (merged.some(s => s.protocol === 'all')) return undefined;
  const ports: KubePort[] = [];
  for (const s of merged) {
    if (s.protocol === 'icmp') {
      for (const f of flows) warn(ctx, 'microseg:IcmpNotExpressible', f, 'NetworkPolicy cannot match ICMP (only TCP, UDP and SCTP, or all traffic); the ICMP part of this flow is not rendered on Kubernetes (narrower, never wider).');
      continue;
    }
    const protocol = s.protocol === 'tcp' ? 'TCP' : 'UDP';
    if (s.from === 0 && s.to === 65535) { ports.push({ protocol }); continue; }
    const from = Math.max(1, s.from); // port 0 is reserved; NetworkPolicy ports start at 1
    if (s.to < from) continue;
    ports.push(from === s.to ? { protocol, port: from } : { protocol, port: from, endPort: s.to });
  }
  return ports.length ? ports : null;
}

function peersOf(ctx: Ctx, p: PeerSpec): KubePeer[] {
  if (p.kind === 'ranges') return p.blocks.map(b => ({ ipBlock: b.except.length ? { cidr: b.cidr, except: b.except } : { cidr: b.cidr } }));
  const ns = ctx.namespaceOf.get(ctx.workloads.get(p.workload)!.zone)!;
  // ONE peer with both selectors: the workload's pods AND in its namespace
  return [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ns } }, podSelector: workloadSelector(ctx.seg, p.workload) }];
}

function metadata(ctx: Ctx, name: string, namespace: string, labels: Record<string, string>, annotations?: Record<string, string>): KubeNetworkPolicy['metadata'] {
  return {
    name: objectName(name), namespace,
    labels: { [MANAGED_BY_LABEL]: 'microseg', [SEGMENTATION_LABEL]: labelValue(ctx.seg), ...labels },
    ...(annotations ? { annotations } : {}),
  };
}

/** The rendered rules of one direction, with the flows each comes from. */
function rulesOf(ctx: Ctx, sides: Map<string, Side> | undefined): { peers: KubePeer[]; ports?: KubePort[]; flows: string[] }[] {
  const out: { peers: KubePeer[]; ports?: KubePort[]; flows: string[] }[] = [];
  for (const key of [...(sides?.keys() ?? [])].sort()) {
    const s = sides!.get(key)!;
    const flows = [...s.flows].sort();
    const ports = portsOf(ctx, s.services, flows);
    if (ports === null) continue;
    out.push({ peers: peersOf(ctx, s.peer), ...(ports ? { ports } : {}), flows });
  }
  return out;
}

/** The origin of each rule of a rendered policy, by the policy's container. */
type Origins = Map<string, (d: 'ingress' | 'egress', i: number) => string | undefined>;

/** Step 3: the policies, with the origins of their rules. */
function buildPolicies(ctx: Ctx, sides: ReturnType<typeof placeSides>): { policies: KubeNetworkPolicy[]; origins: Origins } {
  const policies: KubeNetworkPolicy[] = [];
  const origins: Origins = new Map();
  const add = (np: KubeNetworkPolicy, origin: (d: 'ingress' | 'egress', i: number) => string | undefined) => {
    policies.push(np);
    origins.set(policyContainer(np.metadata.namespace, np.metadata.name), origin);
  };
  for (const ns of [...new Set(ctx.namespaceOf.values())].sort()) namespacePolicies(ctx, ns, add);
  workloadPolicies(ctx, sides, add);
  policies.sort((a, b) => cmp(a.metadata.namespace, b.metadata.namespace) || cmp(a.metadata.name, b.metadata.name));
  checkUniqueNames(ctx, policies);
  return { policies, origins };
}

type AddPolicy = (np: KubeNetworkPolicy, origin: (d: 'ingress' | 'egress', i: number) => string | undefined) => void;

const BOTH_TYPES: ('Ingress' | 'Egress')[] = ['Ingress', 'Egress'];

/** Step 3a: a namespace's default deny, its DNS allow and its MONITOR catch-alls. */
function namespacePolicies(ctx: Ctx, ns: string, add: AddPolicy): void {
  const seg = ctx.seg;
  const zones = [...ctx.namespaceOf.entries()].filter(([, n]) => n === ns).map(([z]) => z).sort();
  const zonePath = ctx.policy.zones.find(z => z.name === zones[0])?.path;
  add({
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: metadata(ctx, `${seg}-default-deny`, ns, {}),
    spec: { podSelector: {}, policyTypes: BOTH_TYPES },
  }, () => zonePath);
  if (ctx.dns.allow) {
    add({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: metadata(ctx, `${seg}-allow-dns`, ns, {}),
      spec: {
        podSelector: {}, policyTypes: ['Egress'],
        egress: [{
          to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ctx.dns.namespace } }, podSelector: { matchLabels: { ...ctx.dns.podLabels } } }],
          ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
        }],
      },
    }, () => `${ctx.opts.backendPath}#dns`);
  }
  monitorPolicies(ctx, ns, zones, add);
}

/** Step 3b: MONITOR catch-alls, one for the whole namespace when every zone in it is in MONITOR mode. */
function monitorPolicies(ctx: Ctx, ns: string, zones: string[], add: AddPolicy): void {
  const seg = ctx.seg;
  const monitor = zones.filter(z => ctx.policy.zones.find(x => x.name === z)?.mode === 'MONITOR');
  const catchAll = (name: string, podSelector: KubeLabelSelector, zone: string, path: string) => {
    const np: KubeNetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: metadata(ctx, name, ns, { 'microseg.io/zone': labelValue(zone) }),
      spec: { podSelector, policyTypes: BOTH_TYPES, ingress: [{}], egress: [{}] },
    };
    add(np, () => path);
    warn(ctx, 'microseg:MonitorCatchAll', path, `Zone "${zone}" is in MONITOR mode: NetworkPolicy ${ns}/${np.metadata.name} allows all traffic to and from ${selectorText(podSelector) === '*' ? 'every pod of the namespace' : 'its pods'}. NetworkPolicy has no logging: use your network plugin's flow logs (e.g. Cilium Hubble, Calico flow logs) to see what enforcement would block.`);
  };
  if (monitor.length > 0 && monitor.length === zones.length) {
    catchAll(`${seg}-monitor-catchall`, {}, monitor.join(','), ctx.policy.zones.find(x => x.name === monitor[0])!.path);
    return;
  }
  for (const z of monitor) {
    const zone = ctx.policy.zones.find(x => x.name === z)!;
    if (zone.workloads.length === 0) continue;
    catchAll(`${seg}-${z}-monitor-catchall`, {
      matchLabels: { [SEGMENTATION_LABEL]: labelValue(seg) },
      matchExpressions: [{ key: WORKLOAD_LABEL, operator: 'In', values: zone.workloads.map(labelValue).sort() }],
    }, z, zone.path);
  }
}

/** Step 3c: one allow policy per workload with rules: ingress on its pods, egress from its pods. */
function workloadPolicies(ctx: Ctx, sides: ReturnType<typeof placeSides>, add: AddPolicy): void {
  const seg = ctx.seg;
  const names = [...new Set([...sides.ingress.keys(), ...sides.egress.keys()])].sort();
  for (const w of names) {
    const wl = ctx.workloads.get(w)!;
    const ns = ctx.namespaceOf.get(wl.zone)!;
    const ing = rulesOf(ctx, sides.ingress.get(w));
    const eg = rulesOf(ctx, sides.egress.get(w));
    if (ing.length === 0 && eg.length === 0) continue;
    const types: ('Ingress' | 'Egress')[] = [...(ing.length ? ['Ingress' as const] : []), ...(eg.length ? ['Egress' as const] : [])];
    add({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: metadata(ctx, `${seg}-${w}-allow`, ns, { [WORKLOAD_LABEL]: labelValue(w) }),
      spec: {
        podSelector: workloadSelector(seg, w),
        policyTypes: types,
        ...(ing.length ? { ingress: ing.map(r => ({ from: r.peers, ...(r.ports ? { ports: r.ports } : {}) }) as KubeIngressRule) } : {}),
        ...(eg.length ? { egress: eg.map(r => ({ to: r.peers, ...(r.ports ? { ports: r.ports } : {}) }) as KubeEgressRule) } : {}),
      },
    }, (d, i) => (i < 0 ? wl.path : (d === 'ingress' ? ing : eg)[i]?.flows[0]));
  }
}

/** Step 3d: two rendered policies may not share a name in one namespace (policies sorted). */
function checkUniqueNames(ctx: Ctx, policies: KubeNetworkPolicy[]): void {
  for (let i = 1; i < policies.length; i++) {
    const p = policies[i - 1].metadata; const q = policies[i].metadata;
    if (p.namespace === q.namespace && p.name === q.name) {
      ctx.problems.push({ code: 'DuplicateName', path: ctx.opts.backendPath, value: `${q.namespace}/${q.name}`, message: 'two rendered NetworkPolicies have the same name in one namespace.', hint: 'Rename the workload or zone whose name ends like a microseg policy suffix (-default-deny, -allow-dns, -monitor-catchall).' });
    }
  }
}

/**
 * Plans the NetworkPolicies of a compiled policy. Throws one `MicrosegError` with every problem
 * before anything is rendered.
 */
export function planKubernetes(policy: IrPolicy, opts: KubernetesPlanOptions): KubernetesPlan {
  const ctx: Ctx = {
    policy, opts, seg: policy.segmentation.name, problems: [], warnings: [],
    acknowledged: new Set(policy.acknowledged.map(a => a.id)),
    local: new Set(opts.zones ?? policy.zones.map(z => z.name)),
    workloads: new Map(policy.workloads.map(w => [w.name, w])),
    zoneCidrs: new Map(policy.zones.map(z => [z.name, z.cidrs])),
    namespaceOf: new Map(), podCidrs: [], dns: DEFAULT_DNS,
  };
  validateOptions(ctx);
  throwIfAny(ctx.problems);
  const sides = placeSides(ctx);
  throwIfAny(ctx.problems);
  const { policies, origins } = buildPolicies(ctx, sides);
  throwIfAny(ctx.problems);

  const podLabelMap: Record<string, Record<string, string>> = {};
  const workloadNamespaces: Record<string, string> = {};
  const identities: Record<string, Record<string, string>> = {};
  for (const w of policy.workloads) {
    const ns = ctx.namespaceOf.get(w.zone);
    if (ns === undefined) continue;
    const { labels, dropped } = podLabels(ctx.seg, w);
    if (dropped.length) warn(ctx, 'microseg:LabelNotKubernetes', w.path, `Labels ${dropped.join(', ')} are not valid Kubernetes pod labels (or use the reserved microseg.io/ prefix); they are left out of the pod labels. Policies select pods by the microseg.io labels only.`);
    podLabelMap[w.name] = labels;
    workloadNamespaces[w.name] = ns;
    identities[w.name] = { namespace: ns, zone: w.zone, podSelector: selectorText(workloadSelector(ctx.seg, w.name)), podLabels: selectorText({ matchLabels: labels }) };
  }
  const containers: Record<string, Record<string, string>> = {};
  const expected: CanonicalRule[] = [];
  for (const np of policies) {
    const c = policyContainer(np.metadata.namespace, np.metadata.name);
    containers[c] = { namespace: np.metadata.namespace, name: np.metadata.name, podSelector: selectorText(np.spec.podSelector) };
    expected.push(...canonicalRulesOf(np, origins.get(c)));
  }
  const zones = [...ctx.local].sort();
  return {
    policies,
    namespaces: [...new Set(policies.map(p => p.metadata.namespace))].sort(),
    podLabels: podLabelMap,
    workloadNamespaces,
    section: {
      backendPath: opts.backendPath,
      zones,
      settings: {
        namespaces: zones.map(z => `${z}=${ctx.namespaceOf.get(z)}`).join(','),
        podCidrs: ctx.podCidrs.map(c => c.text).join(','),
        dns: ctx.dns.allow ? `${ctx.dns.namespace}/${selectorText({ matchLabels: ctx.dns.podLabels })}` : 'off',
      },
      identities,
      containers,
      expected,
    },
    warnings: ctx.warnings.sort((a, b) => cmp(a.id + a.path + a.message, b.id + b.path + b.message)),
  };
}

/**
 * The drift engine: live canonical rules against the manifest's expected rules. Pure functions.
 *
 * Both sides are normalised first (ports merged per container/direction/action/protocol/peer/
 * target/priority), so equivalent rules written differently are not drift; then drift is a set
 * difference. Leftovers that share container, direction, peer and target (and the rule name or
 * protocol) are paired as `modified`; the rest are `unexpected` (live, not declared) or `missing`
 * (declared, not live). Attachments of foreign groups to segmented workloads are `unmanaged`.
 */
import { createHash } from 'crypto';
import { CanonicalRule, Cloud } from '../ir/canonical';
import { Cidr, cidrContains, isCidr, parseCidr } from '../ir/cidr';
import { isUnresolved } from '../model/tokens';
import { Manifest } from '../ir/manifest';
import { DetachedContainer, SEVERITY_RANK } from './findings';
import { DriftAttachment, DriftFinding, DriftKind, DriftSeverity } from './types';
import { cmp, isPortProtocol, NormalRule, normalizeRules, parsePortRange, ruleKey } from './normalize';

/** Ports whose exposure to the whole internet is critical (remote administration and databases). */
export const SENSITIVE_PORTS: readonly number[] = [
  22, 23, 135, 139, 445, 3389, 5985, 5986, // remote administration
  1433, 1521, 2375, 2376, 3306, 5432, 5984, 6379, 7000, 7001, 9042, 9200, 9300, 11211, 27017, 27018, // databases, caches, docker
];

/** Where the findings come from, for their locations. */
export interface DriftContext {
  readonly cloud: Cloud;
  /** The manifest, used to point findings at construct paths and manifest entries. */
  readonly manifest?: Manifest;
  /** True when `expected` is the manifest's `clouds.<cloud>.expected` list itself (entries are then located by index). */
  readonly expectedFromManifest?: boolean;
  /** The region the live rules come from, when several regions are audited: findings carry it in their key. */
  readonly region?: string;
}

const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'].map(c => parseCidr(c) as Cidr);

/**
 * True when a peer means the internet at large: any address (`*`, `0.0.0.0/0`, `::/0`, Azure's
 * `Internet` tag), or a public range of at least a /8 (IPv4) or /16 (IPv6) — the pieces of
 * `0.0.0.0/0` cut around private ranges are internet-wide too.
 */
export function isInternetWide(peer: string): boolean {
  if (peer === '*' || peer === 'tag:Internet' || peer === 'tag:*') return true;
  if (!peer.startsWith('cidr:')) return false;
  // a Kubernetes ipBlock `cidr:<range> except <ranges>` is as wide as its range (except cuts out holes)
  const c = parseCidr(peer.slice(5).split(' ')[0]);
  if (!isCidr(c)) return false;
  if (c.prefix > (c.family === 'ipv4' ? 8 : 16)) return false;
  return !PRIVATE_RANGES.some(p => p.family === c.family && cidrContains(p, c));
}

/** True when the rule's service covers one of the sensitive ports. */
export function coversSensitivePort(r: CanonicalRule): boolean {
  const p = r.protocol.toLowerCase();
  if ((p === 'all' || p === '-1') && (r.ports === '*' || r.ports === '')) return true;
  if (!isPortProtocol(p) && p !== 'all' && p !== '-1') return false;
  const range = parsePortRange(r.ports);
  if (!range) return false;
  return SENSITIVE_PORTS.some(x => x >= range[0] && x <= range[1]);
}

/** Severity of a live rule that is not declared. */
export function unexpectedSeverity(r: CanonicalRule): DriftSeverity {
  if (r.action === 'deny') return DriftSeverity.LOW;
  if (r.direction === 'ingress' && isInternetWide(r.peer)) return coversSensitivePort(r) ? DriftSeverity.CRITICAL : DriftSeverity.HIGH;
  return DriftSeverity.MEDIUM;
}

/** Severity of a declared rule that is not live: a missing deny opens what it guarded. */
export function missingSeverity(r: CanonicalRule): DriftSeverity {
  return r.action === 'deny' ? DriftSeverity.HIGH : DriftSeverity.LOW;
}

/** Severity of a declared rule that is live in another form. */
export function modifiedSeverity(expected: CanonicalRule, live: CanonicalRule): DriftSeverity {
  if (expected.action === 'deny' && live.action === 'allow') return DriftSeverity.HIGH;
  const asNew = unexpectedSeverity(live);
  const asOld = live.action === 'allow' ? unexpectedSeverity(expected) : DriftSeverity.LOW;
  if (live.action === 'allow' && SEVERITY_RANK[asNew] < SEVERITY_RANK[asOld]) return asNew;
  return live.action === 'allow' ? DriftSeverity.MEDIUM : DriftSeverity.LOW;
}

/** One line describing a rule: `ingress allow tcp 22 from cidr:0.0.0.0/0 to sg:web`. */
export function describeRule(r: CanonicalRule): string {
  const ports = r.protocol === 'all' ? 'all traffic' : `${r.protocol} ${r.ports}`;
  const target = r.target && r.target !== '*' ? r.target : r.container;
  const prio = r.priority !== undefined ? ` (priority ${r.priority})` : '';
  const name = r.name ? ` [${r.name}]` : '';
  return r.direction === 'ingress'
    ? `ingress ${r.action} ${ports} from ${r.peer} to ${target}${prio}${name}`
    : `egress ${r.action} ${ports} from ${target} to ${r.peer}${prio}${name}`;
}

/** A stable fingerprint (16 hex digits) of a finding key. */
export function fingerprint(cloud: Cloud, key: string): string {
  return createHash('sha256').update(`${cloud} ${key}`).digest('hex').slice(0, 16);
}

/**
 * Compares expected with live rules (and lists foreign attachments) and returns the findings,
 * sorted by severity, kind and key.
 */
export function computeDrift(expected: readonly CanonicalRule[], live: readonly CanonicalRule[], unmanaged: readonly DriftAttachment[], ctx: DriftContext, detached: readonly DetachedContainer[] = []): DriftFinding[] {
  const exp = normalizeRules(expected);
  const liv = normalizeRules(live);
  const liveKeys = new Set(liv.map(r => r.key));
  const expKeys = new Set(exp.map(r => r.key));
  const missing = exp.filter(r => !liveKeys.has(r.key));
  const extra = liv.filter(r => !expKeys.has(r.key));
  const locate = new Locator(ctx);
  const { pairs, unpairedMissing, paired } = pairModified(missing, extra);
  const findings: DriftFinding[] = [
    ...pairs.map(([e, l]) => modifiedFinding(e, l, ctx, locate)),
    ...unpairedMissing.map(e => missingFinding(e, ctx, locate)),
    ...extra.filter(l => !paired.has(l)).map(l => unexpectedFinding(l, ctx, locate)),
    ...unmanaged.map(entry => unmanagedFinding(entry, ctx, locate)),
    ...detached.map(d => associationFinding(d, ctx, locate)),
  ];
  return sortFindings(ctx.region ? inRegion(findings, ctx.cloud, ctx.region) : findings);
}

/**
 * Pairs leftovers that are the same rule changed: same container, direction, peer and target,
 * and the same name (clouds with named rules) or the same protocol. Each missing rule takes the
 * best unpaired live one (name 4, protocol 2, action 1), in the order of `missing`.
 */
function pairModified(missing: NormalRule[], extra: NormalRule[]): { pairs: [NormalRule, NormalRule][]; unpairedMissing: NormalRule[]; paired: Set<NormalRule> } {
  const bucket = (r: CanonicalRule) => [r.container, r.direction, r.peer, r.target ?? '*'].join('|');
  const extraByBucket = new Map<string, NormalRule[]>();
  for (const r of extra) {
    const k = bucket(r);
    const list = extraByBucket.get(k);
    if (list) list.push(r); else extraByBucket.set(k, [r]);
  }
  const paired = new Set<NormalRule>();
  const pairs: [NormalRule, NormalRule][] = [];
  const unpairedMissing: NormalRule[] = [];
  for (const e of missing) {
    const candidates = (extraByBucket.get(bucket(e)) ?? []).filter(l => !paired.has(l));
    let best: NormalRule | undefined; let bestScore = 0;
    for (const l of candidates) {
      const sameName = e.names.length > 0 && e.names.some(n => l.names.includes(n));
      const sameProtocol = e.protocol === l.protocol;
      if (!sameName && !sameProtocol) continue;
      const score = (sameName ? 4 : 0) + (sameProtocol ? 2 : 0) + (e.action === l.action ? 1 : 0);
      if (score > bestScore) { best = l; bestScore = score; }
    }
    if (!best) { unpairedMissing.push(e); continue; }
    paired.add(best);
    pairs.push([e, best]);
  }
  return { pairs, unpairedMissing, paired };
}

/** A declared rule live in another form. */
function modifiedFinding(e: NormalRule, best: NormalRule, ctx: DriftContext, locate: Locator): DriftFinding {
  const key = `modified ${e.key} -> ${best.key}`;
  return {
    kind: DriftKind.MODIFIED, severity: modifiedSeverity(e, best), cloud: ctx.cloud, container: e.container,
    expected: strip(e), live: strip(best), ...(best.ids.length ? { liveIds: best.ids } : {}),
    message: `declared ${describeRule(e)}, but live is ${describeRule(best)}${idsText(best)}.`,
    ...locate.expected(e), key, fingerprint: fingerprint(ctx.cloud, key),
  };
}

/** A declared rule that is not live. */
function missingFinding(e: NormalRule, ctx: DriftContext, locate: Locator): DriftFinding {
  const key = `missing ${e.key}`;
  return {
    kind: DriftKind.MISSING, severity: missingSeverity(e), cloud: ctx.cloud, container: e.container, expected: strip(e),
    message: isUnresolved(e.peer)
      ? `declared ${describeRule(e)} is not live: its range was only known at deploy time (a token at synth), so the manifest cannot name the deployed range and a live rule with it shows as unexpected. Give the Peer a literal range to audit it.`
      : `declared ${describeRule(e)} is not live.`,
    ...locate.expected(e), key, fingerprint: fingerprint(ctx.cloud, key),
  };
}

/** A live rule that is not declared. */
function unexpectedFinding(l: NormalRule, ctx: DriftContext, locate: Locator): DriftFinding {
  const key = `unexpected ${l.key}`;
  return {
    kind: DriftKind.UNEXPECTED, severity: unexpectedSeverity(l), cloud: ctx.cloud, container: l.container, live: strip(l), ...(l.ids.length ? { liveIds: l.ids } : {}),
    message: `live ${describeRule(l)}${idsText(l)} is not declared.`,
    ...locate.container(l.container, l.target), key, fingerprint: fingerprint(ctx.cloud, key),
  };
}

/** A foreign group (or firewall rule) on segmented workloads. */
function unmanagedFinding(entry: DriftAttachment, ctx: DriftContext, locate: Locator): DriftFinding {
  // a foreign firewall rule carries its rules: the finding is as severe as the worst of them (at least high)
  const { rules: held, ...u } = entry as DriftAttachment & { rules?: CanonicalRule[] };
  const worst = (held ?? []).map(unexpectedSeverity).sort((a, b) => SEVERITY_RANK[a] - SEVERITY_RANK[b])[0];
  const severity: DriftSeverity = worst && SEVERITY_RANK[worst] < SEVERITY_RANK[DriftSeverity.HIGH] ? worst : DriftSeverity.HIGH;
  const key = `unmanaged ${u.container} on ${u.attachedTo}`;
  const loc = u.workloads.length ? locate.workload(u.workloads[0]) : locate.container(u.container);
  const message = held
    ? `${u.name} targets ${u.attachedTo} (${u.workloads.join(', ')}), but microseg did not render it: its rules bypass the model (${held.slice(0, 3).map(describeRule).join('; ')}${held.length > 3 ? `; and ${held.length - 3} more` : ''}).`
    : `${u.name} (${u.container}) is attached to ${u.attachedTo}${u.workloads.length ? ` together with ${u.workloads.join(', ')}` : ''}, but microseg did not create it: its rules are not part of the model.`;
  return {
    kind: DriftKind.UNMANAGED, severity, cloud: ctx.cloud, container: u.container, unmanaged: u, ...(held ? { liveIds: [u.container.slice('firewall:'.length)] } : {}),
    message,
    ...loc, key, fingerprint: fingerprint(ctx.cloud, key),
  };
}

/** A container attached where the manifest does not list it, or not attached where it does. */
function associationFinding(d: DetachedContainer, ctx: DriftContext, locate: Locator): DriftFinding {
  if (d.unexpected) {
    const key = `unexpected association ${d.container} on ${d.attachedTo}`;
    return {
      kind: DriftKind.UNEXPECTED, severity: DriftSeverity.MEDIUM, cloud: ctx.cloud, container: d.container,
      message: `${d.container} is associated with ${d.attachedTo}, which the manifest does not list for it: its rules apply there too.`,
      ...locate.container(d.container), key, fingerprint: fingerprint(ctx.cloud, key),
    };
  }
  const key = `missing association ${d.container} on ${d.attachedTo}`;
  const instead = d.instead ? ` (${d.instead} is attached there instead)` : ' (nothing is attached there)';
  return {
    kind: DriftKind.MISSING, severity: DriftSeverity.HIGH, cloud: ctx.cloud, container: d.container,
    message: `${d.container} is not attached to ${d.attachedTo}${instead}: none of its rules apply there.`,
    ...locate.container(d.container), key, fingerprint: fingerprint(ctx.cloud, key),
  };
}

/** The findings of one region of several: the region in their key, fingerprint and message. */
function inRegion(findings: DriftFinding[], cloud: Cloud, region: string): DriftFinding[] {
  return findings.map(f => {
    const key = `${f.key} @${region}`;
    return { ...f, region, key, fingerprint: fingerprint(cloud, key), message: `[${region}] ${f.message}` };
  });
}

/** Sorts findings by severity, kind, key. */
export function sortFindings(findings: DriftFinding[]): DriftFinding[] {
  const kindOrder = { invariant: -1, opened: 0, unexpected: 1, unmanaged: 2, modified: 3, blocked: 4, missing: 5 };
  return findings.slice().sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || kindOrder[a.kind] - kindOrder[b.kind] || cmp(a.key, b.key));
}

function strip(r: NormalRule): CanonicalRule {
  const { names: _n, origins: _o, sources: _s, ids: _i, key: _k, ...rest } = r;
  return rest;
}

function idsText(r: NormalRule): string {
  if (r.ids.length === 0) return '';
  return r.ids.length <= 3 ? ` (${r.ids.join(', ')})` : ` (${r.ids.slice(0, 3).join(', ')} and ${r.ids.length - 3} more)`;
}

/** Maps rules and containers to construct paths and manifest entries. */
class Locator {
  private readonly workloadPaths = new Map<string, string>();
  private readonly zonePaths = new Map<string, string>();
  private readonly segPath: string;
  /** Identity value (SG name, ASG name, tag, service account) -> workload. */
  private readonly identityToWorkload = new Map<string, string>();
  private readonly expectedIndex = new Map<string, number>();

  constructor(private readonly ctx: DriftContext) {
    const m = ctx.manifest;
    this.segPath = m?.segmentation?.path ?? '';
    for (const w of m?.model?.workloads ?? []) this.workloadPaths.set(w.name, w.path);
    for (const z of m?.model?.zones ?? []) this.zonePaths.set(z.name, z.path);
    const section = m?.clouds?.[ctx.cloud];
    // identity values of one workload only (an NSG name shared by a zone's workloads is not one)
    const shared = new Set<string>();
    for (const [w, ids] of Object.entries(section?.identities ?? {})) {
      for (const v of new Set(Object.values(ids ?? {}))) {
        if (typeof v !== 'string' || !v) continue;
        if (this.identityToWorkload.has(v) && this.identityToWorkload.get(v) !== w) shared.add(v);
        this.identityToWorkload.set(v, w);
      }
    }
    for (const v of shared) this.identityToWorkload.delete(v);
    (section?.expected ?? []).forEach((r, i) => {
      const k = ruleKey(r);
      if (!this.expectedIndex.has(k)) this.expectedIndex.set(k, i);
    });
  }

  expected(r: NormalRule): { constructPath: string; manifestEntry: string } {
    const section = `clouds.${this.ctx.cloud}`;
    const index = this.ctx.expectedFromManifest ? r.sources[0] : this.expectedIndex.get(ruleKey(r));
    const entry = index !== undefined ? `${section}.expected[${index}]` : section;
    const path = r.origins.length ? r.origins.join(', ') : this.container(r.container, r.target).constructPath;
    return { constructPath: path, manifestEntry: entry };
  }

  container(container: string, target?: string): { constructPath: string; manifestEntry: string } {
    const section = this.ctx.manifest?.clouds?.[this.ctx.cloud];
    const entry = section?.containers && container in section.containers
      ? `clouds.${this.ctx.cloud}.containers["${container}"]` : `clouds.${this.ctx.cloud}`;
    const name = container.slice(container.indexOf(':') + 1);
    const targetName = target && target !== '*' ? target.slice(target.indexOf(':') + 1) : undefined;
    const fromTarget = targetName ? this.identityToWorkload.get(targetName) ?? (this.workloadPaths.has(targetName) ? targetName : undefined) : undefined;
    const declared = section?.containers?.[container] ?? {};
    const path = (fromTarget && this.workloadPaths.get(fromTarget))
      ?? declared.path ?? declared.constructPath
      ?? this.workloadPaths.get(name) ?? this.workloadPaths.get(this.identityToWorkload.get(name) ?? '')
      ?? this.zonePaths.get(name) ?? (declared.zone ? this.zonePaths.get(declared.zone) : undefined)
      ?? this.segPath;
    return { constructPath: path, manifestEntry: entry };
  }

  workload(name: string): { constructPath: string; manifestEntry: string } {
    const w = this.identityToWorkload.get(name) ?? name;
    return { constructPath: this.workloadPaths.get(w) ?? this.segPath, manifestEntry: `clouds.${this.ctx.cloud}.identities["${w}"]` };
  }
}

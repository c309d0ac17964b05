/**
 * Semantic normalisation of canonical rules before comparison: equivalent rule sets written
 * differently (port order, split or adjacent ranges, duplicates, `0-65535` vs `*`, a type/code
 * ICMP rule next to the whole type) normalise to the same set. Pure functions.
 */
import { CanonicalRule, mergePortRanges } from '../ir/canonical';

/** A canonical rule after normalisation, remembering where its pieces came from. */
export interface NormalRule extends CanonicalRule {
  /** Names of the cloud rules merged into this one (sorted, unique). */
  readonly names: string[];
  /** Construct paths of the rules merged into this one (sorted, unique). */
  readonly origins: string[];
  /** Indexes (in the input list) of the rules merged into this one. */
  readonly sources: number[];
  /** Cloud ids of the live rules merged into this one (`sg-…/sgr-…`, ARM rule ids, firewall names). */
  readonly ids: string[];
  /** {@link ruleKey}, computed once. */
  readonly key: string;
}

/** A canonical rule as a reader returns it: with the cloud's id of the rule, when it has one. */
export interface LiveRule extends CanonicalRule {
  readonly id?: string;
}

const PROTOCOL_NUMBERS: Record<string, string> = { '-1': 'all', '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6' };

/** Canonical protocol text: lower case, IANA numbers of the named protocols replaced by names. */
export function canonicalProtocol(p: string | number): string {
  const text = String(p).trim().toLowerCase();
  if (text === '*' || text === 'any') return 'all';
  return PROTOCOL_NUMBERS[text] ?? text;
}

/** True for protocols whose `ports` are port ranges. */
export function isPortProtocol(protocol: string): boolean {
  return protocol === 'tcp' || protocol === 'udp' || protocol === 'sctp' || protocol === '132';
}

/** True for ICMP protocols, whose `ports` are type/code. */
export function isIcmpProtocol(protocol: string): boolean {
  return protocol === 'icmp' || protocol === 'icmpv6';
}

/** Parses the port text of a port protocol into an inclusive range, or undefined when not a range. */
export function parsePortRange(ports: string): [number, number] | undefined {
  const t = ports.trim();
  if (t === '*' || t === '') return [0, 65535];
  const m = /^(\d+)(?:-(\d+))?$/.exec(t);
  if (!m) return undefined;
  const a = Number(m[1]); const b = m[2] === undefined ? a : Number(m[2]);
  return a <= b ? [a, b] : [b, a];
}

/** Formats an inclusive port range canonically (`*` for every port). */
export function formatPortRange(a: number, b: number): string {
  if (a <= 0 && b >= 65535) return '*';
  return a === b ? `${a}` : `${a}-${b}`;
}

/** Normalises a set of ICMP type/code texts: `*` absorbs all, a type absorbs its codes. */
function mergeIcmp(tokens: string[]): string[] {
  const norm = tokens.map(raw => {
    const t = raw.trim();
    if (t === '' || t === '*' || t === '-1') return '*';
    const [type, code] = t.split('/');
    if (type === '-1' || type === '*') return '*';
    return code === undefined || code === '-1' || code === '*' ? type : `${type}/${code}`;
  });
  if (norm.includes('*')) return ['*'];
  const types = new Set(norm.filter(t => !t.includes('/')));
  return [...new Set(norm.filter(t => !t.includes('/') || !types.has(t.split('/')[0])))].sort(compareIcmp);
}

function compareIcmp(a: string, b: string): number {
  const [ta, ca] = a.split('/').map(Number); const [tb, cb] = b.split('/').map(Number);
  return ta - tb || (ca ?? -1) - (cb ?? -1);
}

/** The grouping key inside which ports are merged. Priority is part of it: rules at different priorities are different rules. */
export function mergeGroupKey(r: CanonicalRule): string {
  return [r.container, r.direction, r.action, canonicalProtocol(r.protocol), r.peer, r.target ?? '*', r.priority ?? ''].join('|');
}

/**
 * Normalises rules: canonical protocol names, ports merged per (container, direction, action,
 * protocol, peer, target, priority) into disjoint maximal ranges, one rule per range.
 * The output is sorted by key and has no duplicates.
 */
export function normalizeRules(rules: readonly CanonicalRule[]): NormalRule[] {
  const groups = new Map<string, { base: CanonicalRule; protocol: string; members: { rule: CanonicalRule; index: number }[] }>();
  rules.forEach((r, index) => {
    const protocol = canonicalProtocol(r.protocol);
    const key = mergeGroupKey(r);
    let g = groups.get(key);
    if (!g) { g = { base: r, protocol, members: [] }; groups.set(key, g); }
    g.members.push({ rule: r, index });
  });
  const out: NormalRule[] = [];
  for (const g of groups.values()) {
    const raw = g.members.map(m => m.rule.ports ?? '*');
    let ports: string[];
    let contributes: (output: string, member: string) => boolean;
    if (isPortProtocol(g.protocol) || g.protocol === 'all') {
      const ranges: [number, number][] = [];
      const odd: string[] = [];
      for (const p of raw) {
        const r = parsePortRange(p);
        if (r) ranges.push(r); else odd.push(p);
      }
      ports = [...mergePortRanges(ranges).map(([a, b]) => formatPortRange(a, b)), ...[...new Set(odd)].sort()];
      contributes = (o, m) => {
        const ro = parsePortRange(o); const rm = parsePortRange(m);
        return ro && rm ? rm[0] >= ro[0] && rm[1] <= ro[1] : o === m;
      };
    } else if (isIcmpProtocol(g.protocol)) {
      ports = mergeIcmp(raw);
      contributes = (o, m) => {
        const t = mergeIcmp([m])[0];
        return o === '*' || o === t || (t.includes('/') && t.split('/')[0] === o);
      };
    } else {
      ports = [...new Set(raw.map(p => p === '' ? '*' : p))].sort();
      if (ports.includes('*')) ports = ['*'];
      contributes = (o, m) => o === '*' || o === m;
    }
    const { name: _n, origin: _o, ...base } = g.base;
    for (const p of ports) {
      const members = ports.length === 1 ? g.members : g.members.filter(m => contributes(p, m.rule.ports ?? '*'));
      const names = [...new Set(members.map(m => m.rule.name).filter((n): n is string => !!n))].sort();
      const origins = [...new Set(members.flatMap(m => (m.rule.origin ?? '').split(',').map(o => o.trim()).filter(Boolean)))].sort();
      const ids = [...new Set(members.map(m => (m.rule as LiveRule).id).filter((x): x is string => !!x))].sort();
      const { id: _i, ...plain } = base as LiveRule;
      const rule: CanonicalRule = {
        ...plain,
        protocol: g.protocol,
        ports: p,
        ...(names.length ? { name: names.join(',') } : {}),
        ...(origins.length ? { origin: origins.join(',') } : {}),
      };
      out.push({ ...rule, names, origins, sources: members.map(m => m.index).sort((a, b) => a - b), ids, key: ruleKey(rule) });
    }
  }
  return out.sort((a, b) => cmp(a.key, b.key));
}

/** The semantic identity of a normalised rule (names, origins and ids excluded). */
export function ruleKey(r: CanonicalRule): string {
  return [r.container, r.direction, r.action, canonicalProtocol(r.protocol), r.ports, r.peer, r.target ?? '*', r.priority ?? ''].join('|');
}

/** Plain string comparison for sorting. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

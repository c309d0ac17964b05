/**
 * Identities: which workload, zone or outside address an IP address stands for. Sources are the
 * manifest's workload and zone `cidrs` and saved inventory files (see inventory.ts). The most
 * specific range wins; workload entries win over zone entries of the same length.
 *
 * Identity strings (every output uses them): `workload:<name>`, `ipv4:<address or cidr>`,
 * `ipv6:<...>` (declared flows also name `zone:<name>`). An internal address without a workload
 * stays an address, even inside a zone's range. The internet (any address that
 * is neither private nor inside a known range) is folded into one `Peer` range.
 */
import { Cidr, cidr, cidrHas, parseAddress } from '../ir/cidr';

/** One known range (or single address) and what it stands for. */
export interface IdentityEntry {
  readonly cidr: string;
  /** The workload at these addresses. */
  readonly workload?: string;
  /** The zone of the range (or of the workload). */
  readonly zone?: string;
  /** Labels of the workload (discover output). */
  readonly labels?: Record<string, string>;
  /** Where the entry came from (file, manifest). */
  readonly source: string;
  /** Wins over entries of the same specificity with a lower priority (the manifest: 1, inventory: 0). @default 0 */
  readonly priority?: number;
}

/** What one address resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly value: bigint;
  /** The identity string. */
  readonly identity: string;
  readonly workload?: string;
  readonly zone?: string;
  /** Internal (private or inside a known range) but with no workload: listed as unknown. */
  readonly unknown: boolean;
  /** Outside every known and private range: folded into a peer. */
  readonly internet: boolean;
}

/** Private and special-purpose ranges: an address in them is internal (unknown when no source names it). */
export const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', 'fc00::/7', 'fe80::/10', '::1/128'].map(cidr);

interface Parsed { entry: IdentityEntry; c: Cidr }

/** The precedence of an entry: the most specific range, then a workload, then the higher priority. */
export function identityRank(entry: IdentityEntry, c: Cidr): number {
  return c.prefix * 4 + (entry.workload ? 2 : 0) + (entry.priority ?? 0);
}

/** Resolves addresses against the known ranges. */
export class IdentityMap {
  private readonly exact = new Map<string, Parsed>();
  private readonly ranges: Parsed[];
  /** Declared peer ranges, narrowest first. */
  public readonly peers: Cidr[];

  /**
   * @param entries known ranges
   * @param peers declared peer ranges the internet is folded into (narrowest containing wins);
   *   the address family's whole range when none contains the address
   */
  constructor(public readonly entries: IdentityEntry[], peers: string[] = []) {
    const parsed = entries.map(entry => ({ entry, c: cidr(entry.cidr) }));
    const rank = (p: Parsed) => identityRank(p.entry, p.c);
    for (const p of parsed) {
      if (p.c.first !== p.c.last) continue;
      const key = `${p.c.family}:${p.c.first}`;
      const prev = this.exact.get(key);
      if (!prev || rank(p) > rank(prev) || (rank(p) === rank(prev) && p.entry.source < prev.entry.source)) this.exact.set(key, p);
    }
    this.ranges = parsed.filter(p => p.c.first !== p.c.last).sort((a, b) => rank(b) - rank(a) || a.entry.cidr.localeCompare(b.entry.cidr));
    this.peers = peers.map(cidr).sort((a, b) => b.prefix - a.prefix);
  }

  /** Resolves one address text (IPv4 or IPv6). */
  public resolve(address: string): ResolvedAddress {
    const { family, value } = parseAddress(address);
    const text = address;
    const hit = this.exact.get(`${family}:${value}`) ?? this.ranges.find(r => cidrHas(r.c, family, value));
    if (hit?.entry.workload) {
      return { address: text, family, value, identity: `workload:${hit.entry.workload}`, workload: hit.entry.workload, zone: hit.entry.zone, unknown: false, internet: false };
    }
    // a zone known from a less specific range than the workload's exact address
    const zone = hit?.entry.zone ?? this.ranges.find(r => r.entry.zone && cidrHas(r.c, family, value))?.entry.zone;
    // an address no source names stays an address (listed as unknown), even inside a zone's range:
    // declaring the whole zone for it would allow far more than was observed
    if (zone) return { address: text, family, value, identity: `${family}:${text}`, zone, unknown: true, internet: false };
    if (hit || PRIVATE.some(p => cidrHas(p, family, value))) {
      return { address: text, family, value, identity: `${family}:${text}`, unknown: true, internet: false };
    }
    const peer = this.peers.find(p => cidrHas(p, family, value));
    const folded = peer ? peer.text : family === 'ipv4' ? '0.0.0.0/0' : '::/0';
    return { address: text, family, value, identity: `${family}:${folded}`, unknown: false, internet: true };
  }
}

/**
 * Canonical cloud rules: the form in which backends record what they rendered (in the manifest)
 * and audit readers report what is live, so drift is a set difference of the same shape.
 * Pure data and functions.
 */

/** The clouds (and clusters) microseg renders to. */
export type Cloud = 'aws' | 'azure' | 'gcp' | 'kubernetes';

/** One rendered (or live) rule in canonical form. */
export interface CanonicalRule {
  /**
   * Where the rule lives: AWS `sg:<group name>` or `nacl:<zone>`; Azure `nsg:<nsg name>`;
   * GCP `network:<network name>`.
   */
  readonly container: string;
  readonly direction: 'ingress' | 'egress';
  readonly action: 'allow' | 'deny';
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `all`, or an IP protocol number as text. */
  readonly protocol: string;
  /** `*`, `443`, `1024-65535`; ICMP `*`, `8` or `3/4` (type/code). */
  readonly ports: string;
  /**
   * The other side: `sg:<group name>`, `cidr:<cidr>`, `asg:<name>`, `tag:<tag>`, `sa:<email>`,
   * `pl:<prefix list id>`, `*` (any).
   */
  readonly peer: string;
  /** The protected side where a container holds many (Azure ASG, GCP target tag/SA); `*` for all. */
  readonly target?: string;
  /** NACL rule number, Azure or GCP priority. */
  readonly priority?: number;
  /** Rule name where the cloud has one (Azure, GCP). */
  readonly name?: string;
  /** Construct path of the flow (or guardrail) the rule comes from. */
  readonly origin?: string;
}

/**
 * The identity of a rule for drift: everything semantic, nothing cosmetic (names, ids, origins
 * and descriptions are not part of it).
 */
export function canonicalRuleKey(r: CanonicalRule): string {
  return [r.container, r.direction, r.action, r.protocol.toLowerCase(), r.ports, r.peer, r.target ?? '*', r.priority ?? ''].join('|');
}

/** Sorts rules by their key (stable canonical order). */
export function sortCanonical(rules: CanonicalRule[]): CanonicalRule[] {
  return rules.slice().sort((a, b) => {
    const ka = canonicalRuleKey(a); const kb = canonicalRuleKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Formats a port range as canonical text. */
export function portsText(from: number, to: number): string {
  if (from === -1 || (from === 0 && to === 65535)) return '*';
  return from === to ? `${from}` : `${from}-${to}`;
}

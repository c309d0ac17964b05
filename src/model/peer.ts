import { IFlowEndpoint } from './endpoint';

/** The address family of a {@link Peer}. */
export enum AddressFamily {
  /** IPv4. */
  IPV4 = 'ipv4',
  /** IPv6. */
  IPV6 = 'ipv6',
}

/**
 * Addresses outside the model: the internet, an on-premises range, a partner.
 *
 * Rules towards a peer are rendered exactly, with the peer's CIDR.
 */
export class Peer implements IFlowEndpoint {
  /**
   * An IPv4 range in CIDR notation, e.g. `203.0.113.0/24`.
   */
  public static ipv4(cidr: string): Peer {
    return new Peer(AddressFamily.IPV4, cidr);
  }

  /**
   * An IPv6 range in CIDR notation, e.g. `2001:db8::/32`.
   */
  public static ipv6(cidr: string): Peer {
    return new Peer(AddressFamily.IPV6, cidr);
  }

  /** Every IPv4 address (0.0.0.0/0): the internet. */
  public static anyIpv4(): Peer {
    return new Peer(AddressFamily.IPV4, '0.0.0.0/0');
  }

  /** Every IPv6 address (::/0). */
  public static anyIpv6(): Peer {
    return new Peer(AddressFamily.IPV6, '::/0');
  }

  /** Whether `x` is a Peer. */
  public static isPeer(x: unknown): x is Peer {
    return x instanceof Peer;
  }

  /** The address family. */
  public readonly family: AddressFamily;
  /** The CIDR as given. */
  public readonly cidr: string;

  private constructor(family: AddressFamily, cidr: string) {
    this.family = family;
    this.cidr = cidr;
  }

  /** `ipv4:<cidr>` or `ipv6:<cidr>`. */
  public get endpointKey(): string {
    return `${this.family}:${this.cidr}`;
  }
}

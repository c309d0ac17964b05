/**
 * The IP protocol of a {@link Port}.
 */
export enum Protocol {
  /** TCP (IP protocol 6). */
  TCP = 'tcp',
  /** UDP (IP protocol 17). */
  UDP = 'udp',
  /** ICMP for IPv4 (IP protocol 1); for IPv6 peers the backends render ICMPv6 (58). */
  ICMP = 'icmp',
  /** Every protocol and port. */
  ALL = 'all',
}

const PORT_SYMBOL = Symbol.for('microseg.Port');
/** @internal Set on a Port made by `Port.icmp()` with an explicit -1 (which would mean "every"). */
export const EXPLICIT_MINUS_ONE = Symbol.for('microseg.Port.explicitMinusOne');

/**
 * A protocol and port range, the traffic a flow allows or denies.
 *
 * A value object: build it with the static factories (`Port.tcp(443)`), compare with `key`.
 * Values are validated when the model is compiled, with the path of the flow that uses them.
 */
export class Port {
  /** A single TCP port. */
  public static tcp(port: number): Port {
    return new Port(Protocol.TCP, port, port);
  }

  /** An inclusive range of TCP ports. */
  public static tcpRange(startPort: number, endPort: number): Port {
    return new Port(Protocol.TCP, startPort, endPort);
  }

  /**
   * Whether `x` is a Port made by one of the factories (a hand-made object with the same fields
   * is not: the compiler rejects it with `microseg:InvalidPort`).
   */
  public static isPort(x: unknown): x is Port {
    return x !== null && typeof x === 'object' && PORT_SYMBOL in (x as object);
  }

  /** All TCP ports (0-65535). */
  public static allTcp(): Port {
    return new Port(Protocol.TCP, 0, 65535);
  }

  /** A single UDP port. */
  public static udp(port: number): Port {
    return new Port(Protocol.UDP, port, port);
  }

  /** An inclusive range of UDP ports. */
  public static udpRange(startPort: number, endPort: number): Port {
    return new Port(Protocol.UDP, startPort, endPort);
  }

  /** All UDP ports (0-65535). */
  public static allUdp(): Port {
    return new Port(Protocol.UDP, 0, 65535);
  }

  /**
   * ICMP, optionally one type and one code.
   *
   * @param type ICMP type 0-255; omit for every type
   * @param code ICMP code 0-255 (needs `type`); omit for every code
   */
  public static icmp(type?: number, code?: number): Port {
    const port = new Port(Protocol.ICMP, type ?? -1, code ?? -1);
    // -1 is the internal "every type / every code": passed explicitly it is a mistake, reported
    // when the model is compiled (with the flow's path), not silently widened to every type.
    if (type === -1 || code === -1) {
      Object.defineProperty(port, EXPLICIT_MINUS_ONE, { value: `icmp(${[type, code].filter(x => x !== undefined).join(', ')})` });
    }
    return port;
  }

  /** Every protocol and port. */
  public static allTraffic(): Port {
    return new Port(Protocol.ALL, 0, 65535);
  }

  /** The protocol. */
  public readonly protocol: Protocol;
  /** First port of the range (TCP/UDP); for ICMP the type (-1: every type). */
  public readonly fromPort: number;
  /** Last port of the range (TCP/UDP); for ICMP the code (-1: every code). */
  public readonly toPort: number;

  private constructor(protocol: Protocol, fromPort: number, toPort: number) {
    Object.defineProperty(this, PORT_SYMBOL, { value: true });
    this.protocol = protocol;
    this.fromPort = fromPort;
    this.toPort = toPort;
  }

  /** A canonical text form: `tcp:443`, `tcp:8000-8080`, `udp:*`, `icmp:8/0`, `icmp:*`, `all`. */
  public get key(): string {
    switch (this.protocol) {
      case Protocol.ALL: return 'all';
      case Protocol.ICMP:
        if (this.fromPort === -1) return 'icmp:*';
        return this.toPort === -1 ? `icmp:${this.fromPort}` : `icmp:${this.fromPort}/${this.toPort}`;
      default:
        if (this.fromPort === 0 && this.toPort === 65535) return `${this.protocol}:*`;
        return this.fromPort === this.toPort ? `${this.protocol}:${this.fromPort}` : `${this.protocol}:${this.fromPort}-${this.toPort}`;
    }
  }

  /** The canonical text form (see `key`). */
  public toString(): string {
    return this.key;
  }
}

/**
 * Services as AWS rules carry them: the protocol towards a family (ICMP towards IPv6 is ICMPv6,
 * with its own types), port ranges, IP protocol numbers, and merging services while keeping the
 * flows each merged range comes from. Pure.
 *
 * @internal
 */
import { IrService, mergeServices, serviceContains } from '../ir';
import { AwsProtocol } from './types';

/** A service with the flows (or guardrails) it comes from. */
export interface Part { readonly service: IrService; readonly flows: string[] }

/** IP protocol numbers of network ACL entries (-1 all). */
export const PROTOCOL_NUMBERS: Record<AwsProtocol, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, all: -1 };

/** Merges services into ranges; each merged service keeps the flows of the parts it contains. */
export function mergeWithOrigins(parts: Part[]): { service: IrService; origins: string[] }[] {
  return mergeServices(parts.map(p => p.service)).map(service => ({
    service,
    origins: [...new Set(parts.filter(p => serviceContains(service, p.service)).flatMap(p => p.flows))].sort(),
  }));
}

/** The SG/NACL protocol of an IR service towards a peer of a family. */
export function protocolFor(s: IrService, family: 'ipv4' | 'ipv6'): AwsProtocol {
  if (s.protocol === 'icmp') return family === 'ipv6' ? 'icmpv6' : 'icmp';
  return s.protocol;
}

function portsOf(s: IrService): { from: number; to: number } {
  return s.protocol === 'all' ? { from: -1, to: -1 } : { from: s.from, to: s.to };
}

/**
 * The ports (ICMP type and code) of a service as rendered with `protocol`. ICMP towards IPv6
 * ranges is ICMPv6, whose types differ: echo request 8 is 128, echo reply 0 is 129, destination
 * unreachable 3 is 1 (fragmentation needed, 3/4, is packet too big, 2), time exceeded 11 is 3.
 * parameter problem 12 is 4. Types from 128 up are ICMPv6 numbers already (no ICMPv4 type
 * has them) and are kept. An ICMP type with no ICMPv6 counterpart renders nothing towards IPv6
 * (never more open).
 *
 * @see https://www.iana.org/assignments/icmpv6-parameters/icmpv6-parameters.xhtml
 */
export function portsFor(s: IrService, protocol: AwsProtocol): { from: number; to: number }[] {
  if (protocol !== 'icmpv6' || s.protocol !== 'icmp' || s.from === -1) return [portsOf(s)];
  const type = s.from; const code = s.to;
  switch (type) {
    case 8: return [{ from: 128, to: code }];
    case 0: return [{ from: 129, to: code }];
    case 11: return [{ from: 3, to: code }];
    case 12: return [{ from: 4, to: code }];
    case 3:
      if (code === -1) return [{ from: 1, to: -1 }, { from: 2, to: -1 }];
      return ICMP_UNREACHABLE_V6[code] ? [ICMP_UNREACHABLE_V6[code]] : [];
    default: return type >= 128 ? [{ from: type, to: code }] : [];
  }
}

/** ICMP destination-unreachable codes with an ICMPv6 counterpart (type/code). */
const ICMP_UNREACHABLE_V6: Record<number, { from: number; to: number }> = {
  0: { from: 1, to: 0 }, // network unreachable -> no route to destination
  1: { from: 1, to: 3 }, // host unreachable -> address unreachable
  3: { from: 1, to: 4 }, // port unreachable
  4: { from: 2, to: 0 }, // fragmentation needed -> packet too big
  13: { from: 1, to: 1 }, // administratively prohibited
};

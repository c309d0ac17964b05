/**
 * Helpers of the exactness tests (issue 8): packets between workloads and addresses as the
 * evaluators see them, and the strip of ICMP types for clouds that cannot match them.
 */
import { Packet, PacketEnd, parseAddress } from '../../src/ir';
import { ModelSpec, workloadAddress } from './model-arbitrary';

/** An evaluator end: a workload (with its address) or an external address. */
export interface EvalEnd { workload?: string; address: bigint; family: 'ipv4' | 'ipv6' }

/** The evaluator end of a packet end (workload `w<i>-<j>` at 10.<i+1>.<j>.10). */
export function evalEnd(e: PacketEnd): EvalEnd {
  if ('workload' in e) {
    const [i, j] = e.workload.slice(1).split('-').map(Number);
    return { workload: e.workload, address: workloadAddress(i, j), family: 'ipv4' };
  }
  return { address: e.address, family: e.family };
}

/** The evaluator packet of a model packet. */
export function evalPacket(p: Packet) {
  return { source: evalEnd(p.source), destination: evalEnd(p.destination), protocol: p.protocol, port: p.port };
}

/** Azure NSGs and GCP firewall rules cannot match ICMP types: every-type ICMP instead (widening is tested apart). */
export function withoutIcmpTypes(spec: ModelSpec): ModelSpec {
  const fix = (f: ModelSpec['flows'][number]) => ({ ...f, ports: f.ports.map(p => (p.kind === 'icmp' ? { kind: 'icmp' as const } : p)) });
  return { ...spec, flows: spec.flows.map(fix), denies: spec.denies.map(fix) };
}

/** A packet between two named workloads (or a workload and an address). */
export function packet(source: string, destination: string, protocol: 'tcp' | 'udp' | 'icmp', port: number, code?: number): Packet {
  const end = (x: string): PacketEnd => (/^w\d+-\d+$/.test(x) || !/[.:]/.test(x) ? { workload: x } : (() => { const a = parseAddress(x); return { address: a.value, family: a.family }; })());
  return { source: end(source), destination: end(destination), protocol, port, ...(code !== undefined ? { code } : {}) };
}

/** JSON with bigints. */
export const show = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));

/**
 * Invariants in the IR: the model's `Isolation`, `NeverReach` and `MustReach` constructs,
 * validated and resolved like flows (endpoints to workloads, ports to services). Checking them is
 * an analysis (`src/analysis/invariants.ts`); this file only turns constructs into plain data.
 */
import type { MicrosegProblem } from '../model/errors';
import { Invariant, InvariantKind, Isolation, MustReach, NeverReach } from '../model/invariant';
import { Peer } from '../model/peer';
import type { Port } from '../model/port';
import { isUnresolved } from '../model/tokens';
import type { IrService } from './services';
import type { IrEndpointRef } from './types';

/** The longest path a `NeverReach` may ask for (a guard on the search, not a cloud limit). */
export const MAX_INVARIANT_HOPS = 16;

/** A resolved invariant. */
export interface IrInvariant {
  /** Construct path: the invariant's stable identity. */
  readonly path: string;
  readonly kind: 'ISOLATION' | 'NEVER_REACH' | 'MUST_REACH';
  readonly description: string;
  readonly owner?: string;
  /** The source (`NeverReach`, `MustReach`); absent for an `Isolation`. */
  readonly from?: IrEndpointRef;
  /** The destination; for an `Isolation`, the isolated target. */
  readonly to: IrEndpointRef;
  /** `Isolation` only: the endpoints allowed in. */
  readonly except?: IrEndpointRef[];
  /** The traffic the invariant is about (merged, as declared). */
  readonly services: IrService[];
  /** `NeverReach`: the longest path considered; 1 otherwise. */
  readonly maxHops: number;
}

/** What the compiler lends the resolver: its endpoint and port resolution, and its problem list. */
export interface InvariantResolveContext {
  endpoint(ep: unknown, path: string, role: 'source' | 'destination'): IrEndpointRef | undefined;
  services(ports: Port[], path: string): IrService[];
  readonly problems: MicrosegProblem[];
}

/** Resolves one invariant, or reports its problems through the context and gives undefined. */
export function resolveInvariant(inv: Invariant, ctx: InvariantResolveContext): IrInvariant | undefined {
  const path = inv.node.path;
  const before = ctx.problems.length;
  const problem = (code: MicrosegProblem['code'], value: unknown, message: string, hint?: string) => ctx.problems.push({ code, path, value, message, hint });
  for (const [prop, v] of [['description', inv.description], ['owner', inv.owner]] as const) {
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '')) {
      problem('InvalidProp', v, `\`${prop}\` must be a non-empty string.`, `Say ${prop === 'owner' ? 'who answers for the invariant, e.g. owner: "team-sec"' : 'why the invariant exists'}.`);
    }
  }
  let from: IrEndpointRef | undefined;
  let to: IrEndpointRef | undefined;
  let except: IrEndpointRef[] | undefined;
  let ports: Port[];
  let maxHops = 1;
  if (inv instanceof Isolation) {
    ports = inv.ports;
    if (inv.target === undefined || inv.target === null) {
      problem('InvalidProp', 'target', 'the isolated `target` is missing.', 'Pass `target:` a Zone or a Selector.');
    } else if (Peer.isPeer(inv.target)) {
      problem('UnsupportedEndpoint', inv.target.endpointKey, 'an Isolation protects workloads of the model, not a Peer outside it.', 'Isolate a Zone or a Selector; to keep the model away from a peer, use NeverReach.');
    } else {
      to = ctx.endpoint(inv.target, path, 'destination');
    }
    if (!Array.isArray(inv.except)) {
      problem('InvalidProp', String(inv.except), '`except` is a list of endpoints.', 'E.g. except: [appZone, Peer.ipv4("10.9.0.0/16")].');
    } else {
      except = [];
      for (const e of inv.except) {
        const r = ctx.endpoint(e, path, 'source');
        if (r) except.push(r);
      }
      except.sort((a, b) => cmp(a.key, b.key));
    }
  } else if (inv instanceof NeverReach || inv instanceof MustReach) {
    ports = inv.ports;
    from = ctx.endpoint(inv.from, path, 'source');
    to = ctx.endpoint(inv.to, path, 'destination');
    if (from && to && from.kind === 'cidr' && to.kind === 'cidr') {
      problem('UnsupportedEndpoint', `${from.key} -> ${to.key}`, 'both ends are Peers outside the model: the model says nothing about traffic between them.', 'One end of an invariant must be a Workload, Zone or Selector.');
    }
    if (inv instanceof NeverReach) {
      maxHops = inv.maxHops;
      if (isUnresolved(maxHops) || !Number.isInteger(maxHops) || maxHops < 1 || maxHops > MAX_INVARIANT_HOPS) {
        problem('InvalidProp', maxHops, `\`maxHops\` is a whole number of hops from 1 (direct flows only) to ${MAX_INVARIANT_HOPS}.`, 'E.g. maxHops: 3 for paths through up to two compromised workloads.');
      }
    }
    if (inv instanceof MustReach && Array.isArray(inv.ports) && inv.ports.length === 0) {
      problem('EmptyPorts', 'ports', 'a MustReach needs the ports that must pass.', 'Pass at least one Port, e.g. ports: [Port.tcp(443)].');
    }
  } else {
    problem('InvalidProp', inv.kind, 'is not an invariant microseg knows.', 'Use Isolation, NeverReach or MustReach.');
    return undefined;
  }
  const services = ctx.services(ports, path);
  if (ctx.problems.length > before || !to) return undefined;
  const kind = inv.kind as InvariantKind;
  return {
    path,
    kind: kind === InvariantKind.ISOLATION ? 'ISOLATION' : kind === InvariantKind.NEVER_REACH ? 'NEVER_REACH' : 'MUST_REACH',
    description: inv.description ?? defaultDescription(kind, from, to, except),
    owner: inv.owner,
    ...(from ? { from } : {}),
    to,
    ...(except ? { except } : {}),
    services,
    maxHops,
  };
}

function defaultDescription(kind: InvariantKind, from: IrEndpointRef | undefined, to: IrEndpointRef, except: IrEndpointRef[] | undefined): string {
  switch (kind) {
    case InvariantKind.ISOLATION: return `nothing reaches ${to.key}${except?.length ? ` except ${except.map(e => e.key).join(', ')}` : ''}`;
    case InvariantKind.NEVER_REACH: return `${from?.key} never reaches ${to.key}`;
    default: return `${from?.key} must reach ${to.key}`;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

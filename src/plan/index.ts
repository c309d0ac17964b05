/**
 * The shared planning layer: the steps every backend takes between the IR and its cloud's
 * resources (placement of both sides of every rule with the peer/zone overlap policy, rule
 * accumulation with origins, hash-slot priorities, name shortening, port texts, a problem sink
 * that honours acknowledged warnings, an index of the IR), parameterised by each cloud's
 * {@link CloudCapabilities}. Pure: no cloud package. Internal (not part of the public API).
 */
export * from './accumulator';
export * from './capabilities';
export * from './placement';
export * from './policy-index';
export * from './ports';
export * from './priorities';
export * from './problems';
export * from './sides';
export * from './text';
export * from './warnings';

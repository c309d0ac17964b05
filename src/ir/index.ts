export * from './cidr';
export * from './services';
export * from './types';
export * from './compile';
export * from './canonical';
export * from './placement';
export * from './manifest';
export * from './semantics';

/**
 * The audit's file safety (regular inputs only, never overwrite an input, atomic writes) lives in
 * `src/ir/files.ts`, shared with the map, the report and the traffic commands.
 */
export * from '../ir/files';

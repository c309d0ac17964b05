/**
 * The engines that run the plan: `duckdb` (embedded, local files; the default).
 */
import { SqlValue } from './dialect';
import { LocalRun, runLocal } from './engine';
import { IdentityMap } from './identity';
import { PlanMode } from './plan';
import { TrafficReadOptions } from './types';

/** Runs the plan on the engine the options name. */
export async function runPlan(options: TrafficReadOptions, identities: IdentityMap, mode: PlanMode, rules?: SqlValue[][]): Promise<LocalRun> {
  return runLocal(options, identities, mode, rules);
}

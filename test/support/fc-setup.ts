/**
 * vitest setup for every randomised test (fast-check).
 *
 * One base seed per run: `FC_SEED` from the environment (CI derives it from the commit, see
 * `.ci/run`), else a fresh one. Every test gets its own seed derived from the base seed and its
 * file and name, so a test's random cases do not depend on which other tests ran before it. A
 * failing test prints the line that reproduces it.
 */
import * as fc from 'fast-check';
import { beforeEach, expect } from 'vitest';
import { baseSeed, testSeed } from './property';

beforeEach(context => {
  const state = expect.getState();
  const file = state.testPath ?? context.task.file?.filepath ?? '';
  const name = state.currentTestName ?? context.task.name;
  const seed = testSeed(file, name);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
  context.onTestFailed(() => {
    const rel = file.replace(/^.*?\/(test\/)/, '$1');
    // eslint-disable-next-line no-console
    console.error(`[fast-check] reproduce with: FC_SEED=${baseSeed()} npx vitest run ${rel} -t ${JSON.stringify(context.task.name)}  (this test's seed: ${seed})`);
  });
});

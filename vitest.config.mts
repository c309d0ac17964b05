import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Hang guards, not performance checks (performance is `npm run bench`): generous, so a busy
    // 2-core machine never fails a correct test.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the CPUs: on CI's 2 cores that is ONE worker, and
    // the suite ran file after file on one core while the other idled (the forks' CPU time is the
    // same either way). Two files at a time on 2 cores, as many as the CPUs less one elsewhere.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Randomised tests: one base seed per run (FC_SEED, else random), a seed per test, and the
    // line that reproduces a failure (test/support/fc-setup.ts).
    setupFiles: ['test/support/fc-setup.ts'],
    // Snapshots are never written by the normal run: `npm run test:update-snapshots` does that.
    update: false,
  },
});

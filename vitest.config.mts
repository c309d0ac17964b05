import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Randomised tests: one base seed per run (FC_SEED, else random), a seed per test, and the
    // line that reproduces a failure (test/support/fc-setup.ts).
    setupFiles: ['test/support/fc-setup.ts'],
    // Snapshots are never written by the normal run: `npm run test:update-snapshots` does that.
    update: false,
  },
});

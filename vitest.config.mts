import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Hang guards, not performance checks (performance is `npm run bench`): generous, so a busy
    // 2-core machine never fails a correct test.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Randomised tests: one base seed per run (FC_SEED, else random), a seed per test, and the
    // line that reproduces a failure (test/support/fc-setup.ts).
    setupFiles: ['test/support/fc-setup.ts'],
    // Snapshots are never written by the normal run: `npm run test:update-snapshots` does that.
    update: false,
  },
});

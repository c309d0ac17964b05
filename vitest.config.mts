import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Snapshots are never written by the normal run: `npm run test:update-snapshots` does that.
    update: false,
  },
});

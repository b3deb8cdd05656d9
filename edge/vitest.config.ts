import { defineConfig } from 'vitest/config';

// The edge-runtime test: its own run (scripts/test.mjs counts it), on the shared standalone.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    globalSetup: ['../scripts/vitest-global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});

import { configDefaults, defineConfig } from 'vitest/config';

// The cluster tests: against a real multi-process Pravega cluster (two controllers, three segment
// stores), started or reused once for the run by the global setup. One file at a time: tests kill
// and restart the cluster's processes. `./sluice test` runs them as the step "cluster tests".
export default defineConfig({
  test: {
    include: ['gateway/test/cluster/**/*.test.ts'],
    // The fault scenarios take minutes each: `pnpm faults` runs them (vitest.cluster-faults.config.ts).
    exclude: [...configDefaults.exclude, 'gateway/test/cluster/faults/**'],
    globalSetup: ['./gateway/test/cluster/helpers/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});

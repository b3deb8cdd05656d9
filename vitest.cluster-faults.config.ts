import { defineConfig } from 'vitest/config';

// The cluster fault scenarios (gateway/test/cluster/faults/), run by `pnpm faults [--full]` only:
// minutes per scenario, too long for `./sluice test`. Same global setup as the cluster tests.
export default defineConfig({
  test: {
    include: ['gateway/test/cluster/faults/**/*.test.ts'],
    globalSetup: ['./gateway/test/cluster/helpers/global-setup.ts'],
    testTimeout: 7_200_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});

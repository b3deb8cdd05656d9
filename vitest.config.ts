import { configDefaults, defineConfig } from 'vitest/config';

// One Vitest run covers every package. Integration tests share one Pravega standalone,
// started (or reused) by the global setup and stopped at the end of the run.
export default defineConfig({
  test: {
    include: ['gateway/test/**/*.test.ts', 'sdk/test/**/*.test.ts', 'interop/test/**/*.test.ts'],
    // They need the multi-process cluster: vitest.cluster.config.ts runs them.
    exclude: [...configDefaults.exclude, 'gateway/test/cluster/**', 'gateway/test/fleet/**'],
    globalSetup: ['./scripts/vitest-global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});

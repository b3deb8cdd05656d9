import { defineConfig } from 'vitest/config';

// The gateway fleet behind Debian's HAProxy (a rolling restart under load), against the shared
// standalone. `./sluice test` runs it as the step "gateway fleet behind HAProxy (rolling restart)".
export default defineConfig({
  test: {
    include: ['gateway/test/fleet/**/*.test.ts'],
    globalSetup: ['./scripts/vitest-global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});

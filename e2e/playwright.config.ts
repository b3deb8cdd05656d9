/**
 * End-to-end: Debian's Chromium (never a downloaded browser) drives the dashboard's production
 * build (`vite preview`) against real gateway processes and the real Pravega standalone.
 */
import { defineConfig } from '@playwright/test';
import { freePort } from '../gateway/test/helpers/gateway-process.js';

// A free port, chosen once by the runner; its workers inherit it through the environment (so
// that two runs on one machine never fight over a port).
process.env.SLUICE_E2E_PREVIEW_PORT ??= String(await freePort());
const PREVIEW_PORT = Number(process.env.SLUICE_E2E_PREVIEW_PORT);

export default defineConfig({
  testDir: 'specs',
  outputDir: 'test-results',
  globalSetup: './global-setup.ts',
  timeout: 240_000,
  expect: { timeout: 60_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: process.env.SLUICE_E2E_JSON ?? 'test-results/report.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${PREVIEW_PORT}`,
    viewport: { width: 1400, height: 1000 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    // The production build, served as a user would get it.
    command: `pnpm --filter @sluice/web-demo build && pnpm --filter @sluice/web-demo exec vite preview --port ${PREVIEW_PORT} --strictPort`,
    url: `http://127.0.0.1:${PREVIEW_PORT}`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});

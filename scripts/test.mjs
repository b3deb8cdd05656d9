#!/usr/bin/env node
// `pnpm test`: lint, type-check, import-cycle check, generated-code check, then every Vitest test
// (unit, integration against a real Pravega standalone, interop with Pravega's Java client), the
// edge-runtime test, the browser end-to-end tests (Playwright driving Debian's Chromium), the
// pack-and-install smoke test and the bundle budget, then the cluster tests on a real
// multi-process Pravega cluster. One standalone serves the whole run until the cluster step. Ends
// with the plain line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePravega } from './pravega-lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const extra = process.argv.slice(2);

function step(title, cmd, args, env = {}) {
  console.log(`\n[test] ${title}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

const checks = [
  ['lint (Biome)', 'pnpm', ['exec', 'biome', 'check', '.']],
  ['types (tsc)', 'node', ['scripts/typecheck.mjs']],
  // Type-only imports count: the cycle check parses TypeScript before it is compiled.
  ['no import cycles in gateway/src, sdk/src (dependency-cruiser)', 'node', ['scripts/import-cycles.mjs']],
  ['generated code is current', 'node', ['scripts/generate.mjs', '--check']],
  // ~1–2 min on 2 busy cores (two tsc programs): the reference is current, doc code blocks
  // type-check, relative links resolve (scripts/docs.mjs).
  ['docs: reference current, code blocks type-check, links resolve', 'pnpm', ['docs:check']],
  // `pnpm build` (tsc -b; the packaging step below reuses it), then API Extractor on each entry
  // point's declarations: ~15 s beyond the build (scripts/api-report.mjs).
  ['public API reports current (API Extractor)', 'pnpm', ['api:check']],
];
let checkFailures = 0;
for (const [title, cmd, args] of checks) if (!step(title, cmd, args)) checkFailures++;

// Held for the whole run, so Vitest, the edge test and the e2e tests share one standalone.
const pravega = await ensurePravega({ log: (line) => console.log(`[pravega] ${line}`) });
const env = { PRAVEGA_CONTROLLER_URI: pravega.controllerUri };
const results = mkdtempSync(join(tmpdir(), 'sluice-test-'));
const out = join(results, 'vitest.json');
step(
  'tests (Vitest)',
  'pnpm',
  ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra],
  env,
);
const edgeOut = join(results, 'edge.json');
const runEdge = extra.length === 0 && existsSync(join(root, 'edge/vitest.config.ts'));
if (runEdge)
  step(
    'edge runtime (Vitest)',
    'pnpm',
    [
      'exec',
      'vitest',
      'run',
      '--config',
      'edge/vitest.config.ts',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${edgeOut}`,
    ],
    env,
  );
const e2eOut = join(results, 'e2e.json');
const runE2e = extra.length === 0 && existsSync(join(root, 'e2e/playwright.config.ts'));
if (runE2e)
  step('browser end-to-end (Playwright, Chromium)', 'pnpm', ['--filter', '@sluice/e2e', 'exec', 'playwright', 'test'], {
    ...env,
    SLUICE_E2E_JSON: e2eOut,
  });
// Packages as npm users get them (scripts/pack-smoke.mjs): build, pack, install the tarballs in a
// scratch project outside the repo and use them from Node, TypeScript, Deno, a Vite app in
// Chromium, and the installed gateway on this standalone. Then the SDK's bundle-size budget.
const smokeOut = join(results, 'pack-smoke.json');
const bundleOut = join(results, 'bundle-size.json');
const runPackaging = extra.length === 0;
if (runPackaging) {
  step(
    'packages: build, pack, install and use outside the repo',
    'node',
    ['scripts/pack-smoke.mjs', '--json', smokeOut],
    env,
  );
  step('bundle size (esbuild, min+gzip) within budget', 'node', ['scripts/bundle-size.mjs', '--json', bundleOut]);
}
// Three gateway processes behind Debian's HAProxy, each drained (SIGTERM) and restarted in turn
// under writers, transactions, a reader and a reader group (gateway/test/fleet).
const fleetOut = join(results, 'fleet.json');
const runFleet = extra.length === 0 && existsSync(join(root, 'vitest.fleet.config.ts'));
if (runFleet)
  step(
    'gateway fleet behind HAProxy (rolling restart)',
    'pnpm',
    [
      'exec',
      'vitest',
      'run',
      '--config',
      'vitest.fleet.config.ts',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${fleetOut}`,
    ],
    env,
  );
await pravega.release();
// The multi-process cluster (two controllers, three segment stores), after the standalone is let
// go: its global setup starts one (or reuses this worktree's) and stops what it started.
const clusterOut = join(results, 'cluster.json');
const runCluster = extra.length === 0 && existsSync(join(root, 'vitest.cluster.config.ts'));
if (runCluster) {
  const started = Date.now();
  step('cluster tests (Vitest)', 'pnpm', [
    'exec',
    'vitest',
    'run',
    '--config',
    'vitest.cluster.config.ts',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${clusterOut}`,
  ]);
  console.log(`[test] cluster tests took ${Math.round((Date.now() - started) / 1000)} s`);
}

let passed = 0;
let failed = checkFailures;
function countVitest(file) {
  if (!existsSync(file)) {
    failed++;
    return;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests + (report.numRuntimeErrors ?? 0);
  if (report.numTotalTests === 0 || (report.success === false && report.numFailedTests === 0)) failed++;
}
countVitest(out);
if (runEdge) countVitest(edgeOut);
if (runFleet) countVitest(fleetOut);
if (runCluster) countVitest(clusterOut);
if (runE2e) {
  // Playwright's JSON: expected = passed, unexpected = failed, flaky = passed only on a retry.
  if (existsSync(e2eOut)) {
    const { stats, errors } = JSON.parse(readFileSync(e2eOut, 'utf8'));
    passed += stats.expected;
    failed += stats.unexpected + stats.flaky + (errors?.length ?? 0);
    if (stats.expected + stats.unexpected + stats.flaky === 0) failed++;
  } else {
    failed++;
  }
}
if (runPackaging) {
  // Each smoke step and each enforced budget counts as one test.
  for (const file of [smokeOut, bundleOut]) {
    if (!existsSync(file)) {
      failed++;
      continue;
    }
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.passed;
    failed += report.failed;
    if (report.passed + report.failed === 0) failed++;
  }
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

#!/usr/bin/env node
// `pnpm test`: lint, type-check, generated-code check, then every Vitest test (unit, integration
// against a real Pravega standalone, interop with Pravega's Java client). Ends with the plain
// line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const extra = process.argv.slice(2);

function step(title, cmd, args) {
  console.log(`\n[test] ${title}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

const checks = [
  ['lint (Biome)', 'pnpm', ['exec', 'biome', 'check', '.']],
  ['types (tsc)', 'node', ['scripts/typecheck.mjs']],
  ['generated code is current', 'node', ['scripts/generate.mjs', '--check']],
];
let checkFailures = 0;
for (const [title, cmd, args] of checks) if (!step(title, cmd, args)) checkFailures++;

const out = join(mkdtempSync(join(tmpdir(), 'sluice-test-')), 'vitest.json');
step('tests (Vitest)', 'pnpm', [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...extra,
]);

let passed = 0;
let failed = checkFailures;
if (existsSync(out)) {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests + (report.numRuntimeErrors ?? 0);
  if (report.numTotalTests === 0 || (report.success === false && report.numFailedTests === 0)) failed++;
} else {
  failed++;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

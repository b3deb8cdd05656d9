#!/usr/bin/env node
// Type-checks every package with its own tsconfig (the SDK's forbids Node types in sdk/src).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const projects = ['proto', 'gateway', 'sdk', 'sdk/test', 'interop/test', 'bench', 'e2e', 'web-demo', 'edge'];
let failed = false;
for (const p of projects) {
  if (!existsSync(`${p}/tsconfig.json`)) continue;
  const r = spawnSync('pnpm', ['exec', 'tsc', '-p', p], { stdio: 'inherit' });
  console.log(`[typecheck] ${p}: ${r.status === 0 ? 'ok' : 'FAILED'}`);
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);

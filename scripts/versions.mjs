#!/usr/bin/env node
// Writes each published package's version module from its package.json, so the version a gateway
// reports and the one an SDK sends in its hello come from one place (package.json) and work in
// every runtime (a plain constant: no JSON import, which browsers, bundlers, Deno and Node 20
// treat differently). Every package build runs this first; `--check` fails if a committed module
// differs from its package.json (the test runner runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const modules = [
  { pkg: 'sdk', file: 'sdk/src/version.ts', name: 'SDK_VERSION' },
  { pkg: 'gateway', file: 'gateway/src/version.ts', name: 'GATEWAY_VERSION' },
];
const check = process.argv.includes('--check');

let stale = 0;
for (const { pkg, file, name } of modules) {
  const { name: pkgName, version } = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8'));
  const text = [
    `// Generated from ${pkg}/package.json by scripts/versions.mjs (every build runs it); do not edit.`,
    `/** The version of ${pkgName} (its package.json's). */`,
    `export const ${name} = '${version}';`,
    '',
  ].join('\n');
  const path = join(root, file);
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {}
  if (current === text) continue;
  if (check) {
    console.error(`${file} does not match ${pkg}/package.json (${version}): run \`node scripts/versions.mjs\``);
    stale++;
  } else {
    writeFileSync(path, text);
    console.log(`${file}: ${pkgName} ${version}`);
  }
}
if (stale > 0) process.exit(1);
if (check) console.log('version modules are current');

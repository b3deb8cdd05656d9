#!/usr/bin/env node
// Regenerates proto/gen from proto/**/*.proto with buf + protoc-gen-es (both from npm, offline),
// and the SDK's frame codec tables (scripts/generate-frame-codec.mjs).
// `--check` regenerates into a scratch folder and fails if the committed code differs.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { generateFrameCodec } from './generate-frame-codec.mjs';

const root = new URL('..', import.meta.url).pathname;
const protoDir = join(root, 'proto');
const bin = join(protoDir, 'node_modules', '.bin');
const check = process.argv.includes('--check');

function generate(outDir) {
  const work = mkdtempSync(join(tmpdir(), 'sluice-gen-'));
  cpSync(protoDir, work, { recursive: true, filter: (p) => !p.includes('node_modules') && !p.endsWith('/gen') });
  execFileSync(join(bin, 'buf'), ['generate', '--output', '.'], {
    cwd: work,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  writeFileSync(join(work, 'gen', 'sluice', 'v1', 'gateway_codec.ts'), generateFrameCodec(work, join(bin, 'buf')));
  rmSync(outDir, { recursive: true, force: true });
  cpSync(join(work, 'gen'), outDir, { recursive: true });
  rmSync(work, { recursive: true, force: true });
}

function listFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

if (!check) {
  generate(join(protoDir, 'gen'));
  console.log('proto/gen regenerated');
} else {
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-gen-check-'));
  generate(scratch);
  const committed = join(protoDir, 'gen');
  const a = listFiles(scratch)
    .map((p) => relative(scratch, p))
    .sort();
  const b = listFiles(committed)
    .map((p) => relative(committed, p))
    .sort();
  const differs =
    a.join('\n') !== b.join('\n') ||
    a.some((f) => readFileSync(join(scratch, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'));
  rmSync(scratch, { recursive: true, force: true });
  if (differs) {
    console.error('proto/gen is stale: run `pnpm generate` and commit the result.');
    process.exit(1);
  }
  console.log('proto/gen is current');
}

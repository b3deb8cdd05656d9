#!/usr/bin/env node
// `pnpm faults [--full]`: the fault scenarios (R1–R5, R7, the lifecycle fuzzer L1) with the checker, at CI size or at the
// full size of the fault-harness issue, then a table of cycles, events and checker counts.
// Uses (or starts) the shared standalone like the tests do; R4/R5/R7 start their own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const full = process.argv.includes('--full');
const root = new URL('..', import.meta.url).pathname;
const report = join(mkdtempSync(join(tmpdir(), 'sluice-faults-')), 'report.jsonl');
const sizes = full
  ? {
      SLUICE_R1_KILLS: '50',
      SLUICE_R1_EVENTS: '1000000',
      SLUICE_TXN_KILLS: '50',
      SLUICE_READER_KILLS: '1000',
      SLUICE_R4_FAULTS: '200',
      SLUICE_R5_PAUSES: '20',
      SLUICE_LIFECYCLE_SEQUENCES: '1000',
    }
  : {};
const all = [
  'gateway/test/faults/faults.test.ts',
  'interop/test/txn-crashes.test.ts',
  'gateway/test/integration/reader-resume.test.ts',
  'interop/test/pipeline.test.ts',
  'gateway/test/faults/lifecycle-fuzz.test.ts',
];
// `pnpm faults [--full] [file…]`: a subset of the scenario files, e.g. to repeat one.
const picked = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = picked.length > 0 ? all.filter((f) => picked.some((p) => f.includes(p))) : all;
console.log(
  `[faults] ${full ? 'full' : 'CI'} size: ${JSON.stringify(sizes)}; this takes ${full ? '30–60' : 'about 5'} minutes`,
);
const run = spawnSync('pnpm', ['exec', 'vitest', 'run', '--no-file-parallelism', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ...sizes, SLUICE_FAULTS_REPORT: report },
});
let rows = [];
try {
  rows = readFileSync(report, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} catch {}
const date = new Date().toISOString().slice(0, 10);
console.log(`\n### Fault scenarios (${full ? '`pnpm faults --full`' : '`pnpm faults`'}, ${date})\n`);
console.log(
  '| scenario | cycles | events | lost-acked | duplicate | reordered-within-key | aborted-visible | unseen (unacked, allowed) |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.scenario} | ${r.cycles} | ${r.events.toLocaleString('en')} | ${r.lostAcked} | ${r.duplicate} | ${r.reorderedWithinKey} | ${r.abortedVisible} | ${r.unseen} |`,
  );
const bad = rows.filter((r) => r.lostAcked + r.duplicate + r.reorderedWithinKey + r.abortedVisible > 0);
console.log(`\n${run.status === 0 && bad.length === 0 ? 'PASS' : 'FAIL'}: ${rows.length} scenarios reported`);
process.exit(run.status === 0 && bad.length === 0 ? 0 : 1);

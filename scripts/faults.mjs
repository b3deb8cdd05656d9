#!/usr/bin/env node
// `pnpm faults [--full]`: the fault scenarios (R1–R5, R7, the lifecycle fuzzer L1) with the checker, at CI size or at the
// full size of the fault-harness issue, then a table of cycles, events and checker counts.
// Uses (or starts) the shared standalone like the tests do; R4/R5/R7 start their own.
// Then the cluster scenarios (gateway/test/cluster/faults/: segment store SIGKILL, controller
// SIGKILL, bookie restart, whole-cluster restart; 1 cycle each, 20 with --full) on a multi-process
// cluster of their own (docs/clusters.md), on the ports from SLUICE_CLUSTER_BASE_PORT (23000 unless
// set) so that it never meets another worktree's cluster on the default 21000.
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
      SLUICE_CLUSTER_CYCLES: '20',
    }
  : {};
const all = [
  'gateway/test/faults/faults.test.ts',
  'interop/test/txn-crashes.test.ts',
  'gateway/test/integration/reader-resume.test.ts',
  'interop/test/pipeline.test.ts',
  'gateway/test/faults/lifecycle-fuzz.test.ts',
];
const onCluster = ['gateway/test/cluster/faults/cluster-faults.test.ts'];
// `pnpm faults [--full] [file…]`: a subset of the scenario files, e.g. to repeat one.
const picked = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const pick = (list) => (picked.length > 0 ? list.filter((f) => picked.some((p) => f.includes(p))) : list);
const files = pick(all);
const clusterFiles = pick(onCluster);
console.log(
  `[faults] ${full ? 'full' : 'CI'} size: ${JSON.stringify(sizes)}; this takes ${full ? '2–3 hours' : 'about 15'} minutes`,
);
const env = {
  ...process.env,
  SLUICE_CLUSTER_BASE_PORT: process.env.SLUICE_CLUSTER_BASE_PORT ?? '23000',
  ...sizes,
  SLUICE_FAULTS_REPORT: report,
};
const vitest = (args) =>
  spawnSync('pnpm', ['exec', 'vitest', 'run', '--no-file-parallelism', ...args], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
const runs = [];
if (files.length > 0) runs.push(vitest(files));
if (clusterFiles.length > 0) {
  console.log(`[faults] cluster scenarios (ports from ${env.SLUICE_CLUSTER_BASE_PORT})`);
  runs.push(vitest(['--config', 'vitest.cluster-faults.config.ts', ...clusterFiles]));
}
const run = { status: runs.every((r) => r.status === 0) ? 0 : 1 };
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

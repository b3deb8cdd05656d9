#!/usr/bin/env node
// Fails on an import cycle in the gateway's or the SDK's sources, type-only imports included
// (STYLE.md: no import cycles, layers only point down). A type-only cycle costs nothing at run
// time, but it ties two files together all the same: neither can be read, tested or moved alone.
//
// `node scripts/import-cycles.mjs [dir…]` (default: gateway/src sdk/src) prints each cycle and
// exits 1 if there is one. dependency-cruiser does the work; `findImportCycles` is exported for
// the test that proves a type-only cycle is caught (gateway/test/import-cycles.test.ts).
import { cruise } from 'dependency-cruiser';

export const CHECKED_DIRS = ['gateway/src', 'sdk/src'];

/**
 * Every import cycle among the files under `dirs`, each as the list of files round it. Rejects
 * when `dirs` hold no module: a check that read nothing would pass for the wrong reason.
 */
export async function findImportCycles(dirs, { cwd = process.cwd() } = {}) {
  const { output } = await cruise(dirs, {
    baseDir: cwd,
    // Parse TypeScript before compiling it, which would drop type-only imports.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    ruleSet: { forbidden: [{ name: 'no-import-cycle', severity: 'error', from: {}, to: { circular: true } }] },
    validate: true,
  });
  if (output.summary.totalCruised === 0) throw new Error(`no module found under ${dirs.join(', ')} (in ${cwd})`);
  return output.summary.violations
    .filter((v) => v.rule.name === 'no-import-cycle')
    .map((v) => [v.from, ...(v.cycle ?? []).map((c) => c.name)]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dirs = process.argv.slice(2);
  const root = new URL('..', import.meta.url).pathname;
  const cycles = await findImportCycles(dirs.length > 0 ? dirs : CHECKED_DIRS, { cwd: root });
  for (const cycle of cycles) console.error(`[cycles] ${cycle.join(' → ')}`);
  console.log(`[cycles] ${cycles.length === 0 ? 'no import cycle' : `${cycles.length} import cycle(s)`}`);
  process.exit(cycles.length === 0 ? 0 : 1);
}

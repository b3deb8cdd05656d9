#!/usr/bin/env node
// The public API reports (API Extractor) of each published entry point, from the built
// declarations (`pnpm build` first: tsc -b, incremental):
//
//   node scripts/api-report.mjs           writes docs/reference/api/<entry>.public.api.md
//                                         (`pnpm run docs` runs it)
//   node scripts/api-report.mjs --check   fails if a report differs from what the declarations
//                                         give: the public API changed without its report
//                                         (`pnpm api:check`, a check of ./sluice test)
//
// The "public" variant: members tagged @internal are left out (the SDK keeps them off its
// contract; docs/testing.md, "The public API report"). @sluice/proto has no report: it is code
// generated from proto/*.proto, whose contract is the .proto files (check:generated guards the
// generated code).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = resolve(new URL('..', import.meta.url).pathname);
const check = process.argv.includes('--check');
const reportFolder = join(root, 'docs', 'reference', 'api');
const tempFolder = join(root, 'node_modules', '.cache', 'api-extractor');
const say = (msg) => console.log(`[api] ${msg}`);

/** Report name → package and the built declaration file its exports map names. */
const ENTRIES = {
  sdk: { pkg: 'sdk', dts: 'sdk/dist/src/index.d.ts', what: '@sluice/sdk (browsers, Deno, edge, default)' },
  'sdk-node': { pkg: 'sdk', dts: 'sdk/dist/node/index.d.ts', what: '@sluice/sdk (the "node" condition)' },
  'sdk-writer': { pkg: 'sdk', dts: 'sdk/dist/src/entries/writer.d.ts', what: '@sluice/sdk/writer' },
  'sdk-reader': { pkg: 'sdk', dts: 'sdk/dist/src/entries/reader.d.ts', what: '@sluice/sdk/reader' },
  gateway: { pkg: 'gateway', dts: 'gateway/dist/index.d.ts', what: '@sluice/gateway (in-process use)' },
};

/**
 * In the workspace @sluice/proto's exports point at its TypeScript sources; the published ones
 * (publishConfig) at its built declarations, which is what a user's compiler sees: map to those.
 */
function protoPaths() {
  const proto = JSON.parse(readFileSync(join(root, 'proto', 'package.json'), 'utf8'));
  const paths = {};
  for (const [subpath, target] of Object.entries(proto.publishConfig.exports)) {
    if (typeof target === 'object' && target.types)
      paths[`@sluice/proto/${subpath.slice(2)}`] = [join(root, 'proto', target.types)];
  }
  return paths;
}

say('pnpm build (tsc -b, incremental)');
const build = spawnSync('pnpm', ['build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (build.status !== 0) process.exit(build.status ?? 1);

mkdirSync(reportFolder, { recursive: true });
mkdirSync(tempFolder, { recursive: true });
let failed = false;
for (const [name, { pkg, dts, what }] of Object.entries(ENTRIES)) {
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: join(root, pkg),
      mainEntryPointFilePath: join(root, dts),
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            lib: ['ES2023', 'ESNext.Disposable', 'DOM'],
            types: ['node'],
            strict: true,
            skipLibCheck: true,
            paths: protoPaths(),
          },
          files: [join(root, dts)],
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: name,
        reportVariants: ['public'],
        reportFolder,
        reportTempFolder: tempFolder,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        // The SDK marks what is not its contract with @internal and leaves the rest untagged
        // (public), so a missing @public is not a finding; the TSDoc style is not checked here.
        // A type the API uses but no entry exports (ae-forgotten-export) is noted in the report.
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
          // The report marks each member without a doc comment "(undocumented)"; no console line.
          'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    packageJsonFullPath: join(root, pkg, 'package.json'),
  });
  let errors = 0;
  const result = Extractor.invoke(config, {
    localBuild: !check,
    messageCallback: (message) => {
      // Findings that go to the report file are not repeated here; the stale-report warning is
      // said below, plainly.
      if (
        message.messageId === 'console-api-report-changed' ||
        message.messageId === 'console-api-report-copied' ||
        message.messageId === 'console-compiler-version-notice'
      ) {
        message.handled = true;
        return;
      }
      if (message.logLevel === 'error') errors++;
      if (message.logLevel === 'warning' || message.logLevel === 'error') {
        console.error(`[api] ${name}: ${message.messageId}: ${message.text}`);
        message.handled = true;
      }
    },
  });
  const file = `docs/reference/api/${name}.public.api.md`;
  if (errors > 0 || result.errorCount > 0) {
    failed = true;
    console.error(`[api] ${what}: API Extractor failed (${errors + result.errorCount} errors)`);
  } else if (result.apiReportChanged && check) {
    failed = true;
    console.error(`[api] ${file} is stale: the public API of ${what} changed; run \`pnpm run docs\` and commit it`);
  } else {
    say(`${file}: ${result.apiReportChanged ? 'written' : 'current'} (${what})`);
  }
}
process.exit(failed ? 1 : 0);

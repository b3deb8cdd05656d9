#!/usr/bin/env node
// The SDK's size in a browser app, against a budget that fails the build.
//
// Each app below is bundled as a user's bundler would (esbuild: bundle, minify, browser
// conditions, ES2022, ESM) from the SDK's sources, and measured gzipped (level 9). Sizes are in
// KB of 1,000 bytes. `--json FILE` writes { passed, failed, apps } for the test runner;
// `--why` lists each app's largest inputs (what a budget overrun is made of).
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const why = args.includes('--why');

/**
 * `budgetKB`: the most the app may weigh, min+gzip. `enforced: false` reports an overrun without
 * failing; it is there for a budget whose code change has not landed yet, and says so.
 */
const APPS = [
  {
    name: 'writer-only',
    budgetKB: 25,
    enforced: true,
    source: `
      import { connect, Serializers } from '@sluice/sdk/writer';
      const client = await connect({ url: 'ws://localhost:8080', scope: 'demo' });
      const writer = client.writer('demo/s', { serializer: Serializers.utf8() });
      await writer.write('hello', 'key');
      await writer.close();
      await client.close();`,
  },
  {
    // The same app on the full client: it works unchanged, and weighs what everything does.
    name: 'writer (full)',
    source: `
      import { connect, Serializers } from '@sluice/sdk';
      const client = await connect({ url: 'ws://localhost:8080', scope: 'demo' });
      const writer = client.writer('demo/s', { serializer: Serializers.utf8() });
      await writer.write('hello', 'key');
      await writer.close();
      await client.close();`,
  },
  {
    name: 'reader-only',
    budgetKB: 27,
    enforced: true,
    source: `
      import { connect, Serializers } from '@sluice/sdk/reader';
      const client = await connect({ url: 'ws://localhost:8080', scope: 'demo' });
      const reader = client.reader('demo/s', { serializer: Serializers.utf8() });
      for await (const ev of reader) console.log(ev.value);
      await client.close();`,
  },
  {
    // The same app on the full client.
    name: 'reader (full)',
    source: `
      import { connect, Serializers } from '@sluice/sdk';
      const client = await connect({ url: 'ws://localhost:8080', scope: 'demo' });
      const reader = client.reader('demo/s', { serializer: Serializers.utf8() });
      for await (const ev of reader) console.log(ev.value);
      await client.close();`,
  },
  {
    name: 'everything',
    budgetKB: 40,
    enforced: true,
    source: `export * from '@sluice/sdk';`,
  },
];

async function measure(app) {
  const result = await build({
    stdin: { contents: app.source, resolveDir: root, sourcefile: `${app.name}.js`, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(output.inputs)
    .map(([path, { bytesInOutput }]) => ({ path, bytes: bytesInOutput }))
    .filter((i) => i.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, inputs };
}

const kb = (bytes) => (bytes / 1000).toFixed(1);
let passed = 0;
let failed = 0;
const report = [];
for (const app of APPS) {
  const size = await measure(app);
  const over = app.budgetKB !== undefined && size.gzipped > app.budgetKB * 1000;
  let verdict = 'no budget';
  if (app.budgetKB !== undefined) {
    if (!over) verdict = `within ${app.budgetKB} KB`;
    else if (app.enforced) verdict = `OVER the ${app.budgetKB} KB budget`;
    else verdict = `over the ${app.budgetKB} KB budget, not enforced yet: ${app.pending}`;
    if (app.enforced) over ? failed++ : passed++;
  }
  console.log(
    `[bundle] ${app.name.padEnd(13)} ${kb(size.gzipped).padStart(5)} KB min+gzip (${kb(size.minified)} KB minified): ${verdict}`,
  );
  if (why)
    for (const input of size.inputs.slice(0, 12))
      console.log(`[bundle]     ${kb(input.bytes).padStart(6)} KB  ${input.path.replace(root, '')}`);
  report.push({ name: app.name, budgetKB: app.budgetKB, enforced: app.enforced ?? false, ...size, inputs: undefined });
}
console.log(`[bundle] ${passed} budget(s) met, ${failed} exceeded`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ passed, failed, apps: report }));
process.exit(failed === 0 ? 0 : 1);

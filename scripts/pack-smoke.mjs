#!/usr/bin/env node
// The pack-and-install smoke test: what a user outside this repository gets from npm.
//
// Builds @sluice/proto, @sluice/sdk and @sluice/gateway (tsc project build), packs them with
// `pnpm pack` (which applies publishConfig and turns workspace: ranges into versions), checks each
// tarball (manifest, files, `npm publish --dry-run`), then in a scratch project under the OS
// temp dir installs the tarballs with npm (their dependencies from the registry) and:
//   - imports the SDK and the gateway in Node (ESM);
//   - type-checks a TypeScript consumer under DOM, Node (no DOM) and WebWorker libs;
//   - runs `npx sluice-gateway --help`, then starts that installed gateway on the standalone;
//   - writes and reads through the installed SDK from Node, from Deno (`npm:` specifier, from the
//     local node_modules with the registry unreachable), and from a Vite build in Chromium.
// Prints a line per step; `--json FILE` writes { passed, failed, steps, packages } for the test
// runner; `--keep` leaves the scratch folder. Uses the standalone that is running or starts one.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { check, freePort, seconds, stepRecorder } from './pack-smoke/smoke-steps.mjs';
import { verifyRoundtrip } from './pack-smoke/verify-roundtrip.mjs';
import { ensurePravega } from './pravega-lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const fixtures = join(root, 'scripts/pack-smoke');
const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const keep = args.includes('--keep');
const PACKAGES = ['proto', 'sdk', 'gateway'];
const started = Date.now();

const log = (line) => console.log(`[smoke] ${line}`);

// The environment of a user's shell: without the npm_config_*, npm_package_* … variables that
// `pnpm test` passes down (npm warns about pnpm's own settings, and they are not the user's).
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_')));

/** Runs a command to its end (or its timeout); never throws. */
function run(cmd, argv, { cwd = root, env = {}, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd, env: { ...userEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(timed out after ${seconds(timeoutMs)})`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => (stderr += `\n${err.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A command that must succeed: its output on failure. */
async function must(cmd, argv, opts) {
  const r = await run(cmd, argv, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.code}\n${tail(r.stdout + r.stderr)}`);
  return r;
}

const tail = (text, lines = 25) => text.trim().split('\n').slice(-lines).join('\n');

/** The last line of output that parses as JSON (what a fixture printed). */
function lastJson(text) {
  for (const line of text.trim().split('\n').reverse()) {
    try {
      return JSON.parse(line);
    } catch {}
  }
  throw new Error(`no JSON in the output:\n${tail(text)}`);
}

const { steps, step } = stepRecorder(log);

/** Every path an exports map (or bin) points at. */
function targets(value) {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(targets);
  return [];
}

const scratch = mkdtempSync(join(tmpdir(), 'sluice-pack-smoke-'));
const tarballs = join(scratch, 'tarballs');
const app = join(scratch, 'app');
mkdirSync(tarballs);
mkdirSync(app);
const packages = {};
let gateway;
let pravega;
let browser;
let staticServer;

try {
  log(`scratch project: ${scratch}`);
  pravega = await ensurePravega({ log: (line) => log(`pravega: ${line}`) });

  const built = await step('build (versions current, tsc -b of proto, sdk, gateway)', async () => {
    await must('node', ['scripts/versions.mjs', '--check']);
    // From clean: a file removed from the sources must not linger in a tarball.
    for (const p of PACKAGES) rmSync(join(root, p, 'dist'), { recursive: true, force: true });
    await must('pnpm', ['exec', 'tsc', '-b', 'proto/tsconfig.build.json']);
    // The SDK and the gateway only share proto: build them side by side.
    await Promise.all([
      must('pnpm', ['exec', 'tsc', '-b', 'sdk/tsconfig.node.build.json']),
      must('pnpm', ['exec', 'tsc', '-b', 'gateway/tsconfig.build.json']),
    ]);
  });

  const packed =
    built &&
    (await step('pack (pnpm pack) and check each tarball (manifest, files, npm publish --dry-run)', async () => {
      const lines = [];
      for (const p of PACKAGES) {
        const source = JSON.parse(readFileSync(join(root, p, 'package.json'), 'utf8'));
        const { stdout } = await must('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(root, p) });
        const file = stdout
          .trim()
          .split('\n')
          .find((l) => l.endsWith('.tgz'))
          ?.trim();
        check(file && existsSync(file), `pnpm pack printed no tarball:\n${tail(stdout)}`);
        const dry = await must('npm', ['publish', '--dry-run', '--json', file], { cwd: tarballs });
        const report = Object.values(JSON.parse(dry.stdout))[0];
        // Being logged in is the one thing a dry run here cannot have.
        const warnings = dry.stderr.split('\n').filter((l) => /npm (warn|error)/i.test(l) && !/logged in/.test(l));
        check(warnings.length === 0, `npm publish --dry-run ${p}:\n${warnings.join('\n')}`);
        const files = new Set(report.files.map((f) => f.path));
        const manifest = JSON.parse((await must('tar', ['-xzOf', file, 'package/package.json'])).stdout);
        const problems = [];
        if (manifest.private) problems.push('private');
        if (manifest.license !== 'Apache-2.0') problems.push(`license ${manifest.license}`);
        if (!files.has('LICENSE')) problems.push('no LICENSE');
        else if (readFileSync(join(root, p, 'LICENSE'), 'utf8') !== readFileSync(join(root, 'LICENSE'), 'utf8'))
          problems.push(`${p}/LICENSE differs from the root LICENSE`);
        if (manifest.sideEffects !== false) problems.push('sideEffects is not false');
        if (manifest.version !== source.version) problems.push(`version ${manifest.version} ≠ ${source.version}`);
        for (const deps of [manifest.dependencies, manifest.peerDependencies])
          for (const [name, range] of Object.entries(deps ?? {}))
            if (range.startsWith('workspace:')) problems.push(`${name}@${range}`);
        for (const target of [...targets(manifest.exports), ...targets(manifest.bin)]) {
          const path = target.replace(/^\.\//, '');
          if (path.includes('*')) {
            const re = new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace('*', '.+')}$`);
            if (![...files].some((f) => re.test(f))) problems.push(`exports ${target} matches no file`);
          } else if (!files.has(path)) problems.push(`exports/bin ${target} is not in the tarball`);
          if (path.endsWith('.ts') && !path.endsWith('.d.ts')) problems.push(`exports ${target} is TypeScript source`);
        }
        for (const f of files) {
          if (/(^|\/)test\//.test(f) || /\.test\./.test(f)) problems.push(`ships a test: ${f}`);
          if (f.endsWith('.ts') && !f.endsWith('.d.ts')) problems.push(`ships TypeScript source: ${f}`);
          if (f.endsWith('.tsbuildinfo')) problems.push(`ships ${f}`);
        }
        for (const js of [...files].filter((f) => f.endsWith('.js'))) {
          if (!files.has(`${js}.map`)) problems.push(`${js} has no source map`);
          if (!files.has(js.replace(/\.js$/, '.d.ts'))) problems.push(`${js} has no declarations`);
        }
        check(problems.length === 0, `${manifest.name}: ${problems.slice(0, 10).join('; ')}`);
        packages[manifest.name] = {
          file,
          version: manifest.version,
          packed: report.size,
          unpacked: report.unpackedSize,
          files: report.entryCount,
        };
        lines.push(
          `${manifest.name} ${(report.size / 1000).toFixed(1)} KB packed, ${(report.unpackedSize / 1000).toFixed(1)} KB unpacked, ${report.entryCount} files`,
        );
      }
      for (const l of lines) log(`      ${l}`);
    }));

  const installed =
    packed &&
    (await step('npm install of the tarballs in a scratch project (dependencies from the registry)', async () => {
      const local = Object.fromEntries(Object.entries(packages).map(([name, p]) => [name, `file:${p.file}`]));
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify(
          {
            name: 'sluice-smoke-app',
            private: true,
            type: 'module',
            dependencies: { ...local, ws: '^8.18.0' },
            devDependencies: { '@types/node': '^20.19.0' },
            // The SDK's own dependency on @sluice/proto resolves to the local tarball, never the registry.
            overrides: { '@sluice/proto': local['@sluice/proto'] },
          },
          null,
          2,
        ),
      );
      for (const f of readdirSync(fixtures)) cpSync(join(fixtures, f), join(app, f));
      await must('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
        cwd: app,
        timeoutMs: 150_000,
      });
      const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
      for (const name of Object.keys(packages)) {
        const resolved = lock.packages[`node_modules/${name}`]?.resolved ?? '';
        check(resolved.startsWith('file:'), `${name} came from ${resolved || 'nowhere'}, not the local tarball`);
      }
      const nested = Object.keys(lock.packages).filter((k) =>
        /node_modules\/@sluice\/.*node_modules\/@sluice\//.test(k),
      );
      check(nested.length === 0, `a second copy of a Sluice package: ${nested.join(', ')}`);
      return `${Object.keys(lock.packages).length - 1} packages`;
    }));

  if (installed) {
    const sdkVersion = packages['@sluice/sdk'].version;

    await step('Node imports @sluice/sdk and @sluice/gateway (ESM)', async () => {
      const r = lastJson((await must('node', ['node-import.mjs'], { cwd: app })).stdout);
      check(r.sdk.connect === 'function', 'connect is not a function');
      check(r.sdkWriter.connect === 'function', '@sluice/sdk/writer: connect is not a function');
      check(r.sdkWriter.reader === 'undefined', '@sluice/sdk/writer: its client has a reader()');
      check(r.sdkReader.connect === 'function', '@sluice/sdk/reader: connect is not a function');
      check(r.sdkReader.writer === 'undefined', '@sluice/sdk/reader: its client has a writer()');
      check(r.sdk.wsConstructor === 'function' && r.sdk.fileStore === 'function', 'Node got the isomorphic entry');
      check(r.sdk.version === r.sdk.packageVersion, `SDK_VERSION ${r.sdk.version} ≠ ${r.sdk.packageVersion}`);
      check(r.gateway.startGateway === 'function', 'startGateway is not a function');
      check(
        r.gateway.version === r.gateway.packageVersion,
        `GATEWAY_VERSION ${r.gateway.version} ≠ ${r.gateway.packageVersion}`,
      );
      return `sdk ${r.sdk.version} (node entry), gateway ${r.gateway.version}`;
    });

    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    // skipLibCheck off: our declarations are checked too (the standard lib's are not, for time).
    const strict = {
      strict: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      skipLibCheck: false,
      skipDefaultLibCheck: true,
    };
    const consumers = {
      'DOM lib, bundler resolution': {
        compilerOptions: {
          ...strict,
          target: 'ES2022',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: [],
          module: 'ESNext',
          moduleResolution: 'Bundler',
        },
        files: ['consumer.ts', 'browser-only.ts'],
      },
      'no DOM lib: Node types, NodeNext resolution': {
        compilerOptions: {
          ...strict,
          target: 'ES2022',
          lib: ['ES2022'],
          types: ['node'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
        },
        files: ['consumer.ts', 'node-only.ts'],
      },
      'no DOM lib: WebWorker lib, "worker" condition': {
        compilerOptions: {
          ...strict,
          target: 'ES2022',
          lib: ['ES2022', 'WebWorker'],
          types: [],
          module: 'ESNext',
          moduleResolution: 'Bundler',
          customConditions: ['worker'],
        },
        files: ['consumer.ts', 'browser-only.ts'],
      },
    };
    // Three independent programs: checked side by side.
    await Promise.all(
      Object.entries(consumers).map(([name, config], i) =>
        step(`TypeScript consumer type-checks (${name})`, async () => {
          const file = `tsconfig.${i + 1}.json`;
          writeFileSync(join(app, file), JSON.stringify(config, null, 2));
          await must('node', [tsc, '-p', file], { cwd: app });
        }),
      ),
    );

    await step('npx sluice-gateway --help', async () => {
      // Installed locally, so npx runs it without asking the registry.
      const r = await must('npx', ['sluice-gateway', '--help'], { cwd: app });
      check(r.stdout.includes('Usage: sluice-gateway'), `no usage in:\n${tail(r.stdout)}`);
    });

    const webPort = await freePort();
    const gatewayPort = await freePort();
    const gatewayUrl = `ws://127.0.0.1:${gatewayPort}`;
    const scope = `smoke-${Date.now().toString(36)}`;
    const live = await step('the installed gateway starts on the standalone (/readyz 200)', async () => {
      const bin = join(app, 'node_modules/.bin/sluice-gateway');
      gateway = spawn(
        bin,
        [
          '--controller',
          pravega.controllerUri,
          '--port',
          String(gatewayPort),
          '--log-level',
          'warn',
          '--allowed-origin',
          `http://127.0.0.1:${webPort}`,
          // The Node and Deno clients send no Origin.
          '--allow-missing-origin',
          'true',
        ],
        { cwd: app, env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      gateway.output = '';
      gateway.stdout.on('data', (d) => (gateway.output += d));
      gateway.stderr.on('data', (d) => (gateway.output += d));
      const deadline = Date.now() + 30_000;
      for (;;) {
        check(gateway.exitCode === null, `the gateway exited ${gateway.exitCode}:\n${tail(gateway.output)}`);
        const ready = await fetch(`http://127.0.0.1:${gatewayPort}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ready) break;
        check(Date.now() < deadline, `not ready in 30 s:\n${tail(gateway.output)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return gatewayUrl;
    });

    if (live) {
      await step('Node writes and reads through the installed SDK (ws on Node 20)', async () => {
        const r = await must('node', ['node-roundtrip.mjs', gatewayUrl, scope], { cwd: app, timeoutMs: 60_000 });
        return verifyRoundtrip(lastJson(r.stdout), sdkVersion);
      });

      await step('Deno (npm:@sluice/sdk from the local node_modules) type-checks, writes and reads', async () => {
        const deno = join(root, 'edge/node_modules/.bin/deno');
        // An unreachable registry: our packages must come from the local tarballs' node_modules.
        const env = { NPM_CONFIG_REGISTRY: 'http://127.0.0.1:9/', DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
        writeFileSync(join(app, 'deno.json'), JSON.stringify({ nodeModulesDir: 'manual' }));
        await must(deno, ['check', 'deno-roundtrip.ts'], { cwd: app, env, timeoutMs: 60_000 });
        const r = await must(deno, ['run', '--no-prompt', '--allow-net', 'deno-roundtrip.ts', gatewayUrl, scope], {
          cwd: app,
          env,
          timeoutMs: 60_000,
        });
        const result = lastJson(r.stdout);
        check(result.nodeEntry === false, 'Deno resolved the Node entry, not the "deno" condition');
        return verifyRoundtrip(result, sdkVersion);
      });

      await step('Vite builds an app with the SDK; it writes and reads in Chromium', async () => {
        const vitePkg = createRequire(join(root, 'web-demo/package.json')).resolve('vite/package.json');
        const vite = join(vitePkg, '..', JSON.parse(readFileSync(vitePkg, 'utf8')).bin.vite);
        const out = join(scratch, 'web-dist');
        const built = await must('node', [vite, 'build', '--outDir', out, '--emptyOutDir'], { cwd: app });
        const externalized = /externalized for browser compatibility|Module "[^"]+" has been externalized/.exec(
          built.stdout + built.stderr,
        );
        check(!externalized, `the browser build pulled in a Node module:\n${tail(built.stdout + built.stderr)}`);
        const types = { '.html': 'text/html', '.js': 'text/javascript' };
        staticServer = createServer((req, res) => {
          const path = new URL(req.url, 'http://x').pathname;
          const file = join(out, path === '/' ? 'index.html' : path);
          if (!file.startsWith(out) || !existsSync(file)) return res.writeHead(404).end();
          res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
          res.end(readFileSync(file));
        });
        await new Promise((resolve) => staticServer.listen(webPort, '127.0.0.1', resolve));
        const { chromium } = createRequire(join(root, 'e2e/package.json'))('@playwright/test');
        browser = await chromium.launch({
          executablePath: process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        });
        const page = await browser.newPage();
        const pageErrors = [];
        page.on('pageerror', (err) => pageErrors.push(err.message));
        await page.goto(`http://127.0.0.1:${webPort}/?gateway=${encodeURIComponent(gatewayUrl)}&scope=${scope}`);
        const handle = await page.waitForFunction(() => window.smokeResult, undefined, { timeout: 60_000 });
        const result = await handle.jsonValue();
        check(result.ok, `the page failed: ${result.error} ${pageErrors.join('; ')}`);
        check(result.nodeEntry === false, 'the browser build holds the Node entry');
        return verifyRoundtrip(result, sdkVersion);
      });
    }
  }
} catch (err) {
  steps.push({ name: 'smoke test setup', ok: false, ms: 0, error: String(err?.message ?? err) });
  log(`FAIL  ${err?.stack ?? err}`);
} finally {
  await browser?.close().catch(() => {});
  if (staticServer) await new Promise((resolve) => staticServer.close(resolve));
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    gateway.kill('SIGTERM');
    const timer = setTimeout(() => gateway.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await pravega?.release();
  if (!keep) rmSync(scratch, { recursive: true, force: true });
}

const passed = steps.filter((s) => s.ok).length;
const failed = steps.length - passed;
log(`${passed} of ${steps.length} steps passed in ${seconds(Date.now() - started)}${keep ? ` (kept ${scratch})` : ''}`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ passed, failed, ms: Date.now() - started, steps, packages }));
process.exit(failed === 0 && passed > 0 ? 0 : 1);

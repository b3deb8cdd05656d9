// Starting and stopping the JVMs of a local Pravega cluster as a whole: the classpath (Maven,
// cached), the cluster's settings file, start-up in phases with progress lines and readiness,
// the one-time metadata, the stop order, and where the segment containers run. cluster-lib.mjs
// builds the public API (handles, ownership) on it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterLayout, FAILOVER, processFiles, writeClusterConfig } from './cluster-config.mjs';
import {
  forgetPid,
  livePid,
  processReady,
  scanClusterJvms,
  spawnJvm,
  stopJvm,
  storeContainers,
} from './cluster-process.mjs';
import { javaVersion, portOpen, readText, runMaven, setupError, tail, withLock } from './pravega-lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Where clusters keep their state unless told otherwise: <repo>/.pravega/cluster. */
export const defaultClusterDataDir = join(root, '.pravega', 'cluster');
const pomDir = join(root, 'pravega', 'cluster');
const ARTIFACTS = 'the Pravega 0.13.0 cluster jars (pravega/cluster/pom.xml)';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Stop order: controllers before the stores (stopped together, a controller keeps retrying them past any grace), ZooKeeper last. */
const STOP_ORDER = [
  ['controller', 20_000],
  ['segmentstore', 20_000],
  ['bookie', 10_000],
  ['zookeeper', 10_000],
];

/** The cluster's classpath: resolved by Maven once, cached in .pravega/cluster/classpath.txt with the pom's hash. */
export async function clusterClasspath(log = console.log) {
  const hash = createHash('sha256')
    .update(readFileSync(join(pomDir, 'pom.xml')))
    .digest('hex')
    .slice(0, 16);
  const cache = join(defaultClusterDataDir, 'classpath.txt');
  const header = `# sha256(pravega/cluster/pom.xml) ${hash}`;
  const cached = () => {
    const [first, cp] = (readText(cache) ?? '').split('\n');
    return first === header && cp && cp.split(':').every((jar) => existsSync(jar)) ? cp : undefined;
  };
  const hit = cached();
  if (hit) return hit;
  mkdirSync(defaultClusterDataDir, { recursive: true });
  return withLock(join(defaultClusterDataDir, 'maven.lock'), log, 'resolving the classpath with Maven', async () => {
    const again = cached();
    if (again) return again;
    log(`resolving ${ARTIFACTS} with Maven (a first run downloads ~250 MB into ~/.m2)…`);
    const tmp = join(defaultClusterDataDir, `classpath.${process.pid}.tmp`);
    const result = await runMaven(
      ['-B', 'dependency:build-classpath', `-Dmdep.outputFile=${tmp}`],
      pomDir,
      log,
      ARTIFACTS,
    );
    const cp = readFileSync(tmp, 'utf8').trim();
    writeFileSync(tmp, `${header}\n${cp}\n`);
    renameSync(tmp, cache);
    const downloaded = result.files ? `, downloaded ${result.files} files (${(result.bytes / 1e6).toFixed(1)} MB)` : '';
    log(`resolved ${cp.split(':').length} jars in ${seconds(result.ms)}${downloaded}`);
    return cp;
  });
}

// ---- state files ----------------------------------------------------------------------------

export const settingsFile = (dir) => join(dir, 'cluster.json');

export function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Replaces `file` atomically: other processes (tests, the watchdog) read it at any moment. */
export function writeJson(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

/**
 * What the cluster in `dir` runs with. Ports, containers and bookies are fixed by its data (a
 * bookie's id is its address; a container count cannot change; ledgers need their bookies), so
 * an existing cluster keeps them and a different request is an error; the failover timings are
 * only configuration and follow the request.
 */
export function settingsFor(o, dir) {
  const existing = readJson(settingsFile(dir));
  const wanted = { basePort: o.basePort, bookies: o.bookies, containers: o.containers, failover: o.failover };
  if (!FAILOVER[o.failover]) throw setupError(`failover must be one of ${Object.keys(FAILOVER).join(', ')}`);
  if (![1, 3].includes(o.bookies)) throw setupError('bookies must be 1 or 3');
  if (!existing) return { ...wanted, initialized: false, createdAt: new Date().toISOString() };
  for (const key of ['basePort', 'bookies', 'containers'])
    if (existing[key] !== wanted[key])
      throw setupError(
        `the cluster in ${dir} was created with ${key} ${existing[key]} and its data keeps it (asked for ${wanted[key]}): ` +
          'start it as it was, or start over with --fresh (deletes its data)',
      );
  return { ...existing, failover: o.failover };
}

// ---- starting and stopping ------------------------------------------------------------------

/**
 * Starts `procs` together and waits until each is ready, with a progress line every 5 s. Throws
 * (leaving them to the caller to stop) if one exits or the time runs out.
 */
export async function launch(dir, procs, cp, log, timeoutMs) {
  const started = Date.now();
  const pending = new Map();
  for (const p of procs) {
    const jvm = spawnJvm(p, dir, cp);
    pending.set(p.name, { p, ...jvm });
    log(`${p.name}: starting (pid ${jvm.pid}, port ${p.port}${p.restPort ? `, REST ${p.restPort}` : ''})`);
  }
  let reported = started;
  while (pending.size > 0) {
    for (const [name, jvm] of pending) {
      const exit = jvm.exited();
      if (exit) {
        const logFile = processFiles(dir, name).log;
        throw setupError(`${name} exited during start-up (${exit}); last lines of ${logFile}:\n${tail(logFile)}`);
      }
      if (await processReady(jvm.p, dir, jvm.logOffset)) {
        pending.delete(name);
        log(`${name}: ready in ${seconds(Date.now() - started)}`);
      }
    }
    if (pending.size === 0) break;
    if (Date.now() - started > timeoutMs)
      throw setupError(
        `${[...pending.keys()].join(', ')} not ready after ${seconds(timeoutMs)}; logs in ${join(dir, 'logs')}`,
      );
    if (Date.now() - reported >= 5000) {
      reported = Date.now();
      log(`waiting for ${[...pending.keys()].join(', ')}… ${Math.round((Date.now() - started) / 1000)} s`);
    }
    await sleep(250);
  }
}

/** Runs a short-lived Java tool of the cluster (metadata set-up); resolves with its exit code. */
function runJavaTool(dir, cp, mainArgs, stdin) {
  return new Promise((resolve, reject) => {
    const logFile = join(dir, 'logs', 'init.log');
    const child = spawn(
      'java',
      [
        '-Xmx128m',
        '--add-opens',
        'java.base/java.io=ALL-UNNAMED',
        `-Dlogback.configurationFile=${join(dir, 'logback.xml')}`,
        `-Dsluice.log.file=${logFile}`,
        '-cp',
        cp,
        ...mainArgs,
      ],
      { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk).slice(-4000);
    };
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      writeFileSync(logFile, `--- ${mainArgs.join(' ')}\n${output}\n`, { flag: 'a' });
      resolve({ code, output });
    });
    child.stdin.end(stdin ?? '');
  });
}

/**
 * One-time metadata of a new cluster: the parents of BookKeeper's ledger root in ZooKeeper (the
 * bookie shell does not create them), then BookKeeper's own cluster metadata.
 */
async function initMetadata(dir, procs, cp, log) {
  const zk = procs.find((p) => p.kind === 'zookeeper');
  const bookie = procs.find((p) => p.kind === 'bookie');
  const started = Date.now();
  log('creating the cluster metadata (ZooKeeper paths, BookKeeper cluster)…');
  const paths = ['/pravega', '/pravega/pravega-cluster', '/pravega/pravega-cluster/bookkeeper'];
  const zkCli = await runJavaTool(
    dir,
    cp,
    ['org.apache.zookeeper.ZooKeeperMain', '-server', `127.0.0.1:${zk.port}`],
    `${paths.map((p) => `create ${p}`).join('\n')}\nquit\n`,
  );
  if (zkCli.code !== 0)
    throw setupError(`creating ZooKeeper paths failed (exit ${zkCli.code}):\n${zkCli.output.slice(-1500)}`);
  const shell = await runJavaTool(dir, cp, [
    'org.apache.bookkeeper.bookie.BookieShell',
    '-conf',
    processFiles(dir, bookie.name).config,
    'initnewcluster',
  ]);
  if (shell.code !== 0)
    throw setupError(`BookKeeper initnewcluster failed (exit ${shell.code}):\n${shell.output.slice(-1500)}`);
  log(`cluster metadata created in ${seconds(Date.now() - started)}`);
}

/** The JVMs of the cluster in `dir` named `name`: the pid file's, and any other left running. */
function jvmsOf(dir, name) {
  const pids = new Set(
    scanClusterJvms()
      .filter((j) => j.dir === dir && j.name === name)
      .map((j) => j.pid),
  );
  const recorded = livePid(dir, name);
  if (recorded) pids.add(recorded);
  return [...pids];
}

export async function stopProcess(dir, name, { signal = 'SIGTERM', graceMs = 20_000 } = {}) {
  const pids = jvmsOf(dir, name);
  await Promise.all(pids.map((pid) => stopJvm(pid, { signal, graceMs })));
  for (const pid of pids) forgetPid(dir, name, pid);
  return pids.length > 0;
}

/** Stops every process of the cluster in `dir`, in STOP_ORDER, each kind's processes together. */
export async function stopAll(dir, procs, log) {
  const started = Date.now();
  let any = false;
  for (const [kind, graceMs] of STOP_ORDER) {
    const names = procs.filter((p) => p.kind === kind).map((p) => p.name);
    const stopped = await Promise.all(names.map((name) => stopProcess(dir, name, { graceMs })));
    if (stopped.some(Boolean)) {
      any = true;
      log(`stopped ${names.filter((_, i) => stopped[i]).join(', ')} (${seconds(Date.now() - started)})`);
    }
  }
  return any;
}

/** Whose JVM listens on `port`, for an error message: another cluster's process, or unknown. */
function holderOf(port, procsByPort) {
  const jvm = scanClusterJvms().find((j) => procsByPort.get(port) === j.name);
  return jvm ? `${jvm.name} of the cluster in ${jvm.dir} (pid ${jvm.pid})` : 'another program';
}

/**
 * Starts every process of the cluster in `dir` that is not running: ZooKeeper, the one-time
 * metadata, then bookies, controllers and segment stores together. On failure it
 * stops the whole cluster and throws. Returns how long it took and whether the data was new.
 */
export async function startAll(dir, settings, log, timeoutMs) {
  javaVersion();
  const cp = await clusterClasspath(log);
  const procs = clusterLayout(settings);
  const down = procs.filter((p) => livePid(dir, p.name) === undefined);
  const byPort = new Map(procs.flatMap((p) => [[p.port, p.name], ...(p.restPort ? [[p.restPort, p.name]] : [])]));
  for (const p of down)
    for (const port of [p.port, p.restPort].filter(Boolean))
      if (await portOpen(port))
        throw setupError(`cannot start ${p.name}: port ${port} is in use by ${holderOf(port, byPort)}`);
  writeClusterConfig({ dir, processes: procs, containers: settings.containers, failover: settings.failover });
  const fresh = !settings.initialized;
  const started = Date.now();
  const deadline = () => Math.max(1, timeoutMs - (Date.now() - started));
  const phase = (kinds) => down.filter((p) => kinds.includes(p.kind));
  try {
    await launch(dir, phase(['zookeeper']), cp, log, deadline());
    if (fresh) {
      await initMetadata(dir, procs, cp, log);
      writeJson(settingsFile(dir), { ...settings, initialized: true });
      settings.initialized = true;
    }
    // The rest together: a bookie is up in seconds, long before a store's JVM has booted far
    // enough to open its containers' logs on it.
    await launch(dir, phase(['bookie', 'controller', 'segmentstore']), cp, log, deadline());
    // Stores registering one by one make the controller move containers while the cluster
    // starts: ready means they stopped moving, not that a test's first writes race a move.
    log(`containers: ${JSON.stringify(await waitForContainers(dir, settings, deadline()))}`);
  } catch (err) {
    log('start-up failed: stopping the cluster');
    await stopAll(dir, procs, log);
    throw err;
  }
  const ms = Date.now() - started;
  log(`cluster ready in ${seconds(ms)} (${fresh ? 'new data' : 'existing data'}) in ${dir}`);
  return { ms, fresh };
}

/** The segment containers each live segment store runs (from its log), by store name. */
export function liveContainers(dir, procs) {
  const out = {};
  for (const p of procs.filter((q) => q.kind === 'segmentstore'))
    if (livePid(dir, p.name) !== undefined) out[p.name] = storeContainers(dir, p.name);
  return out;
}

/** See the handle's waitForContainers. */
export async function waitForContainers(dir, settings, waitMs) {
  const procs = clusterLayout(settings);
  const started = Date.now();
  for (;;) {
    const owners = liveContainers(dir, procs);
    const counts = new Map();
    for (const ids of Object.values(owners)) for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const sizes = Object.values(owners).map((ids) => ids.length);
    const settled =
      Array.from({ length: settings.containers }, (_, id) => counts.get(id) === 1).every(Boolean) &&
      Math.max(...sizes) - Math.min(...sizes) <= 1;
    if (settled) return owners;
    if (Date.now() - started > waitMs)
      throw setupError(`containers not settled after ${seconds(waitMs)}: ${JSON.stringify(owners)}`);
    await sleep(250);
  }
}

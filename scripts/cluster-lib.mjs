// A real multi-process Pravega 0.13.0 cluster on loopback, from Maven Central jars: ZooKeeper, one
// bookie (or three), two controllers, three segment stores, FILESYSTEM long-term storage, each its
// own JVM (the recipe: ../shared/reference/pravega-cluster.md). Used by `node scripts/cluster.mjs`,
// `./sluice start --cluster` and the cluster tests (vitest.cluster.config.ts). Plain ESM with Node
// built-ins only, like pravega-lib.mjs, so that it runs before any install or build.
//
// State lives in .pravega/cluster/ (or `dataDir`): classpath.txt (Maven's answer, keyed by a hash
// of pravega/cluster/pom.xml), and per instance `name` a folder <name>/ with cluster.json (ports,
// bookies, containers, failover: what its data was created with), <process>/ (configuration and
// data), storage/ (long-term storage, shared by the stores), logs/<process>.log, run/<process>.pid,
// owner.json (who started it and whether it stops when they exit), leases/ and lock.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  clusterLayout,
  controllerUriOf,
  DEFAULT_BASE_PORT,
  FAILOVER,
  processFiles,
  writeClusterConfig,
} from './cluster-config.mjs';
import {
  forgetPid,
  livePid,
  processReady,
  rssBytes,
  scanClusterJvms,
  spawnJvm,
  stopJvm,
  storeContainers,
} from './cluster-process.mjs';
import {
  alive,
  javaVersion,
  liveLeases,
  portOpen,
  readText,
  runMaven,
  setupError,
  tail,
  withLock,
} from './pravega-lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Where clusters keep their state unless told otherwise: <repo>/.pravega/cluster. */
export const defaultClusterDataDir = join(root, '.pravega', 'cluster');
const pomDir = join(root, 'pravega', 'cluster');
const ARTIFACTS = 'the Pravega 0.13.0 cluster jars (pravega/cluster/pom.xml)';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Stop order: controllers before the stores (stopped together, a controller keeps retrying them past any grace), ZooKeeper last. */
const STOP_ORDER = [
  ['controller', 20_000],
  ['segmentstore', 20_000],
  ['bookie', 10_000],
  ['zookeeper', 10_000],
];

function withDefaults(opts) {
  const envPort = Number(process.env.SLUICE_CLUSTER_BASE_PORT);
  return {
    log: console.log,
    basePort: Number.isInteger(envPort) && envPort > 0 ? envPort : DEFAULT_BASE_PORT,
    bookies: 1,
    containers: 4,
    failover: 'fast',
    name: 'default',
    dataDir: defaultClusterDataDir,
    timeoutMs: 300_000,
    portWaitMs: 900_000,
    fresh: false,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  };
}

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

const settingsFile = (dir) => join(dir, 'cluster.json');
const ownerFile = (dir) => join(dir, 'owner.json');
const leasesDir = (dir) => join(dir, 'leases');

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Replaces `file` atomically: other processes (tests, the watchdog) read it at any moment. */
function writeJson(file, value) {
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
function settingsFor(o, dir) {
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
async function launch(dir, procs, cp, log, timeoutMs) {
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

async function stopProcess(dir, name, { signal = 'SIGTERM', graceMs = 20_000 } = {}) {
  const pids = jvmsOf(dir, name);
  await Promise.all(pids.map((pid) => stopJvm(pid, { signal, graceMs })));
  for (const pid of pids) forgetPid(dir, name, pid);
  return pids.length > 0;
}

/** Stops every process of the cluster in `dir`, in STOP_ORDER, each kind's processes together. */
async function stopAll(dir, procs, log) {
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
async function startAll(dir, settings, log, timeoutMs) {
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
function liveContainers(dir, procs) {
  const out = {};
  for (const p of procs.filter((q) => q.kind === 'segmentstore'))
    if (livePid(dir, p.name) !== undefined) out[p.name] = storeContainers(dir, p.name);
  return out;
}

/** See the handle's waitForContainers. */
async function waitForContainers(dir, settings, waitMs) {
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

// ---- the handle -----------------------------------------------------------------------------

/**
 * The cluster in `dir` as an object, from any process (a test worker, the CLI): its endpoints,
 * and per process (or all) kill / stop / start / restart, readiness, memory and containers. State
 * is in the files, not in the object: two handles on one cluster see the same thing.
 */
export function attachCluster(dir, { log = (line) => console.log(`[cluster] ${line}`), timeoutMs = 300_000 } = {}) {
  const settings = readJson(settingsFile(dir));
  if (!settings) throw setupError(`no cluster in ${dir} (cluster.json is missing)`);
  const procs = clusterLayout(settings);
  const byName = (name) => {
    const p = procs.find((q) => q.name === name);
    if (!p) throw setupError(`no process "${name}" in the cluster; one of ${procs.map((q) => q.name).join(', ')}`);
    return p;
  };
  const describe = (p) => ({
    name: p.name,
    kind: p.kind,
    host: '127.0.0.1',
    port: p.port,
    ...(p.restPort ? { restPort: p.restPort } : {}),
    uri: `tcp://127.0.0.1:${p.port}`,
    logFile: processFiles(dir, p.name).log,
  });
  const current = () => readJson(settingsFile(dir)) ?? settings;
  const handle = {
    dir,
    controllerUri: controllerUriOf(procs),
    processes: procs.map(describe),
    settings: { ...settings },
    endpoint: (name) => describe(byName(name)),
    pid: (name) => livePid(dir, byName(name).name),
    isAlive: (name) => livePid(dir, byName(name).name) !== undefined,
    async isReady(name) {
      const p = byName(name);
      return livePid(dir, p.name) !== undefined && (p.kind === 'bookie' ? true : processReady(p, dir));
    },
    /** SIGKILL: the process dies at once, as in a crash. Resolves once it is gone; false if it was not running. */
    kill: (name) => stopProcess(dir, byName(name).name, { signal: 'SIGKILL' }),
    /** One process (SIGTERM, SIGKILL after 20 s), or with no name the whole cluster in order. */
    async stop(name) {
      if (name !== undefined) return stopProcess(dir, byName(name).name);
      return stopAll(dir, procs, log);
    },
    /** One process, waiting until it is ready; with no name, every process that is down, in order. */
    async start(name) {
      if (name === undefined) return startAll(dir, current(), log, timeoutMs);
      const p = byName(name);
      const pid = livePid(dir, p.name);
      if (pid) throw setupError(`${p.name} is already running (pid ${pid})`);
      const started = Date.now();
      try {
        await launch(dir, [p], await clusterClasspath(log), log, timeoutMs);
      } catch (err) {
        await stopProcess(dir, p.name, { signal: 'SIGKILL' });
        throw err;
      }
      return { ms: Date.now() - started, fresh: false };
    },
    async restart(name) {
      await handle.stop(name);
      return handle.start(name);
    },
    /** Waits until `names` (default: all) are ready; throws after `waitMs`. */
    async waitReady(names = procs.map((p) => p.name), waitMs = timeoutMs) {
      const started = Date.now();
      for (;;) {
        const states = await Promise.all(names.map((n) => handle.isReady(n)));
        if (states.every(Boolean)) return Date.now() - started;
        if (Date.now() - started > waitMs)
          throw setupError(`not ready after ${seconds(waitMs)}: ${names.filter((_, i) => !states[i]).join(', ')}`);
        await sleep(250);
      }
    },
    /** Per process: pid, whether it runs and is ready, its RSS. */
    async status() {
      return Promise.all(
        procs.map(async (p) => {
          const pid = livePid(dir, p.name);
          return {
            ...describe(p),
            pid,
            alive: pid !== undefined,
            ready: pid !== undefined && (await handle.isReady(p.name)),
            rssBytes: pid === undefined ? undefined : rssBytes(pid),
          };
        }),
      );
    },
    /** The segment containers each live segment store runs (from its log), by store name. */
    containers: async () => liveContainers(dir, procs),
    /**
     * Waits until every container runs on exactly one live store, spread as evenly as the
     * controller spreads them (±1). After a store dies or comes back the controller moves
     * containers: this is the server side's failover, or rebalancing, being over.
     */
    waitForContainers: (waitMs = timeoutMs) => waitForContainers(dir, settings, waitMs),
    /** Nothing for a plain handle; ensureCluster's lease stops the cluster if this run started it. */
    release: async () => {},
  };
  return handle;
}

// ---- ownership: leases and the watchdog -----------------------------------------------------

/** Whether every process of the cluster in `dir` runs and is ready. */
async function clusterReady(dir) {
  if (!existsSync(settingsFile(dir))) return false;
  const states = await attachCluster(dir, { log: () => {} }).status();
  return states.every((s) => s.ready);
}

function someRunning(dir) {
  return scanClusterJvms().some((j) => j.dir === dir);
}

/** Folders of the other clusters on this machine (other worktrees, other instances) using any of `ports`. */
function clustersOnPorts(dir, ports) {
  const found = new Set();
  for (const jvm of scanClusterJvms()) {
    if (jvm.dir === dir || found.has(jvm.dir)) continue;
    const settings = readJson(settingsFile(jvm.dir));
    const p = settings && clusterLayout(settings).find((q) => q.name === jvm.name);
    if (p && [p.port, p.restPort].some((port) => ports.has(port))) found.add(jvm.dir);
  }
  return [...found];
}

/**
 * Waits while another cluster holds this one's ports and will stop by itself (another run's, e.g.
 * another worktree's test run on this machine); one left running in the background is an error.
 */
async function waitForPorts(o, dir) {
  const ports = new Set(
    clusterLayout({ basePort: o.basePort, bookies: 3 }).flatMap((p) => [p.port, p.restPort].filter(Boolean)),
  );
  const started = Date.now();
  let reported = started;
  for (;;) {
    const others = clustersOnPorts(dir, ports);
    if (others.length === 0) return;
    const background = others.find((d) => !readJson(ownerFile(d))?.autoStop);
    if (background)
      throw setupError(
        `the ports from ${o.basePort} are taken by the cluster in ${background}, running in the background: ` +
          'stop it (node scripts/cluster.mjs stop, with its --name, in its worktree) or use other ports (--base-port, SLUICE_CLUSTER_BASE_PORT)',
      );
    if (Date.now() - started > o.portWaitMs)
      throw setupError(`the ports from ${o.basePort} are still taken by the cluster in ${others[0]} (another run's)`);
    if (Date.now() - reported >= 10_000) {
      reported = Date.now();
      o.log(
        `waiting for the cluster in ${others[0]} (another run's) to stop… ${Math.round((Date.now() - started) / 1000)} s`,
      );
    }
    await sleep(1000);
  }
}

/**
 * The name of an instance under `dataDir` with processes running (e.g. `./sluice start --cluster`'s
 * 'default'), so that tests reuse it rather than collide with it on the ports; undefined if none.
 */
export function runningClusterName(opts = {}) {
  const o = withDefaults(opts);
  const prefix = `${o.dataDir}/`;
  const dir = scanClusterJvms().find((j) => j.dir.startsWith(prefix) && !j.dir.slice(prefix.length).includes('/'))?.dir;
  return dir?.slice(prefix.length);
}

/**
 * A release() for a run using a cluster that ensureCluster() started (here or in another run):
 * the last run to let go stops it. Clusters started in the background are never stopped here.
 */
function leaseFor(dir, log) {
  const owner = readJson(ownerFile(dir));
  if (!owner?.autoStop) return async () => {};
  mkdirSync(leasesDir(dir), { recursive: true });
  const mine = join(leasesDir(dir), String(process.pid));
  writeFileSync(mine, '');
  return async () => {
    rmSync(mine, { force: true });
    const others = liveLeases(leasesDir(dir));
    if (others.length > 0 || (owner.owner !== process.pid && alive(owner.owner))) {
      if (owner.owner === process.pid) log(`leaving the cluster running for ${others.length} other run(s)`);
      return;
    }
    log('stopping the cluster');
    await attachCluster(dir, { log }).stop();
    rmSync(ownerFile(dir), { force: true });
    rmSync(leasesDir(dir), { recursive: true, force: true });
  };
}

/**
 * A detached process that stops the cluster, in order, once its owner and every lease holder are
 * gone: a test run killed with SIGKILL leaves no JVM behind. It ends when the cluster is released.
 */
function spawnWatchdog(dir) {
  const out = openSync(join(dir, 'logs', 'watchdog.log'), 'a');
  const child = spawn(process.execPath, [join(root, 'scripts', 'cluster.mjs'), 'watch', '--dir', dir], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();
  return child.pid;
}

/** The watchdog's loop (`cluster.mjs watch --dir <dir>`). */
export async function watchCluster(dir, log = console.log) {
  for (;;) {
    await sleep(1000);
    const owner = readJson(ownerFile(dir));
    if (!owner || owner.watchdog !== process.pid) return;
    if (alive(owner.owner) || liveLeases(leasesDir(dir)).length > 0) continue;
    log(`${new Date().toISOString()} owner ${owner.owner} and every lease holder are gone: stopping the cluster`);
    await attachCluster(dir, { log }).stop();
    rmSync(ownerFile(dir), { force: true });
    rmSync(leasesDir(dir), { recursive: true, force: true });
    return;
  }
}

/**
 * A cluster for this run: the one already running in this instance is reused (if another run is
 * starting it, this waits); otherwise one is started (`fresh`: on new data). release() stops it
 * when this run started it and no other run still uses it, and a watchdog stops it if this
 * process dies first. With `background: true` one started here is left running (`cluster.mjs start`).
 */
export async function ensureCluster(opts = {}) {
  const o = withDefaults(opts);
  const dir = join(o.dataDir, o.name);
  mkdirSync(dir, { recursive: true });
  const reuse = () => {
    const handle = attachCluster(dir, { log: o.log, timeoutMs: o.timeoutMs });
    const { bookies, failover } = handle.settings;
    const differs = (opts.bookies ?? bookies) !== bookies || (opts.failover ?? failover) !== failover;
    o.log(
      `reusing the cluster running in ${dir} (${bookies} bookie(s), ${failover} failover` +
        `${differs ? '; stop it to start it otherwise' : ''})`,
    );
    return { ...handle, release: leaseFor(dir, o.log) };
  };
  if (await clusterReady(dir)) return reuse();
  await waitForPorts(o, dir);
  const inUse = () => {
    const owner = readJson(ownerFile(dir));
    return someRunning(dir) && owner && (alive(owner.owner) || liveLeases(leasesDir(dir)).length > 0);
  };
  return withLock(
    join(dir, 'lock'),
    o.log,
    'starting the cluster',
    async () => {
      if (await clusterReady(dir)) return reuse();
      // Another run's cluster is running but not ready (one of its stores restarting): wait for it.
      const waitStarted = Date.now();
      while (inUse()) {
        if (await clusterReady(dir)) return reuse();
        if (Date.now() - waitStarted > o.timeoutMs)
          throw setupError(`the cluster in ${dir} is in use by another run and was not ready in time`);
        await sleep(1000);
      }
      // Left over from a run that ended badly: start clean.
      if (someRunning(dir)) await attachCluster(dir, { log: o.log }).stop();
      if (o.fresh) {
        for (const entry of ['cluster.json', 'logs', 'run', 'storage', 'owner.json', 'leases'])
          rmSync(join(dir, entry), { recursive: true, force: true });
        for (const p of clusterLayout({ basePort: o.basePort, bookies: 3 }))
          rmSync(join(dir, p.name), { recursive: true, force: true });
      }
      mkdirSync(join(dir, 'logs'), { recursive: true });
      const settings = settingsFor(o, dir);
      writeJson(settingsFile(dir), settings);
      o.log(
        `starting a Pravega cluster in ${dir}: ZooKeeper, ${o.bookies} bookie(s), 2 controllers, 3 segment stores, ` +
          `${o.containers} containers, ${o.failover} failover, ports from ${o.basePort}`,
      );
      const owner = { owner: process.pid, autoStop: !o.background, startedAt: new Date().toISOString() };
      writeJson(ownerFile(dir), owner);
      // Before the first JVM: a run killed while the cluster starts leaves nothing behind either.
      if (!o.background) writeJson(ownerFile(dir), { ...owner, watchdog: spawnWatchdog(dir) });
      const timing = await startAll(dir, settings, o.log, o.timeoutMs);
      const handle = attachCluster(dir, { log: o.log, timeoutMs: o.timeoutMs });
      return { ...handle, startup: timing, release: leaseFor(dir, o.log) };
    },
    async () => ((await clusterReady(dir)) ? reuse() : undefined),
  );
}

/** Stops the cluster of this instance, whoever started it; false if nothing of it was running. */
export async function stopCluster(opts = {}) {
  const o = withDefaults(opts);
  const dir = join(o.dataDir, o.name);
  if (!existsSync(settingsFile(dir))) return false;
  const stopped = await attachCluster(dir, { log: o.log }).stop();
  rmSync(ownerFile(dir), { force: true });
  rmSync(leasesDir(dir), { recursive: true, force: true });
  return stopped;
}

/** Per process of this instance: pid, alive, ready, RSS; undefined if it was never created. */
export async function clusterStatus(opts = {}) {
  const o = withDefaults(opts);
  const dir = join(o.dataDir, o.name);
  if (!existsSync(settingsFile(dir))) return undefined;
  const handle = attachCluster(dir, { log: o.log });
  return { dir, controllerUri: handle.controllerUri, settings: handle.settings, processes: await handle.status() };
}

/** The folder of instance `name` (default 'default') under `dataDir`. */
export function clusterDir(opts = {}) {
  const o = withDefaults(opts);
  return join(o.dataDir, o.name);
}

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
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterLayout, controllerUriOf, DEFAULT_BASE_PORT, processFiles } from './cluster-config.mjs';
import { livePid, processReady, rssBytes, scanClusterJvms } from './cluster-process.mjs';
import {
  clusterClasspath,
  defaultClusterDataDir,
  launch,
  liveContainers,
  readJson,
  seconds,
  settingsFile,
  settingsFor,
  sleep,
  startAll,
  stopAll,
  stopProcess,
  waitForContainers,
  writeJson,
} from './cluster-run.mjs';
import { alive, liveLeases, setupError, withLock } from './pravega-lib.mjs';

export { clusterClasspath, defaultClusterDataDir } from './cluster-run.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const ownerFile = (dir) => join(dir, 'owner.json');
const leasesDir = (dir) => join(dir, 'leases');

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

#!/usr/bin/env node
// A local multi-process Pravega 0.13.0 cluster on loopback (ZooKeeper, one bookie or three, two
// controllers, three segment stores), its data in .pravega/cluster/<name>/ (docs/clusters.md).
//   node scripts/cluster.mjs start [--foreground]   start it (or find it running); background by
//                                                   default, --foreground runs it until Ctrl-C
//   node scripts/cluster.mjs stop                   stop it, whoever started it
//   node scripts/cluster.mjs status                 per process: pid, ready, RSS; exit 0 when all are ready
//   node scripts/cluster.mjs kill NAME              SIGKILL one process (e.g. segmentstore-2); for a
//                                                   store, waits until its containers moved
//   node scripts/cluster.mjs restart NAME           stop one process and start it again, until ready
// Flags: --bookies 3 (three bookies, ledgers replicated 3/3/2), --failover default (Pravega's own
// ~20 s failover instead of the ~7 s one for tests), --fresh (delete the instance's data first),
// --base-port N (ports N+61… instead of 21061…; also SLUICE_CLUSTER_BASE_PORT), --containers N,
// --name NAME (another instance folder).
import { parseArgs } from 'node:util';
import { attachCluster, clusterDir, clusterStatus, ensureCluster, stopCluster, watchCluster } from './cluster-lib.mjs';

const log = (line) => console.log(`[cluster] ${line}`);
const usage =
  'usage: cluster.mjs start [--foreground] | stop | status | kill NAME | restart NAME  ' +
  '[--bookies 1|3] [--failover fast|default] [--fresh] [--base-port N] [--containers N] [--name NAME]';
const mb = (bytes) => (bytes === undefined ? '-' : `${Math.round(bytes / 2 ** 20)} MB`);

function printStatus(status) {
  const rows = status.processes.map((p) => [
    p.name,
    p.pid === undefined ? '-' : String(p.pid),
    p.ready ? 'ready' : p.alive ? 'not ready' : 'down',
    `${p.port}${p.restPort ? `/${p.restPort}` : ''}`,
    mb(p.rssBytes),
  ]);
  const header = ['process', 'pid', 'state', 'port/REST', 'RSS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  const total = status.processes.reduce((n, p) => n + (p.rssBytes ?? 0), 0);
  log(`total RSS ${mb(total)}; controllers ${status.controllerUri}; data ${status.dir}`);
}

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      foreground: { type: 'boolean' },
      fresh: { type: 'boolean' },
      bookies: { type: 'string' },
      failover: { type: 'string' },
      'base-port': { type: 'string' },
      containers: { type: 'string' },
      name: { type: 'string' },
      dir: { type: 'string' },
    },
  });
  const number = (flag) => (values[flag] === undefined ? undefined : Number(values[flag]));
  const opts = {
    log,
    bookies: number('bookies'),
    failover: values.failover,
    basePort: number('base-port'),
    containers: number('containers'),
    name: values.name,
    fresh: values.fresh,
  };
  const [command = 'start', ...extra] = positionals;
  const target = ['kill', 'restart'].includes(command) ? extra.shift() : undefined;
  if (extra.length > 0 || (['kill', 'restart'].includes(command) && !target)) throw new Error(usage);
  const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

  if (command === 'start') {
    const cluster = await ensureCluster({ ...opts, background: !values.foreground });
    log(`controllers ${cluster.controllerUri}`);
    for (const p of cluster.processes)
      log(`  ${p.name.padEnd(15)} ${p.uri}${p.restPort ? `  REST :${p.restPort}` : ''}`);
    if (values.foreground) {
      log('Ctrl-C stops it');
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        log('stopping…');
        await cluster.release();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      setInterval(() => {}, 1 << 30);
    } else {
      log('running in the background; `node scripts/cluster.mjs stop` stops it');
    }
  } else if (command === 'stop') {
    log((await stopCluster(opts)) ? 'stopped' : `no cluster is running in ${clusterDir(opts)}`);
  } else if (command === 'status') {
    const status = await clusterStatus(opts);
    if (!status) {
      log(`no cluster was ever started in ${clusterDir(opts)}`);
      process.exit(3);
    }
    printStatus(status);
    process.exit(status.processes.every((p) => p.ready) ? 0 : 3);
  } else if (command === 'kill') {
    const cluster = attachCluster(clusterDir(opts), { log });
    const pid = cluster.pid(target);
    const before = await cluster.containers();
    const killed = Date.now();
    if (!(await cluster.kill(target))) throw new Error(`${target} is not running`);
    log(`killed ${target} (pid ${pid}, SIGKILL)`);
    if (cluster.endpoint(target).kind === 'segmentstore') {
      log(`waiting for its containers [${before[target]?.join(', ') ?? ''}] to move…`);
      const after = await cluster.waitForContainers();
      log(`containers moved in ${seconds(killed)}: ${JSON.stringify(after)}`);
    }
  } else if (command === 'restart') {
    const cluster = attachCluster(clusterDir(opts), { log });
    const started = Date.now();
    await cluster.restart(target);
    log(`${target} restarted in ${seconds(started)} (pid ${cluster.pid(target)})`);
  } else if (command === 'watch' && values.dir) {
    // Internal: the watchdog that ensureCluster() leaves next to a cluster it started.
    await watchCluster(values.dir, (line) => console.log(line));
  } else {
    throw new Error(usage);
  }
} catch (err) {
  console.error(`[cluster] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}

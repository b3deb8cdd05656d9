// The shape of a local Pravega 0.13.0 cluster and the files each of its JVMs reads: which
// processes, on which loopback ports, with which configuration and JVM flags. Pure apart from
// writing those files; cluster-lib.mjs runs the processes. Facts behind each setting:
// ../shared/reference/pravega-cluster.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Ports a cluster takes, as offsets from its base port (the standalone uses 9090/12345/4000). */
const OFFSETS = {
  zookeeper: 181,
  bookie: 181, // + index: 21182, 21183, 21184
  controller: 90, // + 2 × (index − 1): gRPC 21090 and 21092, REST one above each
  segmentstoreRest: 60, // + index: 21061, 21062, 21063
  segmentstore: 344, // + index: 21345, 21346, 21347
};

export const DEFAULT_BASE_PORT = 21000;
export const CONTROLLERS = 2;
export const SEGMENT_STORES = 3;

/**
 * Failover timings. `fast` (tests): a dead segment store's ZooKeeper session expires after 4 s
 * (ZooKeeper's floor with tickTime 2000) and the controller rebalances at most every 2 s, so its
 * containers move in ~7 s. `default` (benchmarks): Pravega's own 10 s and 10 s, ~20 s.
 */
export const FAILOVER = {
  fast: { zkSessionTimeoutMs: 4_000, rebalanceIntervalSeconds: 2 },
  default: { zkSessionTimeoutMs: 10_000, rebalanceIntervalSeconds: 10 },
};

const MiB = 1024 * 1024;

/**
 * Controllers and stores answer readiness from a health snapshot refreshed this often (Pravega's
 * default: 10 s), which otherwise adds up to 10 s to every start and restart seen by a client.
 */
const HEALTH_SNAPSHOT_SECONDS = 2;

/**
 * Memory per JVM, sized so that the whole cluster stays under 3 GB of RSS with three bookies under
 * a write burst (measured: docs/clusters.md). Live heaps are small (a store's old generation held
 * ~30 MB after 300 MB of writes); what grows is each JVM's heap up to -Xmx, a store's cache (direct
 * memory, checked at start-up to be below -XX:MaxDirectMemorySize) and a bookie's in-memory table.
 */
const MEMORY = {
  zookeeper: ['-Xmx96m'],
  bookie: ['-Xmx128m', '-XX:MaxDirectMemorySize=128m'],
  controller: ['-Xmx192m', '-XX:MaxDirectMemorySize=128m'],
  // jdk.nio.maxCachedBufferSize: a FILESYSTEM read into a heap buffer goes through a temporary
  // direct buffer of the read's size, which the JDK keeps per thread, unbounded by default; the
  // store reads long-term storage on up to 200 threads, 1 MiB at a time, so a long catch-up read
  // kept up to ~200 MiB of direct memory besides the 160 MiB cache, and ran out of it
  // (`OutOfMemoryError: Cannot reserve 1048576 bytes of direct buffer memory` in readSegment,
  // bench P7 with a 256 MB history). Buffers above 256 KiB are now freed after use.
  segmentstore: ['-Xmx224m', '-XX:MaxDirectMemorySize=288m', '-Djdk.nio.maxCachedBufferSize=262144'],
};
const STORE_CACHE_BYTES = 160 * MiB;
/** The store's BookKeeper client keeps unacknowledged writes in direct memory up to this (default 256 MiB). */
const STORE_BK_OUTSTANDING_BYTES = 64 * MiB;
/** The bookie's in-memory table of entries before they reach its entry log (default 64 MiB, on the heap). */
const BOOKIE_MEMTABLE_BYTES = 16 * MiB;

const MAIN_CLASS = {
  zookeeper: 'org.apache.zookeeper.server.ZooKeeperServerMain',
  bookie: 'org.apache.bookkeeper.server.Main',
  controller: 'io.pravega.controller.server.Main',
  segmentstore: 'io.pravega.segmentstore.server.host.ServiceStarter',
};

// WARN and ERROR to each process's log, plus the few INFO lines worth having: the bookie's
// readiness line, and where containers go (the controller's rebalancing, the stores' container
// starts and stops), which is what one reads after a failover.
const LOGBACK = `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>\${sluice.log.file}</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{30} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="FILE"/></root>
  <logger name="org.apache.bookkeeper.common.component.ComponentStarter" level="INFO"/>
  <logger name="io.pravega.controller.fault" level="INFO"/>
  <logger name="io.pravega.segmentstore.server.host.ZKSegmentContainerMonitor" level="INFO"/>
</configuration>
`;

/**
 * The processes of a cluster with `bookies` bookies (1 or 3), two controllers and three segment
 * stores, in start order. Names are stable: they key the API (`cluster.kill('segmentstore-2')`),
 * the folders and the logs.
 */
export function clusterLayout({ basePort = DEFAULT_BASE_PORT, bookies = 1 } = {}) {
  const processes = [{ name: 'zookeeper', kind: 'zookeeper', index: 1, port: basePort + OFFSETS.zookeeper }];
  for (let i = 1; i <= bookies; i++)
    processes.push({ name: `bookie-${i}`, kind: 'bookie', index: i, port: basePort + OFFSETS.bookie + i });
  for (let i = 1; i <= CONTROLLERS; i++) {
    const port = basePort + OFFSETS.controller + 2 * (i - 1);
    processes.push({ name: `controller-${i}`, kind: 'controller', index: i, port, restPort: port + 1 });
  }
  for (let i = 1; i <= SEGMENT_STORES; i++)
    processes.push({
      name: `segmentstore-${i}`,
      kind: 'segmentstore',
      index: i,
      port: basePort + OFFSETS.segmentstore + i,
      restPort: basePort + OFFSETS.segmentstoreRest + i,
    });
  return processes;
}

/** `tcp://127.0.0.1:<c1>,127.0.0.1:<c2>`, as Pravega's own client takes several controllers. */
export function controllerUriOf(processes) {
  const endpoints = processes.filter((p) => p.kind === 'controller').map((p) => `127.0.0.1:${p.port}`);
  return `tcp://${endpoints.join(',')}`;
}

/** Paths of one process's files inside the cluster's folder. */
export function processFiles(dir, name) {
  const home = join(dir, name);
  return {
    home,
    data: join(home, 'data'),
    config: join(home, `${name}.conf`),
    log: join(dir, 'logs', `${name}.log`),
    pid: join(dir, 'run', `${name}.pid`),
  };
}

const propertiesText = (props) =>
  Object.entries(props)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');

/**
 * The configuration file of process `p`. `settings`: { processes, dir, containers, failover }
 * (`failover`: one of FAILOVER's keys).
 */
function configText(p, settings) {
  const { processes, dir, containers, failover } = settings;
  const timings = FAILOVER[failover];
  const zkPort = processes.find((q) => q.kind === 'zookeeper').port;
  const zk = `127.0.0.1:${zkPort}`;
  const f = processFiles(dir, p.name);
  const bookieCount = processes.filter((q) => q.kind === 'bookie').length;
  switch (p.kind) {
    case 'zookeeper':
      return propertiesText({
        tickTime: 2000,
        initLimit: 10,
        syncLimit: 5,
        dataDir: f.data,
        clientPort: p.port,
        clientPortAddress: '127.0.0.1',
        // Every JVM of the cluster connects from 127.0.0.1, several times each: no per-IP cap.
        maxClientCnxns: 0,
        // Otherwise ZooKeeper starts Jetty on 8080 for its admin server.
        'admin.enableServer': 'false',
        '4lw.commands.whitelist': 'ruok,srvr,stat',
        'autopurge.snapRetainCount': 3,
        'autopurge.purgeInterval': 1,
      });
    case 'bookie':
      return propertiesText({
        bookiePort: p.port,
        advertisedAddress: '127.0.0.1',
        allowLoopback: 'true',
        useHostNameAsBookieID: 'false',
        httpServerEnabled: 'false',
        enableStatistics: 'false',
        journalDirectories: join(f.data, 'journal'),
        ledgerDirectories: join(f.data, 'ledgers'),
        // Where the segment stores look for bookies unless told otherwise (BookKeeperConfig).
        metadataServiceUri: `zk://${zk}/pravega/pravega-cluster/bookkeeper/ledgers`,
        zkTimeout: 10000,
        skipListSizeLimit: BOOKIE_MEMTABLE_BYTES,
        // A shared CI disk may be fuller than BookKeeper's 95 % default allows before it turns read-only.
        diskUsageThreshold: 0.99,
        diskUsageWarnThreshold: 0.98,
      });
    case 'controller':
      return propertiesText({
        'controller.zk.connect.uri': zk,
        'controller.zk.connect.session.timeout.milliseconds': timings.zkSessionTimeoutMs,
        'controller.container.count': containers,
        'controller.hostMonitor.enable': 'true',
        'controller.rebalance.interval.seconds.min': timings.rebalanceIntervalSeconds,
        'controller.service.rpc.listener.port': p.port,
        'controller.service.rpc.published.host.nameOrIp': '127.0.0.1',
        'controller.service.rpc.published.port': p.port,
        'controller.service.rest.listener.host.ip': '127.0.0.1',
        'controller.service.rest.listener.port': p.restPort,
        'controller.cluster.name': 'pravega-cluster',
        // Readiness (REST) answers from a health snapshot taken every this many seconds (default 10).
        'controller.health.frequency.seconds': HEALTH_SNAPSHOT_SECONDS,
        // Unused with host monitoring on, but its default is the standalone's port.
        'controller.segmentstore.connect.port': processes.find((q) => q.kind === 'segmentstore').port,
        'controller.segmentstore.connect.host.nameOrIp': '127.0.0.1',
      });
    case 'segmentstore':
      return propertiesText({
        'pravegaservice.clusterName': 'pravega-cluster',
        'pravegaservice.container.count': containers,
        'pravegaservice.zk.connect.uri': zk,
        'pravegaservice.zk.connect.sessionTimeout.milliseconds': timings.zkSessionTimeoutMs,
        'pravegaservice.service.listener.host.nameOrIp': '127.0.0.1',
        'pravegaservice.service.listener.port': p.port,
        'pravegaservice.service.published.host.nameOrIp': '127.0.0.1',
        'pravegaservice.service.published.port': p.port,
        'pravegaservice.rest.listener.host': '127.0.0.1',
        'pravegaservice.rest.listener.port': p.restPort,
        'pravegaservice.health.interval.seconds': HEALTH_SNAPSHOT_SECONDS,
        'pravegaservice.dataLog.impl.name': 'BOOKKEEPER',
        'pravegaservice.storage.impl.name': 'FILESYSTEM',
        'pravegaservice.storage.layout': 'CHUNKED_STORAGE',
        'pravegaservice.cache.size.max': STORE_CACHE_BYTES,
        // One folder for every store: a container moved to another store finds its chunks there.
        'filesystem.root': join(dir, 'storage'),
        'bookkeeper.zk.connect.uri': zk,
        'bookkeeper.ensemble.size': bookieCount >= 3 ? 3 : 1,
        'bookkeeper.write.quorum.size': bookieCount >= 3 ? 3 : 1,
        'bookkeeper.ack.quorum.size': bookieCount >= 3 ? 2 : 1,
        'bookkeeper.write.outstanding.bytes.max': STORE_BK_OUTSTANDING_BYTES,
        // Its default is tcp://localhost:9090: the shared standalone's controller.
        'autoScale.controller.connect.uri': controllerUriOf(processes),
      });
    default:
      throw new Error(`unknown process kind ${p.kind}`);
  }
}

/** Writes the logback file and every process's configuration; creates their folders. */
export function writeClusterConfig(settings) {
  const { dir, processes } = settings;
  for (const sub of ['logs', 'run', 'storage']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'logback.xml'), LOGBACK);
  for (const p of processes) {
    const f = processFiles(dir, p.name);
    mkdirSync(f.data, { recursive: true });
    writeFileSync(f.config, configText(p, settings));
  }
}

/** The `java` arguments that run process `p` of the cluster in `dir` on classpath `cp`. */
export function javaArgs(p, dir, cp) {
  const f = processFiles(dir, p.name);
  const args = [
    ...MEMORY[p.kind],
    '-XX:+UseSerialGC',
    // A JVM out of memory dies and is reported dead, rather than limping on.
    '-XX:+ExitOnOutOfMemoryError',
    `-Dlogback.configurationFile=${join(dir, 'logback.xml')}`,
    `-Dsluice.log.file=${f.log}`,
    // Markers: they tell this cluster's JVMs from any other process (a recycled pid, another
    // worktree's cluster) when scanning /proc.
    `-Dsluice.cluster=${dir}`,
    `-Dsluice.process=${p.name}`,
  ];
  if (p.kind === 'bookie') args.push('--add-opens', 'java.base/java.io=ALL-UNNAMED');
  if (p.kind === 'controller') args.push(`-Dconf.file=${f.config}`);
  if (p.kind === 'segmentstore') args.push(`-Dpravega.configurationFile=${f.config}`);
  args.push('-cp', cp, MAIN_CLASS[p.kind]);
  if (p.kind === 'zookeeper') args.push(f.config);
  if (p.kind === 'bookie') args.push('--conf', f.config);
  return args;
}

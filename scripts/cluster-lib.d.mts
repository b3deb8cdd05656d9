/** Types for cluster-lib.mjs (plain JS so that it runs before any install or build). */

/** Process names: `zookeeper`, `bookie-1`…, `controller-1`, `controller-2`, `segmentstore-1`…`segmentstore-3`. */
export type ClusterProcessName = string;
export type ClusterProcessKind = 'zookeeper' | 'bookie' | 'controller' | 'segmentstore';

export interface ClusterOptions {
  /** Progress lines (no prefix); default console.log. */
  log?: (line: string) => void;
  /**
   * Ports are offsets from this (default 21000, or SLUICE_CLUSTER_BASE_PORT): ZooKeeper +181,
   * bookies +182…, controllers +90/+92 (REST +91/+93), segment stores +345… (REST +61…).
   */
  basePort?: number;
  /** 1 (default) or 3 (ledgers replicated: ensemble 3, write quorum 3, ack quorum 2). */
  bookies?: 1 | 3;
  /** Segment containers (default 4). */
  containers?: number;
  /** `fast` (default, ~7 s server-side failover) or `default` (Pravega's own, ~20 s). */
  failover?: 'fast' | 'default';
  /** Instance folder under dataDir (default 'default'). */
  name?: string;
  /** Default <repo>/.pravega/cluster. */
  dataDir?: string;
  /** Start-up limit; default 300000. */
  timeoutMs?: number;
  /** Delete the instance's data before starting it (only when it is not already running). */
  fresh?: boolean;
  /** How long to wait for another run's cluster on the same ports to stop; default 900000. */
  portWaitMs?: number;
}

export interface ClusterProcess {
  name: ClusterProcessName;
  kind: ClusterProcessKind;
  host: '127.0.0.1';
  port: number;
  /** Controllers' and segment stores' REST port (readiness at /v1/health/readiness). */
  restPort?: number;
  /** `tcp://127.0.0.1:<port>` */
  uri: string;
  logFile: string;
}

export interface ClusterProcessStatus extends ClusterProcess {
  pid: number | undefined;
  alive: boolean;
  ready: boolean;
  rssBytes: number | undefined;
}

export interface ClusterTiming {
  ms: number;
  /** True when the cluster's data was created by this start. */
  fresh: boolean;
}

export interface ClusterSettings {
  basePort: number;
  bookies: number;
  containers: number;
  failover: 'fast' | 'default';
}

export interface ClusterHandle {
  /** The instance folder: configuration, data, logs/, run/ (pid files). */
  dir: string;
  /** `tcp://127.0.0.1:<controller-1>,127.0.0.1:<controller-2>` */
  controllerUri: string;
  processes: ClusterProcess[];
  settings: ClusterSettings;
  endpoint(name: ClusterProcessName): ClusterProcess;
  /** The live pid, or undefined when the process is down. */
  pid(name: ClusterProcessName): number | undefined;
  isAlive(name: ClusterProcessName): boolean;
  /** Alive and ready (REST readiness body `true`, ZooKeeper `imok`; a live bookie counts as ready). */
  isReady(name: ClusterProcessName): Promise<boolean>;
  /** SIGKILL; resolves once it is gone; false if it was not running. */
  kill(name: ClusterProcessName): Promise<boolean>;
  /** SIGTERM (SIGKILL after 20 s) one process, or with no name the whole cluster: controllers, stores, bookies, ZooKeeper. */
  stop(name?: ClusterProcessName): Promise<boolean>;
  /** Starts one process (or every one that is down, in order) and waits until ready. */
  start(name?: ClusterProcessName): Promise<ClusterTiming>;
  restart(name?: ClusterProcessName): Promise<ClusterTiming>;
  /** Waits until the named processes (default: all) are ready; resolves with the ms it took. */
  waitReady(names?: ClusterProcessName[], waitMs?: number): Promise<number>;
  status(): Promise<ClusterProcessStatus[]>;
  /** Segment containers each live store runs (from its log), e.g. { 'segmentstore-1': [0, 3], … }. */
  containers(): Promise<Record<ClusterProcessName, number[]>>;
  /** Waits until every container runs on exactly one live store, spread evenly (±1); resolves with containers(). */
  waitForContainers(waitMs?: number): Promise<Record<ClusterProcessName, number[]>>;
  /** Stops the cluster if this run started it and no other run still uses it; otherwise nothing. */
  release(): Promise<void>;
}

export const defaultClusterDataDir: string;
export function clusterClasspath(log?: (line: string) => void): Promise<string>;
/** A handle on the cluster in `dir` (from any process; state is in its files). */
export function attachCluster(dir: string, opts?: { log?: (line: string) => void; timeoutMs?: number }): ClusterHandle;
/** Reuses the cluster running in this instance or starts one; see cluster-lib.mjs. */
export function ensureCluster(
  opts?: ClusterOptions & { background?: boolean },
): Promise<ClusterHandle & { startup?: ClusterTiming }>;
export function stopCluster(opts?: ClusterOptions): Promise<boolean>;
export function clusterStatus(
  opts?: ClusterOptions,
): Promise<
  { dir: string; controllerUri: string; settings: ClusterSettings; processes: ClusterProcessStatus[] } | undefined
>;
export function clusterDir(opts?: ClusterOptions): string;
export function watchCluster(dir: string, log?: (line: string) => void): Promise<void>;
/** The name of an instance under dataDir with processes running, or undefined. */
export function runningClusterName(opts?: ClusterOptions): string | undefined;

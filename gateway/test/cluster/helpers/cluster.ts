/**
 * The cluster of this test run (started or reused by ./global-setup.ts), as a handle with each
 * process's endpoints and kill / stop / start / restart by name, e.g.
 * `await testCluster().kill('segmentstore-2')`. State lives in the cluster's files, so every test
 * file (each its own worker) sees the same processes.
 */
import { attachCluster, type ClusterHandle } from '../../../../scripts/cluster-lib.mjs';

export type { ClusterHandle, ClusterProcessStatus } from '../../../../scripts/cluster-lib.mjs';

let handle: ClusterHandle | undefined;

export function testCluster(): ClusterHandle {
  const dir = process.env.SLUICE_CLUSTER_DIR;
  if (!dir)
    throw new Error('no cluster: run the cluster tests with `pnpm exec vitest run --config vitest.cluster.config.ts`');
  handle ??= attachCluster(dir, { log: (line) => console.log(`[cluster] ${line}`) });
  return handle;
}

/** `host:port` of every segment store of the cluster, by process name. */
export function segmentStoreEndpoints(cluster: ClusterHandle): Map<string, string> {
  return new Map(
    cluster.processes.filter((p) => p.kind === 'segmentstore').map((p) => [`${p.host}:${p.port}`, p.name]),
  );
}

/**
 * Stops every process of the cluster (controllers, stores, bookies, ZooKeeper, in that order)
 * and starts them again on their data; resolves once the survivors of the restart run every
 * segment container. Returns how long each half took, for the caller's progress line.
 */
export async function restartWholeCluster(cluster: ClusterHandle): Promise<{ stoppedMs: number; startedMs: number }> {
  const t0 = Date.now();
  await cluster.stop();
  const stoppedMs = Date.now() - t0;
  await cluster.start();
  await cluster.waitForContainers();
  return { stoppedMs, startedMs: Date.now() - t0 - stoppedMs };
}

/**
 * Vitest global setup of the cluster tests (vitest.cluster.config.ts): a real multi-process
 * Pravega cluster for the whole run. A cluster this worktree already runs (`./sluice start
 * --cluster`, `node scripts/cluster.mjs start`) is reused; otherwise the `test` instance is started
 * on new data and stopped at the end (or by its watchdog, if this run dies first). Test files find
 * it through SLUICE_CLUSTER_DIR (see ./cluster.ts); PRAVEGA_CONTROLLER_URI names both controllers,
 * so the usual helpers (startTestGateway, useGateway) point at it unchanged.
 */
import { ensureCluster, runningClusterName } from '../../../../scripts/cluster-lib.mjs';

const log = (line: string) => console.log(`[cluster] ${line}`);
const mb = (bytes: number | undefined) => `${Math.round((bytes ?? 0) / 2 ** 20)} MB`;

export default async function setup(): Promise<() => Promise<void>> {
  const running = runningClusterName();
  const cluster = await ensureCluster(running ? { log, name: running } : { log, name: 'test', fresh: true });
  process.env.SLUICE_CLUSTER_DIR = cluster.dir;
  process.env.PRAVEGA_CONTROLLER_URI = cluster.controllerUri;
  const status = await cluster.status();
  log(
    `controllers ${cluster.controllerUri}; RSS ${status.map((p) => `${p.name} ${mb(p.rssBytes)}`).join(', ')}; ` +
      `total ${mb(status.reduce((n, p) => n + (p.rssBytes ?? 0), 0))}`,
  );
  return async () => {
    await cluster.release();
  };
}

/**
 * The setup every store-kill test file shares: the cluster, a gateway fixture on it, a controller
 * client for segment lookups, and the store the test kills. Whatever the test does, the file
 * leaves a whole, settled cluster for the next one: afterAll starts the killed store again (if it
 * is still down) and waits until every segment container runs.
 */

import { afterAll, beforeAll } from 'vitest';
import { ControllerClient } from '../../../src/controller/controller-client.js';
import type { RunningGateway } from '../../../src/server/gateway.js';
import { type Fixture, useGateway } from '../../helpers/setup.js';
import { type ClusterHandle, testCluster } from './cluster.js';
import { victimStore } from './streams.js';

export interface StoreKillSetup {
  readonly cluster: ClusterHandle;
  readonly fixture: Fixture<RunningGateway>;
  /** Set in beforeAll. */
  readonly controller: ControllerClient;
  /**
   * Picks the store to kill among those owning the stream's segments (see victimStore) and
   * remembers it, so afterAll brings it back.
   */
  pickVictim(stream: string, pick: 'fewest' | 'most'): Promise<{ victim: string; moved: Set<bigint> }>;
}

export function useStoreKill(prefix: string): StoreKillSetup {
  const cluster = testCluster();
  const fixture = useGateway(prefix);
  let controller: ControllerClient | undefined;
  let victim: string | undefined;

  beforeAll(() => {
    controller = new ControllerClient({ uri: cluster.controllerUri });
  });
  afterAll(async () => {
    await controller?.close();
    if (victim && !cluster.isAlive(victim)) await cluster.start(victim);
    await cluster.waitReady();
    await cluster.waitForContainers();
  });

  const setup: StoreKillSetup = {
    cluster,
    fixture,
    get controller() {
      if (!controller) throw new Error('the controller client is made in beforeAll');
      return controller;
    },
    async pickVictim(stream, pick) {
      const picked = await victimStore(setup.controller, cluster, fixture.scope, stream, pick);
      victim = picked.victim;
      return picked;
    },
  };
  return setup;
}

/** Waits until `probe` holds; throws after `ms` (the cluster stopped making progress). */
export async function until(what: string, probe: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

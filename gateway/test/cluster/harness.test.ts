/**
 * The cluster harness's own per-process API on the real cluster: a segment store SIGKILLed is
 * reported dead and its containers move to the survivors; started again it is ready, the cluster
 * settles, and the gateway serves a stream through it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';
import { testCluster } from './helpers/cluster.js';
import { expectExactlyOnceInKeyOrder, readFromHead, writeKeyed } from './helpers/streams.js';

const cluster = testCluster();
const fixture = useGateway('harness');
const victim = 'segmentstore-2';

// Whatever happens here, the next test file gets a whole, settled cluster.
afterAll(async () => {
  if (!cluster.isAlive(victim)) await cluster.start(victim);
  await cluster.waitReady();
  await cluster.waitForContainers();
});

describe('the cluster harness', () => {
  it('kills a segment store, reports it dead, restarts it, and the cluster is ready again', async () => {
    const before = await cluster.waitForContainers();
    expect(Object.keys(before).sort()).toEqual(['segmentstore-1', 'segmentstore-2', 'segmentstore-3']);
    const pid = cluster.pid(victim);
    expect(pid).toBeTypeOf('number');

    expect(await cluster.kill(victim)).toBe(true);
    expect(cluster.isAlive(victim)).toBe(false);
    expect(cluster.pid(victim)).toBeUndefined();
    expect(await cluster.isReady(victim)).toBe(false);
    const dead = (await cluster.status()).find((p) => p.name === victim);
    expect(dead).toMatchObject({ alive: false, ready: false, pid: undefined });
    // Killing what is already dead is a no-op, not an error.
    expect(await cluster.kill(victim)).toBe(false);

    // The controller notices (ZooKeeper session expiry) and the survivors take its containers.
    const moved = await cluster.waitForContainers();
    expect(moved[victim]).toBeUndefined();
    expect(Object.values(moved).flat().sort()).toEqual(
      Array.from({ length: cluster.settings.containers }, (_, i) => i),
    );

    await cluster.start(victim);
    expect(cluster.isAlive(victim)).toBe(true);
    expect(cluster.pid(victim)).not.toBe(pid);
    await cluster.waitReady();
    expect((await cluster.status()).every((p) => p.alive && p.ready)).toBe(true);
    // The controller gives it containers again (4 over 3 stores: 2, 1, 1).
    const settled = await cluster.waitForContainers();
    expect(settled[victim]?.length).toBeGreaterThan(0);

    // And the cluster serves: a new stream through the gateway, written and read back once.
    const stream = uniqueName('after-restart');
    await fixture.client.createStream(stream, { scaling: { type: 'fixed', segments: 6 } });
    const sent = await writeKeyed(fixture.client, stream, 600, 12);
    expectExactlyOnceInKeyOrder(sent, await readFromHead(fixture.client, stream, sent.length));
  });

  it('names every process with its endpoints and both controllers in one URI', () => {
    const names = cluster.processes.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['zookeeper', 'bookie-1', 'controller-1', 'controller-2']));
    expect(names.filter((n) => n.startsWith('segmentstore-'))).toHaveLength(3);
    const controllers = cluster.processes.filter((p) => p.kind === 'controller');
    expect(cluster.controllerUri).toBe(`tcp://${controllers.map((c) => `127.0.0.1:${c.port}`).join(',')}`);
    expect(cluster.endpoint('segmentstore-1').uri).toBe(`tcp://127.0.0.1:${cluster.endpoint('segmentstore-1').port}`);
    expect(() => cluster.endpoint('segmentstore-9')).toThrow(/no process "segmentstore-9"/);
  });
});

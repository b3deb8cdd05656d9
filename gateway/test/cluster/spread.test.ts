/**
 * On the multi-process cluster: a stream's segments live on different segment stores (the
 * controller's getURI says which), and events written through the gateway go to all of them and
 * are read back exactly once, in order per routing key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerClient } from '../../src/controller/controller-client.js';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';
import { segmentStoreEndpoints, testCluster } from './helpers/cluster.js';
import { expectExactlyOnceInKeyOrder, readFromHead, segmentOwners, writeKeyed } from './helpers/streams.js';

const cluster = testCluster();
const fixture = useGateway('spread');
let controller: ControllerClient;

beforeAll(() => {
  controller = new ControllerClient({ uri: cluster.controllerUri });
});
afterAll(async () => {
  await controller?.close();
});

describe('a stream on a cluster of three segment stores', () => {
  it('has its segments on at least two stores, and every event written to them is read back once', async () => {
    const { client, scope } = fixture;
    const stream = uniqueName('spread');
    // 16 segments over 4 containers on 3 stores: all on one store would take 16 draws alike.
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 16 } });

    const stores = segmentStoreEndpoints(cluster);
    const owners = await segmentOwners(controller, scope, stream);
    expect(owners.size).toBe(16);
    for (const endpoint of owners.values()) expect(stores.has(endpoint)).toBe(true);
    const used = new Set(owners.values());
    expect(used.size).toBeGreaterThanOrEqual(2);

    const sent = await writeKeyed(client, stream, 4_000, 512);

    // 512 keys over 16 segments: bytes landed on every segment, so on each store that owns one.
    const info = await client.streamInfo(stream);
    const written = [...info.tail.positions].filter(([, offset]) => offset > 0n).map(([id]) => owners.get(id));
    expect(new Set(written)).toEqual(used);

    expectExactlyOnceInKeyOrder(sent, await readFromHead(client, stream, sent.length));
  });
});

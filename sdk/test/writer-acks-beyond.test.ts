/**
 * Acknowledgements above the cumulative level (Acked.beyond_*): while an older write waits (its
 * segment's store is failing over), later writes the gateway says are durable resolve at once,
 * free their in-flight bytes, and are not sent again after a reconnect; the cumulative level
 * still settles the rest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, Serializers, type SluiceClient } from '../src/index.js';
import { FakeGateway } from './fake-gateway.js';
import { useSdkResourceCheck } from './helpers/sdk-resources.js';
import { until } from './helpers/until.js';

const sdk = useSdkResourceCheck();
let gateway: FakeGateway;
let client: SluiceClient;

afterEach(async () => {
  await client?.close();
  await gateway?.close();
});

const text = (payload: Uint8Array) => Buffer.from(payload).toString();

describe('acknowledgements beyond the cumulative level', () => {
  it('resolve later writes while an older one waits, and are not resent after a reconnect', async () => {
    gateway = await FakeGateway.start();
    client = await connect({ url: gateway.url, reconnect: { baseMs: 1, maxMs: 5 }, ...sdk.options });
    const writer = client.writer('s/t', { serializer: Serializers.utf8(), writerId: 'w-beyond' });
    const settled: string[] = [];
    const writes = ['a', 'b', 'c', 'd', 'e', 'f'].map((v) => writer.write(v).then(() => settled.push(v)));
    await until(() => gateway.appends.length === 1);
    const seq0 = gateway.appends[0]!.firstSequence;

    // a waits (its segment has no owner); b, d and e are durable elsewhere. The level is "none yet" (0).
    gateway.ackBeyond(0n, [
      [seq0 + 1n, 1],
      [seq0 + 3n, 2],
    ]);
    await until(() => settled.length === 3);
    expect(settled).toEqual(['b', 'd', 'e']);

    gateway.drop();
    await until(() => gateway.connections === 2 && gateway.appends.length >= 2);
    await new Promise((r) => setTimeout(r, 20));
    // Resent with their own numbers, the acknowledged ones left out (a gap starts a new frame).
    const resent = gateway.appends
      .slice(1)
      .flatMap((a) => a.events.map((e, k) => [text(e.payload), a.firstSequence + BigInt(k)] as const));
    expect(resent).toEqual([
      ['a', seq0],
      ['c', seq0 + 2n],
      ['f', seq0 + 5n],
    ]);

    gateway.ack(seq0 + 2n); // a, c: the level passes the acknowledged b too
    await until(() => settled.length === 5);
    expect(settled).toEqual(['b', 'd', 'e', 'a', 'c']);
    gateway.ack(seq0 + 5n);
    await Promise.all(writes);
    expect(settled).toEqual(['b', 'd', 'e', 'a', 'c', 'f']);
  });

  it('frees in-flight room: a write waiting for room goes once a later one is acknowledged beyond the level', async () => {
    gateway = await FakeGateway.start();
    client = await connect({ url: gateway.url, ...sdk.options });
    const writer = client.writer('s/t', { serializer: Serializers.bytes(), maxInflightBytes: 1000 });
    const acked: number[] = [];
    const writes = [0, 1, 2].map((i) => writer.write(new Uint8Array(400).fill(i)).then(() => acked.push(i)));
    const sent = () => gateway.appends.flatMap((a) => a.events.map((e) => e.payload[0]));
    await until(() => sent().length === 2);
    const seq0 = gateway.appends[0]!.firstSequence;
    gateway.ackBeyond(0n, [[seq0 + 1n, 1]]); // the second is durable, the first still waits
    await until(() => sent().length === 3);
    expect(sent()).toEqual([0, 1, 2]);
    expect(acked).toEqual([1]);
    gateway.ack(seq0 + 2n);
    await Promise.all(writes);
    expect(acked).toEqual([1, 0, 2]);
  });

  it('ignores ranges naming nothing pending (already settled, or never sent)', async () => {
    gateway = await FakeGateway.start();
    client = await connect({ url: gateway.url, ...sdk.options });
    const writer = client.writer('s/t', { serializer: Serializers.utf8() });
    const settled: string[] = [];
    const writes = ['a', 'b'].map((v) => writer.write(v).then(() => settled.push(v)));
    await until(() => gateway.appends.length === 1);
    const seq0 = gateway.appends[0]!.firstSequence;
    gateway.ack(seq0);
    gateway.ackBeyond(seq0, [
      [seq0 - 5n, 3], // below the level
      [seq0 + 10n, 4], // never sent
    ]);
    await until(() => settled.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toEqual(['a']);
    gateway.ackBeyond(seq0, [[seq0 + 1n, 1]]);
    await Promise.all(writes);
    expect(settled).toEqual(['a', 'b']);
  });
});

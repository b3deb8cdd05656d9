/**
 * The writer's contract across a dropped socket, with a fake gateway that drops on cue: writes
 * resolve only after an acknowledgement covers them, and after a reconnect every unacknowledged
 * event is sent again with its original sequence number.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, Serializers, type SluiceClient, SluiceError } from '../src/index.js';
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

describe('at-least-once writer', () => {
  it('resolves writes only when acknowledged, and resends unacknowledged ones with the same numbers', async () => {
    gateway = await FakeGateway.start();
    client = await connect({ url: gateway.url, reconnect: { baseMs: 1, maxMs: 5 }, ...sdk.options });
    const writer = client.writer('s/t', { serializer: Serializers.utf8(), writerId: 'w-1' });
    const settled: string[] = [];
    const writes = ['a', 'b', 'c', 'd'].map((v) => writer.write(v, 'k').then(() => settled.push(v)));
    await until(() => gateway.appends.length === 1);
    const first = gateway.appends[0]!;
    expect(first.events.map((e) => Buffer.from(e.payload).toString())).toEqual(['a', 'b', 'c', 'd']);
    const seq0 = first.firstSequence;
    expect(seq0).toBeGreaterThan(0n);

    gateway.ack(seq0 + 1n); // a and b are durable
    await until(() => settled.length === 2);
    expect(settled).toEqual(['a', 'b']);

    gateway.drop();
    await until(() => gateway.connections === 2 && gateway.appends.length === 2);
    const resend = gateway.appends[1]!;
    expect(resend.firstSequence).toBe(seq0 + 2n);
    expect(resend.events.map((e) => Buffer.from(e.payload).toString())).toEqual(['c', 'd']);
    expect(settled).toEqual(['a', 'b']);

    gateway.ack(seq0 + 3n);
    await Promise.all(writes);
    expect(settled).toEqual(['a', 'b', 'c', 'd']);
  });

  it('starts a fresh writer above the last sequence Pravega holds for its id', async () => {
    gateway = await FakeGateway.start();
    gateway.lastSequence = 9_000_000_000_000_000n;
    client = await connect({ url: gateway.url, ...sdk.options });
    const writer = client.writer('s/t', { serializer: Serializers.utf8(), writerId: 'w-2' });
    // Never acknowledged: it settles (outcome-unknown) when the client closes.
    writer.write('x').catch(() => {});
    await until(() => gateway.appends.length === 1);
    expect(gateway.appends[0]!.firstSequence).toBe(9_000_000_000_000_001n);
  });

  it('waits instead of exceeding its in-flight limit', async () => {
    gateway = await FakeGateway.start();
    client = await connect({ url: gateway.url, ...sdk.options });
    const writer = client.writer('s/t', { serializer: Serializers.bytes(), maxInflightBytes: 1000 });
    const accepted: number[] = [];
    for (let i = 0; i < 5; i++)
      writer.write(new Uint8Array(400)).then(
        () => accepted.push(i),
        () => {}, // the ones not acknowledged settle when the client closes
      );
    await until(() => gateway.appends.length >= 1);
    await new Promise((r) => setTimeout(r, 50));
    const sentEvents = () => gateway.appends.reduce((n, a) => n + a.events.length, 0);
    expect(sentEvents()).toBe(2); // 800 bytes in flight; a third 400 would exceed 1000
    gateway.ack(gateway.appends[0]!.firstSequence + 1n);
    await until(() => sentEvents() === 4);
    expect(accepted).toEqual([0, 1]);
  });

  it('admits waiting writes in call order, a small later write behind a large earlier one', async () => {
    gateway = await FakeGateway.start();
    client = await connect({ url: gateway.url, ...sdk.options });
    const writer = client.writer('s/t', { serializer: Serializers.bytes(), maxInflightBytes: 1000 });
    const sizes = [600, 600, 600, 10];
    const acked: number[] = [];
    const writes = sizes.map((n, i) => writer.write(new Uint8Array(n).fill(i)).then(() => acked.push(i)));
    const sent = () => gateway.appends.flatMap((a) => a.events.map((e) => e.payload[0]));
    await until(() => sent().length >= 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent()).toEqual([0]); // the 10-byte write would fit, but waits behind the 600-byte ones
    gateway.ack(gateway.appends[0]!.firstSequence);
    await until(() => sent().length >= 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(sent()).toEqual([0, 1]);
    gateway.ack(gateway.appends[1]!.firstSequence);
    await until(() => sent().length >= 4);
    expect(sent()).toEqual([0, 1, 2, 3]);
    const last = gateway.appends.at(-1)!;
    gateway.ack(last.firstSequence + BigInt(last.events.length - 1));
    await Promise.all(writes);
    expect(acked).toEqual([0, 1, 2, 3]);
    const seqs = gateway.appends.flatMap((a) => a.events.map((_, k) => a.firstSequence + BigInt(k)));
    expect(seqs).toEqual([seqs[0]!, seqs[0]! + 1n, seqs[0]! + 2n, seqs[0]! + 3n]);
  });

  it('reports every failure of write() as a rejection, never a synchronous throw', async () => {
    gateway = await FakeGateway.start();
    client = await connect({ url: gateway.url, ...sdk.options });
    const closed = client.writer('s/t', { serializer: Serializers.utf8() });
    await closed.close();
    const serializerError = new Error('cannot serialize');
    const keyError = new Error('no key');
    // Each call is made outside any await: a synchronous throw would fail the test here.
    const calls = {
      serializer: client
        .writer('s/t', {
          serializer: {
            serialize: (): Uint8Array => {
              throw serializerError;
            },
            deserialize: (): string => '',
          },
        })
        .write('x'),
      routingKey: client
        .writer('s/t', {
          serializer: Serializers.utf8(),
          routingKey: () => {
            throw keyError;
          },
        })
        .write('x'),
      oversize: client.writer('s/t', { serializer: Serializers.bytes() }).write(new Uint8Array(8 * 1024 * 1024 + 1)),
      exactlyOnce: client.writer('s/t', { serializer: Serializers.utf8(), mode: 'exactly-once' }).write('x'),
      afterClose: closed.write('x'),
    };
    // The application's own errors come back as they were thrown; the SDK's are typed.
    await expect(calls.serializer).rejects.toBe(serializerError);
    await expect(calls.routingKey).rejects.toBe(keyError);
    await expect(calls.oversize).rejects.toMatchObject({ code: 'invalid-argument', message: /8388609 bytes/ });
    await expect(calls.oversize).rejects.toBeInstanceOf(SluiceError);
    await expect(calls.exactlyOnce).rejects.toMatchObject({ code: 'invalid-argument', message: /beginTxn/ });
    await expect(calls.afterClose).rejects.toMatchObject({ code: 'invalid-argument', message: /closed/ });
    expect(gateway.appends).toEqual([]);
  });

  it('best-effort: a write that is not stored is reported to onError and counted, not thrown', async () => {
    gateway = await FakeGateway.start();
    client = await connect({ url: gateway.url, ...sdk.options });
    const errors: string[] = [];
    const writer = client.writer('s/t', {
      serializer: Serializers.bytes(),
      mode: 'best-effort',
      onError: (e) => errors.push(e.code),
    });
    // Taken at once; then the gateway fails the channel, and the write with it.
    await expect(writer.write(new Uint8Array(10))).resolves.toBeUndefined();
    await until(() => gateway.appends.length === 1);
    gateway.closeChannel(1, { code: 'sealed', message: 'the stream is sealed' });
    await until(() => errors.length === 1);
    expect(errors).toEqual(['sealed']);
    expect(writer.failedEvents).toBe(1);
  });
});

/**
 * The first slice end to end, against the real Pravega standalone: SDK → gateway → Pravega and
 * back, admin calls, positions, and bad input.
 */

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ClientFrameSchema, ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { Serializers, type SluiceClient, SluiceError } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningGateway } from '../../src/server/gateway.js';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';

let gateway: RunningGateway;
let client: SluiceClient;
const scope = uniqueName('e2e');

beforeAll(async () => {
  gateway = await startTestGateway();
  client = await connectSdk(gateway.url, scope);
  expect(await client.createScope(scope)).toBe(true);
});

afterAll(async () => {
  await client?.close();
  await gateway?.close();
});

async function readN<T>(iterable: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  if (n === 0) return out;
  for await (const ev of iterable) {
    out.push(ev);
    if (out.length === n) break;
  }
  return out;
}

describe('admin calls', () => {
  it('creates scopes and streams idempotently and describes them', async () => {
    expect(await client.createScope(scope)).toBe(false);
    const stream = uniqueName('s');
    expect(await client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } })).toBe(true);
    expect(await client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } })).toBe(false);
    const info = await client.streamInfo(stream);
    expect(info.segments).toHaveLength(4);
    expect(info.sealed).toBe(false);
    expect([...info.tail.positions.values()]).toEqual([0n, 0n, 0n, 0n]);
    expect(await client.listStreams(scope)).toContain(stream);
  });

  it('reports an unknown stream as not-found', async () => {
    await expect(client.streamInfo('no-such-stream')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('rejects invalid names with invalid-argument', async () => {
    await expect(client.createStream('bad name!', { scaling: { type: 'fixed', segments: 1 } })).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });
});

describe('writing and reading', () => {
  it('delivers every event once, in order per routing key', async () => {
    const stream = uniqueName('rw');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const writer = client.writer(stream, { serializer: Serializers.utf8() });
    const sent: string[] = [];
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 2_000; i++) {
      const key = `key-${i % 20}`;
      const value = `${key}|${i}`;
      sent.push(value);
      writes.push(writer.write(value, key));
    }
    await Promise.all(writes);
    await writer.close();

    const info = await client.streamInfo(stream);
    const bytes = [...info.tail.positions.values()].reduce((a, b) => a + b, 0n);
    expect(bytes).toBe(BigInt(sent.reduce((n, s) => n + 8 + Buffer.byteLength(s), 0)));

    const reader = client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
    const got = (await readN(reader, sent.length)).map((e) => e.value);
    await reader.close();
    expect(new Set(got).size).toBe(sent.length);
    expect([...got].sort()).toEqual([...sent].sort());
    const perKey = new Map<string, number>();
    for (const value of got) {
      const [key, seq] = value.split('|') as [string, string];
      const last = perKey.get(key) ?? -1;
      expect(Number(seq)).toBeGreaterThan(last);
      perKey.set(key, Number(seq));
    }
  });

  it('reads from the tail only what is written after it', async () => {
    const stream = uniqueName('tail');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const writer = client.writer(stream, { serializer: Serializers.utf8() });
    await writer.write('before', 'k');
    const reader = client.reader(stream, { serializer: Serializers.utf8(), from: 'tail' });
    await reader.ready(); // the reader holds its tail position before anything is written
    const first = readN(reader, 1);
    await writer.write('after', 'k');
    expect((await first).map((e) => e.value)).toEqual(['after']);
    await reader.close();
    await writer.close();
  });

  it('resumes from a position with no gap and no duplicate', async () => {
    const stream = uniqueName('pos');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    const writer = client.writer(stream, { serializer: Serializers.json<{ i: number }>() });
    await Promise.all(Array.from({ length: 600 }, (_, i) => writer.write({ i }, `k${i % 7}`)));
    await writer.close();

    const first = client.reader(stream, { serializer: Serializers.json<{ i: number }>(), from: 'head' });
    const part1 = await readN(first, 250);
    const position = first.position();
    await first.close();

    const second = client.reader(stream, { serializer: Serializers.json<{ i: number }>(), from: position });
    const part2 = await readN(second, 350);
    await second.close();
    const all = [...part1, ...part2].map((e) => e.value.i).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('ends a reader of a sealed stream after its last event', async () => {
    const stream = uniqueName('sealed');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const writer = client.writer(stream, { serializer: Serializers.utf8() });
    await Promise.all(['a', 'b', 'c'].map((v) => writer.write(v, v)));
    await writer.close();
    await client.sealStream(stream);
    const got: string[] = [];
    for await (const ev of client.reader(stream, { serializer: Serializers.utf8(), from: 'head' })) got.push(ev.value);
    expect(got.sort()).toEqual(['a', 'b', 'c']);
    const late = client.writer(stream, { serializer: Serializers.utf8() });
    await expect(late.write('x', 'x')).rejects.toMatchObject({ code: 'sealed' });
  });

  it('fails a writer and a reader on an invalid name at once (a failure before any await)', async () => {
    const writer = client.writer('bad name!', { serializer: Serializers.utf8() });
    await expect(writer.write('x')).rejects.toMatchObject({ code: 'invalid-argument' });
    const reader = client.reader('bad name!', { serializer: Serializers.utf8() });
    await expect(reader[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('fails a writer on an unknown stream with not-found', async () => {
    const writer = client.writer('does-not-exist', { serializer: Serializers.utf8() });
    const error = await writer.write('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe('not-found');
  });
});

describe('bad input', () => {
  it('refuses a client of protocol version 1 (events one message each) with 1002 and says why', async () => {
    const raw = new WebSocket(gateway.url, 'sluice.v1');
    await new Promise((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('error', reject);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      raw.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    raw.send(
      toBinary(
        ClientFrameSchema,
        create(ClientFrameSchema, { kind: { case: 'hello', value: { protocolVersion: 1, clientName: 'old' } } }),
      ),
    );
    const { code, reason } = await closed;
    expect(code).toBe(1002);
    expect(reason).toMatch(/protocol version 1 is not supported \(2 is\)/);
  });

  it('drops frames for a channel that is not open (they cross its ChannelClosed) and stays usable', async () => {
    const raw = new WebSocket(gateway.url, 'sluice.v1');
    await new Promise((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('error', reject);
    });
    const frames: string[] = [];
    raw.on('message', (data: Buffer) => frames.push(fromBinary(ServerFrameSchema, data).kind.case ?? ''));
    const send = (kind: Parameters<typeof create<typeof ClientFrameSchema>>[1]) =>
      raw.send(toBinary(ClientFrameSchema, create(ClientFrameSchema, kind)));
    send({ kind: { case: 'hello', value: { protocolVersion: 2, clientName: 'raw' } } });
    send({ kind: { case: 'credit', value: { channel: 99, events: 10, bytes: 10 } } });
    send({
      kind: { case: 'append', value: { channel: 98, firstSequence: 1n, events: [{ payload: new Uint8Array([1]) }] } },
    });
    send({ kind: { case: 'ping', value: { nonce: 7n } } });
    while (!frames.includes('pong')) await new Promise((r) => setTimeout(r, 10));
    expect(frames).toEqual(['welcome', 'pong']);
    raw.close();
  });

  it('closes a socket that sends a message over the size limit with 1009, and only that one', async () => {
    const raw = new WebSocket(gateway.url, 'sluice.v1');
    await new Promise((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)));
    raw.send(Buffer.alloc(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
    expect(await client.createScope(scope)).toBe(false);
  });

  it('closes only the offending socket on a malformed frame', async () => {
    const raw = new WebSocket(gateway.url, 'sluice.v1');
    await new Promise((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)));
    raw.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(await closed).toBe(1002);
    // The SDK's own session is untouched.
    expect(await client.createScope(scope)).toBe(false);
  });
});

/**
 * Events up to Pravega's limit (8 MiB) through a gateway with its default settings (messages of
 * at most 1 MiB): the SDK sends them in AppendPart frames, the gateway assembles them, and they
 * read back byte for byte, without a single reconnect. One byte more is refused at write(),
 * naming both sizes, and the connection is not touched. A broken part sequence closes only its
 * channel, with a typed error.
 */
import type { ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { connect, Serializers, type SluiceClient } from '@sluice/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSdkResourceCheck } from '../../../sdk/test/helpers/sdk-resources.js';
import type { RunningGateway } from '../../src/server/gateway.js';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { clientFrame, RawClient } from '../helpers/raw-client.js';

const MiB = 1024 * 1024;
const PRAVEGA_MAX_EVENT = 8 * MiB;

const sdk = useSdkResourceCheck();
const scope = uniqueName('parts');
let gateway: RunningGateway;
let client: SluiceClient;

beforeAll(async () => {
  gateway = await startTestGateway(); // default --max-message-bytes: 1 MiB
  client = await connect({ url: gateway.url, scope, ...sdk.options });
  await client.createScope(scope);
});

afterAll(async () => {
  await client?.close();
  await gateway?.close();
});

/** `n` bytes that differ from any shift of themselves, marked with `tag` at the start. */
function payload(n: number, tag: number): Uint8Array {
  const p = new Uint8Array(n);
  let x = 2463534242 ^ tag;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    p[i] = x & 0xff;
  }
  if (n >= 4) new DataView(p.buffer).setUint32(0, tag);
  return p;
}

describe('large events with the gateway’s default settings', () => {
  it('write and read back byte for byte up to 8 MiB, with no reconnect', async () => {
    const stream = uniqueName('large');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    const states: string[] = [];
    const stop = client.onStateChange((s) => states.push(s));
    const sizes = [MiB - 1, MiB, MiB + 1, 3 * MiB + 7, PRAVEGA_MAX_EVENT - 1, PRAVEGA_MAX_EVENT, 100];
    const writer = client.writer(stream, { serializer: Serializers.bytes() });
    await Promise.all(sizes.map((n, i) => writer.write(payload(n, i), 'one-key')));
    await expect(writer.write(new Uint8Array(PRAVEGA_MAX_EVENT + 1))).rejects.toMatchObject({
      code: 'invalid-argument',
      message: /8388609 bytes is larger than the gateway accepts \(8388608 bytes\)/,
    });
    await writer.close();

    const to = (await client.streamInfo(stream)).tail;
    const got: Uint8Array[] = [];
    for await (const ev of client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to }))
      got.push(ev.value);
    expect(got.map((g) => g.length)).toEqual(sizes);
    for (const [i, g] of got.entries()) expect(Buffer.from(g).equals(payload(sizes[i]!, i))).toBe(true);
    stop();
    expect(states).toEqual([]);
    console.log(`[large events] largest event written and read back: ${Math.max(...sizes)} bytes; reconnects: 0`);
  });

  it('in a transaction too', async () => {
    const stream = uniqueName('large-txn');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    const writer = client.writer(stream, { serializer: Serializers.bytes(), mode: 'exactly-once' });
    const tx = await writer.beginTxn();
    await tx.write(payload(PRAVEGA_MAX_EVENT, 1));
    await tx.write(payload(10, 2));
    await tx.commit();
    const to = (await client.streamInfo(stream)).tail;
    const got: Uint8Array[] = [];
    for await (const ev of client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to }))
      got.push(ev.value);
    expect(got.map((g) => g.length)).toEqual([PRAVEGA_MAX_EVENT, 10]);
    expect(Buffer.from(got[0]!).equals(payload(PRAVEGA_MAX_EVENT, 1))).toBe(true);
  });
});

describe('large events and the rest of the gateway', () => {
  it('go to the segment a small event with the same key goes to, keys with lone surrogates too', async () => {
    const stream = uniqueName('keys');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const emoji = '\u{1F600}';
    // Keys Java hashes unit by unit: lone halves of a pair (what slice() leaves of an emoji), BOM, U+FFFF.
    const keys = [
      'plain',
      emoji.slice(0, 1),
      `k${emoji.slice(1)}`,
      '\ufeffx',
      '\uffff',
      'ünï',
      ...Array.from({ length: 10 }, (_, i) => `key-${i}`),
    ];
    const writer = client.writer(stream, { serializer: Serializers.bytes() });
    await Promise.all(
      keys.flatMap((key, i) => [writer.write(payload(3 * MiB, i), key), writer.write(payload(16, i), key)]),
    );
    await writer.close();
    const to = (await client.streamInfo(stream)).tail;
    const segmentOf = new Map<string, bigint[]>();
    for await (const ev of client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to })) {
      const tag = `${new DataView(ev.value.buffer, ev.value.byteOffset).getUint32(0)}`;
      segmentOf.set(tag, [...(segmentOf.get(tag) ?? []), ev.segment]);
      expect(Buffer.from(ev.value).equals(payload(ev.value.length, Number(tag)))).toBe(true);
    }
    expect(segmentOf.size).toBe(keys.length);
    for (const [tag, segments] of segmentOf) expect([tag, segments[0]]).toEqual([tag, segments[1]]);
    expect(new Set([...segmentOf.values()].map((s) => s[0])).size).toBeGreaterThan(1);
  });

  it('wait for room in the gateway-wide in-flight budget instead of failing, and all arrive', async () => {
    // Room for one 8 MiB event at a time in the whole gateway: the others are pushed back.
    const tight = await startTestGateway([
      '--max-inflight-bytes-total',
      String(12 * MiB),
      '--max-inflight-bytes-per-session',
      String(12 * MiB),
    ]);
    const stream = uniqueName('budget');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const writers = await Promise.all([0, 1, 2].map(() => connect({ url: tight.url, scope, ...sdk.options })));
    try {
      const states: string[] = [];
      for (const w of writers) w.onStateChange((st) => states.push(st));
      await Promise.all(
        writers.map(async (w, i) => {
          const writer = w.writer(stream, { serializer: Serializers.bytes() });
          await Promise.all([
            writer.write(payload(PRAVEGA_MAX_EVENT, 10 + i), `w${i}`),
            writer.write(payload(PRAVEGA_MAX_EVENT, 20 + i), `w${i}`),
          ]);
          await writer.close();
        }),
      );
      expect(states).toEqual([]);
      expect(tight.context.inflight.total.peak).toBeLessThanOrEqual(12 * MiB);
      expect(tight.context.inflight.total.used).toBe(0);
    } finally {
      for (const w of writers) await w.close();
      await tight.close();
    }
    const to = (await client.streamInfo(stream)).tail;
    const tags: number[] = [];
    for await (const ev of client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to })) {
      const tag = new DataView(ev.value.buffer, ev.value.byteOffset).getUint32(0);
      expect(Buffer.from(ev.value).equals(payload(PRAVEGA_MAX_EVENT, tag))).toBe(true);
      tags.push(tag);
    }
    expect(tags.sort((a, b) => a - b)).toEqual([10, 11, 12, 20, 21, 22]);
  });

  it('are refused at write() when the session’s budget could never hold one', async () => {
    const small = await startTestGateway([
      '--max-inflight-bytes-total',
      String(6 * MiB),
      '--max-inflight-bytes-per-session',
      String(6 * MiB),
    ]);
    const c = await connect({ url: small.url, scope, ...sdk.options });
    try {
      const writer = c.writer(uniqueName('never'), { serializer: Serializers.bytes() });
      await expect(writer.write(new Uint8Array(6 * MiB))).rejects.toMatchObject({
        code: 'invalid-argument',
        message: new RegExp(`6291456 bytes is larger than the gateway accepts \\(${6 * MiB - 8} bytes\\)`),
      });
      expect(c.state).toBe('live');
    } finally {
      await c.close();
      await small.close();
    }
  });
});

describe('a broken part sequence', () => {
  const part = (channel: number, sequence: bigint, totalBytes: number, offset: number, data: Uint8Array) =>
    clientFrame({ kind: { case: 'appendPart', value: { channel, sequence, totalBytes, offset, data } } });
  const append = (channel: number, sequence: bigint) =>
    clientFrame({
      kind: { case: 'append', value: { channel, firstSequence: sequence, events: [{ payload: new Uint8Array(1) }] } },
    });
  const bytes = (n: number) => new Uint8Array(n).fill(7);

  const cases: Array<{ name: string; frames: Uint8Array[]; message: RegExp; code?: string }> = [
    { name: 'a first part not at 0', frames: [part(1, 5n, 100, 10, bytes(10))], message: /starts at 10, not 0/ },
    {
      name: 'a total over 8 MiB',
      frames: [part(1, 5n, PRAVEGA_MAX_EVENT + 1, 0, bytes(10))],
      message: /8388609 bytes is larger than the gateway accepts \(8388608 bytes\)/,
    },
    {
      name: 'a gap',
      frames: [part(1, 5n, 100, 0, bytes(10)), part(1, 5n, 100, 20, bytes(10))],
      message: /starts at 20; the next byte expected is 10/,
    },
    {
      name: 'another event while one is incomplete',
      frames: [part(1, 5n, 100, 0, bytes(10)), part(1, 6n, 100, 0, bytes(10))],
      message: /event 6 arrived while event 5 was incomplete/,
    },
    {
      name: 'a part past the end',
      frames: [part(1, 5n, 100, 0, bytes(60)), part(1, 5n, 100, 60, bytes(60))],
      message: /runs past its end/,
    },
    {
      name: 'a total that changes',
      frames: [part(1, 5n, 100, 0, bytes(10)), part(1, 5n, 200, 10, bytes(10))],
      message: /says 200 bytes in all, the first said 100/,
    },
    {
      name: 'an Append between parts',
      frames: [part(1, 5n, 100, 0, bytes(10)), append(1, 6n)],
      message: /an Append arrived between the parts/,
    },
  ];

  it.each(cases)('closes only its channel, with invalid-argument: $name', async ({ frames, message }) => {
    const stream = uniqueName('broken');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    const raw = await RawClient.session(gateway.url);
    try {
      raw.send(
        clientFrame({
          kind: { case: 'openWriter', value: { channel: 1, stream: `${scope}/${stream}`, writerId: 'raw' } },
        }),
      );
      await raw.until((f) => f.kind.case === 'writerOpened');
      for (const f of frames) raw.send(f);
      const closed = (await raw.until((f) => f.kind.case === 'channelClosed')) as ServerFrame & {
        kind: { case: 'channelClosed' };
      };
      expect(closed.kind.value).toMatchObject({
        channel: 1,
        error: { code: 'invalid-argument', message: expect.stringMatching(message) },
      });
      await raw.ping(1n); // the socket is fine
      expect(raw.closeCode).toBeUndefined();
    } finally {
      raw.terminate();
    }
  });
});

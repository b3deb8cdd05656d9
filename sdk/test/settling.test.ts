/**
 * Everything settles: closing the client, a writer or a reader, or aborting a call, settles
 * every promise with a typed error (never success for what is not known), ends every `for await`,
 * clears every timer (the file's resource check) and leaves no unhandled rejection. The fake
 * gateway withholds what it is asked to (acknowledgements, replies, ReaderOpened) so that there
 * is something pending to settle.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, Serializers, type SluiceClient, StreamCut } from '../src/index.js';
import { FakeGateway } from './fake-gateway.js';
import { useSdkResourceCheck } from './helpers/sdk-resources.js';
import { until } from './helpers/until.js';

const sdk = useSdkResourceCheck();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let gateway: FakeGateway;
let client: SluiceClient;

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await client?.close();
  await gateway?.close();
  // A rejection nobody handled is reported a turn after it happened.
  await new Promise((r) => setImmediate(r));
  expect(unhandled).toEqual([]);
});

async function start(setup: (g: FakeGateway) => void = () => {}): Promise<void> {
  gateway = await FakeGateway.start();
  setup(gateway);
  client = await connect({ url: gateway.url, reconnect: { baseMs: 1, maxMs: 5 }, ...sdk.options });
}

/** The promise's outcome, captured now (so that a rejection is handled when it happens). */
function outcome(p: Promise<unknown>): Promise<{ code: string } | 'resolved'> {
  return p.then(
    () => 'resolved' as const,
    (e: unknown) => e as { code: string },
  );
}

const sentEvents = () => gateway.appends.reduce((n, a) => n + a.events.length, 0);

describe('client.close()', () => {
  it('settles writes (cancelled if never sent, outcome-unknown if sent), calls, waits and readers', async () => {
    await start((g) => {
      g.readerSegment = { segmentId: 0n, offset: 0n, payloads: [new TextEncoder().encode('one')] };
    });
    const writer = client.writer('s/t', { serializer: Serializers.bytes(), maxInflightBytes: 1000 });
    const sent = [outcome(writer.write(new Uint8Array(600))), outcome(writer.write(new Uint8Array(300)))];
    const waiting = outcome(writer.write(new Uint8Array(600))); // over the in-flight limit: never sent
    await until(() => sentEvents() === 2);
    const flushed = outcome(writer.flush());
    const call = outcome(client.listScopes());
    const txWriter = client.writer('s/t', { serializer: Serializers.utf8(), mode: 'exactly-once' });
    const begun = outcome(txWriter.beginTxn()); // the fake never opens transactions
    const reader = client.reader('s/t', { serializer: Serializers.utf8() });
    const read: string[] = [];
    const loop = (async () => {
      for await (const ev of reader) read.push(ev.value);
    })();
    await until(() => read.length === 1);
    gateway.readerSegment = undefined; // the next reader never opens
    const ready = outcome(client.reader('s/u').ready());

    await client.close();

    for (const w of sent) expect(await w).toMatchObject({ code: 'outcome-unknown' });
    expect(await waiting).toMatchObject({ code: 'cancelled' });
    expect(await flushed).toMatchObject({ code: 'cancelled' });
    expect(await call).toMatchObject({ code: 'cancelled' });
    expect(await begun).toMatchObject({ code: 'cancelled' });
    expect(await ready).toMatchObject({ code: 'cancelled' });
    await loop; // the for await ended
    expect(read).toEqual(['one']);
    // After close, everything refuses at once.
    await expect(writer.write(new Uint8Array(1))).rejects.toMatchObject({ code: 'cancelled' });
    await expect(client.listScopes()).rejects.toMatchObject({ code: 'cancelled' });
    for await (const _ of client.reader('s/v')) expect.unreachable();
  });
});

describe('aborting', () => {
  it('a write: withdrawn if not sent (cancelled), outcome-unknown if sent; the writer carries on', async () => {
    await start();
    const writer = client.writer('s/t', { serializer: Serializers.bytes(), maxInflightBytes: 1000 });
    const first = new AbortController();
    const second = new AbortController();
    const a = writer.write(new Uint8Array(600).fill(1), undefined, { signal: first.signal });
    const b = writer.write(new Uint8Array(600).fill(2), undefined, { signal: second.signal }); // waits for room
    const c = writer.write(new Uint8Array(10).fill(3));
    await until(() => sentEvents() === 1);
    first.abort();
    second.abort();
    await expect(a).rejects.toMatchObject({ code: 'outcome-unknown' });
    await expect(b).rejects.toMatchObject({ code: 'cancelled' });
    gateway.ack(gateway.appends[0]!.firstSequence); // a was stored after all: harmless
    await until(() => sentEvents() === 2);
    const last = gateway.appends.at(-1)!;
    expect(last.events.map((e) => e.payload[0])).toEqual([3]); // b never went
    gateway.ack(last.firstSequence);
    await c;
    await writer.close();
  });

  it('writer.close(): the wait for acknowledgements stops, pending writes settle', async () => {
    await start();
    const writer = client.writer('s/t', { serializer: Serializers.utf8() });
    const write = outcome(writer.write('x'));
    await until(() => sentEvents() === 1);
    const aborter = new AbortController();
    const closing = writer.close({ signal: aborter.signal });
    aborter.abort();
    await expect(closing).rejects.toMatchObject({ code: 'cancelled' });
    expect(await write).toMatchObject({ code: 'outcome-unknown' });
    await expect(writer.write('y')).rejects.toMatchObject({ code: 'invalid-argument', message: /closed/ });
  });

  it('readBatch while it waits for an event: the iteration throws cancelled', async () => {
    await start((g) => {
      g.readerSegment = { segmentId: 0n, offset: 0n, payloads: [new TextEncoder().encode('a')] };
    });
    const aborter = new AbortController();
    const cut = (offset: bigint) => new StreamCut('s/t', new Map([[0n, offset]]));
    const seen: string[] = [];
    const reading = (async () => {
      for await (const ev of client.readBatch('s/t', {
        from: cut(0n),
        to: cut(1_000n), // far beyond what the fake sends: the read waits
        serializer: Serializers.utf8(),
        signal: aborter.signal,
      })) {
        seen.push(ev.value);
        aborter.abort();
      }
    })();
    await expect(reading).rejects.toMatchObject({ code: 'cancelled' });
    expect(seen).toEqual(['a']);
  });

  it('a reader’s ready() and a wait for the gateway', async () => {
    await start();
    const reader = client.reader('s/t');
    const aborter = new AbortController();
    const ready = reader.ready(aborter.signal);
    aborter.abort();
    await expect(ready).rejects.toMatchObject({ code: 'cancelled' });
    const closed = reader.ready();
    await reader.close();
    await expect(closed).rejects.toMatchObject({ code: 'cancelled' });
    const call = new AbortController();
    const scopes = client.listScopes(call.signal);
    call.abort();
    await expect(scopes).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('reader.close()', () => {
  it('ends a for await that waits for an event', async () => {
    await start((g) => {
      g.readerSegment = { segmentId: 0n, offset: 0n, payloads: [new TextEncoder().encode('only')] };
    });
    const reader = client.reader('s/t', { serializer: Serializers.utf8() });
    const got: string[] = [];
    const loop = (async () => {
      for await (const ev of reader) got.push(ev.value);
    })();
    await until(() => got.length === 1);
    await reader.close();
    await loop;
    expect(got).toEqual(['only']);
  });
});

describe('bounds at write()', () => {
  it('best-effort: at most maxBufferedBytes held; writes past it reject with resource-exhausted and are counted', async () => {
    await start();
    const errors: string[] = [];
    const writer = client.writer('s/t', {
      serializer: Serializers.bytes(),
      mode: 'best-effort',
      onError: (e) => errors.push(e.code),
    });
    // A collection before each reading of the heap, for the figure only (nothing asserts it).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    let accepted = 0;
    let refused = 0;
    // 100,000 writes of 1 KiB and no acknowledgement at all.
    for (let i = 0; i < 100_000; i++) {
      await writer.write(new Uint8Array(1024)).then(
        () => accepted++,
        (e: unknown) => {
          expect(e).toMatchObject({ code: 'resource-exhausted', message: /maxBufferedBytes \(16777216\)/ });
          refused++;
        },
      );
    }
    gc();
    const grew = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heapBefore;
    console.log(
      `[bounds] best-effort, 100,000 × 1 KiB unacknowledged: ${accepted} held, ${refused} refused, heap and buffers +${(grew / 1e6).toFixed(1)} MB (before: +172 MB)`,
    );
    expect(accepted).toBe(16 * 1024);
    expect(refused).toBe(100_000 - 16 * 1024);
    expect(writer.failedEvents).toBe(refused);
    expect(errors).toHaveLength(refused);
    await client.close();
    // What was held settles too: counted as failed (outcome-unknown or cancelled).
    await until(() => writer.failedEvents === 100_000);
  });

  it('an event larger than the gateway accepts fails at write(), naming both sizes, touching nothing', async () => {
    await start((g) => {
      g.welcome = { maxMessageBytes: 1 << 20, maxEventBytes: 8 * 1024 * 1024 };
    });
    const errors: string[] = [];
    const writer = client.writer('s/t', { serializer: Serializers.bytes() });
    const bestEffort = client.writer('s/t', {
      serializer: Serializers.bytes(),
      mode: 'best-effort',
      onError: (e) => errors.push(e.code),
    });
    const tooLarge = new Uint8Array(8 * 1024 * 1024 + 1);
    await expect(writer.write(tooLarge)).rejects.toMatchObject({
      code: 'invalid-argument',
      message: /8388609 bytes is larger than the gateway accepts \(8388608 bytes\)/,
    });
    await expect(bestEffort.write(tooLarge)).rejects.toMatchObject({ code: 'invalid-argument' });
    expect(bestEffort.failedEvents).toBe(1);
    expect(errors).toEqual(['invalid-argument']);
    expect(gateway.appends).toEqual([]);
    expect(gateway.parts).toEqual([]);
    expect(gateway.connections).toBe(1);
    expect(client.state).toBe('live');
  });

  it('with a gateway that takes no parts, an event must fit one message', async () => {
    await start(); // Welcome without max_event_bytes: an older gateway
    const writer = client.writer('s/t', { serializer: Serializers.bytes() });
    await expect(writer.write(new Uint8Array(2 * 1024 * 1024))).rejects.toMatchObject({
      code: 'invalid-argument',
      message: /2097152 bytes is larger than the gateway accepts \(\d+ bytes in one message of at most 1048576 bytes\)/,
    });
    expect(gateway.connections).toBe(1);
  });
});

describe('large events', () => {
  it('travel in AppendPart frames of at most one message each, back to back, and are resent whole after a reconnect', async () => {
    await start((g) => {
      g.welcome = { maxMessageBytes: 1 << 20, maxEventBytes: 8 * 1024 * 1024 };
      g.maxInflightBytes = 16 << 20;
    });
    const writer = client.writer('s/t', { serializer: Serializers.bytes() });
    const payload = Uint8Array.from({ length: 8 * 1024 * 1024 }, (_, i) => (i * 7 + (i >> 13)) & 0xff);
    const big = writer.write(payload, 'key-1');
    const small = writer.write(new Uint8Array([42]), 'key-2');
    await until(() => gateway.parts.length === 9 && gateway.appends.length === 1);
    const parts = gateway.parts.splice(0);
    expect(Math.max(...gateway.messageSizes)).toBeLessThanOrEqual(1 << 20);
    const sequence = parts[0]!.sequence;
    let offset = 0;
    for (const [i, part] of parts.entries()) {
      expect(part).toMatchObject({ sequence, totalBytes: payload.length, offset });
      expect(part.routingKey).toBe(i === 0 ? 'key-1' : undefined);
      offset += part.data.length;
    }
    expect(offset).toBe(payload.length);
    expect(Buffer.concat(parts.map((p) => p.data)).equals(payload)).toBe(true);
    expect(gateway.appends[0]!.firstSequence).toBe(sequence + 1n); // the small one, after the parts

    gateway.drop(); // nothing acknowledged: both are sent again, the large one from its first part
    await until(() => gateway.connections === 2 && gateway.parts.length === 9 && gateway.appends.length === 2);
    const resent = gateway.parts;
    expect(resent.map((p) => [p.sequence, p.offset])).toEqual(parts.map((p) => [p.sequence, p.offset]));
    expect(Buffer.concat(resent.map((p) => p.data)).equals(payload)).toBe(true);
    gateway.ack(sequence + 1n);
    await big;
    await small;
  });

  it('an event in parts that a gateway reached after a reconnect cannot take fails alone, typed, never sent to it', async () => {
    await start((g) => {
      g.welcome = { maxMessageBytes: 1 << 20, maxEventBytes: 8 * 1024 * 1024 };
    });
    const writer = client.writer('s/t', { serializer: Serializers.bytes(), maxInflightBytes: 3 << 20 });
    const sent = outcome(writer.write(new Uint8Array(2 << 20)));
    const unsent = outcome(writer.write(new Uint8Array(2 << 20))); // waits for room
    const small = outcome(writer.write(new Uint8Array(1)));
    await until(() => gateway.parts.length === 3);
    gateway.welcome = { maxMessageBytes: 1 << 20, maxEventBytes: 0 }; // an older gateway behind the URL
    gateway.drop();
    expect(await sent).toMatchObject({ code: 'outcome-unknown', message: /larger than this gateway accepts/ });
    expect(await unsent).toMatchObject({ code: 'invalid-argument', message: /larger than this gateway accepts/ });
    await until(() => gateway.connections === 2 && gateway.appends.length > 0);
    expect(gateway.parts).toHaveLength(3); // nothing more in parts
    gateway.ack(gateway.appends.at(-1)!.firstSequence);
    expect(await small).toBe('resolved');
  });
});

/**
 * Against the real standalone: a writer's large Append frames (masked, and unmasked as
 * wsConstructor's `maskFrames: false` sends them) land in the gateway's pooled message buffers
 * (sessions/pooled-messages.ts), and a buffer is reused only after Pravega acknowledged
 * every event that views it — the events read back are byte for byte what was written, also when
 * a segment is sealed with such events unacknowledged and the writer re-sends them elsewhere.
 */
import { Writable } from 'node:stream';
import { Serializers, type SluiceClient } from '@sluice/sdk';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { type RunningGateway, startGateway } from '../../src/server/gateway.js';
import { controllerUri } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('pooled');

const EVENT_BYTES = 10_000;

/** Event i: its number, then bytes that differ from every other event's. */
function eventBytes(i: number): Uint8Array {
  const bytes = new Uint8Array(EVENT_BYTES);
  new DataView(bytes.buffer).setUint32(0, i);
  let x = (i * 2654435761) >>> 0 || 1;
  for (let j = 4; j < EVENT_BYTES; j++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[j] = x & 0xff;
  }
  return bytes;
}

/** Writes ~30 MB in 1 MiB frames over three segments and reads it back: stored intact, once each. */
async function writeAndCheck(client: SluiceClient): Promise<void> {
  const stream = uniqueName('pooled');
  await client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
  const buffers = fx.gateway.context.messageBuffers;
  const reusedBefore = buffers.reused;
  const total = 3_000; // ~30 MB: over three times the writer's 8 MiB in-flight window
  const writer = client.writer(stream, { serializer: Serializers.bytes() });
  const acks: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    acks.push(writer.write(eventBytes(i), `k${i % 7}`));
    // Let frames go out and acknowledgements come back while writing, as an application would.
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(acks);
  await writer.close();
  // The frames were pooled and their buffers came back after Pravega's acknowledgements
  // (else this test proved nothing about reuse).
  expect(buffers.reused).toBeGreaterThan(reusedBefore);

  const { mismatched, copies } = await readBack(client, stream);
  expect(mismatched).toBe(0);
  expect(copies.size).toBe(total);
  expect([...copies.values()].every((n) => n === 1)).toBe(true);
}

describe('clients’ messages in pooled buffers', () => {
  it('events written in 1 MiB frames over several segments are stored intact while the buffers are reused', async () => {
    await writeAndCheck(fx.client);
  });

  it('the same with unmasked client frames (an all-zero key: neither side copies or unmasks)', async () => {
    // The SDK's frame buffers are reused too: wsConstructor's sockets release them once written.
    const unmasked = await connectSdk(fx.gateway.url, fx.scope, { maskFrames: false });
    try {
      await writeAndCheck(unmasked);
    } finally {
      await unmasked.close();
    }
  });
});

describe('pooled payloads caught by a seal', () => {
  // A gateway of its own, whose log shows the re-route (and how many events it carried).
  const lines: string[] = [];
  let gateway: RunningGateway;
  let client: SluiceClient;
  const scope = uniqueName('pooledseal');
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
  });

  it('events unacknowledged when their segment is sealed are re-sent from pooled buffers intact, once each', async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    gateway = await startGateway(
      loadConfig(['--port', '0', '--controller', controllerUri()], {}),
      pino({ level: 'info' }, sink),
    );
    client = await connectSdk(gateway.url, scope);
    await client.createScope(scope);
    const stream = uniqueName('pooledseal');
    await client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const writer = client.writer(stream, { serializer: Serializers.bytes() });
    const total = 4_000;
    const acks: Promise<void>[] = [];
    const write = (from: number, to: number) => {
      for (let i = from; i < to; i++) acks.push(writer.write(eventBytes(i), `k${i % 11}`));
    };
    // ~20 MB queued at once: the 8 MiB window is full of pooled, unacknowledged events when the
    // segment is sealed, so the writer has some to re-route.
    write(0, 2_000);
    // Meanwhile another writer keeps the gateway's pooled buffers in use: a buffer given back too
    // early (before the re-routed events that view it were sent again) would be refilled at once.
    const other = uniqueName('pooledbusy');
    await client.createStream(other, { scaling: { type: 'fixed', segments: 1 } });
    const busyWriter = client.writer(other, { serializer: Serializers.bytes() });
    let busy = true;
    const busyWriting = (async () => {
      // Batches of 100 events: ~1 MiB frames, so pooled buffers.
      while (busy)
        await Promise.all(Array.from({ length: 100 }, (_, i) => busyWriter.write(eventBytes(total + i), 'busy')));
    })();
    const low = (await client.streamInfo(stream)).segments.find((s) => s.lowKey === 0)!;
    await client.scaleStream(stream, {
      seal: [low.segmentId],
      newRanges: [
        [0, 0.25],
        [0.25, 0.5],
      ],
    });
    write(2_000, total);
    await Promise.all(acks);
    busy = false;
    await busyWriting;
    await Promise.all([writer.close(), busyWriter.close()]);

    const reroutes = lines
      .flatMap((chunk) => chunk.split('\n').filter(Boolean))
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.msg === 'segment sealed: re-routing');
    expect(reroutes.length).toBeGreaterThan(0);
    // Events that were in flight on the sealed segment went out again on its successors.
    expect(reroutes.some((r) => r.unacked > 0)).toBe(true);
    expect(gateway.context.messageBuffers.reused).toBeGreaterThan(0);

    const { mismatched, copies } = await readBack(client, stream);
    expect(mismatched).toBe(0);
    expect(copies.size).toBe(total);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
  });
});

/** Reads `stream` from its head to its tail: how many events differ from what was written, and copies of each. */
async function readBack(
  client: SluiceClient,
  stream: string,
): Promise<{ mismatched: number; copies: Map<number, number> }> {
  const tail = (await client.streamInfo(stream)).tail;
  const reader = client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to: tail });
  const copies = new Map<number, number>();
  let mismatched = 0;
  for await (const event of reader) {
    const bytes = event.value;
    const i = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
    copies.set(i, (copies.get(i) ?? 0) + 1);
    if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(eventBytes(i))) mismatched++;
  }
  return { mismatched, copies };
}

/**
 * Against the real standalone: a writer's large Append frames land in the gateway's pooled message
 * buffers (sessions/pooled-messages.ts), and a buffer is reused only after Pravega acknowledged
 * every event that views it — the events read back are byte for byte what was written.
 */
import { Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
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

describe('clients’ messages in pooled buffers', () => {
  it('events written in 1 MiB frames over several segments are stored intact while the buffers are reused', async () => {
    const stream = uniqueName('pooled');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    const buffers = fx.gateway.context.messageBuffers;
    const reusedBefore = buffers.reused;
    const total = 3_000; // ~30 MB: over three times the writer's 8 MiB in-flight window
    const writer = fx.client.writer(stream, { serializer: Serializers.bytes() });
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

    const tail = (await fx.client.streamInfo(stream)).tail;
    const reader = fx.client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to: tail });
    const seen = new Set<number>();
    let mismatched = 0;
    for await (const event of reader) {
      const bytes = event.value;
      const i = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
      seen.add(i);
      if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(eventBytes(i))) mismatched++;
    }
    expect(mismatched).toBe(0);
    expect(seen.size).toBe(total);
  });
});

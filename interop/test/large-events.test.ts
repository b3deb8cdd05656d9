/**
 * Events at Pravega's limit (8 MiB of payload: the Java client's Serializer.MAX_EVENT_SIZE, which
 * its PendingEvent checks with the 8-byte header) between the SDK and Pravega's Java client,
 * through a gateway process with its default settings (WebSocket messages of at most 1 MiB):
 * Java reads what the SDK wrote byte for byte, and the SDK reads what Java wrote.
 */
import { Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGatewayProcess } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const MAX_EVENT = 8 * 1024 * 1024;
const fx = useGatewayProcess('interop-large');

/** `n` bytes of printable text that never repeat in step with a part boundary. */
function text(n: number, seed: number): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = 0x21 + ((i * 31 + (i >>> 10) * 7 + seed) % 94);
  // No quote or backslash: Java's JSON line stays plain (the bytes are compared through its hex).
  for (let i = 0; i < n; i++) if (p[i] === 0x22 || p[i] === 0x5c) p[i] = 0x2d;
  return p;
}

describe('events of 8 MiB, SDK ↔ Java client', () => {
  it('Java reads byte for byte the 8 MiB events the SDK wrote', async () => {
    const stream = uniqueName('big-sdk2java');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    const writer = fx.client.writer(stream, { serializer: Serializers.bytes() });
    const events = [text(MAX_EVENT, 1), text(MAX_EVENT - 1, 2), text(1, 3)];
    await Promise.all(events.map((e) => writer.write(e, 'k')));
    await writer.close();

    const lines = await javaPeer(['read', ...streamArgs(fx.scope, stream), '--expect', '3', '--drain-ms', '1000'], {
      timeoutMs: 180_000,
    });
    const read = lines.filter((l) => typeof l.hex === 'string').map((l) => Buffer.from(l.hex as string, 'hex'));
    expect(read.map((r) => r.length)).toEqual(events.map((e) => e.length));
    for (const [i, r] of read.entries()) expect(r.equals(events[i]!)).toBe(true);
  });

  it('the SDK reads the 8 MiB event Java wrote', async () => {
    const stream = uniqueName('big-java2sdk');
    await javaPeer(['create-stream', ...streamArgs(fx.scope, stream), '--segments', '1']);
    // Java's own choice of bytes: "java|key-0|0" padded with 'x' to exactly Pravega's limit.
    await javaPeer([
      'write',
      ...streamArgs(fx.scope, stream),
      '--count',
      '1',
      '--keys',
      '1',
      '--size',
      String(MAX_EVENT),
    ]);
    const to = (await fx.client.streamInfo(stream)).tail;
    const got: string[] = [];
    for await (const ev of fx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to }))
      got.push(ev.value);
    expect(got).toHaveLength(1);
    expect(Buffer.byteLength(got[0]!)).toBe(MAX_EVENT);
    expect(got[0]).toBe(`java|key-0|0${'x'.repeat(MAX_EVENT - 'java|key-0|0'.length)}`);
  });
});

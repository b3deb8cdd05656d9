/**
 * Events of every size through the gateway (large payloads go to Pravega uncopied, as views of
 * the client's frame): what is read back is byte for byte what was written, in order per key.
 */
import { Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('large');

/** Payload `i`: its size cycles from 4 bytes to 100 KiB; it starts with `i` and its bytes derive from `i`. */
function payload(i: number): Uint8Array {
  const sizes = [4, 100, 2047, 2048, 2049, 10_240, 100 * 1024];
  const n = sizes[i % sizes.length]!;
  const p = Uint8Array.from({ length: n }, (_, k) => (k * 31 + i) & 0xff);
  new DataView(p.buffer).setUint32(0, i);
  return p;
}

describe('large events', () => {
  it('arrive byte for byte, mixed with small ones, in order per key', async () => {
    const stream = uniqueName('big');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const count = 400;
    const writer = fx.client.writer(stream, { serializer: Serializers.bytes() });
    await Promise.all(Array.from({ length: count }, (_, i) => writer.write(payload(i), `key-${i % 3}`)));
    await writer.close();

    const to = (await fx.client.streamInfo(stream)).tail;
    const reader = fx.client.reader(stream, { serializer: Serializers.bytes(), from: 'head', to });
    const seen = new Map<string, number[]>();
    let got = 0;
    for await (const ev of reader) {
      const i = new DataView(ev.value.buffer, ev.value.byteOffset, ev.value.byteLength).getUint32(0);
      expect(i).toBeLessThan(count);
      // Buffer.equals, not toEqual: a deep comparison of 100 KiB byte by byte is slow.
      expect(Buffer.from(ev.value).equals(payload(i))).toBe(true);
      const key = `key-${i % 3}`;
      seen.set(key, [...(seen.get(key) ?? []), i]);
      got++;
    }
    expect(got).toBe(count);
    for (const [key, order] of seen) {
      const k = Number(key.slice(4));
      expect(order).toEqual(Array.from({ length: count }, (_, i) => i).filter((i) => i % 3 === k));
    }
  });
});

/**
 * Scaling while writing and reading (against the real standalone): a split and then a merge of
 * segments mid-stream. Writers re-route what a sealed segment did not store; readers read a
 * successor only after all its predecessors; every event arrives once, in order per key.
 */
import { Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('scale');

describe('scaling', () => {
  it('keeps every event exactly once and in per-key order across a split and a merge', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
    const reader = fx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
    const got: string[] = [];
    const total = 6_000;
    const reading = (async () => {
      for await (const ev of reader) {
        got.push(ev.value);
        if (got.length === total) break;
      }
    })();

    const writes: Promise<void>[] = [];
    const write = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const key = `key-${i % 40}`;
        writes.push(writer.write(`${key}|${i}`, key));
      }
    };
    write(0, 2_000);
    // Split segment 0 ([0, 0.5)) into two while writes are in flight.
    const before = await fx.client.streamInfo(stream);
    const low = before.segments.find((s) => s.lowKey === 0)!;
    await fx.client.scaleStream(stream, {
      seal: [low.segmentId],
      newRanges: [
        [0, 0.25],
        [0.25, 0.5],
      ],
    });
    write(2_000, 4_000);
    // Merge [0.25, 0.5) (epoch 1) and [0.5, 1) (epoch 0) into one. (Pravega refuses to go below
    // the fixed policy's 2 segments, so this is the widest merge the stream allows.)
    const mid = await fx.client.streamInfo(stream);
    expect(mid.segments).toHaveLength(3);
    const upper = mid.segments.filter((s) => s.lowKey >= 0.25).map((s) => s.segmentId);
    await fx.client.scaleStream(stream, { seal: upper, newRanges: [[0.25, 1]] });
    write(4_000, total);
    await Promise.all(writes);
    await writer.close();
    await reading;
    await reader.close();

    expect((await fx.client.streamInfo(stream)).segments).toHaveLength(2);
    expect(new Set(got).size).toBe(total);
    expect(got).toHaveLength(total);
    const last = new Map<string, number>();
    for (const v of got) {
      const [key, seq] = v.split('|') as [string, string];
      expect(Number(seq), `order of ${key}`).toBeGreaterThan(last.get(key) ?? -1);
      last.set(key, Number(seq));
    }
  });
});

/**
 * Scaling while writing and reading (against the real standalone): a split and then a merge of
 * segments mid-stream. Writers re-route what a sealed segment did not store; readers read a
 * successor only after all its predecessors; every event arrives once, in order per key.
 */
import { type ReaderPosition, Serializers } from '@sluice/sdk';
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
    // Each event's position must be the reader's position right after it, whenever it is read:
    // some are read at once, the rest only after the reader moved on through the scaling.
    const positions: Array<{ position: ReaderPosition; expected: string; early: string | undefined }> = [];
    const reading = (async () => {
      for await (const ev of reader) {
        got.push(ev.value);
        const expected = JSON.stringify(reader.position());
        positions.push({
          position: ev.position,
          expected,
          early: got.length % 2 === 0 ? JSON.stringify(ev.position) : undefined,
        });
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

    for (const p of positions) {
      if (p.early !== undefined) expect(p.early).toBe(p.expected);
      expect(JSON.stringify(p.position)).toBe(p.expected);
    }
    // Positions do not share maps: changing one leaves another (of the same segment) as it was.
    const [a, b] = [positions.at(-2)!.position, positions.at(-1)!.position];
    for (const s of a.streams.values()) s.segments.clear();
    expect(JSON.stringify(b)).toBe(positions.at(-1)!.expected);
    expect(new Set(positions.map((p) => p.expected)).size).toBe(total);

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

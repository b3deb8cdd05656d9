/**
 * Parallel batch reads: `client.batchRanges` splits a read between two cuts into one range per
 * segment, exactly as Pravega's batch client lists them (same segments, same start and end
 * offsets); each range, passed on as JSON, is read on its own connection (as another worker or
 * tab would) with `client.readRange`, and the union is readBatch's multiset, each event once.
 */
import { BatchRange, Serializers, type SluiceClient } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { connectSdk } from '../../gateway/test/helpers/sdk.js';
import { useGateway } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const fx = useGateway('ranges');

async function write(stream: string, from: number, to: number): Promise<void> {
  const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
  await Promise.all(Array.from({ length: to - from }, (_, k) => writer.write(`e${from + k}`, `k${from + k}`)));
  await writer.close();
}

async function readRangeOn(client: SluiceClient, json: string): Promise<string[]> {
  const got: string[] = [];
  for await (const ev of client.readRange(BatchRange.fromJSON(json), { serializer: Serializers.utf8() }))
    got.push(ev.value);
  return got;
}

describe('parallel batch reads', () => {
  it('split into the ranges Java lists, read apart, make up the whole once', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    await write(stream, 0, 200);
    const from = (await fx.client.streamInfo(stream)).tail;
    await write(stream, 200, 400);
    const seg = (await fx.client.streamInfo(stream)).segments[0]!;
    const mid = (seg.lowKey + seg.highKey) / 2;
    await fx.client.scaleStream(stream, {
      seal: [seg.segmentId],
      newRanges: [
        [seg.lowKey, mid],
        [mid, seg.highKey],
      ],
    });
    await write(stream, 400, 700);
    const to = (await fx.client.streamInfo(stream)).tail;
    await write(stream, 700, 800);

    const ranges = await fx.client.batchRanges(stream, { from, to });
    expect(ranges.length).toBe(4); // the two first segments and the split's halves
    const java = (
      await javaPeer([
        'read-batch',
        ...streamArgs(fx.scope, stream),
        '--from',
        await from.toText(),
        '--to',
        await to.toText(),
      ])
    )
      .filter((l) => l.range)
      .map((l) => l.range as { segment: number; start: number; end: number });
    const ours = ranges.map((r) => ({ segment: Number(r.segment), start: Number(r.start), end: Number(r.end) }));
    const bySegment = (a: { segment: number }, b: { segment: number }) => a.segment - b.segment;
    expect(ours.sort(bySegment)).toEqual(java.sort(bySegment));

    // Each range goes to a "worker" of its own: a separate connection, given only the JSON text.
    const workers = await Promise.all(ranges.map(() => connectSdk(fx.gateway.url)));
    try {
      const parts = await Promise.all(ranges.map((r, i) => readRangeOn(workers[i]!, JSON.stringify(r))));
      const union = parts.flat().sort();
      expect(union).toEqual(Array.from({ length: 500 }, (_, k) => `e${200 + k}`).sort());
      expect(new Set(union).size).toBe(union.length);
      const whole: string[] = [];
      for await (const ev of fx.client.readBatch(stream, { from, to, serializer: Serializers.utf8() }))
        whole.push(ev.value);
      expect(union).toEqual(whole.sort());
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  });

  it('default to head and tail, and refuse what is not a range', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    await write(stream, 0, 90);
    const ranges = await fx.client.batchRanges(stream);
    expect(ranges.map((r) => r.start)).toEqual([0n, 0n, 0n]);
    const tail = (await fx.client.streamInfo(stream)).tail;
    expect(new Map(ranges.map((r) => [r.segment, r.end]))).toEqual(tail.positions);
    const got = (await Promise.all(ranges.map((r) => readRangeOn(fx.client, JSON.stringify(r))))).flat();
    expect(got.sort()).toEqual(Array.from({ length: 90 }, (_, k) => `e${k}`).sort());
    expect(() => BatchRange.fromJSON('{"stream":"x"}')).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
    const other = uniqueName('o');
    await fx.client.createStream(other, { scaling: { type: 'fixed', segments: 1 } });
    await expect(fx.client.batchRanges(stream, { to: (await fx.client.streamInfo(other)).tail })).rejects.toMatchObject(
      { code: 'invalid-argument' },
    );
  });
});

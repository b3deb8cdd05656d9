/**
 * A stream cut made from any reader position (`position.cutOf(stream)`) is whole: Java's
 * `StreamCut.from(text)` accepts it, and the SDK reader, readBatch, Java's batch client and Java's
 * bounded reader all read the same events after it — including a position taken in the middle of
 * a merge, where one predecessor is finished and its successor waits for the other (the finished
 * one stays in the position at its end offset, so the cut still covers its key range). Without
 * that, a reader started from such a cut waited forever for the finished predecessor.
 */
import { Serializers, StreamCut } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGateway } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const fx = useGateway('poscut');

async function write(stream: string, from: number, to: number): Promise<void> {
  const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
  await Promise.all(Array.from({ length: to - from }, (_, k) => writer.write(`e${from + k}`, `k${from + k}`)));
  await writer.close();
}

async function javaBetween(command: 'read-batch' | 'read-bounded', stream: string, from: StreamCut, to: StreamCut) {
  const lines = await javaPeer([
    command,
    ...streamArgs(fx.scope, stream),
    '--from',
    await from.toText(),
    '--to',
    await to.toText(),
    ...(command === 'read-bounded' ? ['--idle-ms', '4000'] : []),
  ]);
  return lines
    .filter((l) => typeof l.payload === 'string')
    .map((l) => l.payload as string)
    .sort();
}

describe('cuts made from reader positions', () => {
  it('in the middle of a merge are whole, and Java reads the same events after them', async () => {
    const stream = uniqueName('s');
    const name = `${fx.scope}/${stream}`;
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    // A small and a large predecessor, merged again: the small one finishes long before the other.
    await fx.client.scaleStream(stream, {
      seal: [0n],
      newRanges: [
        [0, 0.05],
        [0.05, 1],
      ],
    });
    // Enough in the large one that it is still being read, a few events per credit, when the
    // small one's end is found (the reader learns a segment is sealed only by reading past its data).
    await write(stream, 0, 2000);
    const [p1, p2] = (await fx.client.streamInfo(stream)).segments.map((s) => s.segmentId) as [bigint, bigint];
    await fx.client.scaleStream(stream, { seal: [p1, p2], newRanges: [[0, 1]] });
    await write(stream, 2000, 2100);
    const tail = (await fx.client.streamInfo(stream)).tail;

    const events: Array<{ value: string; segment: bigint; offset: bigint }> = [];
    let mid: StreamCut | undefined;
    let heldSeen = 0;
    const reader = fx.client.reader(stream, { serializer: Serializers.utf8(), to: tail, creditEvents: 4 });
    for await (const ev of reader) {
      events.push({ value: ev.value, segment: ev.segment, offset: ev.offset });
      const s = ev.position.streams.get(name)!;
      if (s.future.size > 0) {
        // A successor waits: the finished predecessor is still in the position, at its end.
        heldSeen++;
        expect(s.segments.has(p1) && s.segments.has(p2)).toBe(true);
        if (!mid && ev.segment === p2) mid = ev.position.cutOf(name);
      }
    }
    expect(events).toHaveLength(2100);
    // Whether the reader is still inside the large segment when the small one's end is found
    // depends on timing (a caught-up segment may learn of its seal late); if it was not, the same
    // cut is made by hand: the small one at its end, the large one after its 100th event.
    if (!mid) {
      const ofP2 = events.filter((e) => e.segment === p2);
      const p1Size = (await fx.client.batchRanges(stream)).find((r) => r.segment === p1)!.end;
      mid = new StreamCut(
        name,
        new Map([
          [p1, p1Size],
          [p2, ofP2[100]!.offset],
        ]),
      );
    }
    console.log(`[position cuts] events whose position held a finished predecessor: ${heldSeen}`);
    const cut = mid;
    expect([...cut.positions.keys()].sort()).toEqual([p1, p2].sort());
    const expected = events
      .filter((e) => e.offset >= (cut.positions.get(e.segment) ?? 0n))
      .map((e) => e.value)
      .sort();
    expect(expected.length).toBeGreaterThan(100);
    expect(expected.length).toBeLessThan(2100);

    const parsed = (await javaPeer(['parse-cut', '--text', await cut.toText()]))[0] as {
      stream: string;
      positions: Record<string, number>;
    };
    expect(parsed.stream).toBe(name);
    expect(Object.keys(parsed.positions).sort()).toEqual([String(p1), String(p2)].sort());

    const sdk: string[] = [];
    for await (const ev of fx.client.reader(stream, { serializer: Serializers.utf8(), from: cut, to: tail }))
      sdk.push(ev.value);
    expect(sdk.sort()).toEqual(expected);
    const batch: string[] = [];
    for await (const ev of fx.client.readBatch(stream, { from: cut, to: tail, serializer: Serializers.utf8() }))
      batch.push(ev.value);
    expect(batch.sort()).toEqual(expected);
    expect(await javaBetween('read-batch', stream, cut, tail)).toEqual(expected);
    // Java's reader-group reader is not compared here: on this standalone it does not move from a
    // sealed segment to its successors at all, whatever the cuts (see docs/stream-cuts.md).
  });

  it('after a bounded read are whole, and Java accepts them', async () => {
    const stream = uniqueName('s');
    const name = `${fx.scope}/${stream}`;
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    await write(stream, 0, 20);
    const tail = (await fx.client.streamInfo(stream)).tail;
    const reader = fx.client.reader(stream, { serializer: Serializers.utf8(), to: tail });
    for await (const _ of reader);
    const cut = reader.position().cutOf(name);
    expect(cut.equals(tail)).toBe(true);
    await write(stream, 20, 40);
    const after = Array.from({ length: 20 }, (_, k) => `e${20 + k}`).sort();
    const newTail = (await fx.client.streamInfo(stream)).tail;
    expect(await javaBetween('read-batch', stream, cut, newTail)).toEqual(after);
    expect(await javaBetween('read-bounded', stream, cut, newTail)).toEqual(after);
  });
});

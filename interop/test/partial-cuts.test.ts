/**
 * A `to` cut that leaves segments out ends, as Pravega's batch client does: a segment the cut
 * does not name, open when the read starts, is read up to its write offset then; a sealed one to
 * its end, without its successors beyond the cut (docs/stream-cuts.md). The SDK reader, readBatch
 * and Java's BatchClientFactory read the same multiset, and the SDK's position keeps the left-out
 * segment at the offset where it stopped.
 */
import { Serializers, StreamCut } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGateway } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const fx = useGateway('partial');

async function write(stream: string, from: number, to: number): Promise<void> {
  const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
  await Promise.all(Array.from({ length: to - from }, (_, k) => writer.write(`e${from + k}`, `k${from + k}`)));
  await writer.close();
}

/** Every event now, with its segment and offset. */
async function everything(stream: string): Promise<Array<{ value: string; segment: bigint; offset: bigint }>> {
  const all = [];
  for await (const ev of fx.client.readBatch(stream, { serializer: Serializers.utf8() }))
    all.push({ value: ev.value, segment: ev.segment, offset: ev.offset });
  return all;
}

async function sdkReader(stream: string, to: StreamCut) {
  const reader = fx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to });
  const got: string[] = [];
  for await (const ev of reader) got.push(ev.value);
  return { got: got.sort(), position: reader.position().cutOf(`${fx.scope}/${stream}`) };
}

async function sdkBatch(stream: string, to: StreamCut): Promise<string[]> {
  const got: string[] = [];
  for await (const ev of fx.client.readBatch(stream, { to, serializer: Serializers.utf8() })) got.push(ev.value);
  return got.sort();
}

async function javaBatch(stream: string, to: StreamCut): Promise<string[]> {
  const lines = await javaPeer(['read-batch', ...streamArgs(fx.scope, stream), '--to', await to.toText()]);
  return lines
    .filter((l) => typeof l.payload === 'string')
    .map((l) => l.payload as string)
    .sort();
}

function without(cut: StreamCut, ...ids: bigint[]): StreamCut {
  return new StreamCut(cut.stream, new Map([...cut.positions].filter(([id]) => !ids.includes(id))));
}

describe('a `to` cut that leaves segments out', () => {
  it('reads an open left-out segment to its write offset at the start, and ends', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    await write(stream, 0, 150);
    const tail = (await fx.client.streamInfo(stream)).tail;
    const left = [...tail.positions.keys()][2]!;
    const cut = without(tail, left);
    await write(stream, 150, 300);
    const all = await everything(stream);
    const expected = all
      .filter((e) => e.segment === left || e.offset < tail.positions.get(e.segment)!)
      .map((e) => e.value)
      .sort();
    expect(expected.length).toBeGreaterThan(150);
    expect(expected.length).toBeLessThan(300);

    const reader = await sdkReader(stream, cut);
    expect(reader.got).toEqual(expected);
    // The left-out segment stays in the position, where the read stopped.
    const end = (await fx.client.streamInfo(stream)).tail.positions.get(left);
    expect(reader.position.positions).toEqual(new Map([...cut.positions, [left, end!]]));
    expect(await sdkBatch(stream, cut)).toEqual(expected);
    expect(await javaBatch(stream, cut)).toEqual(expected);
  });

  it('reads a sealed left-out segment to its end, not its successors', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    await write(stream, 0, 100);
    const epoch0 = (await fx.client.streamInfo(stream)).tail;
    const [kept, sealed] = [...epoch0.positions.keys()] as [bigint, bigint];
    const seg = (await fx.client.streamInfo(stream)).segments.find((s) => s.segmentId === sealed)!;
    const mid = (seg.lowKey + seg.highKey) / 2;
    await write(stream, 100, 150);
    await fx.client.scaleStream(stream, {
      seal: [sealed],
      newRanges: [
        [seg.lowKey, mid],
        [mid, seg.highKey],
      ],
    });
    await write(stream, 150, 250);
    const cut = without(epoch0, sealed); // names only the segment that stayed open
    const all = await everything(stream);
    const expected = all
      .filter((e) => e.segment === sealed || (e.segment === kept && e.offset < epoch0.positions.get(kept)!))
      .map((e) => e.value)
      .sort();
    expect((await sdkReader(stream, cut)).got).toEqual(expected);
    expect(await sdkBatch(stream, cut)).toEqual(expected);
    expect(await javaBatch(stream, cut)).toEqual(expected);
  });

  it('after a split, bounds the open segments the cut leaves out', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    await write(stream, 0, 100);
    const info = await fx.client.streamInfo(stream);
    const split = info.segments[1]!;
    const mid = (split.lowKey + split.highKey) / 2;
    await fx.client.scaleStream(stream, {
      seal: [split.segmentId],
      newRanges: [
        [split.lowKey, mid],
        [mid, split.highKey],
      ],
    });
    await write(stream, 100, 200);
    const tail = (await fx.client.streamInfo(stream)).tail;
    const ids = [...tail.positions.keys()].sort((a, b) => (a < b ? -1 : 1));
    const left = ids[ids.length - 1]!; // one of the two new segments
    const cut = without(tail, left);
    await write(stream, 200, 300);
    const all = await everything(stream);
    const expected = all
      .filter(
        (e) => e.segment === left || e.segment === split.segmentId || e.offset < (cut.positions.get(e.segment) ?? -1n),
      )
      .map((e) => e.value)
      .sort();
    expect((await sdkReader(stream, cut)).got).toEqual(expected);
    expect(await sdkBatch(stream, cut)).toEqual(expected);
    expect(await javaBatch(stream, cut)).toEqual(expected);
  });
});

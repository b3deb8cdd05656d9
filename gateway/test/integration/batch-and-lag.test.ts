/**
 * Batch reads between two cuts (all segments at once, across a scale), multi-stream readers,
 * and reader lag, against the real standalone.
 */
import { Serializers, SluiceError } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('batch');

async function write(stream: string, values: string[]): Promise<void> {
  const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
  await Promise.all(values.map((v) => writer.write(v, v.split('|')[0])));
  await writer.close();
}

const range = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => `k${(from + k) % 11}|${prefix}${from + k}`);

describe('batch reads', () => {
  it('yield every event between two cuts once, across a split', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    await write(stream, range('e', 0, 1000));
    const cutA = (await fx.client.streamInfo(stream)).tail;
    await write(stream, range('e', 1000, 2000));
    const first = (await fx.client.streamInfo(stream)).segments[0]!;
    await fx.client.scaleStream(stream, {
      seal: [first.segmentId],
      newRanges: [
        [first.lowKey, (first.lowKey + first.highKey) / 2],
        [(first.lowKey + first.highKey) / 2, first.highKey],
      ],
    });
    await write(stream, range('e', 2000, 3000));
    const cutB = (await fx.client.streamInfo(stream)).tail;
    await write(stream, range('e', 3000, 3500));

    const got: string[] = [];
    for await (const ev of fx.client.readBatch(stream, { from: cutA, to: cutB, serializer: Serializers.utf8() }))
      got.push(ev.value);
    expect(got.sort()).toEqual(range('e', 1000, 3000).sort());

    const all: string[] = [];
    for await (const ev of fx.client.readBatch(stream, { serializer: Serializers.utf8() })) all.push(ev.value);
    expect(all).toHaveLength(3500);
  });
});

describe('multi-stream readers and lag', () => {
  it('read several streams in one reader, and report unread bytes', async () => {
    const a = uniqueName('a');
    const b = uniqueName('b');
    await fx.client.createStream(a, { scaling: { type: 'fixed', segments: 2 } });
    await fx.client.createStream(b, { scaling: { type: 'fixed', segments: 1 } });
    await write(a, range('a', 0, 300));
    await write(b, range('b', 0, 200));
    const reader = fx.client.reader([a, b], { serializer: Serializers.utf8(), from: 'head' });
    await reader.ready();
    const total = (await fx.client.streamInfo(a)).tail.positions;
    const bytesA = [...total.values()].reduce((x, y) => x + y, 0n);
    const bytesB = [...(await fx.client.streamInfo(b)).tail.positions.values()].reduce((x, y) => x + y, 0n);
    expect(await reader.lag()).toBe(bytesA + bytesB);
    const got: string[] = [];
    const streams = new Set<string>();
    for await (const ev of reader) {
      got.push(ev.value);
      streams.add(ev.stream);
      if (got.length === 500) break;
    }
    expect(got.sort()).toEqual([...range('a', 0, 300), ...range('b', 0, 200)].sort());
    expect(streams).toEqual(new Set([`${fx.scope}/${a}`, `${fx.scope}/${b}`]));
    expect(await reader.lag()).toBe(0n);
    await reader.close();

    // Start several streams at their own cuts (the tails now): only what is written later arrives.
    const cuts = [(await fx.client.streamInfo(a)).tail, (await fx.client.streamInfo(b)).tail];
    await write(a, range('a', 300, 310));
    await write(b, range('b', 200, 205));
    const later: string[] = [];
    for await (const ev of fx.client.reader([a, b], { serializer: Serializers.utf8(), from: cuts })) {
      later.push(ev.value);
      if (later.length === 15) break;
    }
    expect(later.sort()).toEqual([...range('a', 300, 310), ...range('b', 200, 205)].sort());
    // A start cut for a stream the reader does not read, or a stream left without one, is refused.
    expect(() => fx.client.reader(a, { from: cuts[1]! })).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
    expect(() => fx.client.reader([a, b], { from: [cuts[0]!] })).toThrow(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
  });
});

describe('truncation', () => {
  it('reports a position below the truncation point and resumes where the data starts', async () => {
    const stream = uniqueName('t');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    await write(stream, range('t', 0, 400));
    const middle = (await fx.client.streamInfo(stream)).tail;
    await write(stream, range('t', 400, 600));
    const headPosition = fx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
    await headPosition.ready();
    const stale = headPosition.position();
    await headPosition.close();
    await fx.client.truncateStream(middle);

    // Without onTruncated nothing is skipped silently: the reader fails, saying where data resumes.
    const strict = fx.client.reader(stream, { serializer: Serializers.utf8(), from: stale });
    const failure = await (async () => {
      try {
        for await (const _ of strict) return undefined;
      } catch (err) {
        return err as SluiceError;
      }
    })();
    expect(failure).toBeInstanceOf(SluiceError);
    expect(failure?.code).toBe('truncated');
    expect(failure?.truncation).toEqual({
      stream: `${fx.scope}/${stream}`,
      segment: [...middle.positions.keys()][0],
      requested: 0n,
      resumed: [...middle.positions.values()][0],
    });

    const truncations: Array<{ requested: bigint; resumed: bigint }> = [];
    const reader = fx.client.reader(stream, {
      serializer: Serializers.utf8(),
      from: stale,
      onTruncated: (t) => truncations.push(t),
    });
    const got: string[] = [];
    for await (const ev of reader) {
      got.push(ev.value);
      if (got.length === 200) break;
    }
    expect(got.sort()).toEqual(range('t', 400, 600).sort());
    expect(truncations).toEqual([
      {
        stream: `${fx.scope}/${stream}`,
        segment: [...middle.positions.keys()][0],
        requested: 0n,
        resumed: [...middle.positions.values()][0],
      },
    ]);
  });
});

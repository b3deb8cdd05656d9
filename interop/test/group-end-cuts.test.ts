/**
 * End cuts of a reader group (Pravega's ReaderGroupConfig endingStreamCuts): a group created
 * with `to` cuts from Java's StreamCut text reads exactly what a Java group given the same cuts
 * reads, split between its readers, and every reader's iteration ends once the group has read
 * each segment to its bound.
 */
import { Serializers, StreamCut } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGateway } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const fx = useGateway('endcuts');
const utf8 = Serializers.utf8();

describe('reader groups with end cuts', () => {
  it("stop at the cut and end, reading what Java's group with the same cuts reads", async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    const writer = fx.client.writer(stream, { serializer: utf8 });
    const before = Array.from({ length: 90 }, (_, i) => `in|${i}`);
    await Promise.all(before.map((v, i) => writer.write(v, `k${i % 9}`)));
    await writer.flush();
    const [{ tail }] = (await javaPeer(['cut', ...streamArgs(fx.scope, stream)])) as [{ tail: string }];
    await Promise.all(Array.from({ length: 30 }, (_, i) => writer.write(`after|${i}`, `k${i % 9}`)));
    await writer.close();

    const end = await StreamCut.fromText(tail);
    expect(await fx.client.createReaderGroup(group, { streams: [stream], to: [end] })).toBe(true);
    const seen: string[] = [];
    const readers = ['r1', 'r2'].map((readerId) =>
      fx.client.reader(stream, { serializer: utf8, group, readerId, autoCheckpointMs: 1_000, groupTimeoutMs: 3_000 }),
    );
    // Each iteration ends by itself: no break, no count.
    await Promise.all(
      readers.map(async (reader) => {
        for await (const ev of reader) seen.push(ev.value);
        await reader.close();
      }),
    );
    expect(seen.sort()).toEqual([...before].sort());

    const head = (await fx.client.streamInfo(stream)).head;
    const lines = await javaPeer([
      'read-bounded',
      ...streamArgs(fx.scope, stream),
      '--from',
      await head.toText(),
      '--to',
      tail,
    ]);
    const java = lines.filter((l) => 'payload' in l).map((l) => l.payload as string);
    expect(java.sort()).toEqual(seen);
  }, 180_000);

  it('refuses an end cut for a stream the group does not read', async () => {
    const stream = uniqueName('s');
    await fx.client.createStream(stream);
    const other = new StreamCut(`${fx.scope}/elsewhere`, new Map([[0n, 0n]]));
    await expect(
      fx.client.createReaderGroup(uniqueName('g'), { streams: [stream], to: [other] }),
    ).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

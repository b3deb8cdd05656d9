/**
 * client.resetReaderGroup (Pravega's ReaderGroup.resetReaderGroup) against the standalone, from
 * a stream cut Java's StreamManager gave as text: the group's readers are told they were
 * reassigned, and readers opened afterwards read exactly from the new start.
 */
import { Serializers, StreamCut } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../gateway/test/helpers/names.js';
import { useGateway } from '../../gateway/test/helpers/setup.js';
import { javaPeer, streamArgs } from './java-peer.js';

const fx = useGateway('reset');
const utf8 = Serializers.utf8();

async function readN(stream: string, group: string, readerId: string, n: number): Promise<string[]> {
  const reader = fx.client.reader(stream, { serializer: utf8, group, readerId, autoCheckpointMs: 600_000 });
  const seen: string[] = [];
  for await (const ev of reader) {
    seen.push(ev.value);
    if (seen.length === n) {
      await reader.checkpoint(); // commits the group's offsets after these n events
      break;
    }
  }
  await reader.close();
  return seen;
}

describe('resetReaderGroup', () => {
  it("starts the group again at Java's cut, then at the head; its old readers learn they were reassigned", async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const writer = fx.client.writer(stream, { serializer: utf8 });
    const first = Array.from({ length: 30 }, (_, i) => `a|${i}`);
    const second = Array.from({ length: 30 }, (_, i) => `b|${i}`);
    await Promise.all(first.map((v, i) => writer.write(v, `k${i % 4}`)));
    await writer.flush();
    const [{ tail }] = (await javaPeer(['cut', ...streamArgs(fx.scope, stream)])) as [{ tail: string }];
    await Promise.all(second.map((v, i) => writer.write(v, `k${i % 4}`)));
    await writer.close();

    // A reader of the group that stays open across the reset.
    const old = fx.client.reader(stream, { serializer: utf8, group, readerId: 'old', autoCheckpointMs: 600_000 });
    const it = old[Symbol.asyncIterator]();
    const oldSeen: string[] = [];
    for (let i = 0; i < 60; i++) oldSeen.push((await it.next()).value!.value);
    expect(oldSeen.sort()).toEqual([...first, ...second].sort());

    await fx.client.resetReaderGroup(group, [await StreamCut.fromText(tail)]);
    await expect(old.checkpoint()).rejects.toMatchObject({ code: 'reassigned' });
    await old.close().catch(() => {});
    expect((await fx.client.describeReaderGroup(group)).readers).toEqual([]);

    expect((await readN(stream, group, 'after-cut', 30)).sort()).toEqual([...second].sort());
    await fx.client.resetReaderGroup(group, 'head');
    expect((await readN(stream, group, 'after-head', 60)).sort()).toEqual([...first, ...second].sort());
  });

  it("gives the group's stream cuts, which Java reads from: exactly what the group has not committed", async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    const writer = fx.client.writer(stream, { serializer: utf8 });
    const all = Array.from({ length: 60 }, (_, i) => `e|${i}`);
    await Promise.all(all.map((v, i) => writer.write(v, `k${i % 6}`)));
    await writer.close();
    const committed = await readN(stream, group, 'r', 25); // commits after its 25 events
    const cuts = await fx.client.readerGroupStreamCuts(group);
    const cut = cuts.get(`${fx.scope}/${stream}`)!;
    expect(cut.positions.size).toBe(3);
    const tail = (await fx.client.streamInfo(stream)).tail;
    const lines = await javaPeer([
      'read-bounded',
      ...streamArgs(fx.scope, stream),
      '--from',
      await cut.toText(),
      '--to',
      await tail.toText(),
    ]);
    const javaRead = lines.filter((l) => typeof l.payload === 'string').map((l) => l.payload as string);
    expect([...committed, ...javaRead].sort()).toEqual([...all].sort());
  });

  it('refuses cuts of other streams and unknown groups with typed errors', async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    await expect(fx.client.resetReaderGroup(group, 'head')).rejects.toMatchObject({ code: 'not-found' });
    const member = fx.client.reader(stream, { serializer: utf8, group, readerId: 'r' });
    await member.ready(); // the group exists from here on
    await member.close();
    const other = uniqueName('o');
    await fx.client.createStream(other, {});
    const cut = (await fx.client.streamInfo(other)).head;
    await expect(fx.client.resetReaderGroup(group, [cut])).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

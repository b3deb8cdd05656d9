/**
 * client.readerOffline (Pravega's ReaderGroup.readerOffline) against the real standalone: a
 * reader whose process died is declared gone at the position its application saved, and the
 * next reader of the group continues exactly there — nothing lost, nothing read twice — without
 * waiting for the dead reader's timeout.
 */
import { type ReaderPosition, Serializers } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('offline');
const utf8 = Serializers.utf8();

describe('readerOffline', () => {
  it('hands a dead reader’s segments to the next reader at the position it saved', async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const all = Array.from({ length: 100 }, (_, i) => `k${i % 8}|${i}`);
    const writer = fx.client.writer(stream, { serializer: utf8 });
    await Promise.all(all.map((v) => writer.write(v, v.split('|')[0])));
    await writer.close();

    // Reader a: commits after 30 events, processes 20 more and saves their position, then its
    // process dies (the socket goes; the group keeps its segments until a long timeout).
    const dying = await connectSdk(fx.gateway.url, fx.scope);
    const opts = { serializer: utf8, group, groupTimeoutMs: 600_000, autoCheckpointMs: 600_000 };
    const a = dying.reader(stream, { ...opts, readerId: 'a' });
    const it = a[Symbol.asyncIterator]();
    const readByA: string[] = [];
    let saved: ReaderPosition | undefined;
    for (let i = 0; i < 50; i++) {
      const next = await it.next();
      if (next.done) throw new Error('reader a ended early');
      readByA.push(next.value.value);
      saved = next.value.position;
      if (i === 29) await a.checkpoint();
    }
    await dying.close();

    expect(await fx.client.readerOffline(group, 'a', saved)).toBe(true);
    expect(await fx.client.readerOffline(group, 'a', saved)).toBe(false);
    const info = await fx.client.describeReaderGroup(group);
    expect(info.readers.map((r) => r.readerId)).not.toContain('a');

    const b = fx.client.reader(stream, { ...opts, readerId: 'b' });
    const readByB: string[] = [];
    for await (const ev of b) {
      readByB.push(ev.value);
      if (readByB.length === all.length - readByA.length) break;
    }
    await b.close();
    // Exactly the events a had not processed: had b started at a's committed offsets (30),
    // its first 50 would repeat some of a's.
    expect(new Set(readByB).size).toBe(readByB.length);
    expect([...readByA, ...readByB].sort()).toEqual([...all].sort());
  });

  it('gives typed errors for groups that do not exist', async () => {
    await expect(fx.client.readerOffline(uniqueName('missing'), 'a')).rejects.toMatchObject({ code: 'not-found' });
  });
});

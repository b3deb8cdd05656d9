/**
 * Live tables of a stream, through the real gateway and standalone: the latest value per key,
 * tombstones, a snapshot and then every change; checkpoints that hold the table and the reader's
 * position together (in memory and in IndexedDB), restored without reading the stream again and
 * without applying any event twice; the bound on keys as a typed error.
 */
import { type CheckpointStore, indexedDbStore, type LiveTableChange, memoryStore, Serializers } from '@sluice/sdk';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../../gateway/test/helpers/names.js';
import { useGateway } from '../../../gateway/test/helpers/setup.js';

const fx = useGateway('live');

interface Reading {
  sensor: string;
  celsius: number;
}
type Event = Reading | { sensor: string; deleted: true };

const serializer = Serializers.json<Event | null>();

async function streamWith(events: Event[]): Promise<string> {
  const stream = uniqueName('s');
  await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
  await write(stream, events);
  return stream;
}

async function write(stream: string, events: Event[]): Promise<void> {
  const writer = fx.client.writer(stream, { serializer });
  await Promise.all(events.map((e) => writer.write(e, e.sensor)));
  await writer.close();
}

function liveTable(stream: string, checkpoints?: CheckpointStore, maxKeys?: number) {
  return fx.client.table(stream, {
    serializer,
    key: (ev) => (ev.value as Event).sensor,
    isTombstone: (ev) => ev.value !== null && 'deleted' in ev.value,
    checkpointEveryMs: 0,
    ...(checkpoints ? { checkpoints } : {}),
    ...(maxKeys ? { maxKeys } : {}),
  });
}

/** Takes the next `n` changes. */
async function take<T>(changes: AsyncIterable<LiveTableChange<T>>, n: number) {
  const seen: LiveTableChange<T>[] = [];
  for await (const c of changes) {
    seen.push(c);
    if (seen.length === n) break;
  }
  return seen;
}

const reading = (sensor: string, celsius: number): Reading => ({ sensor, celsius });

describe('live tables', () => {
  it('keeps the latest value per key; a tombstone deletes; snapshot then each change', async () => {
    const stream = await streamWith([
      reading('a', 1),
      reading('b', 2),
      reading('a', 3),
      { sensor: 'b', deleted: true },
    ]);
    const table = liveTable(stream);
    const changes = table.changes();
    const first = await take(changes, 4);
    expect(table.snapshot()).toEqual(new Map([['a', reading('a', 3)]]));
    // Per key in stream order (keys are routing keys, so each key's events are in one segment).
    expect(first.filter((c) => c.key === 'a').map((c) => c.type === 'put' && c.value)).toEqual([
      reading('a', 1),
      reading('a', 3),
    ]);
    expect(first.filter((c) => c.key === 'b').map((c) => c.type)).toEqual(['put', 'delete']);

    const snapshot = table.snapshot();
    const more = table.changes();
    await write(stream, [reading('c', 5), reading('a', 6)]);
    const next = await take(more, 2);
    expect(snapshot.size).toBe(1);
    expect(next.map((c) => c.key).sort()).toEqual(['a', 'c']);
    expect(next.find((c) => c.key === 'a')).toEqual({
      type: 'put',
      key: 'a',
      value: reading('a', 6),
      previous: reading('a', 3),
    });
    await table.close();
  });

  for (const [name, store] of [
    ['memory', () => memoryStore()],
    ['IndexedDB', () => indexedDbStore(`live-${Math.random()}`, new IDBFactory())],
  ] as const) {
    it(`restores from a checkpoint (${name}) without re-reading, and applies no event twice`, async () => {
      const checkpoints = store();
      const initial = Array.from({ length: 300 }, (_, i) => reading(`k${i % 40}`, i));
      const stream = await streamWith(initial);
      const before = liveTable(stream, checkpoints);
      await take(before.changes(), initial.length);
      await before.checkpoint();
      const saved = before.snapshot();
      await before.close();

      const later = Array.from({ length: 50 }, (_, i) => reading(`k${i % 60}`, 1000 + i));
      await write(stream, [...later, { sensor: 'k0', deleted: true }]);

      const after = liveTable(stream, checkpoints);
      await after.whenReady();
      // Restored as saved, before reading anything.
      expect(after.snapshot()).toEqual(saved);
      await take(after.changes(), later.length + 1);
      // Only the events after the checkpoint were read and applied, each once.
      expect(after.eventsApplied).toBe(later.length + 1);
      const expected = new Map(saved);
      for (const r of later) expected.set(r.sensor, r);
      expected.delete('k0');
      expect(after.snapshot()).toEqual(expected);
      await after.close();
    });
  }

  it('refuses one key more than maxKeys with resource-exhausted', async () => {
    const stream = await streamWith(Array.from({ length: 6 }, (_, i) => reading(`k${i}`, i)));
    const table = liveTable(stream, undefined, 5);
    const err = await (async () => {
      for await (const _ of table.changes()) {
        // keep reading until the table fails
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'resource-exhausted' });
    expect(table.size).toBe(5);
    await table.close();
  });
});

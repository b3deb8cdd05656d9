/**
 * Reader groups against the real standalone: readers that share a group split the segments,
 * rebalance when one joins or leaves, get a vanished reader's segments from its committed
 * offsets, take a group-wide checkpoint, and can be listed and deleted.
 */
import { type EventReader, Serializers, SluiceError } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('groups');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads in the background into `seen`, until stopped or failed. */
function drain(reader: EventReader<string>, seen: string[]): { done: Promise<unknown> } {
  const done = (async () => {
    for await (const ev of reader) seen.push(ev.value);
  })().catch((err: unknown) => err);
  return { done };
}

async function writeAll(stream: string, values: string[]): Promise<void> {
  const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
  await Promise.all(values.map((v) => writer.write(v, v.split('|')[0])));
  await writer.close();
}

describe('reader groups', () => {
  it('splits the segments between readers and hands them over when a reader joins and leaves', async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 4 } });
    const opts = { serializer: Serializers.utf8(), group, groupTimeoutMs: 3_000, autoCheckpointMs: 300 };
    const seenA: string[] = [];
    const a = fx.client.reader(stream, { ...opts, readerId: 'a' });
    drain(a, seenA);
    await waitFor('reader a owning all four segments', async () => {
      const info = await fx.client.describeReaderGroup(group).catch(() => undefined);
      return info?.readers.find((r) => r.readerId === 'a')?.segments.length === 4 ? info : undefined;
    });
    const first = Array.from({ length: 400 }, (_, i) => `k${i % 16}|${i}`);
    await writeAll(stream, first);
    await waitFor('a to read the first batch', () => seenA.length >= first.length || undefined);

    const seenB: string[] = [];
    const b = fx.client.reader(stream, { ...opts, readerId: 'b' });
    drain(b, seenB);
    const balanced = await waitFor('two readers with two segments each', async () => {
      const info = await fx.client.describeReaderGroup(group);
      const counts = info.readers.map((r) => r.segments.length).sort();
      return counts.length === 2 && counts[0] === 2 && counts[1] === 2 ? info : undefined;
    });
    expect(balanced.unassigned).toEqual([]);

    const second = Array.from({ length: 400 }, (_, i) => `k${i % 16}|${400 + i}`);
    await writeAll(stream, second);
    await waitFor('both readers to read the second batch', () =>
      new Set([...seenA, ...seenB]).size >= 800 ? true : undefined,
    );
    // The second batch went to both readers, each event to exactly one of them.
    const secondA = seenA.filter((v) => second.includes(v));
    const secondB = seenB.filter((v) => second.includes(v));
    expect(secondA.length).toBeGreaterThan(0);
    expect(secondB.length).toBeGreaterThan(0);
    expect([...secondA, ...secondB].sort()).toEqual([...second].sort());

    // A reader that leaves hands its segments back; the other takes them.
    await b.close();
    await waitFor('a owning all four segments again', async () => {
      const info = await fx.client.describeReaderGroup(group);
      return info.readers.length === 1 && info.readers[0]!.segments.length === 4 ? true : undefined;
    });
    const third = Array.from({ length: 100 }, (_, i) => `k${i % 16}|${800 + i}`);
    await writeAll(stream, third);
    await waitFor('a to read the third batch', () => (third.every((v) => seenA.includes(v)) ? true : undefined));
    await a.close();
  });

  it('gives a vanished reader’s segments to another reader from its committed offsets', async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const values = Array.from({ length: 200 }, (_, i) => `k${i % 8}|${i}`);
    await writeAll(stream, values);

    // The doomed reader reads everything but commits only part of it, then its socket dies.
    const doomedClient = await connectSdk(fx.gateway.url, fx.scope);
    const doomed = doomedClient.reader(stream, {
      serializer: Serializers.utf8(),
      group,
      readerId: 'doomed',
      groupTimeoutMs: 2_000,
      autoCheckpointMs: 0,
    });
    const committed: string[] = [];
    let n = 0;
    for await (const ev of doomed) {
      committed.push(ev.value);
      if (++n === 60) {
        await doomed.checkpoint({ state: { n } });
        break;
      }
    }
    // `break` closed the reader cleanly; re-join with the same id to show restored state, then vanish.
    const again = doomedClient.reader(stream, {
      serializer: Serializers.utf8(),
      group,
      readerId: 'doomed',
      autoCheckpointMs: 0,
    });
    await again.ready();
    expect(await again.restoredState()).toBeUndefined(); // a clean leave removed the reader and its state
    const uncommitted: string[] = [];
    for await (const ev of again) {
      uncommitted.push(ev.value);
      if (uncommitted.length === 40) break;
    }
    await doomedClient.close();

    const seen: string[] = [];
    const heir = fx.client.reader(stream, { serializer: Serializers.utf8(), group, readerId: 'heir' });
    drain(heir, seen);
    await waitFor('the heir to read the rest', () =>
      seen.length + committed.length >= values.length ? true : undefined,
    );
    // Nothing committed is read again; everything not committed is.
    expect(seen.filter((v) => committed.includes(v))).toEqual([]);
    expect([...committed, ...seen].sort()).toEqual([...values].sort());
    await heir.close();
  });

  it('takes a group-wide checkpoint across readers, lists and deletes groups', async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 3 } });
    const values = Array.from({ length: 300 }, (_, i) => `k${i % 9}|${i}`);
    await writeAll(stream, values);
    const seen: string[] = [];
    const readers = ['r1', 'r2'].map((id) =>
      fx.client.reader(stream, { serializer: Serializers.utf8(), group, readerId: id, groupTimeoutMs: 3_000 }),
    );
    const runs = readers.map((r) => drain(r, seen));
    await waitFor('every event read', () => (seen.length >= values.length ? true : undefined));

    const { id, cuts } = await fx.client.checkpointReaderGroup(group);
    expect(id).toBeGreaterThan(0);
    const info = await fx.client.streamInfo(stream);
    // Everything was read before the checkpoint, so the group's cut is the stream's tail.
    expect(cuts.get(`${fx.scope}/${stream}`)?.positions).toEqual(info.tail.positions);
    const described = await fx.client.describeReaderGroup(group);
    expect(described.lastCheckpoint?.id).toBe(id);
    expect(described.lagBytes).toBe(0n);

    // The gateway exports the group's lag (bytes after its committed offsets) on /metrics.
    const metricLine = async () =>
      (await fx.gateway.context.metrics.registry.metrics())
        .split('\n')
        .find((l) => l.startsWith('sluice_reader_group_lag_bytes') && l.includes(`${fx.scope}/${group}`));
    await waitFor('the group lag metric to reach 0', async () =>
      (await metricLine())?.endsWith(' 0') ? true : undefined,
    );

    expect(await fx.client.listReaderGroups()).toContain(group);
    expect(await fx.client.deleteReaderGroup(group)).toBe(true);
    expect(await fx.client.listReaderGroups()).not.toContain(group);
    // Its readers learn that the group is gone.
    const ends = await Promise.all(runs.map((r) => r.done));
    for (const e of ends) expect(e).toMatchObject({ code: 'not-found' });
    await expect(fx.client.describeReaderGroup(group)).rejects.toBeInstanceOf(SluiceError);
    // Nothing about the group is left behind on the gateway either.
    expect(await metricLine()).toBeUndefined();
  });

  it('reads every event once, in per-key order, while the stream is split and merged', async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const seen: string[] = [];
    const opts = { serializer: Serializers.utf8(), group, groupTimeoutMs: 3_000, autoCheckpointMs: 200 };
    const readers = ['a', 'b'].map((id) => fx.client.reader(stream, { ...opts, readerId: id }));
    const drains = readers.map((r) => drain(r, seen));
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
    const writes: Promise<void>[] = [];
    const write = (from: number, to: number) => {
      for (let i = from; i < to; i++) writes.push(writer.write(`k${i % 24}|${i}`, `k${i % 24}`));
    };
    write(0, 1_500);
    const before = await fx.client.streamInfo(stream);
    const low = before.segments.find((x) => x.lowKey === 0)!;
    await fx.client.scaleStream(stream, {
      seal: [low.segmentId],
      newRanges: [
        [0, 0.25],
        [0.25, 0.5],
      ],
    });
    write(1_500, 3_000);
    const mid = await fx.client.streamInfo(stream);
    const upper = mid.segments.filter((x) => x.lowKey >= 0.25).map((x) => x.segmentId);
    await fx.client.scaleStream(stream, { seal: upper, newRanges: [[0.25, 1]] });
    write(3_000, 4_500);
    await Promise.all(writes);
    await writer.close();
    await waitFor('every event', () => (new Set(seen).size >= 4_500 ? true : undefined));
    // Closing the readers ends delivery: everything the group delivered is in `seen` now, so a
    // duplicate delivered at any point before shows in the counts below.
    for (const r of readers) await r.close();
    await Promise.all(drains.map((d) => d.done));
    expect(seen).toHaveLength(4_500);
    expect(new Set(seen).size).toBe(4_500);
    const last = new Map<string, number>();
    for (const v of seen) {
      const [key, seq] = v.split('|') as [string, string];
      expect(Number(seq), `order of ${key}`).toBeGreaterThan(last.get(key) ?? -1);
      last.set(key, Number(seq));
    }
  });

  it('refuses a group over other streams than it was created with', async () => {
    const s1 = uniqueName('s');
    const s2 = uniqueName('s');
    const group = uniqueName('g');
    await fx.client.createStream(s1);
    await fx.client.createStream(s2);
    const r1 = fx.client.reader(s1, { group, readerId: 'x' });
    await r1.ready();
    const r2 = fx.client.reader(s2, { group, readerId: 'y' });
    await expect(r2.ready().then(() => r2[Symbol.asyncIterator]().next())).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await r1.close();
    await fx.client.deleteReaderGroup(group);
  });
});

/**
 * Shared tail reads against the real standalone: many readers of one stream cost one Pravega
 * read per segment; a late reader catches up on its own and joins the shared ring; a reader that
 * stops consuming holds nobody back and no memory beyond the ring.
 */
import { Serializers, type SluiceClient } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server/gateway.js';
import { startTestGateway } from '../helpers/in-process-gateway.js';
import { uniqueName } from '../helpers/names.js';
import { connectSdk } from '../helpers/sdk.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('tails');

/** Sum of a labelled counter over its labels (or one label value). */
async function counter(gw: RunningGateway, name: string, label?: string): Promise<number> {
  const metric = gw.context.metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => label === undefined || Object.values(v.labels).includes(label))
    .reduce((n, v) => n + v.value, 0);
}

/** Bytes in the stream: the tail cut's offsets (every segment starts at 0 here). */
async function streamBytes(client: SluiceClient, stream: string): Promise<number> {
  const info = await client.streamInfo(stream);
  let total = 0;
  for (const [, offset] of info.tail.positions) total += Number(offset);
  return total;
}

/** Writes `count` events "key|i|pad" over `keys` routing keys. */
async function writeEvents(
  client: SluiceClient,
  stream: string,
  from: number,
  count: number,
  keys: number,
  padBytes = 80,
) {
  const writer = client.writer(stream, { serializer: Serializers.utf8() });
  const pad = 'x'.repeat(padBytes);
  await Promise.all(
    Array.from({ length: count }, (_, j) => {
      const i = from + j;
      const key = `k${i % keys}`;
      return writer.write(`${key}|${i}|${pad}`, key);
    }),
  );
  await writer.close();
}

/** Reads the next `count` events (the reader stays open: breaking out of for-await would close it). */
async function take(it: AsyncIterator<{ value: string }>, count: number): Promise<string[]> {
  const got: string[] = [];
  while (got.length < count) {
    const r = await it.next();
    if (r.done) break;
    got.push(r.value.value);
  }
  return got;
}

const iterate = <T>(r: AsyncIterable<T>): AsyncIterator<T> => r[Symbol.asyncIterator]();

function checkOncePerKeyInOrder(got: string[], from: number, count: number): void {
  const ids = got.map((v) => Number(v.split('|')[1]));
  expect(new Set(ids).size).toBe(count);
  expect(Math.min(...ids)).toBe(from);
  expect(Math.max(...ids)).toBe(from + count - 1);
  const lastPerKey = new Map<string, number>();
  for (const v of got) {
    const [key, id] = v.split('|') as [string, string];
    expect(Number(id)).toBeGreaterThan(lastPerKey.get(key) ?? -1);
    lastPerKey.set(key, Number(id));
  }
}

describe('shared tail reads', () => {
  it('50 readers of one stream: every event once and in order per key, ~1× the stream read from Pravega', async () => {
    const stream = uniqueName('fan');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const clients = await Promise.all(Array.from({ length: 5 }, () => connectSdk(fx.gateway.url, fx.scope)));
    const readers = Array.from({ length: 50 }, (_, i) =>
      clients[i % clients.length]!.reader(stream, { serializer: Serializers.utf8(), from: 'head' }),
    );
    await Promise.all(readers.map((r) => r.ready()));
    const before = await counter(fx.gateway, 'sluice_pravega_read_bytes_total');
    const total = 3_000;
    const reading = readers.map((r) => take(iterate(r), total));
    await writeEvents(fx.client, stream, 0, total, 20);
    const results = await Promise.all(reading);
    for (const got of results) checkOncePerKeyInOrder(got, 0, total);

    const read = (await counter(fx.gateway, 'sluice_pravega_read_bytes_total')) - before;
    const bytes = await streamBytes(fx.client, stream);
    expect(bytes).toBeGreaterThan(total * 80);
    // Without sharing this would be 50× the stream.
    expect(read).toBeLessThanOrEqual(1.1 * bytes + 64 * 1024);
    expect(await counter(fx.gateway, 'sluice_tail_ring_events_total')).toBeGreaterThanOrEqual(49 * total);
    await Promise.all(readers.map((r) => r.close()));
    await Promise.all(clients.map((c) => c.close()));
    // The last reader gone (once the gateway has seen the sockets close), no shared reader is left.
    while (fx.gateway.context.tails.size > 0) await new Promise((r) => setTimeout(r, 20));
    expect(await counter(fx.gateway, 'sluice_tail_cache_bytes')).toBe(0);
  });

  it('10 readers sharing the tails across a split: each gets every event once, in order per key, ~1× read', async () => {
    const stream = uniqueName('split');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 2 } });
    const readers = Array.from({ length: 10 }, () =>
      fx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head' }),
    );
    await Promise.all(readers.map((r) => r.ready()));
    const before = await counter(fx.gateway, 'sluice_pravega_read_bytes_total');
    const total = 3_000;
    const reading = readers.map((r) => take(iterate(r), total));
    await writeEvents(fx.client, stream, 0, 1_000, 20);
    // Seal segment [0, 0.5) into two successors: every reader moves on to them from the shared end.
    const info = await fx.client.streamInfo(stream);
    const low = info.segments.find((seg) => seg.lowKey === 0)!;
    // Its writer closed, the low segment is complete: its bytes count with the stream's.
    const lowBytes = Number(info.tail.positions.get(low.segmentId) ?? 0n);
    await fx.client.scaleStream(stream, {
      seal: [low.segmentId],
      newRanges: [
        [0, 0.25],
        [0.25, 0.5],
      ],
    });
    await writeEvents(fx.client, stream, 1_000, 2_000, 20);
    for (const got of await Promise.all(reading)) checkOncePerKeyInOrder(got, 0, total);
    // The sealed segment and its successors were each read once for all ten (10× without sharing).
    const read = (await counter(fx.gateway, 'sluice_pravega_read_bytes_total')) - before;
    const bytes = lowBytes + (await streamBytes(fx.client, stream));
    expect(lowBytes).toBeGreaterThan(0);
    expect(bytes).toBeGreaterThan(total * 80);
    expect(read).toBeLessThanOrEqual(1.1 * bytes + 64 * 1024);
    await Promise.all(readers.map((r) => r.close()));
  });

  it('readers below a truncation point each learn of it (where reading resumed) and read on from there', async () => {
    const stream = uniqueName('trunc');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    await writeEvents(fx.client, stream, 0, 400, 10);
    const middle = (await fx.client.streamInfo(stream)).tail;
    await writeEvents(fx.client, stream, 400, 200, 10);
    const first = fx.client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
    await first.ready();
    const stale = first.position();
    await first.close();
    await fx.client.truncateStream(middle);

    const truncations: Array<{ requested: bigint; resumed: bigint }> = [];
    const readers = Array.from({ length: 5 }, () =>
      fx.client.reader(stream, {
        serializer: Serializers.utf8(),
        from: stale,
        onTruncated: (t) => truncations.push({ requested: t.requested, resumed: t.resumed }),
      }),
    );
    for (const got of await Promise.all(readers.map((r) => take(iterate(r), 200)))) {
      checkOncePerKeyInOrder(got, 400, 200);
    }
    const resumed = [...middle.positions.values()][0]!;
    expect(truncations).toEqual(Array.from({ length: 5 }, () => ({ requested: 0n, resumed })));
    await Promise.all(readers.map((r) => r.close()));
  });

  it('a reader from the head after the ring moved on catches up on its own, then joins the ring, exactly once', async () => {
    // A small ring, so it has moved past the head long before the late reader comes.
    const gw = await startTestGateway(['--scope', fx.scope, '--tail-cache-bytes', String(16 * 1024)]);
    const client = await connectSdk(gw.url, fx.scope);
    try {
      const stream = uniqueName('late');
      await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
      const early = client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
      await early.ready();
      const earlyReading = take(iterate(early), 3_000);
      // The history in rounds, each read by the shared reader before the next is written: a read
      // reply (a run, which the ring keeps whole while it is the newest) then holds one round at
      // most. Written at once, the shared reader could get it all in one reply and keep it all.
      const round = 100;
      for (let from = 0; from < 2_000; from += round) {
        await writeEvents(client, stream, from, round, 10);
        // The early reader keeps the shared reader at the tail; wait until the round is read.
        while ((await counter(gw, 'sluice_tail_ring_events_total')) < from + round)
          await new Promise((r) => setTimeout(r, 5));
      }
      const history = await streamBytes(client, stream);
      const roundBytes = history / (2_000 / round);

      const ownBefore = await counter(gw, 'sluice_pravega_read_bytes_total', 'own');
      const late = client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
      const lateIt = iterate(late);
      const lateGot = await take(lateIt, 2_000);
      // It started before the ring and read the history on its own …
      const ownBytes = await counter(gw, 'sluice_pravega_read_bytes_total', 'own');
      // (the ring holds at most its 16 KiB and the newest run: one round)
      expect(ownBytes - ownBefore).toBeGreaterThanOrEqual(history - 16 * 1024 - roundBytes);
      // … and once caught up it is served from the ring: the next events cost no read of its own.
      expect(await counter(gw, 'sluice_tail_subscribers', 'own')).toBe(0);
      expect(await counter(gw, 'sluice_tail_subscribers', 'shared')).toBe(2);
      const lateRest = take(lateIt, 1_000);
      await writeEvents(client, stream, 2_000, 1_000, 10);
      lateGot.push(...(await lateRest));
      checkOncePerKeyInOrder(lateGot, 0, 3_000);
      checkOncePerKeyInOrder(await earlyReading, 0, 3_000);
      expect(await counter(gw, 'sluice_pravega_read_bytes_total', 'own')).toBe(ownBytes);
      await late.close();
      await early.close();
    } finally {
      await client.close();
      await gw.close();
    }
  });

  it('a paused reader keeps the events it has queued intact while the ring moves on and its read buffers are reused', async () => {
    // A catch-up read from the ring gets 1 MiB replies in reused buffers; the paused reader's
    // queue still views one after the ring evicted it, so that buffer must not be reused yet.
    const gw = await startTestGateway(['--scope', fx.scope, '--tail-cache-bytes', String(1024 * 1024)]);
    const client = await connectSdk(gw.url, fx.scope);
    try {
      const stream = uniqueName('reuse');
      await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
      const total = 6_000;
      await writeEvents(client, stream, 0, total, 1, 1_000); // ~6 MB of history
      const expected = Array.from({ length: total }, (_, i) => `k0|${i}|${'x'.repeat(1_000)}`);
      const paused = client.reader(stream, { serializer: Serializers.utf8(), from: 'head', creditEvents: 50 });
      const pausedIt = iterate(paused);
      const first = await take(pausedIt, 10);
      const fast = client.reader(stream, { serializer: Serializers.utf8(), from: 'head' });
      expect(await take(iterate(fast), total)).toEqual(expected);
      expect(await counter(gw, 'sluice_tail_subscribers', 'shared')).toBeGreaterThanOrEqual(1);
      const rest = await take(pausedIt, total - 10);
      expect([...first, ...rest]).toEqual(expected);
      // Replies did go into reused buffers meanwhile (else this proved nothing).
      expect(gw.context.segments.replies.reused).toBeGreaterThan(0);
      await Promise.all([paused.close(), fast.close()]);
    } finally {
      await client.close();
      await gw.close();
    }
  });

  it('a reader that stops granting credit holds no one back and no memory beyond the ring', async () => {
    const cap = 32 * 1024;
    const gw = await startTestGateway(['--scope', fx.scope, '--tail-cache-bytes', String(cap)]);
    const client = await connectSdk(gw.url, fx.scope);
    try {
      const stream = uniqueName('stuck');
      await client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
      // Never iterated: after its first credit window (100 events) it grants nothing more.
      const stuck = client.reader(stream, { serializer: Serializers.utf8(), from: 'head', creditEvents: 100 });
      const fast = Array.from({ length: 5 }, () =>
        client.reader(stream, { serializer: Serializers.utf8(), from: 'head' }),
      );
      await Promise.all([stuck, ...fast].map((r) => r.ready()));
      const total = 5_000;
      const round = 1_000;
      // Events of ~330 bytes: the stream (~1.6 MB) is larger than the bound asserted below, so a
      // ring that kept everything would fail it.
      const padBytes = 300;
      const its = fast.map(iterate);
      const results: string[][] = fast.map(() => []);
      let peak = 0;
      const sampling = setInterval(() => {
        void counter(gw, 'sluice_tail_cache_bytes').then((b) => {
          peak = Math.max(peak, b);
        });
      }, 5);
      // In rounds, so the ring (a few reads of ~100 KiB) moves well past the stuck reader.
      for (let from = 0; from < total; from += round) {
        const reading = its.map((it) => take(it, round));
        await writeEvents(client, stream, from, round, 10, padBytes);
        for (const [i, got] of (await Promise.all(reading)).entries()) results[i]!.push(...got);
      }
      clearInterval(sampling);
      expect(await streamBytes(client, stream)).toBeGreaterThan(cap + 1024 * 1024 + 256 * 1024);
      for (const got of results) checkOncePerKeyInOrder(got, 0, total);
      // The ring (its memory: batches are copied out of the replies) stayed within its cap plus
      // the one read being added (at most 1 MiB).
      expect(peak).toBeLessThanOrEqual(cap + 1024 * 1024);
      expect(await counter(gw, 'sluice_tail_cache_bytes')).toBeLessThanOrEqual(cap + 1024 * 1024);
      // The stuck reader is still there, behind the ring, and reads nothing while it grants nothing.
      expect(await counter(gw, 'sluice_tail_subscribers')).toBe(6);
      // One more, small round (within the ring) read by the fast readers: Pravega must deliver
      // exactly its bytes, once, through the shared reader. A stuck reader that read without
      // credit, or a fast one that left the ring, would add bytes of its own.
      const extra = 50;
      const readBefore = await counter(gw, 'sluice_pravega_read_bytes_total');
      const bytesBefore = await streamBytes(client, stream);
      const readingExtra = its.map((it) => take(it, extra));
      await writeEvents(client, stream, total, extra, 10, padBytes);
      for (const got of await Promise.all(readingExtra)) checkOncePerKeyInOrder(got, total, extra);
      const appended = (await streamBytes(client, stream)) - bytesBefore;
      expect(appended).toBeLessThan(cap);
      expect((await counter(gw, 'sluice_pravega_read_bytes_total')) - readBefore).toBe(appended);
      // Once it consumes again it reads on its own from where it stopped, and gets every event once.
      const rest = await take(iterate(stuck), total + extra);
      checkOncePerKeyInOrder(rest, 0, total + extra);
      expect(await counter(gw, 'sluice_tail_fell_behind_total')).toBeGreaterThanOrEqual(1);
      await Promise.all([stuck, ...fast].map((r) => r.close()));
    } finally {
      await client.close();
      await gw.close();
    }
  });
});

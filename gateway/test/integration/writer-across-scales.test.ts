/**
 * One writer kept open across several scalings of its stream (against the real standalone):
 * what a sealed segment did not store goes to its successors, and when the writer's view of the
 * stream is several scalings old, the older segments' events reach a shared successor before
 * anything newer (event numbers only grow per segment). Every acknowledged event is read back
 * once, in the order written per routing key.
 */
import { Serializers, type SluiceClient, type StreamInfo } from '@sluice/sdk';
import { describe, expect, it } from 'vitest';
import { hashToRange } from '../../src/streams/routing.js';
import { uniqueName } from '../helpers/names.js';
import { useGateway } from '../helpers/setup.js';

const fx = useGateway('wscale');

/** `n` routing keys whose place in the key space is in [low, high). */
function keysIn(low: number, high: number, n: number, prefix: string): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < n; i++) {
    const key = `${prefix}${i}`;
    const at = hashToRange(key);
    if (at >= low && at < high) keys.push(key);
  }
  return keys;
}

async function split(client: SluiceClient, stream: string, pick: (info: StreamInfo) => StreamInfo['segments'][number]) {
  const s = pick(await client.streamInfo(stream));
  const mid = (s.lowKey + s.highKey) / 2;
  await client.scaleStream(stream, {
    seal: [s.segmentId],
    newRanges: [
      [s.lowKey, mid],
      [mid, s.highKey],
    ],
  });
}

async function merge(client: SluiceClient, stream: string, low: number, high: number) {
  const segments = (await client.streamInfo(stream)).segments.filter((s) => s.lowKey >= low && s.highKey <= high);
  await client.scaleStream(stream, { seal: segments.map((s) => s.segmentId), newRanges: [[low, high]] });
}

const segmentAt = (key: number) => (info: StreamInfo) => info.segments.find((s) => s.lowKey <= key && key < s.highKey)!;

/** Everything in the stream up to its tail now, in the reader's order. */
async function readAll(client: SluiceClient, stream: string): Promise<string[]> {
  const to = (await client.streamInfo(stream)).tail;
  const got: string[] = [];
  for await (const ev of client.reader(stream, { serializer: Serializers.utf8(), from: 'head', to }))
    got.push(ev.value);
  return got;
}

/** Each value "key|n": every written value read exactly once, and per key in the order written. */
function expectOncePerKeyInOrder(got: readonly string[], written: readonly string[]): void {
  expect(got.length).toBe(written.length);
  expect(new Set(got).size).toBe(got.length);
  expect([...got].sort()).toEqual([...written].sort());
  const byKey = (values: readonly string[]) => {
    const m = new Map<string, string[]>();
    for (const v of values) {
      const key = v.split('|')[0]!;
      m.set(key, [...(m.get(key) ?? []), v]);
    }
    return m;
  };
  const want = byKey(written);
  for (const [key, values] of byKey(got)) expect(values, `order of ${key}`).toEqual(want.get(key));
}

describe('one writer across scalings', () => {
  it('writes on a view several scalings old: older events reach a shared successor first', async () => {
    const stream = uniqueName('stale');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    await split(fx.client, stream, segmentAt(0)); // A [0, .5), B [.5, 1)
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
    const written: string[] = [];
    let n = 0;
    const write = (keys: readonly string[], rounds: number) => {
      const acks: Promise<void>[] = [];
      for (let r = 0; r < rounds; r++)
        for (const key of keys) {
          const value = `${key}|${n++}`;
          written.push(value);
          acks.push(writer.write(value, key));
        }
      return Promise.all(acks);
    };
    const low = keysIn(0.25, 0.5, 4, 'lo');
    const high = keysIn(0.5, 1, 4, 'hi');
    const all = [...keysIn(0, 0.25, 4, 'ze'), ...low, ...high];
    await write(all, 5); // the writer knows A and B

    // While it is idle: A splits into A1 [0, .25) and A2 [.25, .5), then A2 and B merge into C.
    await split(fx.client, stream, segmentAt(0));
    await merge(fx.client, stream, 0.25, 1);
    // Interleaved, a key of B first: B's seal is heard first and its events go to C; A's go to
    // A1 and A2, and A2's, older than some of B's, on to C after them.
    const mixed = high.flatMap((h, i) => [h, low[i]!]);
    await write(mixed, 20);
    await write(all, 5);
    // And once more, a split of C with everything in flight.
    const during = write(all, 50);
    await split(fx.client, stream, segmentAt(0.5));
    await during;
    await writer.close();

    expectOncePerKeyInOrder(await readAll(fx.client, stream), written);
  }, 60_000);

  it('writes continuously with many keys through split, merge, split (at-least-once and exactly-once)', async () => {
    const stream = uniqueName('cont');
    await fx.client.createStream(stream, { scaling: { type: 'fixed', segments: 1 } });
    await split(fx.client, stream, segmentAt(0));
    const writer = fx.client.writer(stream, { serializer: Serializers.utf8() });
    const txWriter = fx.client.writer(stream, { serializer: Serializers.utf8(), mode: 'exactly-once' });
    const tx = await txWriter.beginTxn();
    const keys = Array.from({ length: 24 }, (_, i) => `k${i}`);
    const written: string[] = [];
    const outstanding = new Set<Promise<void>>();
    let stop = false;
    let n = 0;
    const writing = (async () => {
      while (!stop) {
        const key = keys[n % keys.length]!;
        const value = `${key}|${n++}`;
        written.push(value);
        const p = writer.write(value, key).finally(() => outstanding.delete(p));
        outstanding.add(p);
        // Bounded, and never waiting on one particular write: acknowledgements come per segment.
        if (outstanding.size >= 200) await Promise.race(outstanding);
        if (n % 50 === 0) {
          const t = `t${key}|${n}`;
          written.push(t);
          await tx.write(t, key);
        }
      }
    })();
    const until = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => (n >= count || stop ? resolve() : setImmediate(check));
        check();
      });

    await until(500);
    await split(fx.client, stream, segmentAt(0.1)); // [0, .25) [.25, .5) [.5, 1)
    await until(1_500);
    await merge(fx.client, stream, 0.25, 1); // [0, .25) [.25, 1)
    await until(2_500);
    await split(fx.client, stream, segmentAt(0.5)); // [0, .25) [.25, .625) [.625, 1)
    await until(3_500);
    stop = true;
    await writing;
    await Promise.all(outstanding);
    await tx.commit();
    await writer.close();
    await txWriter.close();

    const got = await readAll(fx.client, stream);
    // The transaction's events: all of them, once, per key in order; the rest likewise.
    const isTxn = (v: string) => v.startsWith('t');
    expectOncePerKeyInOrder(got.filter(isTxn), written.filter(isTxn));
    expectOncePerKeyInOrder(
      got.filter((v) => !isTxn(v)),
      written.filter((v) => !isTxn(v)),
    );
  }, 60_000);
});

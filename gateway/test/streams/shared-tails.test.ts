/**
 * The shared-tail registry driven by hand: the segment readers are fakes whose replies the test
 * delivers, so orderings the real standalone produces only by chance (a truncation while a
 * subscriber still has events queued, a stream deleted while its ring is idle) are exact here.
 * The end-to-end behaviour is in test/integration/shared-tails.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import type { SegmentReaderListener, SegmentSource } from '../../src/segmentstore/segment-reader.js';
import { type SegmentRef, segmentRef } from '../../src/segmentstore/segment-ref.js';
import { SharedTails, type TailReader } from '../../src/streams/shared-tails.js';
import type { EventRun } from '../../src/wire/index.js';
import { eventsOf, runOf } from '../helpers/runs.js';

/** An event as the test writes and checks them. */
interface ReadEvent {
  offset: bigint;
  payload: Uint8Array;
}

/** A segment reader whose replies the test delivers. */
class FakeReader implements TailReader {
  pausedSince: number | undefined;
  closed = false;
  isEnded = false;
  constructor(
    readonly role: 'shared' | 'own',
    readonly segment: SegmentRef,
    public nextOffset: bigint,
    readonly endOffset: bigint | undefined,
    readonly listener: SegmentReaderListener,
  ) {}
  resume(): void {}
  close(): void {
    this.closed = true;
  }
  /** Whether its owner would let it read now. */
  get wants(): boolean {
    return this.listener.wantsMore(this);
  }
  /** Delivers `events` (consecutive) as one run, as a read reply does. */
  read(events: ReadEvent[]): void {
    this.nextOffset = after(events);
    this.listener.onRuns(this, [
      runOf(
        events[0]!.offset,
        events.map((e) => e.payload),
      ),
    ]);
  }
  truncated(resumed: bigint): void {
    const requested = this.nextOffset;
    this.nextOffset = resumed;
    this.listener.onTruncated(this, requested, resumed);
  }
  end(): void {
    this.isEnded = true;
    this.listener.onEnd(this);
  }
  fail(err: GatewayError): void {
    this.closed = true;
    this.listener.onFailed(this, err);
  }
}

/** `count` events of `size` payload bytes from `offset`, each filled with `fill`. */
function events(offset: bigint, count: number, size = 100, fill = 1): ReadEvent[] {
  const out: ReadEvent[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    out.push({ offset: at, payload: new Uint8Array(size).fill(fill) });
    at += BigInt(8 + size);
  }
  return out;
}
const after = (es: ReadEvent[]) => es.at(-1)!.offset + BigInt(8 + es.at(-1)!.payload.length);

/** A stream reader's slot as the registry sees it: a queue drained only while it has credit. */
class Sub implements SegmentReaderListener {
  credit = true;
  queued = 0;
  readonly log: string[] = [];
  received: ReadEvent[] = [];
  source!: SegmentSource;
  wantsMore(): boolean {
    return this.credit && this.queued === 0;
  }
  onRuns(_r: SegmentSource, runs: EventRun[]): void {
    const es = eventsOf(runs);
    this.queued += es.length;
    this.received.push(...es);
    this.log.push(`events ${es[0]!.offset}..${es.at(-1)!.offset}`);
  }
  onEnd(): void {
    this.log.push('end');
  }
  onTruncated(_r: SegmentSource, requested: bigint, resumed: bigint): void {
    this.log.push(`truncated ${requested}->${resumed}`);
  }
  onFailed(_r: SegmentSource, err: GatewayError): void {
    this.log.push(`failed ${err.code}`);
  }
  /** Consumes what is queued and asks for more (the stream reader's drain). */
  drain(): void {
    this.queued = 0;
    this.source.resume();
  }
}

function setup(options = { segmentBytes: 64 * 1024, totalBytes: 1024 * 1024 }) {
  const readers: FakeReader[] = [];
  let cacheBytes = 0;
  const tails = new SharedTails(
    {} as never,
    options,
    {
      readBytes: () => {},
      servedFromRing: () => {},
      subscribers: () => {},
      fellBehind: () => {},
      cacheBytes: (d) => {
        cacheBytes += d;
      },
    },
    (segment, offset, endOffset, listener) => {
      const r = new FakeReader('ring' in listener ? 'shared' : 'own', segment, offset, endOffset, listener);
      readers.push(r);
      return r;
    },
  );
  const open = (seg: SegmentRef, offset: bigint, endOffset?: bigint) => {
    const sub = new Sub();
    sub.source = tails.open(seg, offset, endOffset, sub);
    return sub;
  };
  return { tails, readers, open, cacheBytes: () => cacheBytes };
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0));
const seg = segmentRef('s', 'stream', 0n);

describe('SharedTails', () => {
  it('a truncation met by the shared reader never overtakes events a subscriber still has queued', async () => {
    const { readers, open } = setup();
    const waiting = open(seg, 0n);
    const queuedUp = open(seg, 0n);
    const bounded = open(seg, 0n, 0n + BigInt(10 * 108));
    await tick();
    const shared = readers[0]!;
    const batch = events(0n, 10);
    shared.read(batch);
    await tick();
    // All three got the batch; `queuedUp` and `bounded` have no credit left to pass it on.
    queuedUp.credit = false;
    bounded.credit = false;
    waiting.drain();
    await tick();
    const requested = after(batch);
    shared.truncated(requested + 5_000n);
    await tick();
    // Nobody is told by the shared reader: a reader of their own meets the truncation in order.
    expect(queuedUp.log).toEqual(['events 0..972']);
    expect(waiting.log).toEqual(['events 0..972']);
    // The bounded one ends where the truncation began: it never sees it.
    bounded.credit = true;
    bounded.drain();
    await tick();
    expect(bounded.log).toEqual(['events 0..972', 'end']);
    const ownOfWaiting = readers.find((r) => r.role === 'own')!;
    expect(ownOfWaiting.nextOffset).toBe(requested);
    ownOfWaiting.truncated(requested + 5_000n);
    expect(waiting.log).toEqual(['events 0..972', `truncated ${requested}->${requested + 5_000n}`]);
    // `queuedUp` learns of it only once its queue is empty and it wants more.
    queuedUp.credit = true;
    const before = readers.length;
    queuedUp.drain();
    await tick();
    const own = readers.slice(before).find((r) => r.role === 'own')!;
    expect(own.nextOffset).toBe(requested);
    own.truncated(requested + 5_000n);
    expect(queuedUp.log).toEqual(['events 0..972', `truncated ${requested}->${requested + 5_000n}`]);
  });

  it('keeps all rings within the total: quiet rings are evicted too, only the batch just read may exceed it', async () => {
    const totalBytes = 4_000;
    const { tails, readers, open, cacheBytes } = setup({ segmentBytes: 64 * 1024, totalBytes });
    const batchBytes = 20 * 108;
    const subs = [0n, 1n, 2n, 3n, 4n].map((id) => open(segmentRef('s', 'stream', id), 0n));
    await tick();
    const shared = readers.filter((r) => r.role === 'shared');
    expect(shared).toHaveLength(5);
    let peak = 0;
    // Each segment reads one batch and goes quiet.
    for (const r of shared) {
      r.read(events(0n, 20));
      peak = Math.max(peak, tails.bytes);
      expect(cacheBytes()).toBe(tails.bytes);
    }
    expect(peak).toBeLessThanOrEqual(totalBytes + batchBytes);
    expect(tails.bytes).toBeLessThanOrEqual(totalBytes + batchBytes);
    // The first, quiet ring was evicted for the others: its subscriber, served only now, reads on its own.
    await tick();
    expect(subs[0]!.received).toEqual([]);
    expect(readers.some((r) => r.role === 'own' && r.segment.segmentId === 0n && r.nextOffset === 0n)).toBe(true);
  });

  it('a new subscriber never joins the ring of a segment that ended (deleted, maybe created again)', async () => {
    const { readers, open } = setup();
    const old = open(seg, 0n);
    await tick();
    const shared = readers[0]!;
    shared.read(events(0n, 10, 100, 1));
    await tick();
    old.credit = false; // it keeps the old tail alive, its events still queued
    shared.end(); // NoSuchSegment: the stream was deleted
    await tick();
    // Created again under the same name: a new reader from the head must read the new segment.
    const fresh = open(seg, 0n);
    await tick();
    expect(fresh.received).toEqual([]);
    const next = readers.slice(1).filter((r) => r.role === 'shared');
    expect(next.map((r) => r.nextOffset)).toEqual([0n]);
    next[0]!.read(events(0n, 3, 100, 2));
    await tick();
    expect(fresh.received.map((e) => e.payload[0])).toEqual([2, 2, 2]);
  });

  it('a new subscriber does not trust the ring of a reader paused long (it would not have seen a deletion)', async () => {
    const { readers, open } = setup();
    const stuck = open(seg, 0n);
    await tick();
    const shared = readers[0]!;
    shared.read(events(0n, 10, 100, 1));
    await tick();
    stuck.credit = false;
    expect(shared.wants).toBe(false);
    shared.pausedSince = performance.now() - 60_000;
    const fresh = open(seg, 0n);
    await tick();
    expect(fresh.received).toEqual([]);
    expect(readers.slice(1).map((r) => [r.role, r.nextOffset])).toEqual([['shared', 0n]]);
    // A reader paused only briefly is trusted: the next subscriber joins the fresh tail.
    const third = open(seg, 0n);
    await tick();
    expect(readers).toHaveLength(2);
    expect(third.received).toEqual([]);
  });

  it('a subscriber reading on its own when the shared reader failed joins the next tail of its segment', async () => {
    const { readers, open } = setup();
    const first = open(seg, 0n);
    await tick();
    const shared = readers[0]!;
    shared.read(events(0n, 10));
    await tick();
    // Outside the ring (someone reads there): it reads on its own.
    const behind = open(seg, 5_000n);
    await tick();
    const own = readers.find((r) => r.role === 'own')!;
    expect(own.nextOffset).toBe(5_000n);
    shared.fail(new GatewayError('internal', 'segment holds data that is not events'));
    await tick();
    expect(first.log.at(-1)).toBe('failed internal');
    // A new reader starts a new tail where `behind` is heading.
    const at = 5_000n + 10n * 108n;
    const fresh = open(seg, at);
    await tick();
    const next = readers.filter((r) => r.role === 'shared').slice(1);
    expect(next.map((r) => r.nextOffset)).toEqual([at]);
    own.read(events(5_000n, 10));
    await tick();
    // Caught up to the new ring: its own reader closes and the new ring serves it.
    expect(own.closed).toBe(true);
    behind.drain();
    await tick();
    next[0]!.read(events(at, 2));
    await tick();
    expect(behind.received.map((e) => e.offset)).toEqual(
      [...events(5_000n, 10), ...events(at, 2)].map((e) => e.offset),
    );
    expect(fresh.received).toHaveLength(2);
    expect(readers).toHaveLength(3);
  });
});

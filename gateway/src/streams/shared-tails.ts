/**
 * Shared tail reads: many subscribers of one segment cost one Pravega read stream.
 *
 * Per segment (keyed by its qualified name, epoch included) the gateway keeps one SharedTail:
 * one SegmentReader (one long-poll ReadSegment loop) and a bounded ring of the events it read
 * last. A subscriber is in one of two modes:
 *  - shared: its offset is inside the ring (or at its end). It is handed events from the ring
 *    against its own credit; at the end it waits for the shared reader, which reads only while
 *    some subscriber at the end wants more.
 *  - own: its offset is outside the ring (it started before it, or fell behind because it did
 *    not consume while the ring moved on). It reads with a SegmentReader of its own, exactly as
 *    without sharing, and joins the ring once its offset is inside it again.
 * A slow subscriber therefore never holds the others back and holds no memory beyond the one
 * batch its stream reader has queued. The end of the segment (sealed, deleted) and failures
 * reach every subscriber as they would from its own reader; a truncation is met by each one with
 * a reader of its own (after its queued events). An ended, failed or long-paused tail is not
 * joined by new subscribers (its ring may hold a deleted stream's events). The shared reader
 * stops when its last subscriber leaves. Authorization stays with the sessions: a subscription is
 * only ever opened by a reader channel that passed its own checks.
 */
import type { GatewayError } from '../errors.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import { SegmentReader, type SegmentReaderListener, type SegmentSource } from '../segmentstore/segment-reader.js';
import type { SegmentRef } from '../segmentstore/segment-ref.js';
import { type EventRun, runEnd } from '../wire/index.js';
import { TailRing } from './tail-ring.js';

export interface SharedTailOptions {
  /** Ring bytes per segment; 0 turns sharing off (every subscriber reads on its own). */
  readonly segmentBytes: number;
  /** All rings together stay within about this many bytes (plus one read each). */
  readonly totalBytes: number;
}

/** What the registry reports (wired to Prometheus in server/gateway.ts). */
export interface SharedTailMetrics {
  readBytes(role: 'shared' | 'own', bytes: number): void;
  servedFromRing(events: number): void;
  subscribers(mode: 'shared' | 'own', delta: number): void;
  fellBehind(): void;
  cacheBytes(delta: number): void;
}

/** A reader of one segment as the registry uses it: a SegmentReader, or a fake in unit tests. */
export interface TailReader extends SegmentSource {
  /** When it last found nobody wanting more and paused (performance.now() ms), else undefined. */
  readonly pausedSince: number | undefined;
}

/** Creates the segment readers (injected so unit tests can drive the shared path by hand). */
export type TailReaderFactory = (
  segment: SegmentRef,
  offset: bigint,
  endOffset: bigint | undefined,
  listener: SegmentReaderListener,
  onBytesRead: (bytes: number) => void,
) => TailReader;

/** How long a paused shared reader's ring is trusted for new subscribers (see SharedTail.joinable). */
const IDLE_TRUST_MS = 1_000;

/** Largest batch handed to one subscriber at a time (one read's worth). */
const MAX_BATCH_BYTES = 1024 * 1024;

export class SharedTails {
  /** The tail new subscribers of a segment join. */
  private readonly tails = new Map<string, SharedTail>();
  /** Every tail with subscribers, including ones no longer joined (they still hold rings). */
  private readonly live = new Set<SharedTail>();
  private total = 0;

  private readonly createReader: TailReaderFactory;

  constructor(
    client: SegmentStoreClient,
    private readonly options: SharedTailOptions,
    readonly metrics: SharedTailMetrics,
    createReader?: TailReaderFactory,
  ) {
    this.createReader =
      createReader ??
      ((segment, offset, endOffset, listener, onBytesRead) =>
        new SegmentReader(client, segment, offset, endOffset, listener, onBytesRead));
  }

  get enabled(): boolean {
    return this.options.segmentBytes > 0;
  }

  /** A source of the segment's events from `offset` (before `endOffset`), shared where possible. */
  open(
    segment: SegmentRef,
    offset: bigint,
    endOffset: bigint | undefined,
    listener: SegmentReaderListener,
  ): SegmentSource {
    if (!this.enabled) return this.ownReader(segment, offset, endOffset, listener);
    let tail = this.tails.get(segment.name);
    if (tail && !tail.joinable()) {
      // Its ring may hold another incarnation's events (a stream deleted and created again under
      // the same name has the same segment names): its subscribers keep it, new ones start anew.
      this.retire(tail);
      tail = undefined;
    }
    if (!tail) {
      tail = new SharedTail(this, segment, offset);
      this.tails.set(segment.name, tail);
      this.live.add(tail);
    }
    return tail.subscribe(offset, endOffset, listener);
  }

  /** How many segments have a shared reader (tests, metrics). */
  get size(): number {
    return this.tails.size;
  }

  /** @internal */
  ownReader(
    segment: SegmentRef,
    offset: bigint,
    endOffset: bigint | undefined,
    listener: SegmentReaderListener,
  ): TailReader {
    return this.createReader(segment, offset, endOffset, listener, (n) => this.metrics.readBytes('own', n));
  }

  /** @internal */
  sharedReader(segment: SegmentRef, offset: bigint, listener: SegmentReaderListener): TailReader {
    return this.createReader(segment, offset, undefined, listener, (n) => this.metrics.readBytes('shared', n));
  }

  /** Bytes held by all rings (what `sluice_tail_cache_bytes` reports). */
  get bytes(): number {
    return this.total;
  }

  /**
   * @internal After `grown` appended the batch read from `keepFrom` on: its ring down to the
   * per-segment cap, then all rings within the total — the largest others first, quiet ones
   * included, then older events of `grown`. Only the batch just read may exceed the total.
   */
  trim(grown: SharedTail, keepFrom: bigint): void {
    this.adjust(-grown.ring.evict(this.options.segmentBytes, keepFrom));
    while (this.total > this.options.totalBytes) {
      let victim: SharedTail | undefined;
      for (const t of this.live) {
        if (t !== grown && t.ring.bytes > 0 && (!victim || t.ring.bytes > victim.ring.bytes)) victim = t;
      }
      const ring = (victim ?? grown).ring;
      const target = Math.max(0, ring.bytes - (this.total - this.options.totalBytes));
      const freed = ring.evict(target, victim ? ring.end : keepFrom);
      this.adjust(-freed);
      if (!victim) break;
    }
  }

  /** @internal */
  adjust(delta: number): void {
    if (delta === 0) return;
    this.total += delta;
    this.metrics.cacheBytes(delta);
  }

  /** @internal The tail new subscribers of `segment` would join, if there is one to trust. */
  current(segment: SegmentRef): SharedTail | undefined {
    const tail = this.tails.get(segment.name);
    return tail?.joinable() ? tail : undefined;
  }

  /** @internal New subscribers no longer join `tail`; it lives on while it has subscribers. */
  retire(tail: SharedTail): void {
    if (this.tails.get(tail.segment.name) === tail) this.tails.delete(tail.segment.name);
  }

  /** @internal */
  remove(tail: SharedTail): void {
    if (this.tails.get(tail.segment.name) === tail) this.tails.delete(tail.segment.name);
    this.live.delete(tail);
  }
}

/** One segment's shared reader, its ring and its subscribers. */
class SharedTail implements SegmentReaderListener {
  readonly ring: TailRing;
  private readonly subs = new Set<TailSubscription>();
  private reader: TailReader;
  ended = false;
  failed: GatewayError | undefined;

  constructor(
    readonly registry: SharedTails,
    readonly segment: SegmentRef,
    offset: bigint,
  ) {
    this.ring = new TailRing(offset);
    this.reader = registry.sharedReader(segment, offset, this);
  }

  /**
   * Whether its ring is known to be this segment's: not ended (sealed, or deleted — and maybe
   * created again), not failed, and its reader not paused long (a paused reader would not see a
   * deletion; one reading long-polls and is told at once).
   */
  joinable(): boolean {
    if (this.ended || this.failed) return false;
    const paused = this.reader.pausedSince;
    return paused === undefined || performance.now() - paused < IDLE_TRUST_MS;
  }

  subscribe(offset: bigint, endOffset: bigint | undefined, listener: SegmentReaderListener): TailSubscription {
    const sub = new TailSubscription(this, offset, endOffset, listener);
    this.subs.add(sub);
    sub.start();
    return sub;
  }

  /** Takes over a subscriber (reading on its own) from a failed or retired tail. */
  adopt(sub: TailSubscription): void {
    this.subs.add(sub);
  }

  /** Whether a subscriber at `offset` can be served here, moving an unused ring there if needed. */
  admits(offset: bigint): boolean {
    if (this.failed) return false;
    if (this.ring.holds(offset)) return true;
    for (const s of this.subs) if (s.isShared) return false;
    // Nobody reads from the ring: it may as well follow this subscriber.
    this.reader.close();
    this.registry.adjust(-this.ring.reset(offset));
    this.ended = false;
    this.reader = this.registry.sharedReader(this.segment, offset, this);
    return true;
  }

  leave(sub: TailSubscription): void {
    if (!this.subs.delete(sub) || this.subs.size > 0) return;
    this.reader.close();
    this.registry.adjust(-this.ring.reset(this.ring.end));
    this.registry.remove(this);
  }

  pump(): void {
    this.reader.resume();
  }

  // ---- the shared reader's listener ------------------------------------------------------

  wantsMore(reader: SegmentSource): boolean {
    if (reader !== this.reader) return false;
    for (const s of this.subs) if (s.waitsAtTail) return true;
    return false;
  }

  onRuns(reader: SegmentSource, runs: EventRun[]): void {
    if (reader !== this.reader) return;
    const before = this.ring.end;
    this.registry.adjust(this.ring.append(runs, this.reader.nextOffset));
    this.registry.trim(this, before);
    for (const s of this.subs) s.onTailChanged();
  }

  onEnd(reader: SegmentSource): void {
    if (reader !== this.reader) return;
    this.ended = true;
    this.registry.retire(this);
    for (const s of this.subs) s.onTailChanged();
  }

  onTruncated(reader: SegmentSource, _requested: bigint, resumed: bigint): void {
    if (reader !== this.reader) return;
    this.registry.adjust(-this.ring.reset(resumed));
    for (const s of [...this.subs]) s.onTailTruncated();
  }

  onFailed(reader: SegmentSource, err: GatewayError): void {
    if (reader !== this.reader) return;
    this.failed = err;
    this.registry.adjust(-this.ring.reset(this.ring.end));
    this.registry.remove(this);
    for (const s of [...this.subs]) s.onTailFailed(err);
  }
}

/** One subscriber's view of a segment: served from the ring, or reading on its own. */
class TailSubscription implements SegmentSource {
  private own: TailReader | undefined;
  private next: bigint;
  private shared = false;
  private scheduled = false;
  private closed = false;
  private ended = false;
  private readonly ownListener: SegmentReaderListener;

  constructor(
    private tail: SharedTail,
    offset: bigint,
    private readonly endOffset: bigint | undefined,
    private readonly listener: SegmentReaderListener,
  ) {
    this.next = offset;
    this.ownListener = {
      wantsMore: (r) => r === this.own && !this.closed && this.listener.wantsMore(this),
      readBytes: () => this.listener.readBytes?.(this) ?? Number.POSITIVE_INFINITY,
      onRuns: (r, runs) => {
        if (r !== this.own || this.closed) return;
        this.next = runEnd(runs.at(-1)!);
        this.listener.onRuns(this, runs);
        this.tryJoin();
      },
      onEnd: (r) => {
        if (r === this.own) this.finish();
      },
      onTruncated: (r, requested, resumed) => {
        if (r !== this.own || this.closed) return;
        this.next = resumed;
        this.listener.onTruncated(this, requested, resumed);
        this.tryJoin();
      },
      onFailed: (r, err) => {
        if (r === this.own) this.fail(err);
      },
    };
  }

  get segment(): SegmentRef {
    return this.tail.segment;
  }

  get nextOffset(): bigint {
    return this.next;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get isShared(): boolean {
    return this.shared && !this.closed;
  }

  /** At the ring's end, wanting the next events. */
  get waitsAtTail(): boolean {
    return (
      this.shared &&
      !this.closed &&
      this.next === this.tail.ring.end &&
      (this.endOffset === undefined || this.next < this.endOffset) &&
      this.listener.wantsMore(this)
    );
  }

  start(): void {
    if (this.tail.admits(this.next)) this.becomeShared();
    else this.readOwn();
  }

  resume(): void {
    if (this.own) this.own.resume();
    else this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  onTailChanged(): void {
    if (this.shared) this.schedule();
    else this.tryJoin();
  }

  onTailTruncated(): void {
    // Not told here: it may still have events before the truncation queued (no credit), and a
    // bounded reader may end before it. Behind the emptied ring, its next serve() (queue empty,
    // wanting more) moves it to a reader of its own, which meets the truncation in order.
    if (this.shared && !this.closed) this.schedule();
  }

  onTailFailed(err: GatewayError): void {
    if (this.shared) this.fail(err);
  }

  // ---- internals -------------------------------------------------------------------------

  private becomeShared(): void {
    this.shared = true;
    this.tail.registry.metrics.subscribers('shared', 1);
    this.schedule();
  }

  private readOwn(): void {
    if (this.shared) {
      this.shared = false;
      this.tail.registry.metrics.subscribers('shared', -1);
    }
    this.tail.registry.metrics.subscribers('own', 1);
    this.own = this.tail.registry.ownReader(this.segment, this.next, this.endOffset, this.ownListener);
  }

  /** An own reader whose offset is inside the ring hands over to it. */
  private tryJoin(): void {
    if (!this.own || this.closed || this.ended) return;
    // Its tail failed or ended: the one new subscribers of the segment join now, if any.
    const tail = this.tail.failed || this.tail.ended ? this.tail.registry.current(this.segment) : this.tail;
    if (!tail?.ring.holds(this.next)) return;
    if (tail !== this.tail) {
      this.tail.leave(this);
      this.tail = tail;
      tail.adopt(this);
    }
    this.own.close();
    this.own = undefined;
    this.tail.registry.metrics.subscribers('own', -1);
    this.becomeShared();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    // Never call the listener from inside its own call into us (its drain would miss the events).
    queueMicrotask(() => {
      this.scheduled = false;
      this.serve();
    });
  }

  private serve(): void {
    if (this.closed || this.ended || !this.shared) return;
    if (this.endOffset !== undefined && this.next >= this.endOffset) {
      this.finish();
      return;
    }
    if (!this.listener.wantsMore(this)) return;
    const ring = this.tail.ring;
    if (this.next !== ring.end && !ring.holds(this.next)) {
      // The ring moved on while this subscriber did not consume: it reads on its own now.
      this.tail.registry.metrics.fellBehind();
      this.readOwn();
      return;
    }
    if (this.next === ring.end) {
      if (this.tail.ended) this.finish();
      else this.tail.pump();
      return;
    }
    const batch = ring.take(this.next, MAX_BATCH_BYTES, this.endOffset);
    if (batch.length === 0) {
      this.finish(); // the next event is at or after the end offset
      return;
    }
    this.next = runEnd(batch.at(-1)!);
    let events = 0;
    for (const run of batch) events += run.count;
    this.tail.registry.metrics.servedFromRing(events);
    this.listener.onRuns(this, batch);
  }

  private finish(): void {
    if (this.ended || this.closed) return;
    this.ended = true;
    this.release();
    this.listener.onEnd(this);
  }

  private fail(err: GatewayError): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.listener.onFailed(this, err);
  }

  private release(): void {
    if (this.own) {
      this.own.close();
      this.own = undefined;
      this.tail.registry.metrics.subscribers('own', -1);
    }
    if (this.shared) {
      this.shared = false;
      this.tail.registry.metrics.subscribers('shared', -1);
    }
    this.tail.leave(this);
  }
}

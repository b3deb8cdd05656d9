/**
 * One SDK writer (writerId) on one stream, shared by every session of this gateway process that
 * speaks for it. It routes events to segment appenders, turns their per-segment acknowledgements
 * into one cumulative "durable through seq" for the SDK, and re-routes what a sealed segment did
 * not store to its successors (fact sheet §3.6) before anything newer is sent there, so event
 * numbers stay increasing in every segment.
 */
import { Fifo } from '@sluice/proto/fifo.js';
import type { Logger } from 'pino';
import type { ControllerClient, SegmentRange } from '../controller/controller-client.js';
import { txnSegmentName } from '../controller/names.js';
import { GatewayError } from '../errors.js';
import type { BufferLease } from '../leased-buffers.js';
import { type AppenderListener, type PendingEvent, SegmentAppender } from '../segmentstore/appender.js';
import { backoffDelay, sleep } from '../segmentstore/backoff.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import { segmentRef } from '../segmentstore/segment-ref.js';
import { encodeEventFrames, headerOnly } from '../wire/index.js';
import { pravegaWriterId } from './writer-id.js';
import { WriterSegments } from './writer-segments.js';

/** Who hears about this writer's progress: the session channel currently attached. */
export interface WriterListener {
  onAcked(throughSeq: number): void;
  /**
   * Events above the cumulative level `throughSeq` that are durable too (sorted, disjoint
   * ranges `firsts[i]` … `firsts[i] + counts[i] - 1`): news since the last call, or everything
   * such when the listener was just attached. An older one still waits on a segment without
   * an owner; these segments did not.
   */
  onAckedBeyond(throughSeq: number, firsts: readonly number[], counts: readonly number[]): void;
  onError(err: GatewayError): void;
}

/** Who hears how many events became durable, and how long the newest of them took. */
export interface WriterObserver {
  acknowledged(events: number, newestWaitedMs: number): void;
}

/** One segment's appender and, in seq order, the events it holds that are not yet durable. */
interface Target {
  readonly appender: SegmentAppender;
  readonly fifo: Fifo<PendingEvent>;
  /** Scratch while one append is split by segment: indices into that append. */
  readonly batch: number[];
}

/** Pravega's "no event yet" (Long.MIN_VALUE), exact as a double. */
const MIN_SEQ = -(2 ** 63);
const SEAL_WAIT_MS = 30_000;
/**
 * Re-routing keeps trying a controller that cannot answer (each call gives up after its retry
 * budget) for this long, as an appender rides out a segment store (appender.ts): the events wait,
 * held, and the client's delivery timeout bounds what it waits for.
 */
const REROUTE_GIVE_UP_MS = 120_000;
const ROUTING_CACHE_KEYS = 10_000;

export class StreamWriter implements AppenderListener {
  private view: WriterSegments | undefined;
  private readonly targets = new Map<bigint, Target>();
  private readonly byAppender = new Map<SegmentAppender, Target>();
  /** Every event not yet durable, in seq order. */
  private readonly order = new Fifo<PendingEvent>();
  private highestSeq = MIN_SEQ;
  private ackedThrough = MIN_SEQ;
  private listener: WriterListener | undefined;
  private held: PendingEvent[] | undefined;
  private readonly sealedQueue: Array<{ appender: SegmentAppender; unacked: PendingEvent[] }> = [];
  private rerouting = false;
  private rerouteFailingSince: number | undefined;
  private rerouteAttempts = 0;
  private closed = false;
  /**
   * Failed for good (stream sealed, controller away too long): what it holds is not routed
   * again, so the registry replaces it when its client comes back (the client resends).
   */
  failed = false;
  /** Routing key → where it goes now; cleared whenever the segments change. */
  private readonly routingCache = new Map<string, Target>();
  /** Sequence numbers acknowledged above `ackedThrough` and not yet told (sent on the next turn). */
  private beyond: number[] = [];
  private beyondScheduled = false;
  /** Bytes accepted and not yet acknowledged. */
  unackedBytes = 0;
  /** Metrics: events acknowledged and their latency (set by the registry). */
  observer: WriterObserver | undefined;

  constructor(
    private readonly controller: ControllerClient,
    private readonly segments: SegmentStoreClient,
    private readonly logger: Logger,
    readonly scope: string,
    readonly stream: string,
    readonly writerId: string,
    /** Set for a transaction writer: events go to the transaction's segments, which never scale. */
    private readonly txn?: { txnId: string; segments: SegmentRange[] },
  ) {}

  /**
   * Loads the routing map and sets up appenders on the active segments; resolves with the
   * highest sequence number Pravega holds for this writer there (0 if none).
   */
  async open(): Promise<bigint> {
    if (!this.view && this.txn) this.view = WriterSegments.of(this.txn.segments);
    if (!this.view) {
      const { segments } = await this.controller.getCurrentSegments(this.scope, this.stream);
      if (segments.length === 0) {
        if (!(await this.controller.streamExists(this.scope, this.stream))) {
          throw new GatewayError('not-found', `stream ${this.scope}/${this.stream} does not exist`);
        }
        throw new GatewayError('sealed', `stream ${this.scope}/${this.stream} is sealed`);
      }
      this.view = WriterSegments.of(segments);
    }
    const appenders = this.view.map.segments.map((s) => this.targetFor(s.segmentId).appender);
    await Promise.all(appenders.map((a) => this.setupDone(a)));
    let last = 0;
    for (const a of appenders) if (a.ackedThrough > last) last = a.ackedThrough;
    return BigInt(last);
  }

  attach(listener: WriterListener): void {
    const previous = this.listener;
    this.listener = listener;
    if (previous && previous !== listener) {
      previous.onError(
        new GatewayError('already-exists', `writer ${this.writerId} was opened again by another session`),
      );
    }
    if (this.ackedThrough > MIN_SEQ) listener.onAcked(this.ackedThrough);
    // What was acknowledged beyond the level while nobody listened (or for another session).
    const acked: number[] = [];
    for (let i = 0, e = this.order.at(0); e; e = this.order.at(++i)) if (e.acked) acked.push(e.seq);
    this.beyond.length = 0;
    if (acked.length > 0) tellBeyond(listener, this.ackedThrough, acked);
  }

  detach(listener: WriterListener): void {
    if (this.listener === listener) this.listener = undefined;
  }

  get isIdle(): boolean {
    return this.listener === undefined && (this.order.isEmpty || this.failed);
  }

  /**
   * Accepts events numbered firstSeq, firstSeq + 1, … (below 2^53); numbers already seen are
   * resends and skipped. Each segment's share is framed into one buffer, so the appender sends
   * it as one piece.
   */
  append(
    firstSeq: number,
    payloads: readonly Uint8Array[],
    keys: readonly (string | undefined)[],
    lease?: BufferLease,
  ): void {
    const count = payloads.length;
    const now = performance.now();
    // Numbers only grow, so resends (already in flight or durable here) are a prefix.
    const skip = firstSeq <= this.highestSeq ? Math.min(count, this.highestSeq - firstSeq + 1) : 0;
    if (skip === count) return;
    this.highestSeq = firstSeq + count - 1;
    const fresh: PendingEvent[] = new Array(count - skip);
    if (this.held) {
      const indices = Array.from({ length: count - skip }, (_, i) => skip + i);
      const frames = encodeEventFrames(payloads, indices);
      for (let i = 0; i < indices.length; i++)
        fresh[i] = this.accept(now, firstSeq + skip + i, frames[i]!, keys[skip + i]);
      // Loops, not push(...fresh): a frame may hold millions of empty events, too many arguments.
      for (const event of fresh) {
        this.order.push(event);
        this.held.push(event);
      }
      return;
    }
    const touched = this.groupByTarget(skip, count, (i) => keys[i]);
    const lists: PendingEvent[][] = new Array(touched.length);
    for (let t = 0; t < touched.length; t++) {
      const target = touched[t]!;
      const frames = encodeEventFrames(payloads, target.batch, true);
      const list: PendingEvent[] = new Array(frames.length);
      for (let j = 0; j < frames.length; j++) {
        const i = target.batch[j]!;
        const payload = payloads[i]!;
        const event = this.accept(
          now,
          firstSeq + i,
          frames[j]!,
          keys[i],
          headerOnly(payload) ? payload : undefined,
          lease,
        );
        fresh[i - skip] = event;
        list[j] = event;
        target.fifo.push(event);
      }
      target.batch.length = 0;
      lists[t] = list;
    }
    // In `order` before any appender sees them: an appender may acknowledge at once (a resend
    // the segment already holds), and advance() must find them.
    for (const event of fresh) this.order.push(event);
    for (let t = 0; t < touched.length; t++) touched[t]!.appender.enqueue(lists[t]!);
  }

  /** Per segment written to, the length Pravega last acknowledged (-1: none yet): Java's WriterPosition. */
  writePosition(): Map<bigint, bigint> {
    return new Map([...this.targets].map(([id, t]) => [id, t.appender.lastWriteOffset]));
  }

  close(): void {
    this.closed = true;
    for (const t of this.targets.values()) t.appender.close();
    this.targets.clear();
    this.byAppender.clear();
    this.routingCache.clear();
  }

  // ---- AppenderListener ------------------------------------------------------------------

  onAcked(appender: SegmentAppender, through: number): void {
    const fifo = this.byAppender.get(appender)?.fifo;
    if (!fifo) return;
    // Durable: let go at once, whether or not older events elsewhere still wait (a large
    // one's payload is a view pinning the client's frame); nothing sends it again.
    while (!fifo.isEmpty && fifo.peek()!.seq <= through) {
      const event = fifo.shift()!;
      event.acked = true;
      event.lease?.release();
      this.unackedBytes -= event.bytes;
      this.beyond.push(event.seq);
    }
    this.advance();
    if (this.beyond.length > 0) this.scheduleBeyond();
  }

  onSealed(appender: SegmentAppender, unacked: PendingEvent[]): void {
    if (this.txn) {
      // A transaction segment is sealed or gone once the transaction was committed or aborted.
      if (unacked.length > 0 || !this.order.isEmpty) {
        this.failAll(
          new GatewayError(
            'invalid-argument',
            `transaction ${this.txn.txnId} is no longer open (committed or aborted)`,
          ),
        );
      }
      return;
    }
    this.sealedQueue.push({ appender, unacked });
    if (!this.rerouting) void this.reroute();
  }

  onFailed(_appender: SegmentAppender, err: GatewayError): void {
    this.listener?.onError(err);
  }

  // ---- internals -------------------------------------------------------------------------

  /**
   * An event from here until it is acknowledged. A `payload` view of a pooled message holds the
   * message's `lease` until then; once acknowledged nothing sends the event again (advance()).
   */
  private accept(
    now: number,
    seq: number,
    frame: Buffer,
    routingKey: string | undefined,
    payload?: Uint8Array,
    lease?: BufferLease,
  ): PendingEvent {
    const bytes = frame.length + (payload?.length ?? 0);
    this.unackedBytes += bytes;
    // A copied payload (no view) keeps nothing of the message.
    const held = payload ? lease : undefined;
    held?.hold();
    return { seq, frame, payload, lease: held, bytes, routingKey, acked: false, acceptedAt: now };
  }

  private targetFor(segmentId: bigint): Target {
    let target = this.targets.get(segmentId);
    if (!target) {
      const parent = segmentRef(this.scope, this.stream, segmentId);
      const ref = this.txn ? { ...parent, name: txnSegmentName(parent.name, this.txn.txnId) } : parent;
      const appender = new SegmentAppender(this.segments, ref, pravegaWriterId(this.writerId, ref.name), this);
      target = { appender, fifo: new Fifo(), batch: [] };
      this.targets.set(segmentId, target);
      this.byAppender.set(appender, target);
    }
    return target;
  }

  private async setupDone(appender: SegmentAppender): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new GatewayError('unavailable', `no AppendSetup from Pravega for ${appender.segment.name}`)),
        20_000,
      );
    });
    try {
      await Promise.race([appender.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private targetForKey(routingKey: string | undefined): Target {
    const map = this.view!.map;
    if (routingKey === undefined) return this.targetFor(map.segmentFor(Math.random()).segmentId);
    let target = this.routingCache.get(routingKey);
    if (!target) {
      target = this.targetFor(map.segmentForKey(routingKey).segmentId);
      if (this.routingCache.size >= ROUTING_CACHE_KEYS) this.routingCache.clear();
      this.routingCache.set(routingKey, target);
    }
    return target;
  }

  /**
   * Splits items from..to by segment: each returned target's `batch` holds the indices of its
   * items, in order; targets come in the order of their first item. The caller empties `batch`.
   */
  private groupByTarget(from: number, to: number, keyAt: (i: number) => string | undefined): Target[] {
    const touched: Target[] = [];
    for (let i = from; i < to; i++) {
      const target = this.targetForKey(keyAt(i));
      if (target.batch.length === 0) touched.push(target);
      target.batch.push(i);
    }
    return touched;
  }

  /** Hands events (framed already, in seq order) to their segments' appenders. */
  private route(events: readonly PendingEvent[]): void {
    const touched = this.groupByTarget(0, events.length, (i) => events[i]!.routingKey);
    // Every batch emptied before any appender sees its events (an appender may call back).
    const lists = touched.map((target) => {
      const list = target.batch.map((i) => events[i]!);
      target.batch.length = 0;
      return list;
    });
    for (let t = 0; t < touched.length; t++) {
      for (const e of lists[t]!) touched[t]!.fifo.push(e);
      touched[t]!.appender.enqueue(lists[t]!);
    }
  }

  private advance(): void {
    let through = this.ackedThrough;
    let events = 0;
    let newestAt = 0;
    // Their bytes and leases went when their segment acknowledged them (onAcked).
    while (this.order.peek()?.acked) {
      const event = this.order.shift()!;
      through = event.seq;
      newestAt = event.acceptedAt ?? newestAt;
      events++;
    }
    if (events > 0) this.observer?.acknowledged(events, performance.now() - newestAt);
    if (through > this.ackedThrough) {
      this.ackedThrough = through;
      this.listener?.onAcked(through);
    }
  }

  /**
   * Tells the listener, once the replies read meanwhile are all in (setImmediate runs after
   * I/O), which acknowledged events the cumulative level still does not cover: in steady state
   * the level catches up within the turn and nothing is sent; when one segment stalls (its
   * store died), the others' acknowledgements go on through here.
   */
  private scheduleBeyond(): void {
    if (this.beyondScheduled) return;
    this.beyondScheduled = true;
    setImmediate(() => {
      this.beyondScheduled = false;
      const through = this.ackedThrough;
      const news = this.beyond.filter((seq) => seq > through);
      this.beyond.length = 0;
      if (news.length > 0 && this.listener)
        tellBeyond(
          this.listener,
          through,
          news.sort((a, b) => a - b),
        );
    });
  }

  /**
   * Moves what sealed segments did not store onto their successors; holds new events meanwhile.
   * Each sealed segment's events, and those of every segment drained with it (writer-segments.ts
   * says which), go out together in sequence order, before anything newer.
   */
  private async reroute(): Promise<void> {
    this.rerouting = true;
    this.held ??= [];
    /** The seal being handled: on a failure before anything was routed, it waits to be tried again. */
    let current: { appender: SegmentAppender; unacked: PendingEvent[] } | undefined;
    try {
      while (this.sealedQueue.length > 0) {
        const { appender, unacked } = this.takeSealed(this.sealedQueue[0]!.appender);
        const sealedId = appender.segment.segmentId;
        const pending = unacked.slice();
        current = { appender, unacked: pending };
        this.forget(appender);
        const drained: bigint[] = [];
        const view = await this.view!.replaceSealed(sealedId, {
          successorsOf: async (id) => (await this.controller.getSuccessors(this.scope, this.stream, id)).successors,
          drain: async (id) => {
            drained.push(id);
            for (const e of await this.drainSealed(id)) pending.push(e);
          },
        });
        this.logger.info(
          { segment: appender.segment.name, unacked: pending.length, drained: drained.map(String) },
          'segment sealed: re-routing',
        );
        if (!view) {
          this.failAll(new GatewayError('sealed', `stream ${this.scope}/${this.stream} is sealed`));
          return;
        }
        this.view = view;
        current = undefined;
        this.routingCache.clear();
        pending.sort((a, b) => a.seq - b.seq);
        this.route(pending.filter((e) => !e.acked));
      }
    } catch (err) {
      const error = GatewayError.from(err, 'unavailable');
      if (current && this.retryReroute(error)) {
        // Nothing of it was routed: it goes first again, with what was drained with it.
        this.sealedQueue.unshift(current);
        return;
      }
      this.failAll(error);
      return;
    } finally {
      this.rerouting = false;
    }
    this.rerouteFailingSince = undefined;
    this.rerouteAttempts = 0;
    const held = this.held ?? [];
    this.held = undefined;
    if (held.length > 0) this.route(held);
  }

  /**
   * Takes every queued report of `appender`'s seal, as one: an appender reports again for events
   * handed to it after it was sealed.
   */
  private takeSealed(appender: SegmentAppender): { appender: SegmentAppender; unacked: PendingEvent[] } {
    const unacked: PendingEvent[] = [];
    for (let i = 0; i < this.sealedQueue.length; ) {
      const entry = this.sealedQueue[i]!;
      if (entry.appender !== appender) {
        i++;
        continue;
      }
      this.sealedQueue.splice(i, 1);
      for (const e of entry.unacked) unacked.push(e);
    }
    return { appender, unacked };
  }

  /**
   * Waits until segment `id` is sealed and its appender settled; returns what it did not store.
   * Without an appender there is nothing of this writer's in it to wait for.
   */
  private async drainSealed(id: bigint): Promise<PendingEvent[]> {
    const appender = this.targets.get(id)?.appender;
    if (!appender) return [];
    const ref = appender.segment;
    const deadline = Date.now() + SEAL_WAIT_MS;
    while (!(await this.segments.segmentInfo(ref)).sealed) {
      if (Date.now() > deadline)
        throw new GatewayError('unavailable', `${ref.name} was not sealed in time during a scale`);
      await sleep(100);
    }
    while (!appender.isSealed && appender.unackedCount > 0 && !this.sealedQueue.some((s) => s.appender === appender)) {
      if (Date.now() > deadline) throw new GatewayError('unavailable', `${ref.name} did not settle during a scale`);
      await sleep(20);
    }
    const { unacked } = this.takeSealed(appender);
    this.forget(appender);
    return unacked;
  }

  /**
   * Schedules another re-route after a failure retrying can fix (the controller unreachable), for
   * up to REROUTE_GIVE_UP_MS; false: give up.
   */
  private retryReroute(error: GatewayError): boolean {
    if (!error.retriable || this.closed) return false;
    this.rerouteFailingSince ??= Date.now();
    if (Date.now() - this.rerouteFailingSince > REROUTE_GIVE_UP_MS) return false;
    const delay = backoffDelay(this.rerouteAttempts++, 100, 2_000);
    this.logger.warn({ err: error.message, retryInMs: delay }, 'segment sealed: re-routing failed; retrying');
    setTimeout(() => {
      if (!this.closed && !this.rerouting && this.sealedQueue.length > 0) void this.reroute();
    }, delay).unref();
    return true;
  }

  private forget(appender: SegmentAppender): void {
    appender.close();
    // A later appender of the same segment (opened meanwhile) is not this one's to drop.
    if (this.targets.get(appender.segment.segmentId)?.appender === appender)
      this.targets.delete(appender.segment.segmentId);
    this.byAppender.delete(appender);
    this.routingCache.clear();
  }

  private failAll(err: GatewayError): void {
    this.failed = true;
    this.held = undefined;
    this.listener?.onError(err);
  }
}

/** Ranges per call: an Acked frame stays small (~15 bytes a range at most). */
const MAX_RANGES_PER_CALL = 4096;

/** Sorted sequence numbers (above `through`) to the listener as ranges of consecutive ones. */
function tellBeyond(listener: WriterListener, through: number, seqs: readonly number[]): void {
  let firsts: number[] = [];
  let counts: number[] = [];
  for (let i = 0; i < seqs.length; ) {
    const first = seqs[i]!;
    let n = 1;
    while (i + n < seqs.length && seqs[i + n] === first + n) n++;
    firsts.push(first);
    counts.push(n);
    i += n;
    if (firsts.length === MAX_RANGES_PER_CALL) {
      listener.onAckedBeyond(through, firsts, counts);
      firsts = [];
      counts = [];
    }
  }
  if (firsts.length > 0) listener.onAckedBeyond(through, firsts, counts);
}

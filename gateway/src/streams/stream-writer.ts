/**
 * One SDK writer (writerId) on one stream, shared by every session of this gateway process that
 * speaks for it. It routes events to segment appenders, turns their per-segment acknowledgements
 * into one cumulative "durable through seq" for the SDK, and re-routes what a sealed segment did
 * not store to its successors (fact sheet §3.6) before anything newer is sent there, so event
 * numbers stay increasing in every segment.
 */
import type { Logger } from 'pino';
import type { ControllerClient, SegmentRange } from '../controller/controller-client.js';
import { txnSegmentName } from '../controller/names.js';
import { GatewayError } from '../errors.js';
import { type AppenderListener, type PendingEvent, SegmentAppender } from '../segmentstore/appender.js';
import { sleep } from '../segmentstore/backoff.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import { segmentRef } from '../segmentstore/segment-ref.js';
import { encodeEventFrame } from '../wire/index.js';
import { SegmentMap } from './routing.js';
import { pravegaWriterId } from './writer-id.js';

export interface IncomingEvent {
  readonly payload: Uint8Array;
  readonly routingKey?: string | undefined;
}

/** Who hears about this writer's progress: the session channel currently attached. */
export interface WriterListener {
  onAcked(throughSeq: bigint): void;
  onError(err: GatewayError): void;
}

interface Entry {
  readonly event: PendingEvent;
  acked: boolean;
}

const MIN_SEQ = -(2n ** 63n);
const SEAL_WAIT_MS = 30_000;

export class StreamWriter implements AppenderListener {
  private map: SegmentMap<SegmentRange> | undefined;
  private readonly appenders = new Map<bigint, SegmentAppender>();
  private readonly perAppender = new Map<SegmentAppender, Entry[]>();
  private order: Entry[] = [];
  private orderHead = 0;
  private highestSeq = MIN_SEQ;
  private ackedThrough = MIN_SEQ;
  private listener: WriterListener | undefined;
  private held: PendingEvent[] | undefined;
  private readonly sealedQueue: Array<{ appender: SegmentAppender; unacked: PendingEvent[] }> = [];
  private rerouting = false;
  private readonly routingCache = new Map<string, SegmentRange>();
  /** Bytes accepted and not yet acknowledged. */
  unackedBytes = 0;

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
    if (!this.map && this.txn) this.map = new SegmentMap(this.txn.segments);
    if (!this.map) {
      const { segments } = await this.controller.getCurrentSegments(this.scope, this.stream);
      if (segments.length === 0) {
        if (!(await this.controller.streamExists(this.scope, this.stream))) {
          throw new GatewayError('not-found', `stream ${this.scope}/${this.stream} does not exist`);
        }
        throw new GatewayError('sealed', `stream ${this.scope}/${this.stream} is sealed`);
      }
      this.map = new SegmentMap(segments);
    }
    const appenders = this.map.segments.map((s) => this.appenderFor(s.segmentId));
    await Promise.all(appenders.map((a) => this.setupDone(a)));
    let last = 0n;
    for (const a of appenders) if (a.ackedThrough > last) last = a.ackedThrough;
    return last;
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
  }

  detach(listener: WriterListener): void {
    if (this.listener === listener) this.listener = undefined;
  }

  get isIdle(): boolean {
    return this.listener === undefined && this.orderHead >= this.order.length;
  }

  /** Accepts events numbered firstSeq, firstSeq + 1, …; numbers already seen are resends and skipped. */
  append(firstSeq: bigint, events: readonly IncomingEvent[]): void {
    const fresh: PendingEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const seq = firstSeq + BigInt(i);
      if (seq <= this.highestSeq) continue; // already in flight or durable here
      const e = events[i]!;
      this.highestSeq = seq;
      const event: PendingEvent = { seq, frame: encodeEventFrame(e.payload), routingKey: e.routingKey };
      this.order.push({ event, acked: false });
      this.unackedBytes += event.frame.length;
      fresh.push(event);
    }
    if (fresh.length === 0) return;
    if (this.held) this.held.push(...fresh);
    else this.route(fresh);
  }

  close(): void {
    for (const a of this.appenders.values()) a.close();
    this.appenders.clear();
    this.perAppender.clear();
  }

  // ---- AppenderListener ------------------------------------------------------------------

  onAcked(appender: SegmentAppender, through: bigint): void {
    const fifo = this.perAppender.get(appender);
    if (!fifo) return;
    let n = 0;
    while (n < fifo.length && fifo[n]!.event.seq <= through) {
      fifo[n]!.acked = true;
      n++;
    }
    if (n > 0) fifo.splice(0, n);
    this.advance();
  }

  onSealed(appender: SegmentAppender, unacked: PendingEvent[]): void {
    if (this.txn) {
      // A transaction segment is sealed or gone once the transaction was committed or aborted.
      if (unacked.length > 0 || this.orderHead < this.order.length) {
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

  private appenderFor(segmentId: bigint): SegmentAppender {
    let appender = this.appenders.get(segmentId);
    if (!appender) {
      const parent = segmentRef(this.scope, this.stream, segmentId);
      const ref = this.txn ? { ...parent, name: txnSegmentName(parent.name, this.txn.txnId) } : parent;
      appender = new SegmentAppender(this.segments, ref, pravegaWriterId(this.writerId, ref.name), this);
      this.appenders.set(segmentId, appender);
      this.perAppender.set(appender, []);
    }
    return appender;
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

  private segmentFor(routingKey: string | undefined): SegmentRange {
    const map = this.map!;
    if (routingKey === undefined) return map.segmentFor(Math.random());
    let segment = this.routingCache.get(routingKey);
    if (!segment) {
      segment = map.segmentForKey(routingKey);
      if (this.routingCache.size >= 10_000) this.routingCache.clear();
      this.routingCache.set(routingKey, segment);
    }
    return segment;
  }

  private route(events: readonly PendingEvent[]): void {
    const bySegment = new Map<bigint, PendingEvent[]>();
    for (const e of events) {
      const id = this.segmentFor(e.routingKey).segmentId;
      const list = bySegment.get(id);
      if (list) list.push(e);
      else bySegment.set(id, [e]);
    }
    for (const [id, list] of bySegment) {
      const appender = this.appenderFor(id);
      const fifo = this.perAppender.get(appender)!;
      for (const e of list) {
        const entry = this.entryFor(e);
        if (entry) fifo.push(entry);
      }
      appender.enqueue(list);
    }
  }

  private entryFor(event: PendingEvent): Entry | undefined {
    // Entries are in seq order; the event is recent, so search from the back.
    for (let i = this.order.length - 1; i >= this.orderHead; i--) {
      const entry = this.order[i]!;
      if (entry.event === event) return entry;
      if (entry.event.seq < event.seq) break;
    }
    return undefined;
  }

  private advance(): void {
    let through = this.ackedThrough;
    while (this.orderHead < this.order.length && this.order[this.orderHead]!.acked) {
      const entry = this.order[this.orderHead++]!;
      through = entry.event.seq;
      this.unackedBytes -= entry.event.frame.length;
    }
    if (this.orderHead > 1024 && this.orderHead * 2 > this.order.length) {
      this.order = this.order.slice(this.orderHead);
      this.orderHead = 0;
    }
    if (through > this.ackedThrough) {
      this.ackedThrough = through;
      this.listener?.onAcked(through);
    }
  }

  /** Moves what sealed segments did not store onto their successors; holds new events meanwhile. */
  private async reroute(): Promise<void> {
    this.rerouting = true;
    this.held ??= [];
    try {
      while (this.sealedQueue.length > 0) {
        const { appender, unacked } = this.sealedQueue.shift()!;
        const sealedId = appender.segment.segmentId;
        const pending = [...unacked];
        this.forget(appender);
        const { successors } = await this.controller.getSuccessors(this.scope, this.stream, sealedId);
        this.logger.info(
          { segment: appender.segment.name, unacked: pending.length, successors: successors.length },
          'segment sealed: re-routing',
        );
        if (successors.length === 0) {
          this.failAll(new GatewayError('sealed', `stream ${this.scope}/${this.stream} is sealed`));
          return;
        }
        // Merge predecessors must be drained too, or older events could reach a successor after newer ones.
        const replaced = new Set<bigint>([sealedId]);
        for (const s of successors) {
          for (const pred of s.predecessors) {
            if (replaced.has(pred) || !this.map!.segments.some((m) => m.segmentId === pred)) continue;
            replaced.add(pred);
            pending.push(...(await this.drainSealed(pred)));
          }
        }
        this.map = replaceRanges(
          this.map!,
          replaced,
          successors.map((s) => s.segment),
        );
        this.routingCache.clear();
        pending.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
        this.route(pending.filter((e) => this.entryFor(e) !== undefined));
      }
    } catch (err) {
      this.failAll(GatewayError.from(err, 'unavailable'));
      return;
    } finally {
      this.rerouting = false;
    }
    const held = this.held ?? [];
    this.held = undefined;
    if (held.length > 0) this.route(held);
  }

  /** Waits until segment `id` is sealed and its appender settled; returns what it did not store. */
  private async drainSealed(id: bigint): Promise<PendingEvent[]> {
    const ref = segmentRef(this.scope, this.stream, id);
    const deadline = Date.now() + SEAL_WAIT_MS;
    while (!(await this.segments.segmentInfo(ref)).sealed) {
      if (Date.now() > deadline)
        throw new GatewayError('unavailable', `${ref.name} was not sealed in time during a scale`);
      await sleep(100);
    }
    const appender = this.appenders.get(id);
    if (!appender) return [];
    while (!appender.isSealed && appender.unackedCount > 0) {
      const fromQueue = this.sealedQueue.findIndex((s) => s.appender === appender);
      if (fromQueue >= 0) break;
      if (Date.now() > deadline) throw new GatewayError('unavailable', `${ref.name} did not settle during a scale`);
      await sleep(20);
    }
    const index = this.sealedQueue.findIndex((s) => s.appender === appender);
    const unacked = index >= 0 ? this.sealedQueue.splice(index, 1)[0]!.unacked : [];
    this.forget(appender);
    return unacked;
  }

  private forget(appender: SegmentAppender): void {
    appender.close();
    this.appenders.delete(appender.segment.segmentId);
    this.perAppender.delete(appender);
  }

  private failAll(err: GatewayError): void {
    this.held = undefined;
    this.listener?.onError(err);
  }
}

/** Java's StreamSegments.withReplacementRange: successors take over only the replaced key ranges. */
function replaceRanges(
  map: SegmentMap<SegmentRange>,
  replaced: ReadonlySet<bigint>,
  successors: readonly SegmentRange[],
): SegmentMap<SegmentRange> {
  const kept: SegmentRange[] = [];
  for (const old of map.segments) {
    if (!replaced.has(old.segmentId)) {
      kept.push(old);
      continue;
    }
    for (const s of successors) {
      const minKey = Math.max(s.minKey, old.minKey);
      const maxKey = Math.min(s.maxKey, old.maxKey);
      if (maxKey > minKey) kept.push({ segmentId: s.segmentId, minKey, maxKey });
    }
  }
  return new SegmentMap(kept);
}

/**
 * Appends events to one segment as one Pravega writer (fact sheet §1.8, §1.9).
 *
 * Event numbers are the SDK's sequence numbers, so Pravega's own de-duplication (the writer's
 * last event number, stored with the data) drops a resend after any reconnect or gateway
 * restart. Events are pipelined in blocks of up to BLOCK_BYTES; acknowledgements are
 * cumulative. Unacknowledged events stay here until Pravega acknowledged them, the segment
 * turned out sealed (they go back to the stream writer to be re-routed), or the appender is
 * closed.
 */
import { GatewayError } from '../errors.js';
import type { BufferLease } from '../leased-buffers.js';
import { encodeAppendBlockEndParts, type WireCommand } from '../wire/index.js';
import { backoffDelay } from './backoff.js';
import type { SegmentStoreClient } from './client.js';
import type { FlowHandler, SegmentStoreConnection } from './connection.js';
import { causeOf, type ReconnectCause } from './outages.js';
import type { SegmentRef } from './segment-ref.js';

/**
 * One event on its way into Pravega. `frame` is the stored form — 8-byte header + payload — or,
 * for a large event, only the header, and `payload` follows it uncopied (a view of the client's
 * frame). `bytes` is the stored size either way. Sequence numbers are the SDK's (below 2^53, so
 * plain numbers: BigInt arithmetic per event cost more than the rest of the appender's work).
 */
export interface PendingEvent {
  readonly seq: number;
  readonly frame: Buffer;
  readonly payload: Uint8Array | undefined;
  /** Held while `payload` views a pooled client message; the stream writer releases it once acknowledged. */
  readonly lease?: BufferLease | undefined;
  readonly bytes: number;
  readonly routingKey: string | undefined;
  /** Set by the stream writer once the event is durable. */
  acked: boolean;
  /** When the gateway took it (performance.now()), for the acknowledgement latency. */
  readonly acceptedAt?: number;
}

export interface AppenderListener {
  /** Every event of this appender with seq ≤ `through` is durable. */
  onAcked(appender: SegmentAppender, through: number): void;
  /** The segment is sealed or gone; `unacked` (in seq order) were not stored and must be re-routed. */
  onSealed(appender: SegmentAppender, unacked: PendingEvent[]): void;
  /** A failure that retrying cannot fix (e.g. permission), or Pravega unreachable for too long. */
  onFailed(appender: SegmentAppender, err: GatewayError): void;
}

const BLOCK_BYTES = 1024 * 1024;
const BLOCK_EVENTS = 5_000;
/**
 * A block short of BLOCK_BYTES waits while this many blocks are in flight: the next
 * acknowledgement sends it, grown by whatever arrived meanwhile. The store's cost is largely
 * per append, so under load fewer, larger blocks cost it less per byte (Java's client grows its
 * blocks with the appends outstanding for the same reason); with little in flight nothing waits.
 */
const MAX_PARTIAL_BLOCKS_IN_FLIGHT = 2;
/** Pravega's "no event yet" (Long.MIN_VALUE), exact as a double. */
const MIN_EVENT_NUMBER = -(2 ** 63);
/**
 * After this long without a working connection, listeners hear 'unavailable' (the appender keeps
 * trying): well past a cluster's own failover (~20 s with Pravega's defaults), so a store's death
 * is ridden out, not reported.
 */
const UNAVAILABLE_AFTER_MS = 120_000;
/** Reconnects back off to at most this: the segment works again as soon as its new owner is named. */
const RECONNECT_CAP_MS = 250;

interface Block {
  readonly events: PendingEvent[];
  readonly lastEventNumber: number;
}

type State = 'connecting' | 'setting-up' | 'ready' | 'sealed' | 'closed';

export class SegmentAppender implements FlowHandler {
  private state: State = 'connecting';
  private conn: SegmentStoreConnection | undefined;
  private flowId = 0;
  private requestSeq = 0n;
  private readonly inflight: Block[] = [];
  private queue: PendingEvent[] = [];
  private flushScheduled = false;
  private attempts = 0;
  private failingSince: number | undefined;
  private reportedUnavailable = false;
  /** The highest seq handed to this appender. */
  highestEnqueued = MIN_EVENT_NUMBER;
  /** Everything ≤ this is durable in the segment. */
  ackedThrough = MIN_EVENT_NUMBER;
  inflightBytes = 0;
  /** The segment's length Pravega last reported after an append of ours (-1: none yet): event time. */
  lastWriteOffset = -1n;
  /** Settles at the first AppendSetup, or when the segment turns out sealed or the appender fails. */
  readonly ready: Promise<void>;
  private markReady: () => void = () => {};

  constructor(
    private readonly client: SegmentStoreClient,
    readonly segment: SegmentRef,
    readonly writerUuid: string,
    private readonly listener: AppenderListener,
  ) {
    this.ready = new Promise<void>((resolve) => {
      this.markReady = resolve;
    });
    void this.connect();
  }

  get unackedCount(): number {
    let n = this.queue.length;
    for (const b of this.inflight) n += b.events.length;
    return n;
  }

  get isSealed(): boolean {
    return this.state === 'sealed';
  }

  /** Queues events (seqs strictly increasing, above everything enqueued before). */
  enqueue(events: PendingEvent[]): void {
    if (this.state === 'sealed' || this.state === 'closed') {
      this.listener.onSealed(this, events);
      return;
    }
    let alreadyStored = false;
    for (const e of events) {
      if (e.seq <= this.highestEnqueued) throw new GatewayError('internal', `event ${e.seq} enqueued out of order`);
      this.highestEnqueued = e.seq;
      // A resend of something the segment already holds (we learnt its level at AppendSetup).
      if (e.seq <= this.ackedThrough) {
        alreadyStored = true;
        continue;
      }
      this.queue.push(e);
      this.inflightBytes += e.bytes;
    }
    if (alreadyStored) this.listener.onAcked(this, this.ackedThrough);
    this.scheduleFlush();
  }

  close(): void {
    this.state = 'closed';
    this.client.outages.forget('append', this.segment.name);
    this.detach();
    this.queue = [];
    this.inflight.length = 0;
  }

  // ---- FlowHandler -----------------------------------------------------------------------

  onReply(reply: WireCommand): void {
    switch (reply.type) {
      case 'AppendSetup':
        this.onAppendSetup(Number(reply.lastEventNumber));
        return;
      case 'DataAppended':
        if (reply.currentSegmentWriteOffset > this.lastWriteOffset)
          this.lastWriteOffset = reply.currentSegmentWriteOffset;
        this.acknowledge(Number(reply.eventNumber));
        return;
      case 'SegmentIsSealed':
      case 'NoSuchSegment':
        if (reply.segment === this.segment.name) this.onSegmentSealed();
        return;
      case 'WrongHost':
        if (reply.segment !== this.segment.name) return;
        this.client.invalidateEndpoint(this.segment);
        this.reconnect(
          new GatewayError('unavailable', `${this.segment.name} moved to another segment store`),
          'wrong-host',
        );
        return;
      case 'AuthTokenCheckFailed':
        this.client.tokens.invalidate(this.segment.scope, this.segment.stream);
        this.reconnect(new GatewayError('unauthenticated', `token rejected for ${this.segment.name}`));
        return;
      case 'InvalidEventNumber':
        // The server closes the connection; the next SetupAppend tells us what it has.
        this.reconnect(new GatewayError('internal', `segment store rejected event numbering on ${this.segment.name}`));
        return;
      default:
        return;
    }
  }

  onConnectionLost(err: GatewayError): void {
    if (this.conn) this.reconnect(err);
  }

  // ---- connection lifecycle --------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.state === 'closed' || this.state === 'sealed') return;
    this.state = 'connecting';
    try {
      // After an outage: is the new owner serving the segment yet? Asked apart from the
      // connection the store's other segments share (client.verifyOwner).
      if (this.failingSince !== undefined) await this.client.verifyOwner(this.segment);
      if ((this.state as State) === 'closed') return;
      const [conn, token] = await Promise.all([
        this.client.connectionFor(this.segment),
        this.client.tokens.get(this.segment.scope, this.segment.stream, 'write'),
      ]);
      if ((this.state as State) === 'closed') return;
      this.conn = conn;
      this.flowId = conn.openFlow(this);
      conn.registerWriter(this.writerUuid, this);
      this.state = 'setting-up';
      conn.send({
        type: 'SetupAppend',
        requestId: this.nextRequestId(),
        writerId: this.writerUuid,
        segment: this.segment.name,
        delegationToken: token,
      });
    } catch (err) {
      const error = GatewayError.from(err, 'unavailable');
      if (!error.retriable && error.code !== 'unauthenticated') {
        this.fail(error);
        return;
      }
      this.reconnect(error);
    }
  }

  private reconnect(cause: GatewayError, kind: ReconnectCause = causeOf(cause.message)): void {
    if (this.state === 'closed' || this.state === 'sealed') return;
    const host = this.conn?.endpoint ?? this.client.knownHost(this.segment);
    this.client.outages.failed('append', this.segment.name, host, kind, cause.message);
    this.detach();
    this.state = 'connecting';
    this.failingSince ??= Date.now();
    if (!this.reportedUnavailable && Date.now() - this.failingSince > UNAVAILABLE_AFTER_MS) {
      this.reportedUnavailable = true;
      this.listener.onFailed(
        this,
        new GatewayError('unavailable', `Pravega unreachable for ${this.segment.name}: ${cause.message}`, { cause }),
      );
    }
    const delay = backoffDelay(this.attempts++, 50, RECONNECT_CAP_MS);
    setTimeout(() => void this.connect(), delay).unref();
  }

  private detach(): void {
    if (!this.conn) return;
    this.conn.closeFlow(this.flowId);
    this.conn.unregisterWriter(this.writerUuid, this);
    this.conn = undefined;
  }

  private onAppendSetup(lastEventNumber: number): void {
    if (this.state !== 'setting-up') return;
    this.attempts = 0;
    this.failingSince = undefined;
    this.reportedUnavailable = false;
    if (this.conn) this.client.outages.recovered('append', this.segment.name, this.conn.endpoint);
    // What the segment already holds from this writer counts as acknowledged: resends of it
    // are dropped here, never written twice.
    if (lastEventNumber !== MIN_EVENT_NUMBER) {
      this.acknowledge(lastEventNumber);
      this.dropStoredFromQueue(lastEventNumber);
    }
    this.state = 'ready';
    this.markReady();
    // Resend what is still unacknowledged, in order, with the original numbers.
    // A block may straddle L when another process stored part of the same resend.
    const resend = this.inflight.splice(0);
    for (const block of resend) {
      const rest = block.events.filter((e) => e.seq > this.ackedThrough);
      for (const e of block.events) if (e.seq <= this.ackedThrough) this.inflightBytes -= e.bytes;
      this.sendBlock(rest);
    }
    this.scheduleFlush();
  }

  private dropStoredFromQueue(through: number): void {
    let dropped = 0;
    while (dropped < this.queue.length && this.queue[dropped]!.seq <= through) {
      this.inflightBytes -= this.queue[dropped]!.bytes;
      dropped++;
    }
    if (dropped > 0) this.queue = this.queue.slice(dropped);
  }

  private acknowledge(eventNumber: number): void {
    if (eventNumber <= this.ackedThrough) return;
    this.ackedThrough = eventNumber;
    while (this.inflight.length > 0 && this.inflight[0]!.lastEventNumber <= eventNumber) {
      const block = this.inflight.shift()!;
      for (const e of block.events) this.inflightBytes -= e.bytes;
    }
    // Acknowledged is never sent again, even if (against the protocol) it was not sent yet: its
    // payload may be released once the stream writer sees the acknowledgement.
    this.dropStoredFromQueue(eventNumber);
    this.listener.onAcked(this, eventNumber);
    // Events held back while blocks were in flight go now, as one larger block.
    if (this.queue.length > 0) this.scheduleFlush();
  }

  private onSegmentSealed(): void {
    if (this.state === 'sealed' || this.state === 'closed') return;
    this.state = 'sealed';
    this.markReady();
    this.detach();
    const unacked: PendingEvent[] = [];
    // Loops, not push(...): millions of small events would be too many arguments.
    for (const block of this.inflight.splice(0)) for (const e of block.events) unacked.push(e);
    for (const e of this.queue) unacked.push(e);
    this.queue = [];
    this.inflightBytes = 0;
    this.listener.onSealed(
      this,
      unacked.filter((e) => e.seq > this.ackedThrough),
    );
  }

  private fail(err: GatewayError): void {
    this.state = 'closed';
    this.client.outages.forget('append', this.segment.name);
    this.markReady();
    this.detach();
    this.listener.onFailed(this, err);
  }

  // ---- sending ---------------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.state !== 'ready' || !this.conn) return;
    if (!this.conn.writable) {
      const conn = this.conn;
      void conn.drained().then(() => this.scheduleFlush());
      return;
    }
    let start = 0;
    while (start < this.queue.length) {
      let end = start;
      let bytes = 0;
      while (
        end < this.queue.length &&
        end - start < BLOCK_EVENTS &&
        (bytes === 0 || bytes + this.queue[end]!.bytes <= BLOCK_BYTES)
      ) {
        bytes += this.queue[end]!.bytes;
        end++;
      }
      const full = end < this.queue.length || end - start >= BLOCK_EVENTS;
      if (!full && this.inflight.length >= MAX_PARTIAL_BLOCKS_IN_FLIGHT) break;
      this.sendBlock(this.queue.slice(start, end));
      start = end;
    }
    this.queue = start === this.queue.length ? [] : this.queue.slice(start);
  }

  private sendBlock(events: PendingEvent[]): void {
    const last = events[events.length - 1];
    if (!last || !this.conn) return;
    this.inflight.push({ events, lastEventNumber: last.seq });
    // Payloads that view pooled client messages stay held until the socket has written them: an
    // acknowledgement through another connection (after a seal or WrongHost) can come first.
    const leases = leasesOf(events);
    for (const lease of leases) lease.hold();
    try {
      // The event frames go out as they are (one writev), not copied into one block first.
      this.conn.sendParts(
        encodeAppendBlockEndParts({
          writerId: this.writerUuid,
          events: contiguousRuns(events),
          numEvents: events.length,
          lastEventNumber: BigInt(last.seq),
          requestId: this.nextRequestId(),
        }),
        leases.length === 0 ? undefined : () => releaseAll(leases),
      );
    } catch (err) {
      this.reconnect(GatewayError.from(err, 'unavailable'));
    }
  }

  private nextRequestId(): bigint {
    this.requestSeq = (this.requestSeq + 1n) & 0xffffffffn;
    return (BigInt(this.flowId) << 32n) | this.requestSeq;
  }
}

/**
 * The events' frames (and uncopied payloads) as pieces for one writev, neighbours in memory
 * merged into one view: the stream writer frames each append's share of a segment into one
 * buffer, so a block of small events is a few pieces, not one per event (a writev of thousands
 * of 108-byte pieces costs more than the bytes); a large event is its header and its payload.
 */
function contiguousRuns(events: readonly PendingEvent[]): Uint8Array[] {
  const runs: Uint8Array[] = [];
  let first: Uint8Array | undefined;
  let end = 0;
  const add = (piece: Uint8Array) => {
    if (first && piece.buffer === first.buffer && piece.byteOffset === end) {
      end += piece.length;
      return;
    }
    if (first) runs.push(viewOf(first, end));
    first = piece;
    end = piece.byteOffset + piece.length;
  };
  for (const e of events) {
    add(e.frame);
    if (e.payload && e.payload.length > 0) add(e.payload);
  }
  if (first) runs.push(viewOf(first, end));
  return runs;
}

/** `first` extended to `end` in its buffer (itself when that adds nothing). */
function viewOf(first: Uint8Array, end: number): Uint8Array {
  return end === first.byteOffset + first.length
    ? first
    : new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}

/** The distinct leases of `events`' payloads (a message's events are neighbours in a block). */
function leasesOf(events: readonly PendingEvent[]): BufferLease[] {
  const leases: BufferLease[] = [];
  let previous: BufferLease | undefined;
  for (const e of events) {
    if (e.lease && e.lease !== previous) leases.push(e.lease);
    previous = e.lease;
  }
  return leases;
}

function releaseAll(leases: readonly BufferLease[]): void {
  for (const lease of leases) lease.release();
}

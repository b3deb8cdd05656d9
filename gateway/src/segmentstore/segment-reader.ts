/**
 * Reads the events of one segment from an offset (fact sheet §1.11): one long-poll ReadSegment
 * outstanding at a time, events re-assembled across replies, truncation followed to the new
 * start, the end reported once the sealed end (or the reader's end offset) is reached.
 * It reads only while its owner wants more, so nothing buffers without bound.
 */
import { GatewayError } from '../errors.js';
import { cutBefore, EventFrameParser, type EventRun, type RunLease, type WireCommand } from '../wire/index.js';
import { backoffDelay } from './backoff.js';
import type { SegmentStoreClient } from './client.js';
import type { FlowHandler, SegmentStoreConnection } from './connection.js';
import { causeOf, type ReconnectCause } from './outages.js';
import type { SegmentRef } from './segment-ref.js';

/**
 * What a stream reader needs from a source of one segment's events: a SegmentReader of its own,
 * or a subscription to a shared tail (streams/shared-tails.ts).
 */
export interface SegmentSource {
  readonly segment: SegmentRef;
  /** Offset of the next event this source will deliver. */
  readonly nextOffset: bigint;
  readonly isEnded: boolean;
  /** The listener may want more now (it is asked again through `wantsMore`). */
  resume(): void;
  close(): void;
}

export interface SegmentReaderListener {
  /** Whole events, in order, as runs (see wire/event-run.ts). */
  onRuns(reader: SegmentSource, runs: EventRun[]): void;
  /** Every event up to the segment's end (or the end offset) was delivered. */
  onEnd(reader: SegmentSource): void;
  onTruncated(reader: SegmentSource, requestedOffset: bigint, resumedOffset: bigint): void;
  onFailed(reader: SegmentSource, err: GatewayError): void;
  /** Asked before each read: false pauses the reader until `resume()`. */
  wantsMore(reader: SegmentSource): boolean;
  /**
   * Optional, asked before each read: about how many bytes the listener can pass on now. A read
   * asks Pravega for that much (within MIN_READ_BYTES..READ_BYTES), so a reader that is about to
   * block does not queue a whole megabyte per segment it will never send.
   */
  readBytes?(reader: SegmentSource): number;
}

/** Reconnects back off to at most this: the segment is readable as soon as its new owner is named. */
const RECONNECT_CAP_MS = 250;
const READ_BYTES = 1024 * 1024;
const MIN_READ_BYTES = 64 * 1024;

export class SegmentReader implements FlowHandler, SegmentSource {
  private parser: EventFrameParser;
  private conn: SegmentStoreConnection | undefined;
  private flowId = 0;
  private requestSeq = 0n;
  private outstanding: bigint | undefined;
  private closed = false;
  private ended = false;
  private attempts = 0;
  private connecting = false;
  private paused: number | undefined;
  /** The store it last read from (for the outage log once the connection is gone). */
  private lastHost: string | undefined;

  constructor(
    private readonly client: SegmentStoreClient,
    readonly segment: SegmentRef,
    startOffset: bigint,
    /** Exclusive bound: events at or after it are not delivered (a `to` stream cut). */
    readonly endOffset: bigint | undefined,
    private readonly listener: SegmentReaderListener,
    /** Told the size of every read reply (metrics: bytes read from Pravega). */
    private readonly onBytesRead?: (bytes: number) => void,
  ) {
    this.parser = new EventFrameParser(startOffset);
    queueMicrotask(() => this.pump());
  }

  /** Offset of the next event this reader will deliver. */
  get nextOffset(): bigint {
    return this.parser.nextOffset;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Since when (performance.now() ms) it has been paused because nobody wanted more. */
  get pausedSince(): number | undefined {
    return this.paused;
  }

  resume(): void {
    this.pump();
  }

  close(): void {
    this.closed = true;
    this.client.outages.forget('read', this.segment.name);
    this.detach();
  }

  onReply(reply: WireCommand): void {
    if (this.closed) return;
    // AuthTokenCheckFailed on reads carries no segment (and the offset as its request id).
    if (reply.type === 'AuthTokenCheckFailed') {
      if (this.outstanding === undefined) return;
      this.client.tokens.invalidate(this.segment.scope, this.segment.stream);
      this.retry(new GatewayError('unauthenticated', `token rejected reading ${this.segment.name}`));
      return;
    }
    if (!('segment' in reply) || reply.segment !== this.segment.name) return;
    switch (reply.type) {
      case 'SegmentRead': {
        const lease = this.client.replies.leaseOf(reply.data);
        try {
          this.onSegmentRead(reply, lease);
        } finally {
          // Whoever keeps runs of this reply holds its lease by now (see leased-buffers.ts).
          lease?.release();
        }
        return;
      }
      case 'SegmentIsTruncated': {
        const requested = this.parser.nextOffset;
        this.outstanding = undefined;
        this.parser = new EventFrameParser(reply.startOffset);
        this.listener.onTruncated(this, requested, reply.startOffset);
        this.pump();
        return;
      }
      case 'SegmentIsSealed':
        // A read parked at the tail of a segment that then got sealed: everything was read.
        this.outstanding = undefined;
        if (this.parser.bufferedBytes > 0) {
          this.fail(new GatewayError('internal', `${this.segment.name} ends inside an event`));
          return;
        }
        this.finish();
        return;
      case 'NoSuchSegment':
        // Deleted (truncated away entirely or the stream deleted): nothing more to read here.
        this.outstanding = undefined;
        this.finish();
        return;
      case 'WrongHost':
        this.client.invalidateEndpoint(this.segment);
        this.retry(new GatewayError('unavailable', `${this.segment.name} moved`), 'wrong-host');
        return;
      default:
        this.client.logger.debug({ reply: reply.type, segment: this.segment.name }, 'unexpected reply to a read');
        return;
    }
  }

  onConnectionLost(err: GatewayError): void {
    this.conn = undefined;
    this.retry(err);
  }

  private onSegmentRead(reply: Extract<WireCommand, { type: 'SegmentRead' }>, lease: RunLease | undefined): void {
    // Every byte Pravega sent counts, stale replies included.
    this.onBytesRead?.(reply.data.length);
    const expected = this.parser.nextOffset + BigInt(this.parser.bufferedBytes);
    if (this.outstanding === undefined || reply.offset !== expected) return; // a stale reply
    this.outstanding = undefined;
    if (this.attempts > 0 && this.conn) this.client.outages.recovered('read', this.segment.name, this.conn.endpoint);
    this.attempts = 0;
    let runs: EventRun[];
    try {
      runs = this.parser.push(reply.data, lease);
    } catch (err) {
      this.fail(
        new GatewayError('internal', `${this.segment.name} holds data that is not events: ${(err as Error).message}`, {
          cause: err,
        }),
      );
      return;
    }
    if (this.endOffset !== undefined) {
      const end = this.endOffset;
      const within = runs.map((run) => cutBefore(run, end)).filter((run) => run !== undefined);
      if (within.length > 0) this.listener.onRuns(this, within);
      if (this.parser.nextOffset >= end) {
        this.finish();
        return;
      }
    } else if (runs.length > 0) {
      this.listener.onRuns(this, runs);
    }
    if (reply.endOfSegment && this.parser.bufferedBytes === 0) {
      this.finish();
      return;
    }
    this.pump();
  }

  private pump(): void {
    if (this.closed || this.ended || this.outstanding !== undefined || this.connecting) return;
    if (this.endOffset !== undefined && this.parser.nextOffset >= this.endOffset) {
      this.finish();
      return;
    }
    if (!this.listener.wantsMore(this)) {
      this.paused ??= performance.now();
      return;
    }
    this.paused = undefined;
    if (!this.conn || this.conn.isClosed) {
      void this.connect();
      return;
    }
    void this.sendRead(this.conn);
  }

  private async sendRead(conn: SegmentStoreConnection): Promise<void> {
    const offset = this.parser.nextOffset + BigInt(this.parser.bufferedBytes);
    this.outstanding = offset;
    try {
      const token = await this.client.tokens.get(this.segment.scope, this.segment.stream, 'read');
      if (this.closed || conn !== this.conn) return;
      this.requestSeq = (this.requestSeq + 1n) & 0xffffffffn;
      conn.send({
        type: 'ReadSegment',
        segment: this.segment.name,
        offset,
        suggestedLength: this.readSize(),
        delegationToken: token,
        requestId: (BigInt(this.flowId) << 32n) | this.requestSeq,
      });
    } catch (err) {
      this.outstanding = undefined;
      this.retry(GatewayError.from(err, 'unavailable'));
    }
  }

  private readSize(): number {
    const wanted = this.listener.readBytes?.(this) ?? READ_BYTES;
    return Math.max(MIN_READ_BYTES, Math.min(READ_BYTES, wanted));
  }

  private async connect(): Promise<void> {
    this.connecting = true;
    try {
      // After a failure: is the owner serving the segment yet? Asked apart from the connection
      // the store's other segments share (client.verifyOwner).
      if (this.attempts > 0) await this.client.verifyOwner(this.segment);
      if (this.closed) {
        this.connecting = false;
        return;
      }
      const conn = await this.client.connectionFor(this.segment);
      this.connecting = false;
      if (this.closed) return;
      this.conn = conn;
      this.lastHost = conn.endpoint;
      this.flowId = conn.openFlow(this);
      this.pump();
    } catch (err) {
      this.connecting = false;
      this.retry(GatewayError.from(err, 'unavailable'));
    }
  }

  private retry(err: GatewayError, kind: ReconnectCause = causeOf(err.message)): void {
    if (this.closed || this.ended) return;
    if (err.retriable || err.code === 'unauthenticated') {
      const host = this.conn?.endpoint ?? this.lastHost ?? this.client.knownHost(this.segment);
      this.client.outages.failed('read', this.segment.name, host, kind, err.message);
    }
    this.detach();
    this.outstanding = undefined;
    // Bytes of a half-received event are read again from its start.
    this.parser = new EventFrameParser(this.parser.nextOffset);
    if (!err.retriable && err.code !== 'unauthenticated') {
      this.fail(err);
      return;
    }
    const delay = backoffDelay(this.attempts++, 50, RECONNECT_CAP_MS);
    this.connecting = true;
    setTimeout(() => {
      this.connecting = false;
      this.pump();
    }, delay).unref();
  }

  private detach(): void {
    if (this.conn) this.conn.closeFlow(this.flowId);
    this.conn = undefined;
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.detach();
    this.listener.onEnd(this);
  }

  private fail(err: GatewayError): void {
    this.closed = true;
    this.client.outages.forget('read', this.segment.name);
    this.detach();
    this.listener.onFailed(this, err);
  }
}

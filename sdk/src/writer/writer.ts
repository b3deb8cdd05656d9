/**
 * The at-least-once writer (see sdk/SPEC.md "Writer"). The SDK owns the writer id and one
 * strictly increasing sequence number per event; the gateway maps them onto Pravega's own
 * de-duplication, so after any reconnect every unacknowledged event is simply sent again with
 * its original number. A write resolves only once the gateway reported Pravega's acknowledgement.
 */
import type { ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { ChannelHandler, Connection } from '../client/connection.js';
import { SluiceError } from '../errors.js';
import type { Serializer } from '../serializers/serializer.js';
import { backoffDelay, delay } from '../transport/backoff.js';

export type WriterMode = 'best-effort' | 'at-least-once' | 'exactly-once';

export interface WriterOptions<T> {
  serializer: Serializer<T>;
  /** Only 'at-least-once' for now; 'best-effort' and 'exactly-once' come with transactions. */
  mode?: WriterMode;
  /** The event router: a routing key per value (or pass one to write()). */
  routingKey?: (value: T) => string;
  /** A stable id keeps Pravega's de-duplication across restarts of this writer. Default: random. */
  writerId?: string;
  /** Unacknowledged bytes at most; write() waits beyond. Default: what the gateway allows. */
  maxInflightBytes?: number;
}

interface Pending {
  seq: number;
  payload: Uint8Array;
  key: string | undefined;
  resolve: () => void;
  reject: (e: SluiceError) => void;
}

const MAX_EVENTS_PER_FRAME = 1000;
const MAX_FRAME_PAYLOAD = 1024 * 1024 - 16 * 1024;
const MAX_EVENT_BYTES = 8 * 1024 * 1024;

export class EventWriter<T> implements AsyncDisposable {
  readonly writerId: string;
  private readonly channel: number;
  private opened = false;
  private everOpened = false;
  private nextSeq = 0;
  private readonly pending: Pending[] = [];
  /** pending[0 .. sent) have been sent on the current channel incarnation. */
  private sent = 0;
  private inflightBytes = 0;
  private maxInflight: number;
  private spaceWaiters: Array<() => void> = [];
  private flushScheduled = false;
  private failed: SluiceError | undefined;
  private closed = false;
  private reopenAttempt = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly conn: Connection,
    readonly stream: string,
    private readonly opts: WriterOptions<T>,
  ) {
    const mode = opts.mode ?? 'at-least-once';
    if (mode !== 'at-least-once') {
      throw new SluiceError('invalid-argument', `writer mode '${mode}' is not supported yet; use 'at-least-once'`);
    }
    this.writerId = opts.writerId ?? globalThis.crypto.randomUUID();
    this.maxInflight = opts.maxInflightBytes ?? 8 * 1024 * 1024;
    const handler: ChannelHandler = {
      onLive: () => this.open(),
      onFrame: (frame) => this.onFrame(frame),
      onDisconnected: () => this.onDisconnected(),
    };
    this.channel = conn.openChannel(handler);
  }

  /** Resolves when Pravega acknowledged the event. Pipelining many writes is fine. */
  async write(value: T, routingKey?: string): Promise<void> {
    if (this.closed) throw new SluiceError('invalid-argument', 'the writer is closed');
    if (this.failed) throw this.failed;
    const payload = this.opts.serializer.serialize(value);
    if (payload.length > MAX_EVENT_BYTES)
      throw new SluiceError('invalid-argument', `event of ${payload.length} bytes exceeds Pravega's 8 MiB limit`);
    const key = routingKey ?? this.opts.routingKey?.(value);
    while (this.inflightBytes > 0 && this.inflightBytes + payload.length > this.maxInflight) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      if (this.failed) throw this.failed;
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ seq: 0, payload, key, resolve, reject });
      this.inflightBytes += payload.length;
      this.scheduleFlush();
    });
  }

  /** Resolves when every write so far is acknowledged. */
  async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.pending.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.failed) throw this.failed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.conn.send({ case: 'closeChannel', value: { channel: this.channel } });
      this.conn.forgetChannel(this.channel);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- channel ---------------------------------------------------------------------------

  private open(): void {
    this.opened = false;
    this.sent = 0;
    this.conn.send({
      case: 'openWriter',
      value: { channel: this.channel, stream: this.stream, writerId: this.writerId },
    });
  }

  private onDisconnected(): void {
    this.opened = false;
    this.sent = 0;
  }

  private onFrame(frame: ServerFrame['kind']): void {
    switch (frame.case) {
      case 'writerOpened': {
        this.opened = true;
        this.reopenAttempt = 0;
        if (frame.value.maxInflightBytes > 0 && this.opts.maxInflightBytes === undefined)
          this.maxInflight = frame.value.maxInflightBytes;
        const last = Number(frame.value.lastSequence);
        if (!this.everOpened) {
          // A fresh writer starts above anything Pravega holds for this id, and above the
          // microsecond clock, so a restarted writer never reuses a number.
          this.nextSeq = Math.max(last + 1, Date.now() * 1000);
          this.everOpened = true;
        } else {
          this.nextSeq = Math.max(this.nextSeq, last + 1);
        }
        this.sent = 0; // resend everything unacknowledged, with its original number
        this.scheduleFlush();
        return;
      }
      case 'acked':
        this.acknowledge(Number(frame.value.throughSequence));
        return;
      case 'channelClosed': {
        this.opened = false;
        const error = frame.value.error
          ? SluiceError.fromWire(frame.value.error)
          : new SluiceError('cancelled', 'writer channel closed');
        if (error.retriable && !this.closed && this.conn.state !== 'closed') {
          void delay(backoffDelay(this.reopenAttempt++)).then(() => {
            if (this.conn.state === 'live' && !this.closed) this.open();
          });
          return;
        }
        this.fail(error);
        return;
      }
      default:
        return;
    }
  }

  private acknowledge(through: number): void {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.seq !== 0 && this.pending[n]!.seq <= through) {
      const p = this.pending[n]!;
      this.inflightBytes -= p.payload.length;
      p.resolve();
      n++;
    }
    if (n === 0) return;
    this.pending.splice(0, n);
    this.sent = Math.max(0, this.sent - n);
    for (const wake of this.spaceWaiters.splice(0)) wake();
    if (this.pending.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private fail(error: SluiceError): void {
    this.failed = error;
    for (const p of this.pending.splice(0)) p.reject(error);
    this.inflightBytes = 0;
    for (const wake of this.spaceWaiters.splice(0)) wake();
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.conn.forgetChannel(this.channel);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.sendPending();
    });
  }

  /** Sends what is not yet sent on this channel incarnation, many events per frame. */
  private sendPending(): void {
    if (!this.opened || this.conn.state !== 'live') return;
    const limit = Math.min(MAX_FRAME_PAYLOAD, this.conn.maxMessageBytes - 16 * 1024);
    while (this.sent < this.pending.length) {
      const start = this.sent;
      let bytes = 0;
      let end = start;
      while (end < this.pending.length && end - start < MAX_EVENTS_PER_FRAME) {
        const p = this.pending[end]!;
        const size = p.payload.length + 64;
        if (end > start && bytes + size > limit) break;
        if (p.seq === 0) p.seq = this.nextSeq++;
        // A frame carries consecutive numbers: a gap (after a reopen) starts a new frame.
        if (end > start && p.seq !== this.pending[start]!.seq + (end - start)) break;
        bytes += size;
        end++;
      }
      const batch = this.pending.slice(start, end);
      const ok = this.conn.send({
        case: 'append',
        value: {
          channel: this.channel,
          firstSequence: BigInt(batch[0]!.seq),
          events: batch.map((p) =>
            p.key === undefined ? { payload: p.payload } : { payload: p.payload, routingKey: p.key },
          ),
        },
      });
      if (!ok) return;
      this.sent = end;
    }
  }
}

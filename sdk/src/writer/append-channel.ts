/**
 * The append side shared by writers and transactions (see sdk/SPEC.md "Writer"): events get
 * strictly increasing sequence numbers, travel many to a frame, stay until an acknowledgement
 * covers them, and are sent again with their original numbers whenever the channel re-opens.
 */
import { Fifo } from '@sluice/proto/fifo.js';
import type { ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { ChannelHandler, Connection } from '../client/connection.js';
import { SluiceError } from '../errors.js';
import { encodeAppendFrame } from '../protocol/append-frame.js';
import type { ClientFrameKind } from '../protocol/frames.js';
import { backoffDelay, delay } from '../transport/backoff.js';

/** What the channel-specific part provides: its open frame, and what to do once opened. */
export interface ChannelKind {
  openFrame(channel: number): ClientFrameKind;
  /** The opened frame's case ('writerOpened' or 'txnOpened'). */
  readonly openedCase: 'writerOpened' | 'txnOpened';
  onOpened?(value: { lastSequence: bigint; maxInflightBytes: number; txnId?: string }): void;
  /** Called once when the channel fails for good. */
  onFailed?(error: SluiceError): void;
}

interface Pending {
  seq: number;
  /** When write() queued it (ms): the delivery timeout counts from here. */
  at: number;
  payload: Uint8Array;
  key: string | undefined;
  resolve: () => void;
  reject: (e: SluiceError) => void;
}

const MAX_EVENTS_PER_FRAME = 1000;
const MAX_FRAME_PAYLOAD = 1024 * 1024 - 16 * 1024;
const MAX_EVENT_BYTES = 8 * 1024 * 1024;

export class AppendChannel {
  readonly channel: number;
  private opened = false;
  private everOpened = false;
  private nextSeq = 0;
  private readonly pending: Pending[] = [];
  /** pending[0 .. sent) have been sent on the current channel incarnation. */
  private sent = 0;
  private inflightBytes = 0;
  /**
   * Writes that did not fit in the in-flight window, in call order. They are admitted in that
   * order as acknowledgements make room (only as many as fit: waking every waiter on every
   * acknowledgement cost time quadratic in the backlog), and a new write waits behind them.
   */
  private readonly blocked = new Fifo<Pending>();
  private idleWaiters: Array<() => void> = [];
  private openWaiters: Array<() => void> = [];
  private flushScheduled = false;
  private failed: SluiceError | undefined;
  private closed = false;
  private reopenAttempt = 0;
  private deliveryTimer: ReturnType<typeof setInterval> | undefined;
  private readonly allocateFrame = (size: number) => this.conn.frameBuffer(size);

  constructor(
    private readonly conn: Connection,
    private readonly kind: ChannelKind,
    private maxInflight: number,
    private readonly maxInflightFromGateway: boolean,
    /** A write unacknowledged this long fails the channel with `outcome-unknown` (0: never). */
    private readonly deliveryTimeoutMs = 0,
  ) {
    const handler: ChannelHandler = {
      onLive: () => this.open(),
      onFrame: (frame) => this.onFrame(frame),
      onDisconnected: () => this.onDisconnected(),
    };
    this.channel = conn.openChannel(handler);
  }

  get error(): SluiceError | undefined {
    return this.failed;
  }

  get unacknowledged(): number {
    return this.pending.length;
  }

  /** Resolves once the gateway opened the channel (or rejects with why it could not). */
  async whenOpened(): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.everOpened) await new Promise<void>((resolve) => this.openWaiters.push(resolve));
    if (this.failed) throw this.failed;
  }

  /** Queues one payload; resolves when Pravega acknowledged it (one promise per write: not `async`). */
  append(payload: Uint8Array, key: string | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new SluiceError('invalid-argument', 'the writer is closed'));
    if (this.failed) return Promise.reject(this.failed);
    if (payload.length > MAX_EVENT_BYTES)
      return Promise.reject(
        new SluiceError('invalid-argument', `event of ${payload.length} bytes exceeds Pravega's 8 MiB limit`),
      );
    return new Promise<void>((resolve, reject) => {
      const p: Pending = { seq: 0, at: 0, payload, key, resolve, reject };
      if (!this.blocked.isEmpty || !this.fits(payload.length)) this.blocked.push(p);
      else this.admit(p);
    });
  }

  private fits(bytes: number): boolean {
    return this.inflightBytes === 0 || this.inflightBytes + bytes <= this.maxInflight;
  }

  private admit(p: Pending): void {
    p.at = Date.now();
    this.pending.push(p);
    this.inflightBytes += p.payload.length;
    this.scheduleFlush();
    this.watchDelivery();
  }

  /** Admits blocked writes, oldest first, while they fit. */
  private admitBlocked(): void {
    while (!this.blocked.isEmpty && this.fits(this.blocked.peek()!.payload.length)) this.admit(this.blocked.shift()!);
  }

  /** Resolves when every append so far is acknowledged. */
  async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.pending.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.failed) throw this.failed;
  }

  /** Closes the channel (without flushing: callers flush first when they want to). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching();
    this.conn.send({ case: 'closeChannel', value: { channel: this.channel } });
    this.conn.forgetChannel(this.channel);
  }

  // ---- channel ---------------------------------------------------------------------------

  private open(): void {
    if (this.closed || this.failed) return;
    this.opened = false;
    this.sent = 0;
    this.conn.send(this.kind.openFrame(this.channel));
  }

  private onDisconnected(): void {
    this.opened = false;
    this.sent = 0;
  }

  private onFrame(frame: ServerFrame['kind']): void {
    if (frame.case === this.kind.openedCase && (frame.case === 'writerOpened' || frame.case === 'txnOpened')) {
      const value = frame.value;
      this.opened = true;
      this.reopenAttempt = 0;
      if (value.maxInflightBytes > 0 && this.maxInflightFromGateway) this.maxInflight = value.maxInflightBytes;
      this.admitBlocked();
      const last = Number(value.lastSequence);
      if (!this.everOpened) {
        // A fresh writer starts above anything Pravega holds for this id, and above the
        // microsecond clock, so a restarted writer never reuses a number.
        this.nextSeq = Math.max(last + 1, Date.now() * 1000);
        this.everOpened = true;
      } else {
        this.nextSeq = Math.max(this.nextSeq, last + 1);
      }
      this.kind.onOpened?.({
        lastSequence: value.lastSequence,
        maxInflightBytes: value.maxInflightBytes,
        ...('txnId' in value ? { txnId: value.txnId } : {}),
      });
      for (const wake of this.openWaiters.splice(0)) wake();
      this.sent = 0; // resend everything unacknowledged, with its original number
      this.scheduleFlush();
      return;
    }
    switch (frame.case) {
      case 'acked':
        this.acknowledge(Number(frame.value.throughSequence));
        return;
      case 'channelClosed': {
        this.opened = false;
        const error = frame.value.error
          ? SluiceError.fromWire(frame.value.error)
          : new SluiceError('cancelled', 'channel closed');
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
    this.admitBlocked();
    if (this.pending.length === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Fails the channel for good: pending appends reject with `error`. */
  fail(error: SluiceError): void {
    if (this.failed) return;
    this.failed = error;
    this.stopWatching();
    for (const p of this.pending.splice(0)) p.reject(error);
    for (const p of this.blocked.takeAll()) p.reject(error);
    this.inflightBytes = 0;
    for (const wake of [...this.idleWaiters.splice(0), ...this.openWaiters.splice(0)]) wake();
    this.conn.forgetChannel(this.channel);
    this.kind.onFailed?.(error);
  }

  /**
   * Bounds how long a write may stay unacknowledged (Pravega gone for good, not just a
   * reconnect): past the deadline nobody can say whether it was stored, so every pending write
   * rejects with `outcome-unknown` — never success — and the writer stops resending them.
   */
  private watchDelivery(): void {
    if (this.deliveryTimeoutMs <= 0 || this.deliveryTimer) return;
    this.deliveryTimer = setInterval(
      () => {
        const oldest = this.pending[0];
        if (!oldest) return this.stopWatching();
        const waited = Date.now() - oldest.at;
        if (waited < this.deliveryTimeoutMs) return;
        this.fail(
          new SluiceError(
            'outcome-unknown',
            `${this.pending.length} writes were not acknowledged within ${this.deliveryTimeoutMs} ms: they may or may not be stored`,
          ),
        );
      },
      Math.max(50, Math.min(1_000, this.deliveryTimeoutMs / 4)),
    );
  }

  private stopWatching(): void {
    if (this.deliveryTimer) clearInterval(this.deliveryTimer);
    this.deliveryTimer = undefined;
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
      const frame = encodeAppendFrame(
        this.channel,
        this.pending[start]!.seq,
        this.pending,
        start,
        end,
        this.allocateFrame,
      );
      if (!this.conn.sendEncoded(frame)) return;
      this.sent = end;
    }
  }
}

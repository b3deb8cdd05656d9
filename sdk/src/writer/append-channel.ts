/**
 * The append side shared by writers and transactions (see sdk/SPEC.md "Writer"): events get
 * strictly increasing sequence numbers, travel many to a frame (or, one too large for a message,
 * in AppendPart frames), stay until an acknowledgement covers them, and are sent again with their
 * original numbers whenever the channel re-opens. Every write settles: acknowledged, or rejected
 * with why — `outcome-unknown` for one that was sent and may be stored.
 */
import { Fifo } from '@sluice/proto/fifo.js';
import type { ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { ChannelHandler, Connection } from '../client/connection.js';
import { SluiceError } from '../errors.js';
import { encodeAppendFrame } from '../protocol/append-frame.js';
import { appendPartFrames, keyBytesAtMost, PART_OVERHEAD_BYTES } from '../protocol/append-parts.js';
import type { ClientFrameKind } from '../protocol/frames.js';
import { backoffDelay } from '../transport/backoff.js';
import { abortable, cancelled, type TimerHandle } from '../transport/timers.js';

/** What the channel-specific part provides: its open frame, and what to do once opened. */
export interface ChannelKind {
  openFrame(channel: number): ClientFrameKind;
  /** The opened frame's case ('writerOpened' or 'txnOpened'). */
  readonly openedCase: 'writerOpened' | 'txnOpened';
  onOpened?(value: { lastSequence: bigint; maxInflightBytes: number; txnId?: string }): void;
  /** Called once when the channel fails for good. */
  onFailed?(error: SluiceError): void;
}

export interface AppendChannelOptions {
  /** Unacknowledged bytes at most (the gateway's figure replaces it when `inflightFromGateway`). */
  maxInflightBytes: number;
  inflightFromGateway: boolean;
  /** A write unacknowledged this long fails the channel with `outcome-unknown` (0: never). */
  deliveryTimeoutMs: number;
  /**
   * Bytes held at most, in flight and waiting together; a write that would go past it rejects
   * with `resource-exhausted` (unless nothing is held: an event larger than the bound still
   * goes, alone). Undefined: writes wait for room instead, without bound (the caller holds
   * their promises).
   */
  maxBufferedBytes?: number | undefined;
}

interface Pending {
  /** 0 until first sent: a write with a number may be stored. */
  seq: number;
  /** When it was admitted (ms): the delivery timeout counts from here. */
  at: number;
  payload: Uint8Array;
  key: string | undefined;
  resolve: () => void;
  reject: (e: SluiceError) => void;
  /** Settled already (aborted): its acknowledgement is bookkeeping only. */
  settled: boolean;
  /** Withdrawn while waiting for room: skipped when its turn comes. */
  withdrawn: boolean;
  /**
   * Acknowledged above the cumulative level (an older write still waits, on a segment whose
   * store is failing over): resolved, its bytes freed, never sent again; it stays in `pending`
   * until the level passes it.
   */
  done: boolean;
  /** Removes the abort listener. */
  cleanup: (() => void) | undefined;
}

const MAX_EVENTS_PER_FRAME = 1000;
const MAX_FRAME_PAYLOAD = 1024 * 1024 - 16 * 1024;
/** Room for a frame's own fields and each event's tags next to the payloads. */
const EVENT_OVERHEAD_BYTES = 64;

export class AppendChannel {
  readonly channel: number;
  private opened = false;
  private everOpened = false;
  private nextSeq = 0;
  private readonly pending: Pending[] = [];
  /** pending[0 .. sent) have been sent on the current channel incarnation. */
  private sent = 0;
  private inflightBytes = 0;
  /** Entries of `pending` that are `done`. */
  private doneCount = 0;
  /**
   * Writes that did not fit in the in-flight window, in call order. They are admitted in that
   * order as acknowledgements make room (only as many as fit: waking every waiter on every
   * acknowledgement cost time quadratic in the backlog), and a new write waits behind them.
   */
  private readonly blocked = new Fifo<Pending>();
  private blockedBytes = 0;
  private idleWaiters: Array<() => void> = [];
  private openWaiters: Array<() => void> = [];
  private flushScheduled = false;
  private failed: SluiceError | undefined;
  private closed = false;
  private reopenAttempt = 0;
  private reopenTimer: TimerHandle | undefined;
  private deliveryTimer: TimerHandle | undefined;
  private maxInflight: number;
  private readonly allocateFrame = (size: number) => this.conn.frameBuffer(size);

  constructor(
    private readonly conn: Connection,
    private readonly kind: ChannelKind,
    private readonly options: AppendChannelOptions,
  ) {
    this.maxInflight = options.maxInflightBytes;
    const handler: ChannelHandler = {
      onLive: () => this.open(),
      onFrame: (frame) => this.onFrame(frame),
      onDisconnected: () => this.onDisconnected(),
      onClosed: (error) => this.end(error),
    };
    this.channel = conn.openChannel(handler);
  }

  get error(): SluiceError | undefined {
    return this.failed;
  }

  get unacknowledged(): number {
    return this.pending.length - this.doneCount;
  }

  /** Bytes held: in flight and waiting for room. */
  get bufferedBytes(): number {
    return this.inflightBytes + this.blockedBytes;
  }

  /** Resolves once the gateway opened the channel (or rejects with why it could not). */
  async whenOpened(signal?: AbortSignal): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.everOpened)
      await abortable(
        new Promise<void>((resolve) => this.openWaiters.push(resolve)),
        signal,
        'waiting for the channel to open',
      );
    if (this.failed) throw this.failed;
  }

  /** The largest payload this channel takes with the gateway's settings. */
  maxEventBytes(key?: string): number {
    if (this.conn.maxEventBytes > 0) return this.conn.maxEventBytes;
    // An older gateway: one Append frame holds the event.
    return this.frameLimit() - EVENT_OVERHEAD_BYTES - keyBytesAtMost(key);
  }

  /**
   * Why a write of `payload` would be refused at once, without touching the connection: the
   * writer is closed or failed, the event is larger than the gateway takes, or (with
   * `maxBufferedBytes`) the buffer is full. Undefined if it would be queued.
   */
  refusal(payload: Uint8Array, key: string | undefined): SluiceError | undefined {
    if (this.closed) return new SluiceError('invalid-argument', 'the writer is closed');
    if (this.failed) return this.failed;
    const size = payload.length;
    const limit = this.maxEventBytes(key);
    if (size > limit)
      return new SluiceError(
        'invalid-argument',
        `an event of ${size} bytes is larger than the gateway accepts (${limit} bytes${this.conn.maxEventBytes > 0 ? '' : ` in one message of at most ${this.conn.maxMessageBytes} bytes`})`,
      );
    const half = this.frameLimit() / 2;
    if (keyBytesAtMost(key) > half)
      return new SluiceError('invalid-argument', `a routing key of ${key!.length} characters is too long`);
    const bound = this.options.maxBufferedBytes;
    if (bound !== undefined && this.bufferedBytes > 0 && this.bufferedBytes + size > bound)
      return new SluiceError(
        'resource-exhausted',
        `the writer holds ${this.bufferedBytes} unacknowledged bytes; ${size} more would exceed maxBufferedBytes (${bound})`,
      );
    return undefined;
  }

  /**
   * Queues one payload; resolves when Pravega acknowledged it (one promise per write: not
   * `async`). `signal` withdraws a write not sent yet (`cancelled`, never stored); one already
   * sent stays in flight and rejects with `outcome-unknown`.
   */
  append(payload: Uint8Array, key: string | undefined, signal?: AbortSignal): Promise<void> {
    const refused = this.refusal(payload, key);
    if (refused) return Promise.reject(refused);
    if (signal?.aborted) return Promise.reject(cancelled(signal, 'the write'));
    const size = payload.length;
    return new Promise<void>((resolve, reject) => {
      const p: Pending = {
        seq: 0,
        at: 0,
        payload,
        key,
        resolve,
        reject,
        settled: false,
        withdrawn: false,
        done: false,
        cleanup: undefined,
      };
      if (signal) this.watchAbort(p, signal);
      if (!this.blocked.isEmpty || !this.fits(size)) {
        this.blocked.push(p);
        this.blockedBytes += size;
      } else this.admit(p);
    });
  }

  private watchAbort(p: Pending, signal: AbortSignal): void {
    const onAbort = () => {
      p.cleanup = undefined;
      if (p.settled) return;
      p.settled = true;
      if (p.seq !== 0) {
        p.reject(
          new SluiceError('outcome-unknown', 'the write was aborted after it was sent: it may be stored', {
            cause: signal.reason,
          }),
        );
        return;
      }
      p.reject(cancelled(signal, 'the write'));
      const waiting = this.pending.indexOf(p) < 0;
      if (waiting) {
        p.withdrawn = true;
        this.blockedBytes -= p.payload.length;
        this.admitBlocked(); // drops it if it was first in line
        if (this.pending.length === 0) this.wakeIdle();
        return;
      }
      // Admitted but not sent: it leaves the queue (everything unsent is after `sent`).
      this.pending.splice(this.pending.indexOf(p), 1);
      this.inflightBytes -= p.payload.length;
      this.admitBlocked();
      if (this.pending.length === 0) this.wakeIdle();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.cleanup = () => signal.removeEventListener('abort', onAbort);
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
    for (let next = this.blocked.peek(); next; next = this.blocked.peek()) {
      if (next.withdrawn) {
        this.blocked.shift();
        continue;
      }
      if (!this.fits(next.payload.length)) return;
      this.blocked.shift();
      this.blockedBytes -= next.payload.length;
      this.admit(next);
    }
  }

  /** Resolves when every append so far is acknowledged; `signal` stops the wait (not the writes). */
  async flush(signal?: AbortSignal): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.pending.length === 0 && this.blocked.isEmpty) return;
    await abortable(new Promise<void>((resolve) => this.idleWaiters.push(resolve)), signal, 'flush');
    if (this.failed) throw this.failed;
  }

  /**
   * Closes the channel (without flushing: callers flush first when they want to). Whatever is
   * still pending settles: `cancelled` if never sent, `outcome-unknown` if sent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.settleAll(new SluiceError('cancelled', 'the writer was closed with this write pending'));
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
    this.clearReopen();
  }

  private onFrame(frame: ServerFrame['kind']): void {
    if (frame.case === this.kind.openedCase && (frame.case === 'writerOpened' || frame.case === 'txnOpened')) {
      const value = frame.value;
      this.opened = true;
      this.reopenAttempt = 0;
      if (value.maxInflightBytes > 0 && this.options.inflightFromGateway) this.maxInflight = value.maxInflightBytes;
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
      case 'acked': {
        const { throughSequence, beyondFirst, beyondCount } = frame.value;
        this.acknowledge(Number(throughSequence));
        if (beyondFirst.length > 0) this.acknowledgeBeyond(beyondFirst, beyondCount);
        return;
      }
      case 'channelClosed': {
        this.opened = false;
        const error = frame.value.error
          ? SluiceError.fromWire(frame.value.error)
          : new SluiceError('cancelled', 'channel closed');
        if (error.retriable && !this.closed && this.conn.state !== 'closed') {
          this.clearReopen();
          this.reopenTimer = this.conn.timers.setTimeout(
            () => {
              this.reopenTimer = undefined;
              if (this.conn.state === 'live' && !this.closed) this.open();
            },
            backoffDelay(this.reopenAttempt++),
          );
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
      this.markDone(this.pending[n]!);
      n++;
    }
    if (n === 0) return;
    this.dropFront(n);
  }

  /**
   * Writes acknowledged above the cumulative level, as ranges of sequence numbers: each is
   * resolved and freed now (an older write may wait for its segment to find a new store); it
   * leaves the queue when the level passes it, and is not resent meanwhile.
   */
  private acknowledgeBeyond(firsts: readonly bigint[], counts: readonly number[]): void {
    // The numbered writes are a prefix of `pending`, in increasing order.
    const numbered = this.numberedCount();
    let freed = false;
    for (let r = 0; r < firsts.length; r++) {
      const first = Number(firsts[r]);
      const last = first + (counts[r] ?? 0) - 1;
      for (let i = this.indexOfSeq(first, numbered); i < numbered && this.pending[i]!.seq <= last; i++) {
        const p = this.pending[i]!;
        if (p.done) continue;
        this.markDone(p);
        freed = true;
      }
    }
    if (!freed) return;
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.done) n++;
    if (n > 0) this.dropFront(n);
    else this.admitBlocked();
  }

  /** Resolves `p` (unless settled already, e.g. aborted) and frees its bytes, once. */
  private markDone(p: Pending): void {
    if (p.done) return;
    p.done = true;
    this.doneCount++;
    this.inflightBytes -= p.payload.length;
    if (!p.settled) {
      p.settled = true;
      p.cleanup?.();
      p.resolve();
    }
  }

  /** The first `n` entries of `pending` are acknowledged: they leave the queue. */
  private dropFront(n: number): void {
    for (let i = 0; i < n; i++) if (this.pending[i]!.done) this.doneCount--;
    this.pending.splice(0, n);
    this.sent = Math.max(0, this.sent - n);
    // Done entries left at the front (acknowledged beyond an older level) go too.
    let more = 0;
    while (more < this.pending.length && this.pending[more]!.done && this.pending[more]!.seq !== 0) more++;
    if (more > 0) {
      this.doneCount -= more;
      this.pending.splice(0, more);
      this.sent = Math.max(0, this.sent - more);
    }
    this.admitBlocked();
    if (this.pending.length === 0) this.wakeIdle();
  }

  /** How many writes at the front of `pending` have a sequence number (were sent once). */
  private numberedCount(): number {
    let lo = 0;
    let hi = this.pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pending[mid]!.seq !== 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first numbered write with a sequence number ≥ `seq` (`numbered` if none). */
  private indexOfSeq(seq: number, numbered: number): number {
    let lo = 0;
    let hi = numbered;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pending[mid]!.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private wakeIdle(): void {
    if (this.blocked.isEmpty) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Fails the channel for good: pending appends reject with `error`. */
  fail(error: SluiceError): void {
    if (this.failed) return;
    this.failed = error;
    this.stopTimers();
    for (const p of this.pending.splice(0)) this.settle(p, error);
    for (const p of this.blocked.takeAll()) this.settle(p, error);
    this.doneCount = 0;
    this.inflightBytes = 0;
    this.blockedBytes = 0;
    this.wakeAll();
    this.conn.forgetChannel(this.channel);
    this.kind.onFailed?.(error);
  }

  /** The connection ended for good (client closed, or a fatal error). */
  private end(error: SluiceError): void {
    if (this.failed || this.closed) return;
    this.settleAll(error);
    this.kind.onFailed?.(error);
  }

  /** Settles everything pending with `error`, or `outcome-unknown` for what was sent. */
  private settleAll(error: SluiceError): void {
    this.failed ??= error;
    this.stopTimers();
    const unknown = new SluiceError(
      'outcome-unknown',
      `sent but not acknowledged when the channel ended (${error.message}): it may or may not be stored`,
      { cause: error },
    );
    for (const p of this.pending.splice(0)) this.settle(p, p.seq !== 0 ? unknown : error);
    for (const p of this.blocked.takeAll()) this.settle(p, error);
    this.doneCount = 0;
    this.inflightBytes = 0;
    this.blockedBytes = 0;
    this.wakeAll();
  }

  private settle(p: Pending, error: SluiceError): void {
    if (p.settled || p.withdrawn) return;
    p.settled = true;
    p.cleanup?.();
    p.reject(error);
  }

  private wakeAll(): void {
    for (const wake of [...this.idleWaiters.splice(0), ...this.openWaiters.splice(0)]) wake();
  }

  private stopTimers(): void {
    this.clearReopen();
    this.stopWatching();
  }

  private clearReopen(): void {
    if (this.reopenTimer !== undefined) this.conn.timers.clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
  }

  /**
   * Bounds how long a write may stay unacknowledged (Pravega gone for good, not just a
   * reconnect): past the deadline nobody can say whether it was stored, so every pending write
   * rejects with `outcome-unknown` — never success — and the writer stops resending them.
   */
  private watchDelivery(): void {
    const timeout = this.options.deliveryTimeoutMs;
    if (timeout <= 0 || this.deliveryTimer !== undefined) return;
    this.deliveryTimer = this.conn.timers.setInterval(
      () => {
        const oldest = this.pending[0];
        if (!oldest) return this.stopWatching();
        const waited = Date.now() - oldest.at;
        if (waited < timeout) return;
        this.fail(
          new SluiceError(
            'outcome-unknown',
            `${this.pending.length} writes were not acknowledged within ${timeout} ms: they may or may not be stored`,
          ),
        );
      },
      Math.max(50, Math.min(1_000, timeout / 4)),
    );
  }

  private stopWatching(): void {
    if (this.deliveryTimer !== undefined) this.conn.timers.clearInterval(this.deliveryTimer);
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

  /** Takes pending[index] (not sent on this socket) out of the queue and rejects it with `error`. */
  private refuseQueued(index: number, error: SluiceError): void {
    const [p] = this.pending.splice(index, 1);
    if (!p) return;
    this.inflightBytes -= p.payload.length;
    this.settle(p, error);
    this.admitBlocked();
    if (this.pending.length === 0) this.wakeIdle();
  }

  /** The largest frame this channel sends (the gateway's message limit, less room to spare). */
  private frameLimit(): number {
    return Math.min(MAX_FRAME_PAYLOAD, this.conn.maxMessageBytes - 16 * 1024);
  }

  /** Sends what is not yet sent on this channel incarnation, many events per frame. */
  private sendPending(): void {
    if (!this.opened || this.conn.state !== 'live') return;
    const limit = this.frameLimit();
    while (this.sent < this.pending.length) {
      const start = this.sent;
      const first = this.pending[start]!;
      if (first.done) {
        // Acknowledged already (above an older level): not sent again.
        this.sent = start + 1;
        continue;
      }
      const sentBefore = first.seq !== 0;
      if (first.seq === 0) first.seq = this.nextSeq++;
      if (first.payload.length + keyBytesAtMost(first.key) + PART_OVERHEAD_BYTES > limit) {
        if (this.conn.maxEventBytes === 0) {
          // Taken when the gateway took parts; this one (an older gateway behind the same URL) does not.
          const tooLarge = new SluiceError(
            'invalid-argument',
            `an event of ${first.payload.length} bytes is larger than this gateway accepts (one message of at most ${this.conn.maxMessageBytes} bytes)`,
          );
          this.refuseQueued(
            start,
            sentBefore
              ? new SluiceError('outcome-unknown', `${tooLarge.message}; it was sent before, to a gateway that took it`)
              : tooLarge,
          );
          continue;
        }
        // Too large for one message: in parts, back to back, nothing else of the channel between.
        for (const part of appendPartFrames(this.channel, first.seq, first.payload, first.key, limit))
          if (!this.conn.sendEncoded(part)) return;
        this.sent = start + 1;
        continue;
      }
      let bytes = 0;
      let end = start;
      while (end < this.pending.length && end - start < MAX_EVENTS_PER_FRAME) {
        const p = this.pending[end]!;
        if (p.done) break; // a gap in the numbers: the next frame starts after it
        const size = p.payload.length + keyBytesAtMost(p.key) + EVENT_OVERHEAD_BYTES;
        if (end > start && bytes + size > limit) break;
        if (p.seq === 0) p.seq = this.nextSeq++;
        // A frame carries consecutive numbers: a gap (after a reopen) starts a new frame.
        if (end > start && p.seq !== first.seq + (end - start)) break;
        bytes += size;
        end++;
      }
      const frame = encodeAppendFrame(this.channel, first.seq, this.pending, start, end, this.allocateFrame);
      if (!this.conn.sendEncoded(frame)) return;
      this.sent = end;
    }
  }
}

/**
 * A writer in one of the Flink connector's three modes:
 * - 'at-least-once' (default): `write()` resolves once Pravega acknowledged the event; after any
 *   reconnect unacknowledged events are resent with their original sequence numbers and Pravega's
 *   de-duplication drops what it already stored.
 * - 'best-effort': `write()` resolves once the event is queued; failures to store it are counted
 *   in `failedEvents` and reported to `onError`. The writer holds at most `maxBufferedBytes`: a
 *   write past it is refused at once — it rejects with `resource-exhausted` (and is counted and
 *   reported too), so a producer faster than Pravega learns to slow down instead of growing memory.
 * - 'exactly-once': events go into transactions (`beginTxn()`), committed by the gateway.
 */
import type { Connection } from '../client/connection.js';
import { SluiceError } from '../errors.js';
import type { Serializer } from '../serializers/serializer.js';
import { AppendChannel } from './append-channel.js';
import { Transaction } from './transaction.js';

export type WriterMode = 'best-effort' | 'at-least-once' | 'exactly-once';

export interface WriterOptions<T> {
  serializer: Serializer<T>;
  mode?: WriterMode;
  /** The event router: a routing key per value (or pass one to write()). */
  routingKey?: (value: T) => string;
  /** A stable id keeps Pravega's de-duplication across restarts of this writer. Default: random. */
  writerId?: string;
  /** Unacknowledged bytes at most; write() waits beyond. Default: what the gateway allows. */
  maxInflightBytes?: number;
  /**
   * best-effort: bytes held at most, in flight and waiting together (default 16 MiB). A write
   * that would go past it rejects with `resource-exhausted` and counts in `failedEvents`.
   */
  maxBufferedBytes?: number;
  /** best-effort: hears about events that could not be written. */
  onError?: (error: SluiceError) => void;
  /** exactly-once: the transaction lease (ms) the gateway asks Pravega for. */
  txnLeaseMs?: number;
  /**
   * A write not acknowledged within this many ms (e.g. Pravega down for good) rejects with
   * `outcome-unknown` — never success — and the writer fails for good. Default 120 s; 0: never.
   */
  deliveryTimeoutMs?: number;
  /**
   * Pravega's EventWriterConfig.automaticallyNoteTime: the gateway notes the time for this writer
   * every this many ms (at least 1000; Java's writer does every 5 s) — the gateway's clock, with
   * the position Pravega acknowledged. `noteTime()` is then refused, as in Java. Not for
   * exactly-once writers. Default: off.
   */
  autoNoteTimeMs?: number;
}

export const DEFAULT_DELIVERY_TIMEOUT_MS = 120_000;

const DEFAULT_INFLIGHT = 8 * 1024 * 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Per-call options of the writer's async methods. */
export interface CallOptions {
  signal?: AbortSignal;
}

export class EventWriter<T> implements AsyncDisposable {
  readonly writerId: string;
  readonly mode: WriterMode;
  /** best-effort: events that could not be written. */
  failedEvents = 0;
  private channel: AppendChannel | undefined;
  private closed = false;

  /** @internal A client makes writers (`client.writer()`). */
  constructor(
    private readonly conn: Connection,
    readonly stream: string,
    private readonly opts: WriterOptions<T>,
  ) {
    this.mode = opts.mode ?? 'at-least-once';
    if (!['best-effort', 'at-least-once', 'exactly-once'].includes(this.mode)) {
      throw new SluiceError('invalid-argument', `unknown writer mode '${this.mode}'`);
    }
    this.writerId = opts.writerId ?? globalThis.crypto.randomUUID();
    const autoNoteTimeMs = opts.autoNoteTimeMs ?? 0;
    if (
      autoNoteTimeMs !== 0 &&
      (this.mode === 'exactly-once' || !Number.isSafeInteger(autoNoteTimeMs) || autoNoteTimeMs < 1000)
    )
      throw new SluiceError(
        'invalid-argument',
        `autoNoteTimeMs is at least 1000 ms, and not for exactly-once writers (got ${autoNoteTimeMs}, ${this.mode})`,
      );
    if (this.mode !== 'exactly-once') {
      if (opts.maxBufferedBytes !== undefined && !(opts.maxBufferedBytes > 0))
        throw new SluiceError('invalid-argument', `maxBufferedBytes must be positive, got ${opts.maxBufferedBytes}`);
      this.channel = new AppendChannel(
        conn,
        {
          openedCase: 'writerOpened',
          openFrame: (channel) => ({
            case: 'openWriter',
            value: { channel, stream, writerId: this.writerId, autoNoteTimeMs },
          }),
        },
        {
          maxInflightBytes: opts.maxInflightBytes ?? DEFAULT_INFLIGHT,
          inflightFromGateway: opts.maxInflightBytes === undefined,
          deliveryTimeoutMs: opts.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
          maxBufferedBytes:
            this.mode === 'best-effort' ? (opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES) : undefined,
        },
      );
    }
  }

  /**
   * at-least-once: resolves when Pravega acknowledged it, rejects on any failure. best-effort:
   * resolves once accepted; a failure to store it goes to `onError` and `failedEvents`. Either
   * way a value the serializer or the routing key cannot take, an event larger than the gateway
   * accepts, a full best-effort buffer, or an exactly-once writer rejects at once, touching
   * nothing; nothing throws synchronously. `signal` withdraws a write not yet sent (`cancelled`);
   * one already sent may be stored (`outcome-unknown`). Not `async`: that wrapped the
   * acknowledgement's promise in another per write, and a writer with tens of thousands of
   * writes pending paid for them in GC.
   */
  write(value: T, routingKey?: string, options?: CallOptions): Promise<void> {
    const channel = this.channel;
    if (!channel)
      return Promise.reject(
        new SluiceError('invalid-argument', 'an exactly-once writer writes inside transactions: use beginTxn()'),
      );
    let payload: Uint8Array;
    let key: string | undefined;
    try {
      payload = this.opts.serializer.serialize(value);
      key = routingKey ?? this.opts.routingKey?.(value);
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = options?.signal;
    if (this.mode === 'at-least-once') return channel.append(payload, key, signal);
    const refused = channel.refusal(payload, key);
    if (refused) {
      this.reportFailure(refused);
      return Promise.reject(refused);
    }
    channel.append(payload, key, signal).catch((err: unknown) => {
      const error = SluiceError.from(err);
      if (!(signal?.aborted && error.code === 'cancelled')) this.reportFailure(error);
    });
    return Promise.resolve();
  }

  private reportFailure(error: SluiceError): void {
    this.failedEvents++;
    try {
      this.opts.onError?.(error);
    } catch {
      // the application's handler failing must not fail the writer
    }
  }

  /** Resolves when every write so far is acknowledged; `signal` stops the wait (not the writes). */
  async flush(options?: CallOptions): Promise<void> {
    await this.channel?.flush(options?.signal);
  }

  /** exactly-once: begins a Pravega transaction (resolves once it exists, with its id). */
  async beginTxn(options: { leaseMs?: number; signal?: AbortSignal } = {}): Promise<Transaction<T>> {
    if (this.mode !== 'exactly-once')
      throw new SluiceError('invalid-argument', "transactions need mode 'exactly-once'");
    if (this.closed) throw new SluiceError('invalid-argument', 'the writer is closed');
    const leaseMs = options.leaseMs ?? this.opts.txnLeaseMs;
    const tx = new Transaction<T>(this.conn, this.stream, { ...this.opts, writerId: this.writerId }, leaseMs);
    try {
      await tx.opened(options.signal);
    } catch (err) {
      tx.discard();
      throw err;
    }
    return tx;
  }

  /**
   * exactly-once: resumes writing into a transaction that is still open, begun by this or any
   * other client (another process, another tab, before a reload), from its id alone — Pravega's
   * TransactionalEventStreamWriter.getTxn. Rejects with `not-found` if Pravega does not know it,
   * `txn-aborted` or `invalid-argument` if it is no longer open.
   */
  async getTransaction(
    txnId: string,
    options: { leaseMs?: number; signal?: AbortSignal } = {},
  ): Promise<Transaction<T>> {
    if (this.mode !== 'exactly-once')
      throw new SluiceError('invalid-argument', "transactions need mode 'exactly-once'");
    if (this.closed) throw new SluiceError('invalid-argument', 'the writer is closed');
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(txnId))
      throw new SluiceError('invalid-argument', `"${txnId}" is not a transaction id`);
    const tx = new Transaction<T>(
      this.conn,
      this.stream,
      { ...this.opts, writerId: this.writerId },
      options.leaseMs ?? this.opts.txnLeaseMs,
      txnId.toLowerCase(),
    );
    try {
      await tx.opened(options.signal);
    } catch (err) {
      tx.discard();
      throw err;
    }
    return tx;
  }

  /**
   * Event time (Pravega's EventStreamWriter.noteTime): every event written so far has a time at
   * most `timestamp` (ms since the epoch). Waits for those writes to be acknowledged, then tells
   * Pravega's controller, with where this writer's events end in each segment; the controller
   * combines the times of all the stream's writers into watermarks that readers see as their
   * time window (`reader.timeWindow()`). A time below one this writer noted before is refused
   * (`invalid-argument`). Not for exactly-once writers (as in Java).
   */
  async noteTime(timestamp: number, options?: CallOptions): Promise<void> {
    const channel = this.channel;
    if (!channel) throw new SluiceError('invalid-argument', 'an exactly-once writer cannot note time');
    if (this.opts.autoNoteTimeMs)
      throw new SluiceError(
        'invalid-argument',
        'this writer notes time automatically (autoNoteTimeMs): noteTime is refused',
      );
    if (!Number.isSafeInteger(timestamp) || timestamp < 0)
      throw new SluiceError('invalid-argument', `a time is a non-negative integer of ms, got ${timestamp}`);
    await channel.whenOpened(options?.signal);
    await channel.flush(options?.signal);
    await this.conn.request(
      { case: 'noteTime', value: { channel: channel.channel, timestamp: BigInt(timestamp) } },
      options?.signal,
    );
  }

  /**
   * Waits until every write is acknowledged, then closes. `signal` stops the wait: the writer
   * closes at once and what is still pending rejects (`cancelled` if never sent, else
   * `outcome-unknown`), as does close().
   */
  async close(options?: CallOptions): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush(options);
    } finally {
      this.closed = true;
      this.channel?.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

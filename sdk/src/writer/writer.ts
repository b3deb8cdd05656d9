/**
 * A writer in one of the Flink connector's three modes:
 * - 'at-least-once' (default): `write()` resolves once Pravega acknowledged the event; after any
 *   reconnect unacknowledged events are resent with their original sequence numbers and Pravega's
 *   de-duplication drops what it already stored.
 * - 'best-effort': `write()` resolves once the event is queued (buffers stay bounded); failures
 *   are counted in `failedEvents` and reported to `onError`, never thrown at the caller.
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
  /** best-effort: hears about events that could not be written. */
  onError?: (error: SluiceError) => void;
  /** exactly-once: the transaction lease (ms) the gateway asks Pravega for. */
  txnLeaseMs?: number;
  /**
   * A write not acknowledged within this many ms (e.g. Pravega down for good) rejects with
   * `outcome-unknown` — never success — and the writer fails for good. Default 120 s; 0: never.
   */
  deliveryTimeoutMs?: number;
}

export const DEFAULT_DELIVERY_TIMEOUT_MS = 120_000;

const DEFAULT_INFLIGHT = 8 * 1024 * 1024;

export class EventWriter<T> implements AsyncDisposable {
  readonly writerId: string;
  readonly mode: WriterMode;
  /** best-effort: events that could not be written. */
  failedEvents = 0;
  private channel: AppendChannel | undefined;
  private closed = false;

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
    if (this.mode !== 'exactly-once') {
      this.channel = new AppendChannel(
        conn,
        {
          openedCase: 'writerOpened',
          openFrame: (channel) => ({ case: 'openWriter', value: { channel, stream, writerId: this.writerId } }),
        },
        opts.maxInflightBytes ?? DEFAULT_INFLIGHT,
        opts.maxInflightBytes === undefined,
        opts.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
      );
    }
  }

  /**
   * at-least-once: resolves when Pravega acknowledged it, rejects on any failure. best-effort:
   * resolves once accepted; a failure to store it goes to `onError` and `failedEvents`. Either
   * way a value the serializer or the routing key cannot take, or an exactly-once writer, rejects;
   * nothing throws synchronously. Not `async`: that wrapped the acknowledgement's promise in
   * another per write, and a writer with tens of thousands of writes pending paid for them in GC.
   */
  write(value: T, routingKey?: string): Promise<void> {
    if (!this.channel)
      return Promise.reject(
        new SluiceError('invalid-argument', 'an exactly-once writer writes inside transactions: use beginTxn()'),
      );
    let acked: Promise<void>;
    try {
      const payload = this.opts.serializer.serialize(value);
      acked = this.channel.append(payload, routingKey ?? this.opts.routingKey?.(value));
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.mode === 'at-least-once') return acked;
    acked.catch((err: unknown) => {
      this.failedEvents++;
      this.opts.onError?.(SluiceError.from(err));
    });
    return Promise.resolve();
  }

  /** Resolves when every write so far is acknowledged. */
  async flush(): Promise<void> {
    await this.channel?.flush();
  }

  /** exactly-once: begins a Pravega transaction (resolves once it exists, with its id). */
  async beginTxn(options: { leaseMs?: number } = {}): Promise<Transaction<T>> {
    if (this.mode !== 'exactly-once')
      throw new SluiceError('invalid-argument', "transactions need mode 'exactly-once'");
    if (this.closed) throw new SluiceError('invalid-argument', 'the writer is closed');
    const leaseMs = options.leaseMs ?? this.opts.txnLeaseMs;
    const tx = new Transaction<T>(this.conn, this.stream, this.opts, leaseMs);
    await tx.opened();
    return tx;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.channel?.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

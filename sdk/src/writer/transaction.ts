/**
 * One Pravega transaction, staged through the gateway (see sdk/SPEC.md "Transaction"):
 * write → prepare (every event durable inside the transaction: record `txnId` now) → commit
 * (resolves when Pravega reports it committed) or abort. A commit whose reply is lost is never
 * retried by writing again: the SDK asks for the transaction's status and acts on that.
 */
import type { Connection } from '../client/connection.js';
import { SluiceError } from '../errors.js';
import type { Serializer } from '../serializers/serializer.js';
import { backoffDelay } from '../transport/backoff.js';
import { sleep } from '../transport/timers.js';
import { AppendChannel } from './append-channel.js';

export type TxnStatus = 'open' | 'committing' | 'committed' | 'aborting' | 'aborted' | 'unknown';
/** Where this transaction stands on this client (`status`); `TxnStatus` is Pravega's view. */
export type TransactionState = 'open' | 'prepared' | 'committing' | 'committed' | 'aborted' | 'failed';

export class Transaction<T> implements AsyncDisposable {
  private state: TransactionState = 'open';
  private id = '';
  private readonly channel: AppendChannel;

  /** @internal A writer makes transactions (`beginTxn()`, `getTransaction()`). */
  constructor(
    private readonly conn: Connection,
    readonly stream: string,
    private readonly opts: {
      serializer: Serializer<T>;
      routingKey?: (value: T) => string;
      maxInflightBytes?: number;
      deliveryTimeoutMs?: number;
      /** The writer's id: a commit with a time is that writer's time to Pravega's controller. */
      writerId: string;
    },
    leaseMs: number | undefined,
    /** Resumes this open transaction (writer.getTransaction) instead of beginning one. */
    resumeId?: string,
  ) {
    this.id = resumeId ?? '';
    this.channel = new AppendChannel(
      conn,
      {
        openedCase: 'txnOpened',
        // The first open begins a transaction; a re-open after a reconnect resumes it by id.
        openFrame: (channel) => ({
          case: 'openTxn',
          value: { channel, stream, txnId: this.id, leaseMs: BigInt(leaseMs ?? 0) },
        }),
        onOpened: (v) => {
          if (v.txnId) this.id = v.txnId;
        },
      },
      {
        maxInflightBytes: opts.maxInflightBytes ?? 8 * 1024 * 1024,
        inflightFromGateway: opts.maxInflightBytes === undefined,
        deliveryTimeoutMs: opts.deliveryTimeoutMs ?? 120_000,
      },
    );
  }

  /** The Pravega transaction id (a UUID): record it with your checkpoint after prepare(). */
  get txnId(): string {
    return this.id;
  }

  get status(): TransactionState {
    return this.state;
  }

  /** @internal resolves once the gateway created (or resumed) the transaction. */
  opened(signal?: AbortSignal): Promise<void> {
    return this.channel.whenOpened(signal);
  }

  /** @internal drops the channel of a transaction that never got going (begin aborted or failed). */
  discard(): void {
    this.state = 'failed';
    this.channel.close();
  }

  /**
   * Resolves when the event is durable inside the transaction (invisible to readers until
   * commit). `signal` withdraws it if not sent yet.
   */
  write(value: T, routingKey?: string, options?: { signal?: AbortSignal }): Promise<void> {
    try {
      this.assertWritable();
      const payload = this.opts.serializer.serialize(value);
      return this.channel.append(payload, routingKey ?? this.opts.routingKey?.(value), options?.signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Every event written so far is durable in the transaction; `signal` stops the wait. */
  async prepare(signal?: AbortSignal): Promise<void> {
    this.assertWritable();
    await this.channel.flush(signal);
    this.state = 'prepared';
  }

  /**
   * Commits; resolves when Pravega reports the transaction committed. Idempotent. `timestamp`
   * (ms since the epoch) is Pravega's Transaction.commit(timestamp): every event of the
   * transaction has a time at most this, and once committed the controller notes it as the
   * writer's time at the transaction's end (readers see it in `reader.timeWindow()`). Takes the
   * options object or, as before, an AbortSignal.
   */
  async commit(options?: AbortSignal | { timestamp?: number; signal?: AbortSignal }): Promise<void> {
    const { timestamp, signal } = isSignal(options) ? { timestamp: undefined, signal: options } : (options ?? {});
    if (timestamp !== undefined && !(Number.isSafeInteger(timestamp) && timestamp >= 0))
      throw new SluiceError('invalid-argument', `a time is a non-negative integer of ms, got ${timestamp}`);
    if (this.state === 'committed') return;
    if (this.state === 'aborted') throw new SluiceError('txn-aborted', `transaction ${this.id} was aborted`);
    if (this.state === 'open') await this.prepare(signal);
    this.state = 'committing';
    try {
      const eventTime = timestamp !== undefined ? { timestamp, writerId: this.opts.writerId } : undefined;
      await commitTransaction(this.conn, this.stream, this.id, signal, eventTime);
      this.state = 'committed';
    } catch (err) {
      const e = SluiceError.from(err);
      if (e.code === 'txn-aborted') this.state = 'aborted';
      throw e;
    } finally {
      if (this.state !== 'committing') this.channel.close();
    }
  }

  async abort(signal?: AbortSignal): Promise<void> {
    if (this.state === 'aborted') return;
    if (this.state === 'committed')
      throw new SluiceError('invalid-argument', `transaction ${this.id} is already committed`);
    try {
      await this.conn.request({ case: 'abortTxn', value: { stream: this.stream, txnId: this.id } }, signal);
      this.state = 'aborted';
      this.channel.fail(new SluiceError('invalid-argument', `transaction ${this.id} was aborted`));
    } finally {
      this.channel.close();
    }
  }

  /**
   * `await using tx = …`: a transaction left neither committed nor aborted is aborted (if the
   * gateway cannot be asked now, Pravega aborts it when its lease runs out).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted' || this.state === 'committing') {
      this.channel.close();
      return;
    }
    if (this.conn.state !== 'live' || !this.id) {
      this.channel.close();
      return;
    }
    await this.abort().catch(() => {});
  }

  private assertWritable(): void {
    // The transaction's own state first: its channel is closed (cancelled) once it ended.
    if (this.state === 'committing' || this.state === 'committed') {
      throw new SluiceError('invalid-argument', `transaction ${this.id} is ${this.state}: no more writes`);
    }
    if (this.state === 'aborted') throw new SluiceError('invalid-argument', `transaction ${this.id} was aborted`);
    const failed = this.channel.error;
    if (failed) throw failed;
  }
}

/**
 * Commits a transaction by id and waits for "committed". If the reply is lost (socket gone), the
 * outcome is unknown: the status is asked once the session is back, and the commit repeated only
 * while the transaction is still open (commit is idempotent in Pravega anyway).
 */
function isSignal(x: unknown): x is AbortSignal {
  return typeof x === 'object' && x !== null && 'aborted' in x && 'addEventListener' in x;
}

/** Errors that settle a commit's fate; anything else leaves it unknown until Pravega says. */
const DEFINITE = new Set(['txn-aborted', 'not-found', 'invalid-argument', 'permission-denied', 'unauthenticated']);
const COMMIT_CONFIRM_MS = 60_000;

/**
 * Commits by id and resolves once Pravega reports the transaction committed. A failure that
 * leaves the outcome open (Pravega or the gateway unreachable) is resolved by asking for the
 * status; if that cannot be learnt within a minute the commit rejects with `outcome-unknown`
 * — never success — and `transactionStatus()` can tell later.
 */
export async function commitTransaction(
  conn: Connection,
  stream: string,
  txnId: string,
  signal?: AbortSignal,
  eventTime?: { timestamp: number; writerId: string },
): Promise<void> {
  const time = eventTime ? { timestamp: BigInt(eventTime.timestamp), writerId: eventTime.writerId } : {};
  const deadline = Date.now() + COMMIT_CONFIRM_MS;
  for (let attempt = 0; ; attempt++) {
    let cause: SluiceError;
    try {
      await conn.request({ case: 'commitTxn', value: { stream, txnId, ...time } }, signal);
      return;
    } catch (err) {
      cause = SluiceError.from(err);
      if (DEFINITE.has(cause.code) || signal?.aborted) throw cause;
    }
    let status: TxnStatus | undefined;
    try {
      status = await transactionStatus(conn, stream, txnId, signal, Math.max(0, deadline - Date.now()));
    } catch (err) {
      const e = SluiceError.from(err);
      if (DEFINITE.has(e.code) || signal?.aborted) throw e;
    }
    if (status === 'committed') return;
    if (status === undefined && conn.state === 'closed')
      throw new SluiceError(
        'outcome-unknown',
        `the client closed before the commit of transaction ${txnId} was confirmed; ask transactionStatus() later`,
        { cause },
      );
    if (status === 'aborting' || status === 'aborted')
      throw new SluiceError('txn-aborted', `transaction ${txnId} was aborted`);
    if (status === 'unknown')
      throw new SluiceError(
        'outcome-unknown',
        `transaction ${txnId}: Pravega no longer knows it; its outcome is unknown`,
      );
    if (Date.now() >= deadline)
      throw new SluiceError(
        'outcome-unknown',
        `the commit of transaction ${txnId} could not be confirmed (${cause.message}); ask transactionStatus() later`,
      );
    // open or committing (or not known yet): asking again is safe
    await sleep(conn.timers, backoffDelay(attempt), signal);
  }
}

export async function transactionStatus(
  conn: Connection,
  stream: string,
  txnId: string,
  signal?: AbortSignal,
  budgetMs = 30_000,
): Promise<TxnStatus> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await conn.request({ case: 'txnStatus', value: { stream, txnId } }, signal);
      return (r.case === 'txnState' ? r.value : 'unknown') as TxnStatus;
    } catch (err) {
      const e = SluiceError.from(err);
      // Unreachable for longer than the budget: say so rather than wait forever.
      if (e.code !== 'unavailable' || Date.now() >= deadline || conn.state === 'closed') throw e;
      await sleep(conn.timers, backoffDelay(attempt), signal);
      await conn.whenLive(signal);
    }
  }
}

/**
 * An end-to-end exactly-once pipeline, like a Flink job (see sdk/SPEC.md "Pipeline"):
 * read → process → emit into the current transaction; at each checkpoint: prepare the
 * transaction, save {reader position, transaction id, user state} in one store write, commit,
 * begin the next. On start it loads the last checkpoint, commits the transaction it recorded
 * (idempotent if already committed), and resumes the reader right after the checkpointed event.
 * A recorded transaction that Pravega aborted is a loud 'txn-aborted' naming the checkpoint.
 */
import type { CheckpointStore } from '../checkpoints/store.js';
import { SluiceError } from '../errors.js';
import { ReaderPosition } from '../reader/position.js';
import { CHECKPOINT_MARKER, type EventReader } from '../reader/reader.js';
import type { ReadEvent } from '../reader/reader-options.js';
import type { Transaction } from '../writer/transaction.js';
import type { EventWriter } from '../writer/writer.js';

export type Emit<O> = (value: O, routingKey?: string) => void;

export interface PipelineOptions<I, O, S = unknown> {
  from: EventReader<I>;
  /** An 'exactly-once' writer. */
  to: EventWriter<O>;
  process: (event: ReadEvent<I>, emit: Emit<O>, state: { value: S | undefined }) => void | Promise<void>;
  /** A checkpoint after this many events or this long, whichever comes first. */
  checkpointEvery?: { events?: number; ms?: number };
  /** Where checkpoints live; not used when `from` is a group reader (the group keeps them). */
  checkpoints?: CheckpointStore;
  /** The key under which this pipeline's checkpoints are stored (not used for group readers). */
  name?: string;
  /** Transaction lease (ms). */
  txnLeaseMs?: number;
  onCheckpoint?: (checkpoint: { id: number; txnId: string; events: number }) => void;
}

export class Pipeline<I, O, S = unknown> {
  private readonly state: { value: S | undefined } = { value: undefined };
  private checkpointId = 0;
  /** The transaction being filled, until a checkpoint records it (then recovery owns it). */
  private openTx: Transaction<O> | undefined;
  private checkpointing = false;

  /** @internal A client makes pipelines (`client.pipeline()`). */
  constructor(
    private readonly commitById: (stream: string, txnId: string, signal?: AbortSignal) => Promise<void>,
    private readonly statusById: (stream: string, txnId: string, signal?: AbortSignal) => Promise<string>,
    private readonly opts: PipelineOptions<I, O, S>,
  ) {
    if (opts.to.mode !== 'exactly-once')
      throw new SluiceError('invalid-argument', "a pipeline writes through an 'exactly-once' writer");
    if (!opts.from.isGroupReader && (!opts.checkpoints || !opts.name))
      throw new SluiceError('invalid-argument', 'a pipeline needs `checkpoints` and `name` (or a group reader)');
    // Positions move only together with a prepared transaction.
    opts.from.manualCheckpoints(opts.checkpointEvery?.ms ?? 5000);
  }

  /** The user state restored from the last checkpoint (after run() started), if any. */
  restoredState(): S | undefined {
    return this.state.value;
  }

  /**
   * Runs until the reader ends (then a last checkpoint) or `signal` aborts: then it stops at once,
   * even while waiting for an event, lets a checkpoint under way finish, aborts the transaction
   * of the batch not yet checkpointed (its events are read again on restart) and resolves.
   * Either way — and when it fails — the reader is closed and nothing of the run is left behind.
   */
  async run(signal?: AbortSignal): Promise<void> {
    const reader = this.opts.from;
    // Closing the reader ends its iteration, which is how a wait for the next event stops. Not
    // during a checkpoint: a group commit names the reader's channel, and the checkpoint must
    // end recorded or not, never half-way (the loop stops right after it).
    const onAbort = () => {
      if (!this.checkpointing) void reader.close();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) return;
      await this.recover(signal);
      await this.loop(signal);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      const tx = this.openTx;
      this.openTx = undefined;
      // Aborts it (or, if the gateway cannot be asked now, leaves it to its lease).
      if (tx) await tx[Symbol.asyncDispose]();
      await reader.close();
    }
  }

  private async loop(signal: AbortSignal | undefined): Promise<void> {
    const everyEvents = this.opts.checkpointEvery?.events ?? 1000;
    const everyMs = this.opts.checkpointEvery?.ms ?? 5000;
    let tx = await this.begin(signal);
    let writes: Promise<void>[] = [];
    let count = 0;
    let since = Date.now();
    const emit: Emit<O> = (value, routingKey) => {
      const written = tx.write(value, routingKey);
      // Awaited at the checkpoint; handled now so that a failure is never an unhandled rejection.
      written.catch(() => {});
      writes.push(written);
    };
    const iterator = this.opts.from.steps();
    try {
      for (;;) {
        const next = await iterator.next();
        if (signal?.aborted) return;
        if (next.done) return await this.checkpoint(tx, writes, count);
        if (next.value === CHECKPOINT_MARKER) {
          // A safe point while idle or when the group asks: commit what was processed (or, in a
          // group with nothing new, just check in so a group-wide checkpoint can complete).
          if (count === 0) {
            if (this.opts.from.checkpointRequested) await this.opts.from.checkpoint(this.stateOption());
            continue;
          }
        } else {
          await this.opts.process(next.value, emit, this.state);
          count++;
        }
        if (signal?.aborted) return;
        if (
          next.value === CHECKPOINT_MARKER ||
          count >= everyEvents ||
          Date.now() - since >= everyMs ||
          this.opts.from.checkpointRequested
        ) {
          await this.checkpoint(tx, writes, count);
          if (signal?.aborted) return;
          tx = await this.begin(signal);
          writes = [];
          count = 0;
          since = Date.now();
        }
      }
    } finally {
      await iterator.return(undefined);
    }
  }

  private async begin(signal: AbortSignal | undefined): Promise<Transaction<O>> {
    const tx = await this.opts.to.beginTxn({ ...this.txnOptions(), ...(signal ? { signal } : {}) });
    this.openTx = tx;
    return tx;
  }

  private stateOption(): { state?: unknown } {
    return this.state.value !== undefined ? { state: this.state.value } : {};
  }

  private txnOptions(): { leaseMs?: number } {
    return this.opts.txnLeaseMs === undefined ? {} : { leaseMs: this.opts.txnLeaseMs };
  }

  /**
   * Prepare, save atomically, commit. A crash between save and commit is repaired by recover();
   * from the save on, the transaction is the checkpoint's, never aborted by this run.
   */
  private async checkpoint(tx: Transaction<O>, writes: Promise<void>[], events: number): Promise<void> {
    this.checkpointing = true;
    try {
      await this.recordAndCommit(tx, writes, events);
    } finally {
      this.checkpointing = false;
    }
  }

  private async recordAndCommit(tx: Transaction<O>, writes: Promise<void>[], events: number): Promise<void> {
    await Promise.all(writes);
    await tx.prepare();
    const id = ++this.checkpointId;
    const txn = { stream: tx.stream, txnId: tx.txnId };
    if (this.opts.from.isGroupReader) {
      // One conditional update of the group: this reader's offsets, state and transaction.
      await this.opts.from.checkpoint({ ...this.stateOption(), txn });
    } else {
      await this.opts.checkpoints!.save(this.opts.name!, {
        id,
        position: this.opts.from.position().toJSON(),
        ...(this.state.value !== undefined ? { state: this.state.value } : {}),
        txn,
        savedAt: new Date().toISOString(),
      });
    }
    if (this.openTx === tx) this.openTx = undefined;
    await tx.commit();
    this.opts.onCheckpoint?.({ id, txnId: tx.txnId, events });
  }

  private async recover(signal: AbortSignal | undefined): Promise<void> {
    if (this.opts.from.isGroupReader) {
      const restored = await this.opts.from.restoredCommit(signal);
      this.state.value = restored?.state as S | undefined;
      // A recorded transaction is committed before anything else (idempotent if it already was).
      if (restored?.txn) await this.commitRecorded(restored.txn, 'the group reader’s last commit', signal);
      return;
    }
    const cp = await this.opts.checkpoints!.load(this.opts.name!);
    if (!cp) return;
    this.checkpointId = cp.id;
    this.state.value = cp.state as S | undefined;
    if (cp.txn)
      await this.commitRecorded(
        cp.txn,
        `checkpoint ${cp.id} of pipeline "${this.opts.name}" (saved ${cp.savedAt})`,
        signal,
      );
    this.opts.from.seek(ReaderPosition.fromJSON(cp.position));
  }

  /** Commits a transaction a checkpoint recorded; loud if Pravega aborted or forgot it. */
  private async commitRecorded(
    txn: { stream: string; txnId: string },
    where: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const status = await this.statusById(txn.stream, txn.txnId, signal);
    if (status === 'aborting' || status === 'aborted') {
      throw new SluiceError(
        'txn-aborted',
        `${where} recorded transaction ${txn.txnId}, which Pravega aborted (lease expired?): that checkpoint's output is lost`,
      );
    }
    if (status === 'unknown') {
      throw new SluiceError(
        'outcome-unknown',
        `${where} recorded transaction ${txn.txnId}, which Pravega does not know`,
      );
    }
    if (status !== 'committed') await this.commitById(txn.stream, txn.txnId, signal);
  }
}

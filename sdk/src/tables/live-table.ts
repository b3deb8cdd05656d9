/**
 * A live table: the latest value per key, with a snapshot and then every change as an
 * AsyncIterable, fed by a source (live-source.ts). Of a stream: an event replaces its key's value,
 * a tombstone deletes it, and a checkpoint holds the table and the position right after the last
 * event it applied, in one save (IndexedDB: one transaction), so a restored table continues from
 * exactly there: nothing is read again and no event is applied twice. Of a key-value table
 * (kvt-source.ts): its snapshot, then its changes as polling finds them; no checkpoints (the
 * key-value table is its own state).
 */
import type { CheckpointStore } from '../checkpoints/store.js';
import { SluiceError } from '../errors.js';
import { ReaderPosition } from '../reader/position.js';
import type { ReadEvent, ReaderOptions } from '../reader/reader-options.js';
import type { Serializer } from '../serializers/serializer.js';
import type { LiveSource } from './live-source.js';
import { LiveState, type LiveTableChange } from './live-state.js';

export type { LiveTableChange } from './live-state.js';

export interface LiveTableOptions<T> extends LiveTableSettings<T> {
  /** The key an event belongs to. */
  key: (event: ReadEvent<T>) => string;
  serializer: Serializer<T>;
  /** A deletion (default: the value is null or undefined, e.g. JSON `null`). */
  isTombstone?: (event: ReadEvent<T>) => boolean;
}

/** What a live table needs whatever feeds it (a stream-fed table takes all of it). */
export interface LiveTableSettings<T> {
  /** Values in a checkpoint go through it (needed with `checkpoints`). */
  serializer?: Serializer<T>;
  /** Where to start when no checkpoint exists (default: the head). */
  from?: ReaderOptions<T>['from'];
  /** Where the table is checkpointed; without one it starts over from `from` every time. */
  checkpoints?: CheckpointStore;
  /** The checkpoint's key in the store (default "table:<scope/stream>"). */
  name?: string;
  /**
   * At most this many keys (default 100,000). An event that would add one more fails the table
   * with `resource-exhausted` (its iterations throw it); nothing is evicted silently.
   */
  maxKeys?: number;
  /** Checkpoint this often while changes happen (ms; default 5000; 0: only `checkpoint()`). */
  checkpointEveryMs?: number;
  /** Changes a slow `changes()` consumer may have pending before the table stops reading (default 1000). */
  maxPendingChanges?: number;
}

interface Subscriber<T> {
  queue: LiveTableChange<T>[];
  wake: (() => void) | undefined;
  roomWaiters: Array<() => void>;
  done: boolean;
}

export class LiveTable<T> implements AsyncDisposable {
  private readonly state: LiveState<T>;
  private readonly subscribers = new Set<Subscriber<T>>();
  private readonly checkpointName: string;
  private readonly ready: Promise<void>;
  private source: LiveSource<T> | undefined;
  private lastPosition: ReaderPosition | undefined;
  private checkpointId = 0;
  private dirty = false;
  private applied = 0;
  private failure: SluiceError | undefined;
  private closed = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private pumping: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();

  /** @internal */
  constructor(
    private readonly open: (from: ReaderOptions<T>['from']) => LiveSource<T>,
    /** scope/name of the stream (or key-value table) that feeds it. */
    readonly stream: string,
    private readonly opts: LiveTableSettings<T>,
  ) {
    this.state = new LiveState<T>(opts.maxKeys ?? 100_000);
    this.checkpointName = opts.name ?? `table:${stream}`;
    this.ready = this.start();
    this.ready.catch(() => {});
  }

  private async start(): Promise<void> {
    let from = this.opts.from;
    const store = this.opts.checkpoints;
    if (store) {
      const cp = await store.load(this.checkpointName);
      if (cp) {
        this.state.restore(cp.state, this.serializer(), this.checkpointName);
        this.checkpointId = cp.id;
        from = ReaderPosition.fromJSON(cp.position);
      }
    }
    if (this.closed) return;
    const source = this.open(from);
    this.source = source;
    this.pumping = this.pump(source);
    if (source.firstPass) await Promise.race([source.firstPass, this.pumping]).catch(() => {});
    if (this.failure) throw this.failure;
    const every = this.opts.checkpointEveryMs ?? 5000;
    if (store && every > 0) {
      this.timer = setInterval(() => {
        if (this.dirty) this.checkpoint().catch(() => {});
      }, every);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /**
   * Resolves once a checkpoint (if any) is restored and reading has started; fed by a key-value
   * table, once its snapshot (the first pass) is applied.
   */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Events this instance applied (a restored table counts only those after its checkpoint). */
  get eventsApplied(): number {
    return this.applied;
  }

  get size(): number {
    return this.state.entries.size;
  }

  get(key: string): T | undefined {
    return this.state.entries.get(key);
  }

  /** A copy of the table as it is now. */
  snapshot(): Map<string, T> {
    return new Map(this.state.entries);
  }

  /**
   * Every change from the moment of this call (take `snapshot()` just before, in the same
   * synchronous step, to have the table and then each change with nothing missed or repeated).
   * A consumer that falls `maxPendingChanges` behind holds the table's reading back.
   */
  changes(): AsyncIterable<LiveTableChange<T>> {
    const sub: Subscriber<T> = { queue: [], wake: undefined, roomWaiters: [], done: false };
    this.subscribers.add(sub);
    const leave = () => {
      sub.done = true;
      this.subscribers.delete(sub);
      for (const w of sub.roomWaiters.splice(0)) w();
    };
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const next = sub.queue.shift();
            if (next) {
              sub.roomWaiters.shift()?.();
              yield next;
              continue;
            }
            if (self.failure) throw self.failure;
            if (self.closed || sub.done) return;
            await new Promise<void>((resolve) => {
              sub.wake = resolve;
            });
            sub.wake = undefined;
          }
        } finally {
          leave();
        }
      },
    };
  }

  private serializer(): Serializer<T> {
    if (!this.opts.serializer)
      throw new SluiceError('invalid-argument', 'a live table with checkpoints needs a `serializer`');
    return this.opts.serializer;
  }

  private async pump(source: LiveSource<T>): Promise<void> {
    const limit = this.opts.maxPendingChanges ?? 1000;
    try {
      for await (const update of source) {
        const change = this.state.apply(update.key, update.value);
        // The table and the position move together, in one synchronous step.
        this.lastPosition = update.position;
        this.applied++;
        this.dirty = true;
        if (!change) continue;
        for (const sub of this.subscribers) {
          while (sub.queue.length >= limit && !sub.done) await new Promise<void>((r) => sub.roomWaiters.push(r));
          if (sub.done) continue;
          sub.queue.push(change);
          sub.wake?.();
        }
      }
    } catch (err) {
      if (!this.closed) this.fail(SluiceError.from(err));
    }
  }

  private fail(err: SluiceError): void {
    this.failure ??= err;
    for (const sub of this.subscribers) sub.wake?.();
    void this.source?.close();
  }

  /**
   * Saves the table with the position right after the last event it applied, in one write.
   * Resolves at once when nothing changed since the last checkpoint.
   */
  async checkpoint(): Promise<void> {
    const store = this.opts.checkpoints;
    if (!store)
      throw new SluiceError('invalid-argument', 'this live table has no checkpoint store (option `checkpoints`)');
    await this.ready;
    if (!this.source?.positioned)
      throw new SluiceError('invalid-argument', 'a live table fed by a key-value table has no position to checkpoint');
    const run = this.saving.then(async () => {
      if (!this.dirty || !this.lastPosition) return;
      // Taken in one synchronous step: the state and the position of the same moment.
      const checkpoint = {
        id: this.checkpointId + 1,
        position: this.lastPosition.toJSON(),
        state: this.state.toJSON(this.serializer()),
        savedAt: new Date().toISOString(),
      };
      this.dirty = false;
      try {
        await store.save(this.checkpointName, checkpoint);
        this.checkpointId = checkpoint.id;
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    });
    this.saving = run.catch(() => {});
    return run;
  }

  /** Stops reading (without a last checkpoint: call `checkpoint()` first to keep the latest). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    // Before waiting for ready: a key-value table's first pass may be under way, and ready waits
    // for it. (A source not opened yet never will be: start() checks `closed` just before.)
    await this.source?.close();
    await this.ready.catch(() => {});
    await this.pumping;
    await this.saving;
    for (const sub of this.subscribers) sub.wake?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * A reader: an AsyncIterable of events with their positions (see sdk/SPEC.md "Reader"). The
 * gateway sends only what the reader's credit allows; the reader tops credit up as the
 * application consumes, so memory stays bounded. Position changes (segment finished, truncation)
 * arrive in order with the events and apply when the application reaches them. After a socket
 * loss the reader drops what it buffered and re-opens from the position of the last event it
 * handed out: nothing skipped, nothing twice.
 */
import { Fifo } from '@sluice/proto/fifo.js';
import type { ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { CheckpointStore } from '../checkpoints/store.js';
import type { ChannelHandler, Connection } from '../client/connection.js';
import { SluiceError, type Truncation } from '../errors.js';
import { type TimeWindow, TimeWindowTracker } from '../event-time/time-window.js';
import { RunEvents } from '../protocol/event-runs.js';
import type { Serializer } from '../serializers/serializer.js';
import { StreamCut } from '../stream-cut.js';
import { backoffDelay } from '../transport/backoff.js';
import { abortable, type TimerHandle } from '../transport/timers.js';
import { type CutFrame, endCutFrames, fixEndCuts } from './end-bound.js';
import { copyStreams, ReaderPosition, type StreamPositionState } from './position.js';

export interface ReadEvent<T> {
  value: T;
  /** "scope/stream" */
  stream: string;
  segment: bigint;
  /** Offset of this event in its segment. */
  offset: bigint;
  /** Where a reader re-opened from this position continues: right after this event. */
  position: ReaderPosition;
}

export interface ReaderOptions<T> {
  serializer: Serializer<T>;
  /** Where to start: head (default), tail, a stream cut (one per stream), or a saved position. */
  from?: 'head' | 'tail' | StreamCut | StreamCut[] | ReaderPosition;
  /** Iteration ends at this cut (per stream). */
  to?: StreamCut | StreamCut[];
  /** Credit window: events and bytes the gateway may send ahead of consumption. */
  creditEvents?: number;
  creditBytes?: number;
  /**
   * Where checkpoints live; the reader resumes from the last one (and `from` applies only when
   * there is none). Default: none (positions are then yours to keep, see `position()`).
   */
  checkpoints?: CheckpointStore;
  /** @internal a batch read (see client.readBatch). */
  batch?: boolean;
  /** @internal a range read (see client.readRange): only the segments of `from`, each up to `to`. */
  range?: boolean;
  /**
   * A reader group ("name" or "scope/name"): readers sharing it split the segments between
   * them, and the group's state (who reads what, committed offsets, checkpoints) lives in
   * Pravega. `checkpoint()` then commits to the group; `checkpoints` is not used.
   */
  group?: string;
  /** Group readers: a stable id lets a restarted reader resume its segments and state. Default: random. */
  readerId?: string;
  /** Group readers: a reader silent this long loses its segments (set when the group is created). Default 30 s. */
  groupTimeoutMs?: number;
  /**
   * Group readers: commit the position this often (ms) and whenever the group asks for a
   * checkpoint; 0 leaves every commit to `checkpoint()` (exactly-once pipelines). Default 10 s.
   */
  autoCheckpointMs?: number;
  /**
   * Accepts data truncated away below the reader's position: called with where reading resumed.
   * Without it such a reader fails with a `truncated` error (nothing is skipped silently).
   */
  onTruncated?: (info: Truncation) => void;
}

type Item =
  /** A frame's runs of events: taken an event at a time (`events` is at the one being taken). */
  | { kind: 'events'; events: RunEvents }
  | {
      kind: 'changed';
      streamIndex: number;
      finished: bigint;
      /** The finished segment stays at its end offset (a successor waits for other predecessors). */
      held: boolean;
      released: bigint[];
      started: Array<[bigint, bigint]>;
      future: Array<[bigint, bigint[]]>;
    }
  | { kind: 'truncated'; streamIndex: number; segment: bigint; requested: bigint; resumed: bigint }
  | { kind: 'assigned'; streamIndex: number; acquired: Array<[bigint, bigint]> }
  | { kind: 'end' }
  | { kind: 'marker' };

/** @internal What `steps()` yields when it is a safe point to checkpoint. */
export const CHECKPOINT_MARKER = Symbol('checkpoint');

/** What a group reader's last commit recorded, restored when the same reader id returns. */
export interface GroupRestored {
  state?: unknown;
  txn?: { stream: string; txnId: string };
}

export class EventReader<T> implements AsyncIterable<ReadEvent<T>>, AsyncDisposable {
  private channel: number;
  private readonly handler: ChannelHandler;
  private readonly creditEvents: number;
  private readonly creditBytes: number;
  private state: Map<string, StreamPositionState> | undefined;
  private queue = new Fifo<Item>();
  private consumedEvents = 0;
  private consumedBytes = 0;
  private waiter: (() => void) | undefined;
  private error: SluiceError | undefined;
  private ended = false;
  private closed = false;
  private reopenAttempt = 0;
  private readonly openedOnce: Promise<void>;
  private readonly loaded: Promise<void>;
  private restored: unknown;
  private checkpointId = 0;
  private markOpened: () => void = () => {};
  /** Resolves when the reader is closed (see `untilOpened`). */
  private readonly closedOnce: Promise<void>;
  private markClosed: () => void = () => {};
  private reopenTimer: TimerHandle | undefined;
  /** The `to` cuts as fixed before the first open (end-bound.ts); every open sends these. */
  private endCuts: CutFrame[] | undefined;
  private fixingEnd = false;
  // ---- reader groups
  readonly readerId: string | undefined;
  private groupRestored: GroupRestored | undefined;
  /** Segments read to their end since the last commit (per stream name). */
  private finished: Array<{ stream: string; segmentId: bigint }> = [];
  private joined = false;
  /**
   * The channel is open on the current session. After a reconnect the connection is live a moment
   * before the reader's channel is reopened; a group commit sent in between would name a channel
   * the (new) gateway does not know.
   */
  private channelOpen = false;
  private commitDue = false;
  private committing: Promise<void> | undefined;
  private autoTimer: TimerHandle | undefined;
  private autoCheckpointMs: number;
  private markersWanted = false;
  private markerDue = false;
  /**
   * An immutable copy of `state` shared by the positions of the events handed out since it was
   * taken: `state` has changed since only in `snapshotStream`'s `snapshotSegment` offset. Every
   * other change to `state` in place drops it; replacing `state` makes `snapshotOf` differ.
   */
  private snapshot: Map<string, StreamPositionState> | undefined;
  private snapshotOf: Map<string, StreamPositionState> | undefined;
  private snapshotStream = '';
  private snapshotSegment = 0n;

  constructor(
    private readonly conn: Connection,
    readonly streams: string[],
    private readonly opts: ReaderOptions<T>,
  ) {
    this.creditEvents = opts.creditEvents ?? 2000;
    this.creditBytes = opts.creditBytes ?? 2 * 1024 * 1024;
    const from = opts.from;
    if (from instanceof ReaderPosition)
      this.state = ReaderPosition.copyOf(from.streams).streams as Map<string, StreamPositionState>;
    this.openedOnce = new Promise((resolve) => {
      this.markOpened = resolve;
    });
    this.closedOnce = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    this.readerId = opts.group ? (opts.readerId ?? crypto.randomUUID()) : undefined;
    this.autoCheckpointMs = opts.group ? (opts.autoCheckpointMs ?? 10_000) : 0;
    if (opts.group && (opts.to !== undefined || opts.batch))
      throw new SluiceError('invalid-argument', 'a reader group reads unbounded streams (no `to` cut)');
    this.loaded = opts.group ? Promise.resolve() : this.loadCheckpoint();
    this.handler = {
      onLive: () => void this.loaded.then(() => this.openWithEnd()),
      onFrame: (frame) => this.onFrame(frame),
      onDisconnected: () => this.onDisconnected(),
      onClosed: (error) => this.onConnectionClosed(error),
    };
    this.channel = conn.openChannel(this.handler);
  }

  private get checkpointKey(): string {
    return this.opts.group ?? this.streams.join(',');
  }

  private async loadCheckpoint(): Promise<void> {
    const store = this.opts.checkpoints;
    if (!store) return;
    try {
      const cp = await store.load(this.checkpointKey);
      if (!cp) return;
      this.state = ReaderPosition.copyOf(ReaderPosition.fromJSON(cp.position).streams).streams as Map<
        string,
        StreamPositionState
      >;
      this.restored = cp.state;
      this.checkpointId = cp.id;
    } catch (err) {
      // A corrupt checkpoint is an error, never a silent restart from the head.
      this.error = SluiceError.from(err);
      this.closed = true;
      this.wake();
    }
  }

  /**
   * Saves the position after the last event handed out together with `state`, atomically; a reader
   * opened later on the same store resumes right after that event.
   */
  async checkpoint(
    options: { state?: unknown; txn?: { stream: string; txnId: string }; signal?: AbortSignal } = {},
  ): Promise<void> {
    if (this.opts.group) return this.commitToGroup(options);
    const store = this.opts.checkpoints;
    if (!store) throw new SluiceError('invalid-argument', 'this reader has no checkpoint store (option `checkpoints`)');
    await this.loaded;
    await this.untilOpened(options.signal);
    await store.save(this.checkpointKey, {
      id: ++this.checkpointId,
      position: this.position().toJSON(),
      ...(options.state !== undefined ? { state: options.state } : {}),
      savedAt: new Date().toISOString(),
    });
  }

  /** The user state of the checkpoint this reader resumed from, if any. */
  async restoredState<S = unknown>(signal?: AbortSignal): Promise<S | undefined> {
    await this.loaded;
    if (this.opts.group) {
      await this.untilOpened(signal);
      if (this.error) throw this.error;
      return this.groupRestored?.state as S | undefined;
    }
    if (this.error) throw this.error;
    return this.restored as S | undefined;
  }

  /** Group readers: the state and transaction of this reader id's last commit, if any. */
  async restoredCommit(signal?: AbortSignal): Promise<GroupRestored | undefined> {
    await this.untilOpened(signal);
    if (this.error) throw this.error;
    return this.groupRestored;
  }

  /** True for a reader in a reader group. */
  get isGroupReader(): boolean {
    return this.opts.group !== undefined;
  }

  /**
   * @internal Pipelines commit only with their transactions: no automatic commits; instead
   * `steps()` yields a checkpoint marker every `everyMs` and when the group asks for one, even
   * while no event arrives.
   */
  manualCheckpoints(everyMs: number): void {
    this.autoCheckpointMs = 0;
    if (this.autoTimer !== undefined) this.conn.timers.clearInterval(this.autoTimer);
    this.markersWanted = true;
    this.autoTimer = this.conn.timers.setInterval(() => {
      this.markerDue = true;
      this.wake();
    }, everyMs);
  }

  /** @internal Events, and checkpoint markers at safe points (see manualCheckpoints). */
  async *steps(): AsyncGenerator<ReadEvent<T> | typeof CHECKPOINT_MARKER> {
    try {
      for (;;) {
        const item = this.nextReady() ?? (await this.nextItem());
        if (!item) return;
        if (item.kind === 'marker') yield CHECKPOINT_MARKER;
        else {
          const ev = this.apply(item);
          if (ev) yield ev;
        }
      }
    } finally {
      await this.close();
    }
  }

  /** Group readers: the group asked for a checkpoint that this reader has not committed yet. */
  get checkpointRequested(): boolean {
    return this.commitDue;
  }

  /**
   * Commits the position after the last event handed out (and `state`, `txn`) to the group, in
   * one conditional update of the group's state in Pravega. Segments the group hands to other
   * readers at this point stop here. Rejects with `reassigned` if the group has moved on.
   */
  private async commitToGroup(options: {
    state?: unknown;
    txn?: { stream: string; txnId: string };
    signal?: AbortSignal;
  }): Promise<void> {
    await this.untilOpened(options.signal);
    if (this.error) throw this.error;
    if (!this.channelOpen)
      throw new SluiceError('unavailable', 'the reader is reopening after a reconnect: commit again once it is open');
    while (this.committing) await this.committing.catch(() => {});
    const finished = [...this.finished];
    const position = this.position();
    const run = (async () => {
      const reply = await this.conn.request({
        case: 'groupCommit',
        value: {
          channel: this.channel,
          position: { streams: positionFrame(position) },
          finished: finished.map((f) => ({ stream: f.stream, segmentId: f.segmentId, offset: 0n })),
          stateJson: options.state === undefined ? '' : JSON.stringify(options.state),
          ...(options.txn ? { txn: { stream: options.txn.stream, txnId: options.txn.txnId } } : {}),
        },
      });
      if (reply.case !== 'groupCommitted') throw new SluiceError('internal', 'unexpected reply to a group commit');
      this.finished = this.finished.filter((f) => !finished.includes(f));
      for (const r of reply.value.released) this.state?.get(r.stream)?.segments.delete(r.segmentId);
      this.snapshot = undefined;
      this.commitDue = false;
    })();
    this.committing = run;
    try {
      await run;
    } finally {
      if (this.committing === run) this.committing = undefined;
    }
  }

  /** Moves the reader to `position` (e.g. a restored checkpoint): nothing before it is delivered. */
  seek(position: ReaderPosition): void {
    for (const name of this.streams) {
      if (!position.streams.has(name))
        throw new SluiceError('invalid-argument', `the position has no entry for ${name}`);
    }
    this.state = ReaderPosition.copyOf(position.streams).streams as Map<string, StreamPositionState>;
    this.queue = new Fifo();
    this.ended = false;
    this.error = undefined;
    this.conn.send({ case: 'closeChannel', value: { channel: this.channel } });
    this.conn.forgetChannel(this.channel);
    this.channel = this.conn.openChannel(this.handler);
  }

  /** Unread bytes after the last event handed out (for segments that exist now). */
  async lag(signal?: AbortSignal): Promise<bigint> {
    await this.untilOpened(signal);
    const streams = [...this.position().streams].map(([stream, s]) => ({
      stream,
      segments: [...s.segments].map(([segmentId, offset]) => ({ segmentId, offset })),
      future: [...s.future].map(([segmentId, waitingFor]) => ({ segmentId, waitingFor })),
    }));
    const r = await this.conn.request({ case: 'lag', value: { streams } }, signal);
    return r.case === 'bytes' ? r.value : 0n;
  }

  /**
   * Event time: the time window of `stream` (default: the first) at this reader's position, from
   * the watermarks Pravega derived from its writers' noted times (Java's getCurrentTimeWindow).
   */
  async timeWindow(stream?: string, signal?: AbortSignal): Promise<TimeWindow> {
    await this.untilOpened(signal);
    const name =
      stream === undefined ? this.streams[0]! : this.streams.find((s) => s === stream || s.endsWith(`/${stream}`));
    if (!name) throw new SluiceError('invalid-argument', `this reader does not read ${stream}`);
    this.windows ??= new Map();
    let tracker = this.windows.get(name);
    if (!tracker) {
      tracker = new TimeWindowTracker(this.conn, name);
      this.windows.set(name, tracker);
    }
    return tracker.window(this.position().streams.get(name)?.segments ?? new Map(), signal);
  }

  private windows: Map<string, TimeWindowTracker> | undefined;

  /** Position after the last event handed out (a snapshot). */
  position(): ReaderPosition {
    return ReaderPosition.copyOf(this.state ?? new Map());
  }

  /**
   * Resolves once the gateway resolved the start position (head/tail become offsets), or the
   * reader failed to open (iterating then throws why); rejects with `cancelled` if the reader is
   * closed first or `signal` aborts.
   */
  async ready(signal?: AbortSignal): Promise<void> {
    await this.untilOpened(signal, false);
  }

  /**
   * Waits for the first ReaderOpened (or a failure to open). Rejects with `cancelled` when the
   * reader closes first — a reader closed after it opened still answers — and, with
   * `throwError`, with the reader's error.
   */
  private async untilOpened(signal?: AbortSignal, throwError = true): Promise<void> {
    // Array order decides when both have settled: a reader that opened, then closed, opened.
    const first = await abortable(
      Promise.race([this.openedOnce.then(() => 'opened' as const), this.closedOnce.then(() => 'closed' as const)]),
      signal,
      'waiting for the reader to open',
    );
    if (throwError && this.error) throw this.error;
    if (first === 'closed') throw new SluiceError('cancelled', 'the reader was closed before it opened');
  }

  /**
   * Ends the reader: iteration ends (a `for await` leaves its loop), its timers stop, and calls
   * waiting for it to open reject with `cancelled`.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopTimers();
    this.closed = true;
    this.markClosed();
    this.conn.send({ case: 'closeChannel', value: { channel: this.channel } });
    this.conn.forgetChannel(this.channel);
    this.wake();
  }

  private stopTimers(): void {
    if (this.autoTimer !== undefined) this.conn.timers.clearInterval(this.autoTimer);
    this.autoTimer = undefined;
    if (this.reopenTimer !== undefined) this.conn.timers.clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
  }

  /**
   * The client closed (`cancelled`: iteration ends as on close()) or the connection failed for
   * good (iteration throws why).
   */
  private onConnectionClosed(error: SluiceError): void {
    if (this.closed) return;
    if (error.code !== 'cancelled') {
      this.error ??= error;
      this.queue = new Fifo(); // what was not handed out is not handed out now: the error is
    }
    void this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * A hand-written iterator rather than an async generator: an event already queued is handed
   * out in one settled promise, where a generator's yield took several microtask turns per event
   * (a fifth of the client's time in a catch-up read). Calls are served one at a time, as a
   * generator's are; the reader closes when the iteration ends, fails or is left (`return`).
   */
  [Symbol.asyncIterator](): AsyncIterator<ReadEvent<T>> {
    let done = false;
    let busy: Promise<unknown> | undefined;
    const end = async (): Promise<IteratorResult<ReadEvent<T>>> => {
      done = true;
      await this.close();
      return { done: true, value: undefined };
    };
    const fail = async (err: unknown): Promise<never> => {
      done = true;
      await this.close();
      throw err;
    };
    /** The next event if one is queued and nothing else is due; undefined otherwise. */
    const ready = (): ReadEvent<T> | undefined => {
      for (let item = this.nextReady(); item; item = this.nextReady()) {
        if (item.kind === 'marker') continue;
        const ev = this.apply(item);
        if (ev) return ev;
      }
      return undefined;
    };
    const wait = async (): Promise<IteratorResult<ReadEvent<T>>> => {
      try {
        for (;;) {
          const item = this.nextReady() ?? (await this.nextItem());
          if (!item) return await end();
          if (item.kind === 'marker') continue;
          const ev = this.apply(item);
          if (ev) return { done: false, value: ev };
        }
      } catch (err) {
        return fail(err);
      }
    };
    const next = (): Promise<IteratorResult<ReadEvent<T>>> => {
      if (busy) return busy.then(next, next);
      if (done) return Promise.resolve({ done: true, value: undefined });
      let ev: ReadEvent<T> | undefined;
      try {
        ev = ready();
      } catch (err) {
        return fail(err);
      }
      if (ev) return Promise.resolve({ done: false, value: ev });
      const waiting = wait().finally(() => {
        if (busy === waiting) busy = undefined;
      });
      busy = waiting;
      return waiting;
    };
    return { next, return: () => (done ? Promise.resolve({ done: true, value: undefined }) : end()) };
  }

  // ---- consumption -----------------------------------------------------------------------

  /**
   * The next queued item when nothing else is due (no marker, commit, error or close): taken
   * without an await, which per event cost about as much as the rest of the reader's work.
   * Otherwise undefined, and the caller goes through nextItem().
   */
  private nextReady(): Item | undefined {
    if (this.closed || this.queue.isEmpty) return undefined;
    if (this.markersWanted && (this.markerDue || this.commitDue)) return undefined;
    if (this.commitDue && this.autoCheckpointMs > 0) return undefined;
    return this.take();
  }

  /** The next queued item (a frame of events stays queued until its last event is taken). */
  private take(): Item | undefined {
    for (let item = this.queue.peek(); item; item = this.queue.peek()) {
      if (item.kind === 'events' && item.events.next()) return item;
      this.queue.shift(); // lets go of it at once: a frame of events holds 256 KiB
      if (item.kind !== 'events') return item;
    }
    return undefined;
  }

  private async nextItem(): Promise<Item | undefined> {
    for (;;) {
      if (this.error && this.queue.isEmpty) throw this.error;
      if (this.closed) return undefined;
      if (this.markersWanted && (this.markerDue || this.commitDue)) {
        this.markerDue = false;
        return { kind: 'marker' };
      }
      // The application has finished with every event handed out so far: a safe point to commit.
      // Not while the channel is reopening after a reconnect: that commit would fail at once, and
      // retrying it at once would spin without ever yielding (it waits for the reopen instead).
      if (this.commitDue && this.autoCheckpointMs > 0 && this.joined && !this.committing && this.channelOpen) {
        try {
          await this.commitToGroup({});
        } catch (err) {
          const e = SluiceError.from(err);
          // A lost socket or a moved group is handled by the channel; retry at the next safe point.
          if (e.code !== 'unavailable' && e.code !== 'reassigned' && e.code !== 'outcome-unknown') throw e;
        }
        continue;
      }
      const item = this.take();
      if (item) return item;
      if (this.error) throw this.error;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** Moves the position past an event; returns it to hand out (unless its segment was given away). */
  private applyEvent(
    streamIndex: number,
    segment: bigint,
    offset: bigint,
    payload: Uint8Array,
  ): ReadEvent<T> | undefined {
    const position = this.state!;
    const name = this.streams[streamIndex]!;
    const s = position.get(name)!;
    this.consumedEvents++;
    this.consumedBytes += payload.length;
    this.topUpCredit();
    // A group reader drops what was in flight for a segment the group gave to another reader.
    if (this.opts.group && !s.segments.has(segment)) return undefined;
    // One BigInt, not two (a sum of BigInts allocates both), while the offset is exact as a number.
    const after = Number(offset) + 8 + payload.length;
    const next = after <= Number.MAX_SAFE_INTEGER ? BigInt(after) : offset + BigInt(8 + payload.length);
    // The snapshot stays valid while only this segment's offset moved since it was taken.
    if (
      this.snapshot === undefined ||
      this.snapshotOf !== position ||
      this.snapshotStream !== name ||
      this.snapshotSegment !== segment
    ) {
      this.snapshot = copyStreams(position);
      this.snapshotOf = position;
      this.snapshotStream = name;
      this.snapshotSegment = segment;
    }
    s.segments.set(segment, next);
    return {
      value: this.opts.serializer.deserialize(payload),
      stream: name,
      segment,
      offset,
      position: ReaderPosition.afterEvent(this.snapshot, name, segment, next),
    };
  }

  /** Moves the position past an item; returns the event to hand out, if it is one. */
  private apply(item: Item): ReadEvent<T> | undefined {
    const position = this.state!;
    if (item.kind !== 'events') this.snapshot = undefined;
    switch (item.kind) {
      case 'events': {
        const e = item.events;
        return this.applyEvent(e.streamIndex, e.segmentId, e.offset, e.payload);
      }
      case 'changed': {
        const name = this.streams[item.streamIndex]!;
        const s = position.get(name)!;
        if (this.opts.group && s.segments.has(item.finished))
          this.finished.push({ stream: name, segmentId: item.finished });
        if (!item.held) s.segments.delete(item.finished);
        for (const id of item.released) s.segments.delete(id);
        for (const [id, off] of item.started) s.segments.set(id, off);
        s.future.clear();
        for (const [id, waiting] of item.future) s.future.set(id, waiting);
        return undefined;
      }
      case 'truncated': {
        const name = this.streams[item.streamIndex]!;
        const truncation = { stream: name, segment: item.segment, requested: item.requested, resumed: item.resumed };
        if (!this.opts.onTruncated)
          throw new SluiceError(
            'truncated',
            `${name} segment ${item.segment}: offsets ${item.requested}–${item.resumed} were truncated away; ` +
              'pass onTruncated to accept the loss and read on from the first offset Pravega still holds',
            { truncation },
          );
        position.get(name)!.segments.set(item.segment, item.resumed);
        this.opts.onTruncated(truncation);
        return undefined;
      }
      case 'assigned': {
        const s = position.get(this.streams[item.streamIndex]!)!;
        for (const [id, offset] of item.acquired) s.segments.set(id, offset);
        return undefined;
      }
      case 'end':
        this.ended = true;
        return undefined;
      case 'marker':
        return undefined;
    }
  }

  private topUpCredit(): void {
    if (this.consumedEvents * 2 < this.creditEvents && this.consumedBytes * 2 < this.creditBytes) return;
    if (
      this.conn.send({
        case: 'credit',
        value: { channel: this.channel, events: this.consumedEvents, bytes: this.consumedBytes },
      })
    ) {
      this.consumedEvents = 0;
      this.consumedBytes = 0;
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  // ---- channel ---------------------------------------------------------------------------

  /**
   * Opens once the end is fixed: the first time, the gateway completes the `to` cuts
   * (end-bound.ts); a range read's cuts are exact already. A lost connection asks again at the
   * next one; a gateway that cannot answer now, after a backoff.
   */
  private openWithEnd(): void {
    const cuts = endCutFrames(this.opts.to);
    if (this.endCuts || cuts.length === 0 || this.opts.range) {
      this.endCuts ??= cuts;
      this.open();
      return;
    }
    if (this.fixingEnd || this.closed) return;
    this.fixingEnd = true;
    fixEndCuts(this.conn, cuts).then(
      (fixed) => {
        this.fixingEnd = false;
        this.endCuts = fixed;
        if (this.conn.state === 'live') this.open();
      },
      (err: unknown) => {
        this.fixingEnd = false;
        const error = SluiceError.from(err);
        if (error.retriable && !this.closed && this.conn.state !== 'closed') {
          if (this.conn.state !== 'live') return; // onLive asks again
          if (this.reopenTimer !== undefined) this.conn.timers.clearTimeout(this.reopenTimer);
          this.reopenTimer = this.conn.timers.setTimeout(
            () => {
              this.reopenTimer = undefined;
              if (this.conn.state === 'live' && !this.closed) this.openWithEnd();
            },
            backoffDelay(this.reopenAttempt++),
          );
          return;
        }
        this.error = error;
        this.markOpened();
        this.wake();
      },
    );
  }

  private open(): void {
    this.channelOpen = false;
    if (this.closed) return;
    // Whatever was buffered but not handed out is read again from the consumed position.
    this.queue = new Fifo();
    this.consumedEvents = 0;
    this.consumedBytes = 0;
    const toCuts = this.endCuts ?? endCutFrames(this.opts.to);
    const start = this.startFrame();
    this.conn.send({
      case: 'openReader',
      value: {
        channel: this.channel,
        streams: this.streams,
        start,
        to: toCuts,
        initialCreditEvents: this.creditEvents,
        initialCreditBytes: this.creditBytes,
        batch: this.opts.batch ?? false,
        ranges: this.opts.range ?? false,
        ...(this.opts.group
          ? {
              group: this.opts.group,
              readerId: this.readerId!,
              groupTimeoutMs: this.opts.groupTimeoutMs ?? 0,
              resume: this.joined,
              finished: this.finished.map((f) => ({ stream: f.stream, segmentId: f.segmentId, offset: 0n })),
            }
          : {}),
      },
    });
  }

  private startFrame() {
    if (this.state) return { case: 'position' as const, value: { streams: positionFrame(this.position()) } };
    const from = this.opts.from ?? 'head';
    if (from === 'tail') return { case: 'tail' as const, value: true };
    const cuts = (Array.isArray(from) ? from : from instanceof StreamCut ? [from] : []).filter((c) => !c.isUnbounded);
    if (cuts.length > 0) {
      // client.reader() checked that every stream has exactly one cut.
      return {
        case: 'position' as const,
        value: {
          streams: this.streams.map((stream) => ({
            stream,
            segments: [...(cuts.find((c) => c.stream === stream)?.positions ?? [])].map(([segmentId, offset]) => ({
              segmentId,
              offset,
            })),
            future: [],
          })),
        },
      };
    }
    return { case: 'head' as const, value: true };
  }

  private onDisconnected(): void {
    this.channelOpen = false;
  }

  /** A group reader (re)joined: its position is what the group gave it. */
  private openedInGroup(
    streams: Array<{ stream: string; segments: Array<{ segmentId: bigint; offset: bigint }> }>,
    restoredJson: string,
  ): void {
    const state = new Map<string, StreamPositionState>(
      this.streams.map((name, i) => [
        name,
        {
          segments: new Map((streams[i]?.segments ?? []).map((o) => [o.segmentId, o.offset])),
          future: new Map(),
        },
      ]),
    );
    this.state = state;
    if (!this.joined && restoredJson) {
      try {
        this.groupRestored = JSON.parse(restoredJson) as GroupRestored;
      } catch {
        this.groupRestored = undefined;
      }
    }
    this.joined = true;
    if (this.autoCheckpointMs > 0 && this.autoTimer === undefined && !this.closed) {
      this.autoTimer = this.conn.timers.setInterval(() => {
        this.commitDue = true;
        this.wake();
      }, this.autoCheckpointMs);
    }
    this.markOpened();
  }

  private onFrame(frame: ServerFrame['kind']): void {
    switch (frame.case) {
      case 'readerOpened': {
        this.reopenAttempt = 0;
        this.channelOpen = true;
        if (this.opts.group) {
          this.openedInGroup(frame.value.position?.streams ?? [], frame.value.restoredJson);
          this.wake(); // a commit that waited for the reopen is due now
          return;
        }
        if (!this.state) {
          // The gateway resolved head/tail/cut to offsets: that is the starting position.
          const resolved = new Map<string, StreamPositionState>();
          for (const s of frame.value.position?.streams ?? []) {
            resolved.set(s.stream, {
              segments: new Map(s.segments.map((o) => [o.segmentId, o.offset])),
              future: new Map(s.future.map((f) => [f.segmentId, [...f.waitingFor]])),
            });
          }
          // Stream names come back fully scoped; index them as the reader was opened.
          this.state = new Map(
            this.streams.map((name, i) => [
              name,
              [...resolved.values()][i] ?? { segments: new Map(), future: new Map() },
            ]),
          );
        }
        this.markOpened();
        return;
      }
      case 'eventRuns': {
        if (this.error) return;
        const stray = frame.value.runs.find((r) => r.streamIndex >= this.streams.length);
        if (stray) {
          // Events of a stream this reader does not read: a broken gateway, never to be guessed at.
          this.error = new SluiceError(
            'protocol',
            `the gateway sent events of stream #${stray.streamIndex} to a reader of ${this.streams.length} stream(s)`,
          );
        } else this.queue.push({ kind: 'events', events: new RunEvents(frame.value.runs) });
        this.wake();
        return;
      }
      case 'segmentsChanged':
        this.queue.push({
          kind: 'changed',
          streamIndex: frame.value.streamIndex,
          finished: frame.value.finished,
          held: frame.value.held,
          released: [...frame.value.released],
          started: frame.value.started.map((o) => [o.segmentId, o.offset]),
          future: frame.value.future.map((f) => [f.segmentId, [...f.waitingFor]]),
        });
        this.wake();
        return;
      case 'truncated':
        this.queue.push({
          kind: 'truncated',
          streamIndex: frame.value.streamIndex,
          segment: frame.value.segmentId,
          requested: frame.value.requestedOffset,
          resumed: frame.value.resumedOffset,
        });
        this.wake();
        return;
      case 'endOfStream':
        this.queue.push({ kind: 'end' });
        this.wake();
        return;
      case 'segmentsAssigned':
        this.queue.push({
          kind: 'assigned',
          streamIndex: frame.value.streamIndex,
          acquired: frame.value.acquired.map((o) => [o.segmentId, o.offset]),
        });
        this.wake();
        return;
      case 'checkpointRequested':
        this.commitDue = true;
        this.wake();
        return;
      case 'channelClosed': {
        this.channelOpen = false;
        if (!frame.value.error) return; // closed on our request, or after EndOfStream
        const error = SluiceError.fromWire(frame.value.error);
        if (error.code === 'reassigned' && this.autoCheckpointMs > 0 && !this.closed) {
          // At-least-once group reader: rejoin; the segments continue from the group's committed offsets.
          this.joined = false;
          this.state = undefined;
          this.finished = [];
          this.queue = new Fifo();
          this.conn.forgetChannel(this.channel);
          this.channel = this.conn.openChannel(this.handler);
          return;
        }
        if (error.retriable && !this.closed && this.conn.state !== 'closed') {
          if (this.reopenTimer !== undefined) this.conn.timers.clearTimeout(this.reopenTimer);
          this.reopenTimer = this.conn.timers.setTimeout(
            () => {
              this.reopenTimer = undefined;
              if (this.conn.state === 'live' && !this.closed) this.open();
            },
            backoffDelay(this.reopenAttempt++),
          );
          return;
        }
        this.error = error;
        this.markOpened();
        this.wake();
        return;
      }
      default:
        return;
    }
  }
}

function positionFrame(position: ReaderPosition) {
  return [...position.streams].map(([stream, s]) => ({
    stream,
    segments: [...s.segments].map(([segmentId, offset]) => ({ segmentId, offset })),
    future: [...s.future].map(([segmentId, waitingFor]) => ({ segmentId, waitingFor })),
  }));
}

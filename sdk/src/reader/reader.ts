/**
 * A reader: an AsyncIterable of events with their positions (see sdk/SPEC.md "Reader"). The
 * gateway sends only what the reader's credit allows; the reader tops credit up as the
 * application consumes, so memory stays bounded. Position changes (segment finished, truncation)
 * arrive in order with the events and apply when the application reaches them. After a socket
 * loss the reader drops what it buffered and re-opens from the position of the last event it
 * handed out: nothing skipped, nothing twice.
 *
 * This file is the reader itself: its channel, its queue and position, delivery. Beside it:
 * reader-options.ts (what it is opened with and hands out), event-iterator.ts (`for await`),
 * reader-items.ts and position-changes.ts (what the gateway's frames do to the position),
 * group-membership.ts (reader groups), store-checkpoints.ts (checkpoints outside a group),
 * checkpoint-schedule.ts (when to checkpoint), position-frames.ts (positions on the wire).
 */
import { Fifo } from '@sluice/proto/fifo.js';
import type { ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { ChannelHandler, Connection } from '../client/connection.js';
import { SluiceError } from '../errors.js';
import { type TimeWindow, TimeWindowTracker } from '../event-time/time-window.js';
import { backoffDelay } from '../transport/backoff.js';
import { abortable, type TimerHandle } from '../transport/timers.js';
import { CheckpointSchedule } from './checkpoint-schedule.js';
import { type CutFrame, fixEndCuts } from './end-bound.js';
import { eventIterator } from './event-iterator.js';
import { GroupMembership, type ReleasedSegment } from './group-membership.js';
import { copyStreams, ReaderPosition, type StreamPositionState } from './position.js';
import { applyAssigned, applySegmentsChanged, applyTruncation, groupStart, resolvedStart } from './position-changes.js';
import { endFrame, positionFrame, startFrame } from './position-frames.js';
import { itemOf, type ReaderItem } from './reader-items.js';
import type { GroupRestored, ReadEvent, ReaderOptions } from './reader-options.js';
import { StoreCheckpoints } from './store-checkpoints.js';

/** @internal What `steps()` yields when it is a safe point to checkpoint. */
export const CHECKPOINT_MARKER = Symbol('checkpoint');

export class EventReader<T> implements AsyncIterable<ReadEvent<T>>, AsyncDisposable {
  private channel: number;
  private readonly handler: ChannelHandler;
  private readonly creditEvents: number;
  private readonly creditBytes: number;
  private state: Map<string, StreamPositionState> | undefined;
  private queue = new Fifo<ReaderItem>();
  private consumedEvents = 0;
  private consumedBytes = 0;
  private waiter: (() => void) | undefined;
  private error: SluiceError | undefined;
  private ended = false;
  private closed = false;
  private reopenAttempt = 0;
  private readonly openedOnce: Promise<void>;
  private readonly loaded: Promise<void>;
  private markOpened: () => void = () => {};
  /** Resolves when the reader is closed (see `untilOpened`). */
  private readonly closedOnce: Promise<void>;
  private markClosed: () => void = () => {};
  private reopenTimer: TimerHandle | undefined;
  /** The `to` cuts as fixed before the first open (end-bound.ts); every open sends these. */
  private endCuts: CutFrame[] | undefined;
  private fixingEnd = false;
  readonly readerId: string | undefined;
  /** Set for a reader in a reader group. */
  private readonly group: GroupMembership | undefined;
  /** Set for a reader outside a group with a checkpoint store. */
  private readonly checkpoints: StoreCheckpoints | undefined;
  private readonly schedule: CheckpointSchedule;
  /**
   * The channel is open on the current session. After a reconnect the connection is live a moment
   * before the reader's channel is reopened; a group commit sent in between would name a channel
   * the (new) gateway does not know.
   */
  private channelOpen = false;
  /**
   * An immutable copy of `state` shared by the positions of the events handed out since it was
   * taken: `state` has changed since only in `snapshotStream`'s `snapshotSegment` offset. Every
   * other change to `state` in place drops it; replacing `state` makes `snapshotOf` differ.
   */
  private snapshot: Map<string, StreamPositionState> | undefined;
  private snapshotOf: Map<string, StreamPositionState> | undefined;
  private snapshotStream = '';
  private snapshotSegment = 0n;
  private windows: Map<string, TimeWindowTracker> | undefined;

  /** @internal A client makes readers (`client.reader()`). */
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
    this.group = opts.group
      ? new GroupMembership(
          conn,
          { group: opts.group, readerId: opts.readerId, groupTimeoutMs: opts.groupTimeoutMs },
          {
            channel: () => this.channel,
            position: () => this.position(),
            committed: (released) => this.committed(released),
          },
        )
      : undefined;
    this.readerId = this.group?.readerId;
    this.schedule = new CheckpointSchedule(conn.timers, opts.group ? (opts.autoCheckpointMs ?? 10_000) : 0, () =>
      this.wake(),
    );
    if (opts.group && (opts.to !== undefined || opts.batch))
      throw new SluiceError('invalid-argument', 'a reader group reads unbounded streams (no `to` cut)');
    this.checkpoints =
      opts.checkpoints && !opts.group ? new StoreCheckpoints(opts.checkpoints, this.streams.join(',')) : undefined;
    this.loaded = this.loadCheckpoint();
    this.handler = {
      onLive: () => void this.loaded.then(() => this.openWithEnd()),
      onFrame: (frame) => this.onFrame(frame),
      onDisconnected: () => this.onDisconnected(),
      onClosed: (error) => this.onConnectionClosed(error),
    };
    this.channel = conn.openChannel(this.handler);
  }

  private async loadCheckpoint(): Promise<void> {
    if (!this.checkpoints) return;
    try {
      const loaded = await this.checkpoints.load();
      if (loaded) this.state = loaded;
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
    if (this.group) return this.commitToGroup(this.group, options);
    const checkpoints = this.checkpoints;
    if (!checkpoints)
      throw new SluiceError('invalid-argument', 'this reader has no checkpoint store (option `checkpoints`)');
    await this.loaded;
    await this.untilOpened(options.signal);
    await checkpoints.save(this.position(), options.state);
  }

  /** The user state of the checkpoint this reader resumed from, if any. */
  async restoredState<S = unknown>(signal?: AbortSignal): Promise<S | undefined> {
    await this.loaded;
    if (this.group) {
      await this.untilOpened(signal);
      if (this.error) throw this.error;
      return this.group.restored?.state as S | undefined;
    }
    if (this.error) throw this.error;
    return this.checkpoints?.restored as S | undefined;
  }

  /** Group readers: the state and transaction of this reader id's last commit, if any. */
  async restoredCommit(signal?: AbortSignal): Promise<GroupRestored | undefined> {
    await this.untilOpened(signal);
    if (this.error) throw this.error;
    return this.group?.restored;
  }

  /** True for a reader in a reader group. */
  get isGroupReader(): boolean {
    return this.group !== undefined;
  }

  /**
   * @internal Pipelines commit only with their transactions: no automatic commits; instead
   * `steps()` yields a checkpoint marker every `everyMs` and when the group asks for one, even
   * while no event arrives.
   */
  manualCheckpoints(everyMs: number): void {
    this.schedule.useMarkers(everyMs);
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
    return this.schedule.requested;
  }

  /**
   * Commits the position after the last event handed out (and `state`, `txn`) to the group, in
   * one conditional update of the group's state in Pravega. Segments the group hands to other
   * readers at this point stop here. Rejects with `reassigned` if the group has moved on.
   */
  private async commitToGroup(
    group: GroupMembership,
    options: { state?: unknown; txn?: { stream: string; txnId: string }; signal?: AbortSignal },
  ): Promise<void> {
    await this.untilOpened(options.signal);
    if (this.error) throw this.error;
    if (!this.channelOpen)
      throw new SluiceError('unavailable', 'the reader is reopening after a reconnect: commit again once it is open');
    await group.commit(options);
  }

  /** A group commit is recorded: the segments given to other readers leave this reader's position. */
  private committed(released: readonly ReleasedSegment[]): void {
    for (const r of released) this.state?.get(r.stream)?.segments.delete(r.segmentId);
    this.snapshot = undefined;
    this.schedule.requested = false;
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
    const streams = positionFrame(this.position());
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
    this.schedule.stop();
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

  [Symbol.asyncIterator](): AsyncIterator<ReadEvent<T>> {
    return eventIterator({
      readyEvent: () => this.readyEvent(),
      nextEvent: () => this.nextEvent(),
      close: () => this.close(),
    });
  }

  // ---- consumption -----------------------------------------------------------------------

  /** The next event if one is queued and nothing else is due; undefined otherwise. */
  private readyEvent(): ReadEvent<T> | undefined {
    for (let item = this.nextReady(); item; item = this.nextReady()) {
      if (item.kind === 'marker') continue;
      const ev = this.apply(item);
      if (ev) return ev;
    }
    return undefined;
  }

  /** The next event, waiting for it (markers are for `steps()` only); undefined once the reader ended. */
  private async nextEvent(): Promise<ReadEvent<T> | undefined> {
    for (;;) {
      const item = this.nextReady() ?? (await this.nextItem());
      if (!item) return undefined;
      if (item.kind === 'marker') continue;
      const ev = this.apply(item);
      if (ev) return ev;
    }
  }

  /**
   * The next queued item when nothing else is due (no marker, commit, error or close): taken
   * without an await, which per event cost about as much as the rest of the reader's work.
   * Otherwise undefined, and the caller goes through nextItem().
   */
  private nextReady(): ReaderItem | undefined {
    if (this.closed || this.queue.isEmpty) return undefined;
    if (this.schedule.due) return undefined;
    return this.take();
  }

  /** The next queued item (a frame of events stays queued until its last event is taken). */
  private take(): ReaderItem | undefined {
    for (let item = this.queue.peek(); item; item = this.queue.peek()) {
      if (item.kind === 'events' && item.events.next()) return item;
      this.queue.shift(); // lets go of it at once: a frame of events holds 256 KiB
      if (item.kind !== 'events') return item;
    }
    return undefined;
  }

  private async nextItem(): Promise<ReaderItem | undefined> {
    for (;;) {
      if (this.error && this.queue.isEmpty) throw this.error;
      if (this.closed) return undefined;
      if (this.schedule.takeMarker()) return { kind: 'marker' };
      // The application has finished with every event handed out so far: a safe point to commit.
      // Not while the channel is reopening after a reconnect: that commit would fail at once, and
      // retrying it at once would spin without ever yielding (it waits for the reopen instead).
      const group = this.group;
      if (this.schedule.commitDue && group?.isJoined && !group.isCommitting && this.channelOpen) {
        try {
          await this.commitToGroup(group, {});
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
    if (this.group && !s.segments.has(segment)) return undefined;
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
  private apply(item: ReaderItem): ReadEvent<T> | undefined {
    const position = this.state!;
    if (item.kind !== 'events') this.snapshot = undefined;
    switch (item.kind) {
      case 'events': {
        const e = item.events;
        return this.applyEvent(e.streamIndex, e.segmentId, e.offset, e.payload);
      }
      case 'changed': {
        const name = this.streams[item.streamIndex]!;
        if (applySegmentsChanged(position.get(name)!, item)) this.group?.noteFinished(name, item.finished);
        return undefined;
      }
      case 'truncated': {
        const name = this.streams[item.streamIndex]!;
        applyTruncation(position.get(name)!, name, item, this.opts.onTruncated);
        return undefined;
      }
      case 'assigned':
        applyAssigned(position.get(this.streams[item.streamIndex]!)!, item);
        return undefined;
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
    const cuts = endFrame(this.opts.to);
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
    this.conn.send({
      case: 'openReader',
      value: {
        channel: this.channel,
        streams: this.streams,
        start: startFrame(this.streams, this.state ? this.position() : undefined, this.opts.from ?? 'head'),
        to: this.endCuts ?? endFrame(this.opts.to),
        initialCreditEvents: this.creditEvents,
        initialCreditBytes: this.creditBytes,
        batch: this.opts.batch ?? false,
        ranges: this.opts.range ?? false,
        ...(this.group ? this.group.openFields() : {}),
      },
    });
  }

  private onDisconnected(): void {
    this.channelOpen = false;
  }

  private onFrame(frame: ServerFrame['kind']): void {
    switch (frame.case) {
      case 'readerOpened': {
        this.reopenAttempt = 0;
        this.channelOpen = true;
        const opened = frame.value.position?.streams ?? [];
        if (this.group) {
          // A group reader (re)joined: its position is what the group gave it.
          this.state = groupStart(this.streams, opened);
          this.group.joinedWith(frame.value.restoredJson);
          if (!this.closed) this.schedule.startAutomatic();
          this.markOpened();
          this.wake(); // a commit that waited for the reopen is due now
          return;
        }
        // The gateway resolved head/tail/cut to offsets: that is the starting position.
        if (!this.state) this.state = resolvedStart(this.streams, opened);
        this.markOpened();
        return;
      }
      case 'checkpointRequested':
        this.schedule.request();
        return;
      case 'channelClosed':
        this.channelClosed(frame.value.error ? SluiceError.fromWire(frame.value.error) : undefined);
        return;
      case 'eventRuns':
        if (this.error) return;
        break;
      default:
        break;
    }
    const item = itemOf(frame, this.streams.length);
    if (item === undefined) return;
    if (item instanceof SluiceError) this.error = item;
    else this.queue.push(item);
    this.wake();
  }

  /** The gateway closed the channel: on request, at the end, or with `error`. */
  private channelClosed(error: SluiceError | undefined): void {
    this.channelOpen = false;
    if (!error) return; // closed on our request, or after EndOfStream
    if (error.code === 'reassigned' && this.group && this.schedule.automatic && !this.closed) {
      // At-least-once group reader: rejoin; the segments continue from the group's committed offsets.
      this.group.leave();
      this.state = undefined;
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
  }
}

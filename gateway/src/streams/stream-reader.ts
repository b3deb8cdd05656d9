/**
 * Reads one or more streams for one reader channel: a SegmentReader per active segment, events
 * handed on only against the client's credit (at most one read's worth buffered per segment),
 * and finished segments replaced by their successors in order.
 */
import { Fifo } from '@sluice/proto/fifo.js';
import type { Logger } from 'pino';
import type { ControllerClient } from '../controller/controller-client.js';
import { GatewayError } from '../errors.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import { SegmentReader, type SegmentReaderListener, type SegmentSource } from '../segmentstore/segment-reader.js';
import { segmentRef } from '../segmentstore/segment-ref.js';
import { type EventRun, runEnd, runPayloadBytes, splitRun } from '../wire/index.js';
import { completeEndCut } from './end-cut.js';
import { completeSegment, type SegmentCompletion, type StreamPositionState } from './position.js';
import type { SharedTails } from './shared-tails.js';
import type { ScopedStream } from './stream-name.js';

/** A run of one segment's events handed to the client. */
export interface DeliveredRun {
  readonly streamIndex: number;
  readonly segmentId: bigint;
  readonly run: EventRun;
}

export interface ReaderSink {
  /** `waitedMs`: how long the oldest of these runs waited at the gateway (since it came from Pravega). */
  onRuns(runs: DeliveredRun[], waitedMs: number): void;
  onSegmentsChanged(
    streamIndex: number,
    finished: bigint,
    change: SegmentCompletion,
    future: Map<bigint, Set<bigint>>,
  ): void;
  onTruncated(streamIndex: number, segmentId: bigint, requested: bigint, resumed: bigint): void;
  onEnd(): void;
  onError(err: GatewayError): void;
}

export type StartPosition = { type: 'head' } | { type: 'tail' } | { type: 'position'; streams: StreamPositionState[] };

interface SegmentSlot {
  readonly streamIndex: number;
  readonly reader: SegmentSource;
  queue: Fifo<EventRun>;
  ended: boolean;
  /** The last run handed on whose position is not yet recorded (see syncPositions). */
  delivered: EventRun | undefined;
  /** performance.now() when the queue last went from empty to not (delivery latency). */
  waitingSince: number;
}

const MAX_BATCH_BYTES = 256 * 1024;

export class StreamReader implements SegmentReaderListener {
  private readonly positions: StreamPositionState[] = [];
  private readonly ends: Array<Map<bigint, bigint> | undefined> = [];
  private readonly allowed: Array<Set<bigint> | undefined> = [];
  private readonly slots = new Map<SegmentSource, SegmentSlot>();
  private creditEvents = 0;
  private creditBytes = 0;
  private closed = false;
  private batch = false;
  /** In a reader group, the group decides successors and the end (see groups/group-member.ts). */
  private group = false;
  private finishing = 0;
  private draining = false;

  constructor(
    private readonly controller: ControllerClient,
    private readonly segments: SegmentStoreClient,
    private readonly logger: Logger,
    readonly streams: readonly ScopedStream[],
    private readonly sink: ReaderSink,
    /** Shared tail reads; without it every segment is read with a SegmentReader of its own. */
    private readonly tails?: SharedTails,
  ) {}

  /** Resolves the start (head/tail → offsets), starts reading, and returns the resolved positions. */
  async open(
    start: StartPosition,
    to: Array<Map<bigint, bigint> | undefined>,
    options: { batch?: boolean; group?: boolean; ranges?: boolean } = {},
  ): Promise<StreamPositionState[]> {
    this.batch = options.batch ?? false;
    if (options.ranges) return this.openRanges(start, to);
    this.group = options.group ?? false;
    for (let i = 0; i < this.streams.length; i++) {
      const { scope, stream } = this.streams[i]!;
      let state: StreamPositionState;
      if (start.type === 'position') {
        const given = start.streams[i];
        if (!given) throw new GatewayError('invalid-argument', `the position has no entry for ${scope}/${stream}`);
        state = { active: new Map(given.active), future: new Map([...given.future].map(([k, v]) => [k, new Set(v)])) };
      } else if (start.type === 'head') {
        state = { active: await this.controller.getHeadCut(scope, stream), future: new Map() };
      } else {
        state = { active: await this.tailCut(scope, stream), future: new Map() };
      }
      this.positions.push(state);
      const bound = to[i];
      if (this.group) {
        // A group's end cuts come complete (groups/group-create.ts); the group decides successors.
        this.ends.push(bound);
        this.allowed.push(undefined);
        continue;
      }
      // A cut that leaves open segments out bounds them at their write offset now (end-cut.ts).
      const end =
        bound && bound.size > 0 ? await completeEndCut(this.controller, this.segments, scope, stream, bound) : bound;
      this.ends.push(end);
      if (end && end.size > 0) {
        const between = await this.controller.getSegmentsBetween(scope, stream, state.active, end);
        this.allowed.push(new Set(between));
        // A batch read starts every segment in the range at once (those after the start cut at 0).
        if (this.batch) for (const id of between) if (!state.active.has(id)) state.active.set(id, 0n);
      } else if (this.batch) {
        throw new GatewayError('invalid-argument', 'a batch read needs an end cut');
      } else {
        this.allowed.push(undefined);
      }
    }
    for (let i = 0; i < this.positions.length; i++) {
      for (const [segmentId, offset] of this.positions[i]!.active) this.startSegment(i, segmentId, offset);
    }
    if (!this.group) queueMicrotask(() => this.checkEnd());
    return this.positions;
  }

  /**
   * A range read (see client.batchRanges): exactly the segments of `start`, each from its offset
   * to its offset in `to`; no successors, no completion of `to`.
   */
  private openRanges(start: StartPosition, to: Array<Map<bigint, bigint> | undefined>): StreamPositionState[] {
    if (start.type !== 'position')
      throw new GatewayError('invalid-argument', 'a range read starts at the offsets of its segments');
    this.batch = true;
    for (let i = 0; i < this.streams.length; i++) {
      const given = start.streams[i];
      const end = to[i];
      if (!given) throw new GatewayError('invalid-argument', 'a range read needs a start for every stream');
      for (const id of given.active.keys())
        if (!end?.has(id)) throw new GatewayError('invalid-argument', `a range read needs an end for segment ${id}`);
      this.positions.push({ active: new Map(given.active), future: new Map() });
      this.ends.push(end);
      this.allowed.push(new Set(given.active.keys()));
    }
    for (let i = 0; i < this.positions.length; i++) {
      for (const [segmentId, offset] of this.positions[i]!.active) this.startSegment(i, segmentId, offset);
    }
    queueMicrotask(() => this.checkEnd());
    return this.positions;
  }

  /** Group readers: starts reading a segment the group assigned (no-op if already read). */
  addSegment(streamIndex: number, segmentId: bigint, offset: bigint): void {
    if (this.closed) return;
    const position = this.positions[streamIndex]!;
    if (position.active.has(segmentId)) return;
    position.active.set(segmentId, offset);
    this.startSegment(streamIndex, segmentId, offset);
  }

  /** Group readers: stops reading a segment the group gave to another reader. */
  removeSegment(streamIndex: number, segmentId: bigint): void {
    this.positions[streamIndex]?.active.delete(segmentId);
    for (const slot of this.slots.values()) {
      if (slot.streamIndex === streamIndex && slot.reader.segment.segmentId === segmentId) {
        this.dropSlot(slot);
        this.slots.delete(slot.reader);
      }
    }
  }

  grant(events: number, bytes: number): void {
    this.creditEvents += events;
    this.creditBytes += bytes;
    this.drain();
  }

  close(): void {
    this.closed = true;
    for (const slot of this.slots.values()) this.dropSlot(slot);
    this.slots.clear();
  }

  // ---- SegmentReaderListener -------------------------------------------------------------

  wantsMore(reader: SegmentSource): boolean {
    const slot = this.slots.get(reader);
    return !this.closed && slot !== undefined && slot.queue.isEmpty && this.creditEvents > 0 && this.creditBytes > 0;
  }

  /** What this reader may still send: a read of its own asks for no more (see SegmentReaderListener). */
  readBytes(): number {
    return this.creditBytes;
  }

  onRuns(reader: SegmentSource, runs: EventRun[]): void {
    const slot = this.slots.get(reader);
    if (!slot) return;
    if (slot.queue.isEmpty) slot.waitingSince = performance.now();
    for (const run of runs) {
      run.lease?.hold();
      slot.queue.push(run);
    }
    this.drain();
  }

  onEnd(reader: SegmentSource): void {
    const slot = this.slots.get(reader);
    if (!slot) return;
    slot.ended = true;
    // onEnd may arrive from inside drain() (resume → the reader finds itself at its end offset),
    // where a nested drain() is a no-op: run it again once the current one is over.
    queueMicrotask(() => this.drain());
  }

  onTruncated(reader: SegmentSource, requested: bigint, resumed: bigint): void {
    const slot = this.slots.get(reader);
    if (!slot) return;
    this.positions[slot.streamIndex]!.active.set(reader.segment.segmentId, resumed);
    this.sink.onTruncated(slot.streamIndex, reader.segment.segmentId, requested, resumed);
  }

  onFailed(_reader: SegmentSource, err: GatewayError): void {
    if (this.closed) return;
    this.close();
    this.sink.onError(err);
  }

  // ---- internals -------------------------------------------------------------------------

  private async tailCut(scope: string, stream: string): Promise<Map<bigint, bigint>> {
    const { segments } = await this.controller.getCurrentSegments(scope, stream);
    const infos = await Promise.all(
      segments.map((s) => this.segments.segmentInfo(segmentRef(scope, stream, s.segmentId))),
    );
    return new Map(segments.map((s, i) => [s.segmentId, infos[i]!.writeOffset]));
  }

  private startSegment(streamIndex: number, segmentId: bigint, offset: bigint): void {
    const { scope, stream } = this.streams[streamIndex]!;
    const end = this.ends[streamIndex]?.get(segmentId);
    const ref = segmentRef(scope, stream, segmentId);
    const reader = this.tails
      ? this.tails.open(ref, offset, end, this)
      : new SegmentReader(this.segments, ref, offset, end, this);
    this.slots.set(reader, {
      streamIndex,
      reader,
      queue: new Fifo(),
      ended: false,
      delivered: undefined,
      waitingSince: 0,
    });
  }

  /**
   * Hands buffered events on while credit lasts, round-robin over segments a run at a time; a
   * run is split where the credit or the frame runs out.
   */
  private drain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      let batch: DeliveredRun[] = [];
      let batchBytes = 0;
      // Queued runs taken whole: their reply buffers are released once their batch is encoded.
      let taken: EventRun[] = [];
      let progress = true;
      // The oldest arrival among the batch's runs (an upper bound: a queue's later runs count from its first).
      let oldest = Number.POSITIVE_INFINITY;
      while (progress && this.creditEvents > 0 && this.creditBytes > 0) {
        progress = false;
        for (const slot of this.slots.values()) {
          if (slot.queue.isEmpty || this.creditEvents <= 0 || this.creditBytes <= 0) continue;
          const [run, rest] = splitRun(
            slot.queue.peek()!,
            this.creditEvents,
            Math.min(this.creditBytes, MAX_BATCH_BYTES - batchBytes),
          );
          if (slot.waitingSince < oldest) oldest = slot.waitingSince;
          if (rest) slot.queue.replaceFront(rest);
          else taken.push(slot.queue.shift()!);
          batch.push({ streamIndex: slot.streamIndex, segmentId: slot.reader.segment.segmentId, run });
          slot.delivered = run;
          const payload = runPayloadBytes(run);
          this.creditEvents -= run.count;
          this.creditBytes -= payload;
          batchBytes += payload;
          progress = true;
          if (batchBytes >= MAX_BATCH_BYTES) {
            this.syncPositions();
            this.sink.onRuns(batch, performance.now() - oldest);
            this.release(taken);
            batch = [];
            batchBytes = 0;
            taken = [];
            oldest = Number.POSITIVE_INFINITY;
          }
        }
      }
      this.syncPositions();
      if (batch.length > 0) this.sink.onRuns(batch, performance.now() - oldest);
      this.release(taken);
      for (const slot of [...this.slots.values()]) {
        if (!slot.queue.isEmpty) continue;
        if (slot.ended) void this.finishSegment(slot);
        else slot.reader.resume();
      }
    } finally {
      this.draining = false;
    }
  }

  private release(runs: EventRun[]): void {
    for (const run of runs) run.lease?.release();
  }

  /** Stops reading a segment and lets go of what it had queued. */
  private dropSlot(slot: SegmentSlot): void {
    slot.reader.close();
    this.release(slot.queue.takeAll());
  }

  /**
   * Records, per segment, the position after the last run handed on: once per batch, and always
   * before the sink sees the batch.
   */
  private syncPositions(): void {
    for (const slot of this.slots.values()) {
      const run = slot.delivered;
      if (!run) continue;
      slot.delivered = undefined;
      this.positions[slot.streamIndex]!.active.set(slot.reader.segment.segmentId, runEnd(run));
    }
  }

  private async finishSegment(slot: SegmentSlot): Promise<void> {
    if (!this.slots.delete(slot.reader)) return;
    this.finishing++;
    const segmentId = slot.reader.segment.segmentId;
    const { scope, stream } = this.streams[slot.streamIndex]!;
    try {
      const position = this.positions[slot.streamIndex]!;
      const cutEnd = this.ends[slot.streamIndex]?.get(segmentId);
      let successors: Array<{ segmentId: bigint; predecessors: bigint[] }> = [];
      if (this.group) {
        // The group learns of the end at the reader's next commit and hands successors out then.
        position.active.delete(segmentId);
        this.sink.onSegmentsChanged(slot.streamIndex, segmentId, { started: [], held: false, released: [] }, new Map());
        return;
      }
      if (cutEnd !== undefined) {
        // Reached its bound, not its end: the segment stays in the position at the bound offset
        // (it is there already, moved by the events handed on), so a position or checkpoint taken
        // now still covers it and a reader resumed with a later `to` reads on from there. Its
        // successors lie beyond the bound. Nothing to tell the client: its position is right.
        this.logger.debug({ segment: slot.reader.segment.name, bound: String(cutEnd) }, 'segment at its bound');
      } else {
        if (!this.batch) {
          const reply = await this.controller.getSuccessors(scope, stream, segmentId);
          successors = reply.successors.map((s) => ({ segmentId: s.segment.segmentId, predecessors: s.predecessors }));
        }
        if (this.closed) return;
        const change = completeSegment(position, segmentId, successors, this.allowed[slot.streamIndex]);
        this.logger.debug(
          { segment: slot.reader.segment.name, started: change.started.map(String), held: change.held },
          'segment finished',
        );
        this.sink.onSegmentsChanged(slot.streamIndex, segmentId, change, position.future);
        for (const id of change.started) this.startSegment(slot.streamIndex, id, 0n);
      }
    } catch (err) {
      this.onFailed(slot.reader, GatewayError.from(err, 'unavailable'));
      return;
    } finally {
      this.finishing--;
    }
    this.checkEnd();
  }

  private checkEnd(): void {
    if (this.group || this.closed || this.finishing > 0 || this.slots.size > 0) return;
    if (this.positions.some((p) => p.future.size > 0)) return;
    this.closed = true;
    this.sink.onEnd();
  }
}

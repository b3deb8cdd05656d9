/**
 * The bounded ring of a shared tail: the most recent whole events of one segment, as the runs the
 * shared reader read (wire/event-run.ts), contiguous from `start` to `end` (both event
 * boundaries). Eviction drops the oldest runs; a subscriber whose offset falls before `start`
 * reads on its own.
 *
 * A run the parser hands out is a view of Pravega's reply, and keeping it pins the whole reply.
 * A run that fills most of its buffer (a catch-up read's 1 MiB replies) is kept as it is and the
 * whole buffer is counted; a smaller one is copied into a buffer of its own size. So `bytes` is
 * the memory the ring holds, not just the events still served from it.
 */
import { Fifo } from '@sluice/proto/fifo.js';
import { cutBefore, type EventRun, runEnd, runFrom } from '../wire/index.js';

/** Runs that fill at least this share of their buffer are kept without a copy. */
const KEEP_IF_FILLS = 0.75;

interface HeldRun {
  readonly run: EventRun;
  /** Memory it holds: its buffer's size when kept as a view, else its own size. */
  readonly bytes: number;
}

export class TailRing {
  /** An evicted run is let go at once (a kept run may pin a 1 MiB reply). */
  private readonly runs = new Fifo<HeldRun>();
  private size = 0;
  private endOffset: bigint;

  constructor(offset: bigint) {
    this.endOffset = offset;
  }

  /** Offset of the oldest event held (`end` when empty). */
  get start(): bigint {
    return this.runs.peek()?.run.offset ?? this.endOffset;
  }

  /** Offset just after the newest event: where the shared reader reads next. */
  get end(): bigint {
    return this.endOffset;
  }

  get bytes(): number {
    return this.size;
  }

  /** True when a subscriber at `offset` can be served from here (or waits here for the next events). */
  holds(offset: bigint): boolean {
    if (offset === this.endOffset) return true;
    const i = this.indexOf(offset);
    return i >= 0 && runFrom(this.runs.at(i)!.run, offset) !== undefined;
  }

  /** Appends runs read after `end`; `nextOffset` is the reader's offset after them. Returns bytes added. */
  append(runs: readonly EventRun[], nextOffset: bigint): number {
    this.endOffset = nextOffset;
    let added = 0;
    for (const run of runs) {
      const backing = run.bytes.buffer.byteLength;
      const keep = run.bytes.length >= backing * KEEP_IF_FILLS;
      if (keep) run.lease?.hold();
      const held: HeldRun = keep
        ? { run, bytes: backing }
        : {
            run: { offset: run.offset, bytes: Uint8Array.prototype.slice.call(run.bytes), count: run.count },
            bytes: run.bytes.length,
          };
      this.runs.push(held);
      added += held.bytes;
    }
    this.size += added;
    return added;
  }

  /**
   * Drops the oldest runs while over `capBytes`, never one that ends after `keepFrom`; returns
   * bytes freed.
   */
  evict(capBytes: number, keepFrom: bigint): number {
    let freed = 0;
    for (let held = this.runs.peek(); held && this.size > capBytes; held = this.runs.peek()) {
      if (runEnd(held.run) > keepFrom) break;
      this.runs.shift();
      held.run.lease?.release();
      this.size -= held.bytes;
      freed += held.bytes;
    }
    return freed;
  }

  /** Empties the ring and moves it to `offset`; returns bytes freed. */
  reset(offset: bigint): number {
    const freed = this.size;
    for (const held of this.runs.takeAll()) held.run.lease?.release();
    this.size = 0;
    this.endOffset = offset;
    return freed;
  }

  /**
   * Events from `offset` (an event boundary held here) on, as runs of up to `maxBytes` together
   * (at least one run) and before `endOffset` when given.
   */
  take(offset: bigint, maxBytes: number, endOffset: bigint | undefined): EventRun[] {
    const out: EventRun[] = [];
    const first = this.indexOf(offset);
    if (first < 0) return out;
    let bytes = 0;
    for (let i = first; i < this.runs.length; i++) {
      let run: EventRun | undefined = this.runs.at(i)!.run;
      if (i === first) run = runFrom(run, offset);
      if (run && endOffset !== undefined) run = cutBefore(run, endOffset);
      if (!run || (out.length > 0 && bytes + run.bytes.length > maxBytes)) break;
      out.push(run);
      bytes += run.bytes.length;
      if (endOffset !== undefined && runEnd(run) >= endOffset) break;
    }
    return out;
  }

  /** Index of the run holding `offset`, or -1. */
  private indexOf(offset: bigint): number {
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const run = this.runs.at(mid)!.run;
      if (offset < run.offset) hi = mid - 1;
      else if (offset >= runEnd(run)) lo = mid + 1;
      else return mid;
    }
    return -1;
  }
}

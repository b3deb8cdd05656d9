/**
 * The bounded ring of a shared tail: the most recent whole events of one segment, contiguous
 * from `start` to `end` (both event boundaries). Eviction drops the oldest events; a subscriber
 * whose offset falls before `start` reads on its own.
 */
import type { ReadEvent } from '../segmentstore/segment-reader.js';
import { EVENT_HEADER_BYTES } from '../wire/index.js';

/** Bytes an event occupies in its segment (and in the ring's accounting). */
export function eventBytes(e: ReadEvent): number {
  return EVENT_HEADER_BYTES + e.payload.length;
}

export class TailRing {
  private events: ReadEvent[] = [];
  private head = 0;
  private size = 0;
  private endOffset: bigint;

  constructor(offset: bigint) {
    this.endOffset = offset;
  }

  /** Offset of the oldest event held (`end` when empty). */
  get start(): bigint {
    return this.head < this.events.length ? this.events[this.head]!.offset : this.endOffset;
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
    return offset === this.endOffset || this.indexOf(offset) >= 0;
  }

  /** Appends events read after `end`; `nextOffset` is the reader's offset after them. */
  append(events: readonly ReadEvent[], nextOffset: bigint): void {
    for (const e of events) {
      this.events.push(e);
      this.size += eventBytes(e);
    }
    this.endOffset = nextOffset;
  }

  /** Drops the oldest events while over `capBytes`, never those at or after `keepFrom`; returns bytes freed. */
  evict(capBytes: number, keepFrom: bigint): number {
    let freed = 0;
    while (this.size > capBytes && this.head < this.events.length) {
      const e = this.events[this.head]!;
      if (e.offset >= keepFrom) break;
      this.head++;
      this.size -= eventBytes(e);
      freed += eventBytes(e);
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
    return freed;
  }

  /** Empties the ring and moves it to `offset`; returns bytes freed. */
  reset(offset: bigint): number {
    const freed = this.size;
    this.events = [];
    this.head = 0;
    this.size = 0;
    this.endOffset = offset;
    return freed;
  }

  /**
   * Events from `offset` (an event boundary held here) on, up to `maxBytes` (at least one event)
   * and before `endOffset` when given.
   */
  take(offset: bigint, maxBytes: number, endOffset: bigint | undefined): ReadEvent[] {
    const out: ReadEvent[] = [];
    let bytes = 0;
    for (let i = this.indexOf(offset); i >= 0 && i < this.events.length; i++) {
      const e = this.events[i]!;
      if (endOffset !== undefined && e.offset >= endOffset) break;
      if (out.length > 0 && bytes + eventBytes(e) > maxBytes) break;
      out.push(e);
      bytes += eventBytes(e);
    }
    return out;
  }

  /** Index of the event at exactly `offset`, or -1. */
  private indexOf(offset: bigint): number {
    let lo = this.head;
    let hi = this.events.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.events[mid]!.offset;
      if (at === offset) return mid;
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

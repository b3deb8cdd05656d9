/**
 * The bounded ring of a shared tail: the most recent whole events of one segment, contiguous
 * from `start` to `end` (both event boundaries). Eviction drops the oldest events; a subscriber
 * whose offset falls before `start` reads on its own.
 *
 * The events a parser hands out are views of Pravega's reply buffer, and one kept event would
 * pin the whole reply. Events that fill most of their buffer (a catch-up read's 1 MiB replies)
 * are kept as they are and the whole buffer is counted; the others are copied into one buffer
 * of their own size (payloads plus 8 bytes an event are counted). A batch's bytes stay counted
 * until its last event is evicted, so `bytes` is the memory the ring holds, not just the events
 * still served from it.
 */
import type { ReadEvent } from '../segmentstore/segment-reader.js';
import { EVENT_HEADER_BYTES } from '../wire/index.js';

/** Bytes an event occupies in its segment (and in the ring's accounting). */
export function eventBytes(e: ReadEvent): number {
  return EVENT_HEADER_BYTES + e.payload.length;
}

/** Events that fill at least this share of their buffer are kept without a copy. */
const KEEP_IF_FILLS = 0.75;

/** What a slot before `head` holds once its event was evicted (never read again). */
const EVICTED: ReadEvent = { offset: -1n, payload: new Uint8Array(0) };

/** One appended batch: its bytes and how many of its events the ring still holds. */
interface Batch {
  readonly bytes: number;
  left: number;
}

export class TailRing {
  private events: ReadEvent[] = [];
  private batches: Batch[] = [];
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

  /** Appends events read after `end`; `nextOffset` is the reader's offset after them. Returns bytes added. */
  append(events: readonly ReadEvent[], nextOffset: bigint): number {
    this.endOffset = nextOffset;
    let added = 0;
    // Runs of events viewing the same buffer (a reply; an event completed across two replies has its own).
    for (let start = 0; start < events.length; ) {
      const buffer = events[start]!.payload.buffer;
      let end = start + 1;
      while (end < events.length && events[end]!.payload.buffer === buffer) end++;
      added += this.appendRun(events, start, end);
      start = end;
    }
    return added;
  }

  private appendRun(events: readonly ReadEvent[], start: number, end: number): number {
    let payloads = 0;
    for (let i = start; i < end; i++) payloads += events[i]!.payload.length;
    const backing = events[start]!.payload.buffer.byteLength;
    const counted = payloads + EVENT_HEADER_BYTES * (end - start);
    if (counted >= backing * KEEP_IF_FILLS) {
      const batch: Batch = { bytes: Math.max(counted, backing), left: end - start };
      for (let i = start; i < end; i++) {
        this.events.push(events[i]!);
        this.batches.push(batch);
      }
      this.size += batch.bytes;
      return batch.bytes;
    }
    const copy = new Uint8Array(payloads);
    const batch: Batch = { bytes: counted, left: end - start };
    let at = 0;
    for (let i = start; i < end; i++) {
      const e = events[i]!;
      copy.set(e.payload, at);
      this.events.push({ offset: e.offset, payload: copy.subarray(at, at + e.payload.length) });
      this.batches.push(batch);
      at += e.payload.length;
    }
    this.size += batch.bytes;
    return batch.bytes;
  }

  /**
   * Drops the oldest events while over `capBytes`, never those at or after `keepFrom`; returns
   * bytes freed. Memory is freed a whole batch at a time (with its last event).
   */
  evict(capBytes: number, keepFrom: bigint): number {
    let freed = 0;
    while (this.size > capBytes && this.head < this.events.length) {
      if (this.events[this.head]!.offset >= keepFrom) break;
      const batch = this.batches[this.head]!;
      // Let go of the event now (it may be the last view pinning a 1 MiB reply), not at compaction.
      this.events[this.head] = EVICTED;
      this.head++;
      if (--batch.left === 0) {
        this.size -= batch.bytes;
        freed += batch.bytes;
      }
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
    return freed;
  }

  /** Empties the ring and moves it to `offset`; returns bytes freed. */
  reset(offset: bigint): number {
    const freed = this.size;
    this.events = [];
    this.batches = [];
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

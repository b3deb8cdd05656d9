/**
 * The reader's hot path: a ServerFrame holding Events, encoded by hand. With shared tail reads
 * one event read from Pravega becomes one frame per reader, so this runs for every event and
 * every reader; the reflective encoder costs several µs a frame (a 64-bit varint through BigInt).
 * The bytes are exactly what `toBinary(ServerFrameSchema, …)` writes (gateway/test/server/
 * events-frame.test.ts compares them): proto3 field order, default values left out.
 */
import {
  CHANNEL_TAG,
  EVENT_TAG,
  FRAME_EVENTS_TAG,
  OFFSET_TAG,
  PAYLOAD_TAG,
  SEGMENT_ID_TAG,
  STREAM_INDEX_TAG,
} from '@sluice/proto/events-tags.js';
import { varintSize, writeVarint } from '@sluice/proto/varint.js';
import type { DeliveredEvent } from '../streams/stream-reader.js';

const TWO_64 = 1n << 64n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An int64 as the unsigned 64-bit number protobuf writes (negative: two's complement). */
function unsigned64(v: bigint): bigint {
  return v < 0n ? v + TWO_64 : v;
}

function varint64Size(v: bigint): number {
  const u = unsigned64(v);
  if (u <= MAX_SAFE) return varintSize(Number(u));
  let size = 1;
  for (let x = u; x >= 0x80n; x >>= 7n) size++;
  return size;
}

class Writer {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  varint(n: number): void {
    this.pos = writeVarint(this.buf, this.pos, n);
  }

  varint64(v: bigint): void {
    const u = unsigned64(v);
    if (u <= MAX_SAFE) {
      this.varint(Number(u));
      return;
    }
    let x = u;
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }
}

/** A safe non-negative int64 as a number, else -1 (then the BigInt path writes it). */
function asNumber(v: bigint): number {
  return v >= 0n && v <= MAX_SAFE ? Number(v) : -1;
}

/** Per call: each event's offset as a number (or -1) and its body size, computed once. */
let scratchOffsets = new Float64Array(1024);
let scratchSizes = new Int32Array(1024);

/**
 * Encodes `ServerFrame { events: { channel, events } }` into a buffer from `alloc` (which must
 * return exactly the size asked for). BigInt work is done once per event (its offset) and once
 * per run of events of one segment: a catch-up read hands thousands of events a second here.
 */
export function encodeEventsFrame(
  channel: number,
  events: readonly DeliveredEvent[],
  alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array {
  const count = events.length;
  if (scratchSizes.length < count) {
    scratchSizes = new Int32Array(count * 2);
    scratchOffsets = new Float64Array(count * 2);
  }
  let body = channel !== 0 ? 1 + varintSize(channel) : 0;
  let segment: bigint | undefined;
  let segmentBytes = 0;
  for (let i = 0; i < count; i++) {
    const e = events[i]!;
    if (e.segmentId !== segment) {
      segment = e.segmentId;
      segmentBytes = segment === 0n ? 0 : 1 + varint64Size(segment);
    }
    const offset = asNumber(e.offset);
    scratchOffsets[i] = offset;
    let size = segmentBytes;
    if (e.streamIndex !== 0) size += 1 + varintSize(e.streamIndex);
    if (e.offset !== 0n) size += 1 + (offset >= 0 ? varintSize(offset) : varint64Size(e.offset));
    if (e.payload.length > 0) size += 1 + varintSize(e.payload.length) + e.payload.length;
    scratchSizes[i] = size;
    body += 1 + varintSize(size) + size;
  }
  const w = new Writer(alloc(1 + varintSize(body) + body));
  w.buf[w.pos++] = FRAME_EVENTS_TAG;
  w.varint(body);
  if (channel !== 0) {
    w.buf[w.pos++] = CHANNEL_TAG;
    w.varint(channel);
  }
  segment = undefined;
  let segmentNumber = -1;
  for (let i = 0; i < count; i++) {
    const e = events[i]!;
    w.buf[w.pos++] = EVENT_TAG;
    w.varint(scratchSizes[i]!);
    if (e.streamIndex !== 0) {
      w.buf[w.pos++] = STREAM_INDEX_TAG;
      w.varint(e.streamIndex);
    }
    if (e.segmentId !== segment) {
      segment = e.segmentId;
      segmentNumber = asNumber(segment);
    }
    if (segment !== 0n) {
      w.buf[w.pos++] = SEGMENT_ID_TAG;
      if (segmentNumber >= 0) w.varint(segmentNumber);
      else w.varint64(segment);
    }
    if (e.offset !== 0n) {
      w.buf[w.pos++] = OFFSET_TAG;
      const offset = scratchOffsets[i]!;
      if (offset >= 0) w.varint(offset);
      else w.varint64(e.offset);
    }
    if (e.payload.length > 0) {
      w.buf[w.pos++] = PAYLOAD_TAG;
      w.varint(e.payload.length);
      w.buf.set(e.payload, w.pos);
      w.pos += e.payload.length;
    }
  }
  return w.buf;
}

/**
 * The reader's hot path: a ServerFrame holding EventRuns, encoded by hand into a buffer of the
 * caller's (the frame pool's). A run's events are copied once, as they are; the rest is a few
 * fields per run. The bytes are exactly what `toBinary(ServerFrameSchema, …)` writes
 * (gateway/test/server/event-runs-frame.test.ts compares them): proto3 field order, default
 * values left out.
 */
import {
  FRAME_EVENT_RUNS_TAG,
  RUN_EVENTS_TAG,
  RUN_OFFSET_TAG,
  RUN_SEGMENT_ID_TAG,
  RUN_STREAM_INDEX_TAG,
  RUN_TAG,
  RUNS_CHANNEL_TAG,
} from '@sluice/proto/events-tags.js';
import { varintSize, writeVarint } from '@sluice/proto/varint.js';
import type { DeliveredRun } from '../streams/stream-reader.js';

const TWO_64 = 1n << 64n;

/** An int64 as the unsigned 64-bit number protobuf writes (negative: two's complement). */
function unsigned64(v: bigint): bigint {
  return v < 0n ? v + TWO_64 : v;
}

function varint64Size(v: bigint): number {
  let size = 1;
  for (let x = unsigned64(v); x >= 0x80n; x >>= 7n) size++;
  return size;
}

function writeVarint64(buf: Uint8Array, pos: number, v: bigint): number {
  let x = unsigned64(v);
  while (x >= 0x80n) {
    buf[pos++] = Number(x & 0x7fn) | 0x80;
    x >>= 7n;
  }
  buf[pos++] = Number(x);
  return pos;
}

/** Size of a run's body (the EventRun message without its tag and length). */
function runBodySize(d: DeliveredRun): number {
  let size = 0;
  if (d.streamIndex !== 0) size += 1 + varintSize(d.streamIndex);
  if (d.segmentId !== 0n) size += 1 + varint64Size(d.segmentId);
  if (d.run.offset !== 0n) size += 1 + varint64Size(d.run.offset);
  const n = d.run.bytes.length;
  if (n > 0) size += 1 + varintSize(n) + n;
  return size;
}

/**
 * Encodes `ServerFrame { eventRuns: { channel, runs } }` into a buffer from `alloc` (which must
 * return exactly the size asked for).
 */
export function encodeEventRunsFrame(
  channel: number,
  runs: readonly DeliveredRun[],
  alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array {
  const sizes = runs.map(runBodySize);
  let body = channel !== 0 ? 1 + varintSize(channel) : 0;
  for (const size of sizes) body += 1 + varintSize(size) + size;
  const buf = alloc(varintSize(FRAME_EVENT_RUNS_TAG) + varintSize(body) + body);
  let pos = writeVarint(buf, 0, FRAME_EVENT_RUNS_TAG);
  pos = writeVarint(buf, pos, body);
  if (channel !== 0) {
    buf[pos++] = RUNS_CHANNEL_TAG;
    pos = writeVarint(buf, pos, channel);
  }
  for (let i = 0; i < runs.length; i++) {
    const { streamIndex, segmentId, run } = runs[i]!;
    buf[pos++] = RUN_TAG;
    pos = writeVarint(buf, pos, sizes[i]!);
    if (streamIndex !== 0) {
      buf[pos++] = RUN_STREAM_INDEX_TAG;
      pos = writeVarint(buf, pos, streamIndex);
    }
    if (segmentId !== 0n) {
      buf[pos++] = RUN_SEGMENT_ID_TAG;
      pos = writeVarint64(buf, pos, segmentId);
    }
    if (run.offset !== 0n) {
      buf[pos++] = RUN_OFFSET_TAG;
      pos = writeVarint64(buf, pos, run.offset);
    }
    if (run.bytes.length > 0) {
      buf[pos++] = RUN_EVENTS_TAG;
      pos = writeVarint(buf, pos, run.bytes.length);
      buf.set(run.bytes, pos);
      pos += run.bytes.length;
    }
  }
  return buf;
}

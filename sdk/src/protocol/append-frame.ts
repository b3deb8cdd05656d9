/**
 * The writer's hot path on the client: `ClientFrame { append }` encoded by hand (the mirror of
 * gateway/src/sessions/append-frame.ts). The reflective encoder builds a message object per
 * event and grows its buffer as it goes; this sizes the frame first and writes it once. The
 * bytes are exactly what `toBinary(ClientFrameSchema, …)` writes (sdk/test/append-frame.test.ts
 * compares them): proto3 field order, default values left out, an absent routing key absent.
 * A key with a lone surrogate also goes as its UTF-16 units (routing_key_utf16; utf16.ts says why).
 */
import {
  APPEND_CHANNEL_TAG,
  APPEND_EVENT_TAG,
  APPEND_FIRST_SEQUENCE_TAG,
  EVENT_DATA_PAYLOAD_TAG,
  EVENT_DATA_ROUTING_KEY_TAG,
  EVENT_DATA_ROUTING_KEY_UTF16_TAG,
  FRAME_APPEND_TAG,
} from '@sluice/proto/events-tags.js';
import { varintSize, writeVarint } from '@sluice/proto/varint.js';
import { hasLoneSurrogate, utf16leBytes } from './utf16.js';

/** One event as the writer holds it. */
export interface OutgoingEvent {
  readonly payload: Uint8Array;
  readonly key: string | undefined;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
/** A routing key as the frame carries it. */
interface KeyBytes {
  readonly utf8: Uint8Array;
  /** Its UTF-16 units, when UTF-8 loses some (a lone surrogate). */
  readonly utf16: Uint8Array | undefined;
}

/** Routing keys repeat: their bytes are kept (a bounded number of them). */
const keyBytesCache = new Map<string, KeyBytes>();
const KEY_CACHE_ENTRIES = 10_000;
const EMPTY_KEY: KeyBytes = { utf8: EMPTY, utf16: undefined };
/** Scratch per call: each event's key bytes and body size, so the second pass need not redo them. */
let scratchKeys: Array<KeyBytes | undefined> = [];
let scratchSizes = new Int32Array(1024);

function keyBytes(key: string): KeyBytes {
  let bytes = keyBytesCache.get(key);
  if (!bytes) {
    bytes =
      key.length === 0
        ? EMPTY_KEY
        : { utf8: encoder.encode(key), utf16: hasLoneSurrogate(key) ? utf16leBytes(key) : undefined };
    if (keyBytesCache.size >= KEY_CACHE_ENTRIES) keyBytesCache.clear();
    keyBytesCache.set(key, bytes);
  }
  return bytes;
}

const newBuffer = (size: number) => new Uint8Array(size);

/**
 * Encodes events[start, end) as one Append frame. `firstSequence` is a non-negative integer
 * below 2^53 (the writer's numbers are), `channel` a uint32. `allocate` gives the frame's
 * buffer, of exactly the size asked; it may hold old bytes, as every byte is written.
 */
export function encodeAppendFrame(
  channel: number,
  firstSequence: number,
  events: readonly OutgoingEvent[],
  start: number,
  end: number,
  allocate: (size: number) => Uint8Array = newBuffer,
): Uint8Array {
  const count = end - start;
  if (scratchSizes.length < count) scratchSizes = new Int32Array(count * 2);
  if (scratchKeys.length < count) scratchKeys = new Array(count * 2);
  let body = 0;
  if (channel !== 0) body += 1 + varintSize(channel);
  if (firstSequence !== 0) body += 1 + varintSize(firstSequence);
  for (let i = 0; i < count; i++) {
    const e = events[start + i]!;
    const key = e.key === undefined ? undefined : keyBytes(e.key);
    const n = e.payload.length;
    let size = n > 0 ? 1 + varintSize(n) + n : 0;
    if (key) size += 1 + varintSize(key.utf8.length) + key.utf8.length;
    if (key?.utf16) size += 1 + varintSize(key.utf16.length) + key.utf16.length;
    scratchKeys[i] = key;
    scratchSizes[i] = size;
    body += 1 + varintSize(size) + size;
  }
  const buf = allocate(1 + varintSize(body) + body);
  buf[0] = FRAME_APPEND_TAG;
  let pos = writeVarint(buf, 1, body);
  if (channel !== 0) {
    buf[pos++] = APPEND_CHANNEL_TAG;
    pos = writeVarint(buf, pos, channel);
  }
  if (firstSequence !== 0) {
    buf[pos++] = APPEND_FIRST_SEQUENCE_TAG;
    pos = writeVarint(buf, pos, firstSequence);
  }
  for (let i = 0; i < count; i++) {
    const payload = events[start + i]!.payload;
    const key = scratchKeys[i];
    buf[pos++] = APPEND_EVENT_TAG;
    pos = writeVarint(buf, pos, scratchSizes[i]!);
    if (payload.length > 0) {
      buf[pos++] = EVENT_DATA_PAYLOAD_TAG;
      pos = writeVarint(buf, pos, payload.length);
      buf.set(payload, pos);
      pos += payload.length;
    }
    if (key) {
      buf[pos++] = EVENT_DATA_ROUTING_KEY_TAG;
      pos = writeVarint(buf, pos, key.utf8.length);
      buf.set(key.utf8, pos);
      pos += key.utf8.length;
    }
    if (key?.utf16) {
      buf[pos++] = EVENT_DATA_ROUTING_KEY_UTF16_TAG;
      pos = writeVarint(buf, pos, key.utf16.length);
      buf.set(key.utf16, pos);
      pos += key.utf16.length;
    }
    scratchKeys[i] = undefined;
  }
  return buf;
}

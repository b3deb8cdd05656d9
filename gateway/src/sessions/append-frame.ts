/**
 * The writer's hot path in the gateway: an Append frame, decoded by hand into what the stream
 * writer needs (the mirror of sdk/src/protocol/append-frame.ts). The reflective decoder builds a
 * message object per event and reads the 64-bit sequence number through BigInt; at 100-byte
 * events that is a large share of the gateway's work per event.
 *
 * Anything this decoder does not expect — another frame kind, an unknown field, a repeated
 * oneof, a field of the wrong wire type, a non-ASCII routing key or one sent as UTF-16 units
 * (routing_key_utf16: its tag is not one this decoder takes), truncated or malformed bytes —
 * makes it return `undefined`, and the caller decodes with protobuf-es (which accepts or rejects
 * exactly as before). On what it accepts it agrees with protobuf-es (gateway/test/server/
 * append-frame.test.ts). Payloads are views into `bytes`.
 */
import {
  APPEND_CHANNEL_TAG,
  APPEND_EVENT_TAG,
  APPEND_FIRST_SEQUENCE_TAG,
  EVENT_DATA_PAYLOAD_TAG,
  EVENT_DATA_ROUTING_KEY_TAG,
  FRAME_APPEND_TAG,
} from '@sluice/proto/events-tags.js';
import type { Append } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { WireCursor } from '@sluice/proto/wire-cursor.js';
import { GatewayError } from '../errors.js';
import type { BufferLease } from '../leased-buffers.js';

/** An Append frame as the stream writer takes it. */
export interface AppendBatch {
  readonly channel: number;
  /**
   * The first event's sequence number. The SDK's numbers stay below 2^53; a larger one is
   * not exact here and the channel refuses it.
   */
  readonly firstSequence: number;
  readonly payloads: Uint8Array[];
  /** Per event: its routing key, or undefined for a random segment. */
  readonly keys: Array<string | undefined>;
  /** Set when the payloads view a pooled message buffer: whoever keeps them holds it. */
  readonly lease?: BufferLease | undefined;
}

const TWO_32 = 2 ** 32;
const EMPTY: Uint8Array = new Uint8Array(0);

/** Longer keys go to protobuf-es (and `apply` below takes one argument per byte). */
const MAX_FAST_KEY_BYTES = 1024;

/** An ASCII string from bytes [start, end), or undefined if it is long or any byte is not ASCII. */
function ascii(buf: Uint8Array, start: number, end: number): string | undefined {
  if (end - start > MAX_FAST_KEY_BYTES) return undefined;
  for (let i = start; i < end; i++) if (buf[i]! > 0x7f) return undefined;
  return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
}

/** Decodes one EventData in [c.pos, end) into the batch; false if this decoder declines. */
function decodeEvent(c: WireCursor, end: number, payloads: Uint8Array[], keys: Array<string | undefined>): boolean {
  let payload: Uint8Array = EMPTY;
  let key: string | undefined;
  while (c.pos < end) {
    const tag = c.buf[c.pos++]!;
    if (tag !== EVENT_DATA_PAYLOAD_TAG && tag !== EVENT_DATA_ROUTING_KEY_TAG) return false;
    const n = c.length(end);
    if (c.bad) return false;
    if (tag === EVENT_DATA_PAYLOAD_TAG) payload = c.buf.subarray(c.pos, c.pos + n);
    else {
      key = ascii(c.buf, c.pos, c.pos + n);
      if (key === undefined) return false; // UTF-8 and its validation: protobuf-es's job
    }
    c.pos += n;
  }
  payloads.push(payload);
  keys.push(key);
  return true;
}

/**
 * Decodes `bytes` if it is exactly one Append frame this decoder understands; else `undefined`.
 * `lease` is that of the pooled buffer `bytes` is in, if any.
 */
export function decodeAppendFrame(bytes: Uint8Array, lease?: BufferLease): AppendBatch | undefined {
  const c = WireCursor.ofOnlyField(bytes, FRAME_APPEND_TAG);
  if (!c) return undefined;
  const total = bytes.length;
  let channel = 0;
  let firstSequence = 0;
  const payloads: Uint8Array[] = [];
  const keys: Array<string | undefined> = [];
  while (c.pos < total) {
    const tag = bytes[c.pos++]!;
    if (tag === APPEND_EVENT_TAG) {
      const n = c.length(total);
      if (c.bad || !decodeEvent(c, c.pos + n, payloads, keys)) return undefined;
    } else if (tag === APPEND_CHANNEL_TAG) {
      channel = c.varint(total); // uint32: the low 32 bits, as protobuf-es reads it
    } else if (tag === APPEND_FIRST_SEQUENCE_TAG) {
      const lo = c.varint(total);
      firstSequence = c.hi * TWO_32 + lo;
    } else return undefined;
    if (c.bad) return undefined;
  }
  return { channel, firstSequence, payloads, keys, lease };
}

/**
 * The same batch from a frame protobuf-es decoded. A key sent as UTF-16 units (it holds a lone
 * surrogate, which its UTF-8 lost) is taken from those: the string Java would hash.
 */
export function appendBatchOf(append: Append): AppendBatch {
  return {
    channel: append.channel,
    firstSequence: Number(append.firstSequence),
    payloads: append.events.map((e) => e.payload),
    keys: append.events.map((e) => (e.routingKeyUtf16.length > 0 ? fromUtf16le(e.routingKeyUtf16) : e.routingKey)),
  };
}

/** A string from its UTF-16 units, little-endian; an odd length is a malformed frame. */
export function fromUtf16le(bytes: Uint8Array): string {
  if (bytes.length % 2 !== 0)
    throw new GatewayError('protocol', `routing_key_utf16 has an odd length (${bytes.length} bytes)`);
  let key = '';
  for (let i = 0; i < bytes.length; i += 2) key += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  return key;
}

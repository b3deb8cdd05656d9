/**
 * The reader's hot path on the client: a ServerFrame holding Events, decoded by hand (the mirror
 * of gateway/src/sessions/events-frame.ts). The reflective decoder costs more per event than the
 * rest of the client's work on it. The result equals `fromBinary(ServerFrameSchema, bytes)`
 * (sdk/test/events-frame.test.ts compares them); anything this decoder does not expect — another
 * frame kind, an unknown field, a repeated oneof, a field of the wrong wire type, truncated or
 * malformed bytes — makes it return `undefined`, and the caller decodes with protobuf-es instead.
 * No I/O; the payloads are views into `bytes`, as protobuf-es gives them.
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
import type { ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { WireCursor } from '@sluice/proto/wire-cursor.js';

const TWO_32 = 2 ** 32;

type Events = Extract<ServerFrame['kind'], { case: 'events' }>['value'];
type Event = Events['events'][number];

/** The int64 whose two's-complement halves are `hi`:`lo`. */
function int64(lo: number, hi: number): bigint {
  if (hi < 0x200000) return BigInt(hi * TWO_32 + lo); // below 2^53: exact as a number
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

/** The last segment id decoded: consecutive events mostly share one, and a BigInt per event adds up. */
let lastSegment = { lo: 0, hi: 0, id: 0n };

function segmentIdOf(lo: number, hi: number): bigint {
  if (lo !== lastSegment.lo || hi !== lastSegment.hi) lastSegment = { lo, hi, id: int64(lo, hi) };
  return lastSegment.id;
}

function decodeEvent(c: WireCursor, end: number): Event | undefined {
  let streamIndex = 0;
  let segmentId = 0n;
  let offset = 0n;
  let payload: Uint8Array | undefined;
  while (c.pos < end) {
    const tag = c.buf[c.pos++]!;
    switch (tag) {
      case STREAM_INDEX_TAG:
        streamIndex = c.varint(end); // uint32: the low 32 bits, as protobuf-es reads it
        break;
      case SEGMENT_ID_TAG: {
        const lo = c.varint(end);
        segmentId = segmentIdOf(lo, c.hi);
        break;
      }
      case OFFSET_TAG: {
        const lo = c.varint(end);
        offset = int64(lo, c.hi);
        break;
      }
      case PAYLOAD_TAG: {
        const n = c.length(end);
        if (c.bad) return undefined;
        payload = c.buf.subarray(c.pos, c.pos + n);
        c.pos += n;
        break;
      }
      default:
        return undefined; // an unknown field, or a known one with another wire type
    }
    if (c.bad) return undefined;
  }
  return {
    $typeName: 'sluice.v1.Event',
    streamIndex,
    segmentId,
    offset,
    payload: payload ?? new Uint8Array(0),
  };
}

/** Decodes `bytes` if it is exactly one Events frame this decoder understands; else `undefined`. */
export function decodeEventsFrame(bytes: Uint8Array): ServerFrame | undefined {
  const c = WireCursor.ofOnlyField(bytes, FRAME_EVENTS_TAG);
  if (!c) return undefined;
  const total = bytes.length;
  let channel = 0;
  const events: Event[] = [];
  while (c.pos < total) {
    const tag = bytes[c.pos++]!;
    if (tag === EVENT_TAG) {
      const n = c.length(total);
      if (c.bad) return undefined;
      const end = c.pos + n;
      const e = decodeEvent(c, end);
      if (!e) return undefined;
      events.push(e);
    } else if (tag === CHANNEL_TAG) {
      channel = c.varint(total);
      if (c.bad) return undefined;
    } else return undefined;
  }
  return {
    $typeName: 'sluice.v1.ServerFrame',
    kind: { case: 'events', value: { $typeName: 'sluice.v1.Events', channel, events } },
  };
}

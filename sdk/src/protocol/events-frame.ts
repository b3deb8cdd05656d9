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

/** One event's fields as read from the wire, before any object is made of them. */
class EventFields {
  streamIndex = 0;
  segmentLo = 0;
  segmentHi = 0;
  offsetLo = 0;
  offsetHi = 0;
  payloadStart = 0;
  payloadLength = 0;

  get segmentId(): bigint {
    return segmentIdOf(this.segmentLo, this.segmentHi);
  }

  get offset(): bigint {
    return int64(this.offsetLo, this.offsetHi);
  }
}

/** Reads the event that spans `c.pos..end` into `into`; false if this decoder does not expect it. */
function readEvent(c: WireCursor, end: number, into: EventFields): boolean {
  into.streamIndex = 0;
  into.segmentLo = into.segmentHi = 0;
  into.offsetLo = into.offsetHi = 0;
  into.payloadStart = into.payloadLength = 0;
  while (c.pos < end) {
    const tag = c.buf[c.pos++]!;
    switch (tag) {
      case STREAM_INDEX_TAG:
        into.streamIndex = c.varint(end); // uint32: the low 32 bits, as protobuf-es reads it
        break;
      case SEGMENT_ID_TAG:
        into.segmentLo = c.varint(end);
        into.segmentHi = c.hi;
        break;
      case OFFSET_TAG:
        into.offsetLo = c.varint(end);
        into.offsetHi = c.hi;
        break;
      case PAYLOAD_TAG: {
        const n = c.length(end);
        if (c.bad) return false;
        into.payloadStart = c.pos;
        into.payloadLength = n;
        c.pos += n;
        break;
      }
      default:
        return false; // an unknown field, or a known one with another wire type
    }
    if (c.bad) return false;
  }
  return true;
}

/**
 * Walks an Events frame's body: calls `each` after reading every event into `fields`. Returns the
 * channel, or undefined at the first thing this decoder does not expect.
 */
function walkEvents(bytes: Uint8Array, fields: EventFields, each?: () => void): number | undefined {
  const c = WireCursor.ofOnlyField(bytes, FRAME_EVENTS_TAG);
  if (!c) return undefined;
  const total = bytes.length;
  let channel = 0;
  while (c.pos < total) {
    const tag = bytes[c.pos++]!;
    if (tag === EVENT_TAG) {
      const n = c.length(total);
      if (c.bad || !readEvent(c, c.pos + n, fields)) return undefined;
      each?.();
    } else if (tag === CHANNEL_TAG) {
      channel = c.varint(total);
      if (c.bad) return undefined;
    } else return undefined;
  }
  return channel;
}

/**
 * An Events frame checked whole on arrival but turned into values one event at a time, as the
 * reader hands them out: a reader's queue then holds a frame per 256 KiB, not a few objects per
 * event that every young-generation collection had to copy (in a catch-up read the client spent
 * two fifths of its time collecting them).
 */
export class LazyEvents {
  private readonly cursor: WireCursor;
  private readonly current = new EventFields();

  private constructor(
    private readonly bytes: Uint8Array,
    readonly channel: number,
  ) {
    this.cursor = WireCursor.ofOnlyField(bytes, FRAME_EVENTS_TAG)!;
  }

  /** The frame's events, if `bytes` is an Events frame this decoder understands; else undefined. */
  static of(bytes: Uint8Array): LazyEvents | undefined {
    const channel = walkEvents(bytes, scratch);
    return channel === undefined ? undefined : new LazyEvents(bytes, channel);
  }

  /** Moves to the next event (its fields below); false when none is left. */
  next(): boolean {
    const c = this.cursor;
    const total = this.bytes.length;
    while (c.pos < total) {
      const tag = this.bytes[c.pos++]!;
      const n = c.varint(total); // checked on arrival: a channel's value, or an event's length
      if (tag === EVENT_TAG) {
        readEvent(c, c.pos + n, this.current);
        return true;
      }
    }
    return false;
  }

  get streamIndex(): number {
    return this.current.streamIndex;
  }

  get segmentId(): bigint {
    return this.current.segmentId;
  }

  get offset(): bigint {
    return this.current.offset;
  }

  /** A view into the frame, as protobuf-es gives payloads. */
  get payload(): Uint8Array {
    const { payloadStart, payloadLength } = this.current;
    return this.bytes.subarray(payloadStart, payloadStart + payloadLength);
  }
}

const scratch = new EventFields();

/** Decodes `bytes` if it is exactly one Events frame this decoder understands; else `undefined`. */
export function decodeEventsFrame(bytes: Uint8Array): ServerFrame | undefined {
  const events: Event[] = [];
  const f = scratch;
  const channel = walkEvents(bytes, f, () =>
    events.push({
      $typeName: 'sluice.v1.Event',
      streamIndex: f.streamIndex,
      segmentId: f.segmentId,
      offset: f.offset,
      payload: bytes.subarray(f.payloadStart, f.payloadStart + f.payloadLength),
    }),
  );
  if (channel === undefined) return undefined;
  return {
    $typeName: 'sluice.v1.ServerFrame',
    kind: { case: 'events', value: { $typeName: 'sluice.v1.Events', channel, events } },
  };
}

/**
 * Events as stored in a segment (fact sheet §1.7): [i32 type 0][i32 length][payload]. The parser
 * cuts segment data — which may split an event anywhere across reads — into runs of whole events.
 */
import { WireError } from './errors.js';
import { EVENT_HEADER_BYTES, type EventRun, type RunLease } from './event-run.js';

/** Pravega's Serializer.MAX_EVENT_SIZE. */
export const MAX_EVENT_BYTES = 8 * 1024 * 1024;

/** One payload as a stored event. */
export function encodeEventFrame(payload: Uint8Array): Buffer {
  return encodeEventFrames([payload], [0])[0]!;
}

/**
 * From this size on, `encodeEventFrames(…, true)` leaves a payload where it is: copying 10 KiB
 * events into fresh buffers cost a copy per byte, and the gateway's collector more than the copy
 * (each buffer is external memory, and a gigabyte of them a second kept old-space collections
 * running).
 */
export const UNCOPIED_PAYLOAD_BYTES = 2048;

/** True when `encodeEventFrames(…, true)` framed only this payload's header (see there). */
export function headerOnly(payload: Uint8Array): boolean {
  return payload.length >= UNCOPIED_PAYLOAD_BYTES;
}

/**
 * Frames payloads[indices[0]], payloads[indices[1]], … back to back in one buffer and returns
 * each frame as a view of it: one allocation and one copy for a whole batch, and consecutive
 * frames stay contiguous, so a block of them can go to the socket as one piece. With
 * `uncopiedLarge`, a payload for which `headerOnly` holds gets only its 8-byte header framed: it
 * goes to the socket after that header as the view it is.
 */
export function encodeEventFrames(
  payloads: readonly Uint8Array[],
  indices: readonly number[],
  uncopiedLarge = false,
): Buffer[] {
  let size = 0;
  for (const i of indices) {
    const payload = payloads[i]!;
    size += EVENT_HEADER_BYTES + (uncopiedLarge && headerOnly(payload) ? 0 : payload.length);
  }
  const buf = Buffer.allocUnsafe(size);
  const frames: Buffer[] = new Array(indices.length);
  let pos = 0;
  for (let j = 0; j < indices.length; j++) {
    const payload = payloads[indices[j]!]!;
    const start = pos;
    buf.writeInt32BE(0, pos);
    buf.writeInt32BE(payload.length, pos + 4);
    pos += EVENT_HEADER_BYTES;
    if (!(uncopiedLarge && headerOnly(payload))) {
      buf.set(payload, pos);
      pos += payload.length;
    }
    frames[j] = buf.subarray(start, pos);
  }
  return frames;
}

export class EventFrameParser {
  private pending: Uint8Array | undefined;
  private offset: bigint;

  constructor(startOffset: bigint) {
    this.offset = startOffset;
  }

  /** Offset just after the last whole event returned. */
  get nextOffset(): bigint {
    return this.offset;
  }

  get bufferedBytes(): number {
    return this.pending?.length ?? 0;
  }

  /**
   * The whole events `data` completes or holds, as runs (at most two: an event begun in earlier
   * data, then those inside `data`, a view of it carrying `lease`); a partial event at its end
   * waits for more (copied).
   */
  push(data: Uint8Array, lease?: RunLease): EventRun[] {
    const out: EventRun[] = [];
    let from = 0;
    if (this.pending) {
      // Complete the event cut across reads with just the bytes it lacks: copying the pending
      // bytes and the whole new reply (1 MiB) together cost more than the rest of the parsing.
      const pending = this.pending;
      const head = pending.length >= EVENT_HEADER_BYTES ? pending : joined(pending, data, EVENT_HEADER_BYTES);
      if (head.length < EVENT_HEADER_BYTES) {
        this.pending = joined(pending, data, pending.length + data.length);
        return out;
      }
      const length = this.checkHeader(new DataView(head.buffer, head.byteOffset, EVENT_HEADER_BYTES), 0);
      const whole = EVENT_HEADER_BYTES + length;
      if (pending.length + data.length < whole) {
        this.pending = joined(pending, data, pending.length + data.length);
        return out;
      }
      out.push({ offset: this.offset, bytes: joined(pending, data, whole), count: 1 });
      this.offset += BigInt(whole);
      from = whole - pending.length;
      this.pending = undefined;
    }
    // Every header is checked; no object is made per event.
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let pos = from;
    let count = 0;
    while (data.length - pos >= EVENT_HEADER_BYTES) {
      const length = this.checkHeader(view, pos, pos - from);
      if (data.length - pos - EVENT_HEADER_BYTES < length) break;
      pos += EVENT_HEADER_BYTES + length;
      count++;
    }
    if (count > 0) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset + from, pos - from);
      out.push({ offset: this.offset, bytes, count, lease });
      this.offset += BigInt(pos - from);
    }
    if (pos < data.length) this.pending = Uint8Array.prototype.slice.call(data, pos);
    return out;
  }

  /**
   * The event length in the header at `pos`, after checking the header is an event's; the event
   * starts `past` bytes after `nextOffset` (for the error message).
   */
  private checkHeader(view: DataView, pos: number, past = 0): number {
    const type = view.getInt32(pos);
    const length = view.getInt32(pos + 4);
    if (type !== 0) {
      throw new WireError('malformed', `event of wrong type ${type} at offset ${this.offset + BigInt(past)}`);
    }
    if (length < 0 || length > MAX_EVENT_BYTES)
      throw new WireError('malformed', `event length ${length} at offset ${this.offset + BigInt(past)}`);
    return length;
  }
}

/** The first `size` bytes of `a` followed by `b` (at most all of both), in a new buffer. */
function joined(a: Uint8Array, b: Uint8Array, size: number): Uint8Array {
  const n = Math.min(size, a.length + b.length);
  const out = new Uint8Array(n);
  out.set(a.subarray(0, Math.min(a.length, n)), 0);
  if (n > a.length) out.set(b.subarray(0, n - a.length), a.length);
  return out;
}

/**
 * Events as stored in a segment (fact sheet §1.7): [i32 type 0][i32 length][payload]. The parser
 * cuts segment data — which may split an event anywhere across reads — into whole events.
 */
import { WireError } from './errors.js';

export const EVENT_HEADER_BYTES = 8;
/** Pravega's Serializer.MAX_EVENT_SIZE. */
export const MAX_EVENT_BYTES = 8 * 1024 * 1024;

export function encodeEventFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(EVENT_HEADER_BYTES + payload.length);
  frame.writeInt32BE(0, 0);
  frame.writeInt32BE(payload.length, 4);
  frame.set(payload, EVENT_HEADER_BYTES);
  return frame;
}

/**
 * Frames payloads[indices[0]], payloads[indices[1]], … back to back in one buffer and returns
 * each frame as a view of it: one allocation and one copy for a whole batch, and consecutive
 * frames stay contiguous, so a block of them can go to the socket as one piece.
 */
export function encodeEventFrames(payloads: readonly Uint8Array[], indices: readonly number[]): Buffer[] {
  let size = 0;
  for (const i of indices) size += EVENT_HEADER_BYTES + payloads[i]!.length;
  const buf = Buffer.allocUnsafe(size);
  const frames: Buffer[] = new Array(indices.length);
  let pos = 0;
  for (let j = 0; j < indices.length; j++) {
    const payload = payloads[indices[j]!]!;
    const start = pos;
    buf.writeInt32BE(0, pos);
    buf.writeInt32BE(payload.length, pos + 4);
    buf.set(payload, pos + EVENT_HEADER_BYTES);
    pos += EVENT_HEADER_BYTES + payload.length;
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

  push(data: Uint8Array): Array<{ offset: bigint; payload: Uint8Array }> {
    const buf = this.pending ? Buffer.concat([this.pending, data]) : data;
    this.pending = undefined;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const out: Array<{ offset: bigint; payload: Uint8Array }> = [];
    let pos = 0;
    while (buf.length - pos >= EVENT_HEADER_BYTES) {
      const type = view.getInt32(pos);
      const length = view.getInt32(pos + 4);
      if (type !== 0) throw new WireError('malformed', `event of wrong type ${type} at offset ${this.offset}`);
      if (length < 0 || length > MAX_EVENT_BYTES)
        throw new WireError('malformed', `event length ${length} at offset ${this.offset}`);
      if (buf.length - pos - EVENT_HEADER_BYTES < length) break;
      out.push({
        offset: this.offset,
        payload: buf.subarray(pos + EVENT_HEADER_BYTES, pos + EVENT_HEADER_BYTES + length),
      });
      pos += EVENT_HEADER_BYTES + length;
      this.offset += BigInt(EVENT_HEADER_BYTES + length);
    }
    if (pos < buf.length) this.pending = Uint8Array.prototype.slice.call(buf, pos);
    return out;
  }
}

/**
 * An event too large for one WebSocket message travels as AppendPart frames (gateway.proto): its
 * payload cut into consecutive pieces, the routing key on the first, each frame at most
 * `maxFrameBytes`. The gateway puts them together again and appends the event once whole.
 */
import type { ClientFrameKind } from './frames.js';
import { encodeClientFrame } from './frames.js';

/** Room an AppendPart frame needs besides its data and key: tags, lengths, numbers. */
export const PART_OVERHEAD_BYTES = 64;

const encoder = new TextEncoder();

/** The UTF-8 bytes of a routing key, or a bound on them (short keys are not encoded to count). */
export function keyBytesAtMost(key: string | undefined): number {
  if (key === undefined) return 0;
  // Three bytes per UTF-16 unit at most: short keys need no exact count.
  if (key.length * 3 <= 1024) return key.length * 3;
  return encoder.encode(key).length;
}

/**
 * The frames of one event, in the order they must be sent. `maxFrameBytes` must leave room for
 * the key and `PART_OVERHEAD_BYTES` (the writer checked at write()).
 */
export function* appendPartFrames(
  channel: number,
  sequence: number,
  payload: Uint8Array,
  key: string | undefined,
  maxFrameBytes: number,
): Generator<Uint8Array> {
  const total = payload.length;
  const keyBytes = keyBytesAtMost(key);
  for (let offset = 0; offset < total; ) {
    const room = maxFrameBytes - PART_OVERHEAD_BYTES - (offset === 0 ? keyBytes : 0);
    const n = Math.min(room, total - offset);
    const part: ClientFrameKind = {
      case: 'appendPart',
      value: {
        channel,
        sequence: BigInt(sequence),
        totalBytes: total,
        offset,
        data: payload.subarray(offset, offset + n),
        ...(offset === 0 && key !== undefined ? { routingKey: key } : {}),
      },
    };
    yield encodeClientFrame(part);
    offset += n;
  }
}

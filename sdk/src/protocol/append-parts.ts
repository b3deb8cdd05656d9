/**
 * An event too large for one WebSocket message travels as AppendPart frames (gateway.proto): its
 * payload cut into consecutive pieces, the routing key on the first, each frame at most
 * `maxFrameBytes`. The gateway puts them together again and appends the event once whole.
 */
import type { ClientFrameKind } from './frames.js';
import { encodeClientFrame } from './frames.js';
import { hasLoneSurrogate, utf16leBytes } from './utf16.js';

/** Room an AppendPart frame needs besides its data and key: tags, lengths, numbers. */
export const PART_OVERHEAD_BYTES = 64;

const encoder = new TextEncoder();

/**
 * The bytes a routing key takes in a frame — its UTF-8, and its UTF-16 units when it holds a lone
 * surrogate — or a bound on them: short keys are not encoded to count.
 */
export function keyBytesAtMost(key: string | undefined): number {
  if (key === undefined) return 0;
  // At most three UTF-8 bytes and two UTF-16 bytes per unit.
  if (key.length * 5 <= 1024) return key.length * 5;
  return encoder.encode(key).length + (hasLoneSurrogate(key) ? key.length * 2 : 0);
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
        // A lone surrogate, which UTF-8 loses, travels as the key's units too (utf16.ts says why).
        ...(offset === 0 && key !== undefined && hasLoneSurrogate(key) ? { routingKeyUtf16: utf16leBytes(key) } : {}),
      },
    };
    yield encodeClientFrame(part);
    offset += n;
  }
}

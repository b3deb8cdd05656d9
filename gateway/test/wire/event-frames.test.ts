/**
 * Events in their stored form: `encodeEventFrames` with large payloads left uncopied gives the
 * same bytes, header and payload, as copying everything, and the parser reads them back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventFrameParser, encodeEventFrames, headerOnly, UNCOPIED_PAYLOAD_BYTES } from '../../src/wire/index.js';
import { eventsOf } from '../helpers/runs.js';

/** Payloads around the threshold and far above it (bytes from a seed: generating them one by one is slow). */
const sized = (min: number, max: number) =>
  fc
    .tuple(fc.integer({ min, max }), fc.integer({ min: 1, max: 255 }))
    .map(([n, seed]) => Uint8Array.from({ length: n }, (_, i) => (i * seed + (i >> 8)) & 0xff));
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  sized(UNCOPIED_PAYLOAD_BYTES - 2, UNCOPIED_PAYLOAD_BYTES + 2),
  sized(10_000, 12_000),
);

describe('encodeEventFrames', () => {
  it('frames only the header of a large payload, and the pieces in order are the copied frames', () => {
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 12 }), (payloads) => {
        const indices = payloads.map((_, i) => i);
        const copied = encodeEventFrames(payloads, indices);
        const uncopied = encodeEventFrames(payloads, indices, true);
        const pieces: Uint8Array[] = [];
        for (let i = 0; i < payloads.length; i++) {
          const large = headerOnly(payloads[i]!);
          expect(uncopied[i]!.length).toBe(large ? 8 : 8 + payloads[i]!.length);
          pieces.push(uncopied[i]!);
          if (large) pieces.push(payloads[i]!);
        }
        const joined = Buffer.concat(pieces);
        // Buffer.equals, not toEqual: a deep comparison of 100 KB byte by byte takes seconds.
        expect(joined.equals(Buffer.concat(copied))).toBe(true);
        const read = eventsOf(new EventFrameParser(0n).push(joined));
        expect(read).toHaveLength(payloads.length);
        for (const [i, e] of read.entries()) expect(Buffer.from(e.payload).equals(payloads[i]!)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

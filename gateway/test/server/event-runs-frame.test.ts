import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEventRunsFrame } from '../../src/sessions/event-runs-frame.js';
import { encodeServerFrame } from '../../src/sessions/frames.js';

const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const run = fc.record({
  streamIndex: fc.oneof(fc.constant(0), fc.nat({ max: 2 ** 32 - 1 })),
  segmentId: fc.oneof(fc.constant(0n), int64, fc.bigInt({ min: 0n, max: (1n << 40n) - 1n })),
  offset: fc.oneof(fc.constant(0n), int64, fc.bigInt({ min: 0n, max: (1n << 53n) + 10n })),
  // The encoder copies the bytes as they are; whether they are whole events is not its concern.
  bytes: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 300 })),
});

/** What protobuf-es writes for the same runs. */
const reflective = (
  channel: number,
  runs: Array<{ streamIndex: number; segmentId: bigint; offset: bigint; bytes: Uint8Array }>,
) =>
  encodeServerFrame({
    case: 'eventRuns',
    value: {
      channel,
      runs: runs.map((r) => ({
        streamIndex: r.streamIndex,
        segmentId: r.segmentId,
        offset: r.offset,
        events: r.bytes,
      })),
    },
  });

describe('encodeEventRunsFrame', () => {
  it('writes exactly the bytes of the reflective encoder', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(0), fc.nat({ max: 2 ** 32 - 1 })),
        fc.array(run, { maxLength: 8 }),
        (channel, runs) => {
          const delivered = runs.map((r) => ({
            streamIndex: r.streamIndex,
            segmentId: r.segmentId,
            run: { offset: r.offset, bytes: r.bytes, count: 1 },
          }));
          expect(encodeEventRunsFrame(channel, delivered)).toEqual(reflective(channel, runs));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('writes a 1 MiB run the same, into the buffer it is given', () => {
    const r = {
      streamIndex: 1,
      segmentId: (3n << 32n) | 7n,
      offset: 123_456_789n,
      bytes: new Uint8Array(1 << 20).fill(7),
    };
    let given: Uint8Array | undefined;
    const fast = encodeEventRunsFrame(
      9,
      [{ streamIndex: 1, segmentId: r.segmentId, run: { offset: r.offset, bytes: r.bytes, count: 1 } }],
      (size) => {
        given = new Uint8Array(size);
        return given;
      },
    );
    expect(fast).toBe(given);
    expect(Buffer.from(fast).equals(Buffer.from(reflective(9, [r])))).toBe(true);
  });
});

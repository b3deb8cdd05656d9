import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEventsFrame } from '../../src/sessions/events-frame.js';
import { encodeServerFrame } from '../../src/sessions/frames.js';

const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const event = fc.record({
  streamIndex: fc.oneof(fc.constant(0), fc.nat({ max: 2 ** 32 - 1 })),
  segmentId: fc.oneof(fc.constant(0n), int64, fc.bigInt({ min: 0n, max: (1n << 40n) - 1n })),
  offset: fc.oneof(fc.constant(0n), int64, fc.bigInt({ min: 0n, max: (1n << 53n) + 10n })),
  payload: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 300 })),
});

describe('encodeEventsFrame', () => {
  it('writes exactly the bytes of the reflective encoder', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(0), fc.nat({ max: 2 ** 32 - 1 })),
        fc.array(event, { maxLength: 20 }),
        (channel, events) => {
          expect(encodeEventsFrame(channel, events)).toEqual(
            encodeServerFrame({ case: 'events', value: { channel, events } }),
          );
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('writes the same bytes when runs of events share a segment (as in a catch-up read)', () => {
    const shared = fc.record({
      streamIndex: fc.nat({ max: 3 }),
      segmentId: fc.constantFrom(0n, 1n, (5n << 32n) | 2n, -1n, (1n << 62n) + 3n),
      offset: fc.oneof(fc.constant(0n), int64, fc.bigInt({ min: (1n << 53n) - 5n, max: (1n << 53n) + 5n })),
      payload: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(
      fc.property(fc.array(shared, { maxLength: 60 }), (events) => {
        expect(encodeEventsFrame(1, events)).toEqual(
          encodeServerFrame({ case: 'events', value: { channel: 1, events } }),
        );
      }),
      { numRuns: 1_000 },
    );
  });

  it('handles a large event', () => {
    const events = [
      { streamIndex: 1, segmentId: (3n << 32n) | 7n, offset: 123_456_789n, payload: new Uint8Array(1 << 20).fill(7) },
    ];
    const fast = encodeEventsFrame(9, events);
    const slow = encodeServerFrame({ case: 'events', value: { channel: 9, events } });
    expect(Buffer.from(fast).equals(Buffer.from(slow))).toBe(true);
  });
});

/**
 * The hand encoder of Append frames against protobuf-es: for any channel, first sequence
 * number and events (payloads, routing keys absent, empty, ASCII, any Unicode or holding lone
 * surrogates, which also go as UTF-16 units), the bytes
 * are exactly what `toBinary` writes, into a fresh buffer or a reused one holding old bytes.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { ClientFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeAppendFrame, type OutgoingEvent } from '../src/protocol/append-frame.js';
import { hasLoneSurrogate, utf16leBytes } from '../src/protocol/utf16.js';

const key = fc.oneof(
  fc.constant(undefined),
  fc.constant(''),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
  // Lone surrogates, reversed pairs: sent as UTF-16 units as well.
  fc.string({ unit: fc.integer({ min: 0xd7fe, max: 0xe001 }).map((u) => String.fromCharCode(u)), maxLength: 6 }),
  fc.constantFrom('key-1', 'key-2'), // repeats: the key cache
);
const event: fc.Arbitrary<OutgoingEvent> = fc.record({
  payload: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 300 })),
  key,
});

function reference(channel: number, firstSequence: number, events: readonly OutgoingEvent[]): Uint8Array {
  return toBinary(
    ClientFrameSchema,
    create(ClientFrameSchema, {
      kind: {
        case: 'append',
        value: {
          channel,
          firstSequence: BigInt(firstSequence),
          events: events.map((e) =>
            e.key === undefined
              ? { payload: e.payload }
              : {
                  payload: e.payload,
                  routingKey: e.key,
                  ...(hasLoneSurrogate(e.key) ? { routingKeyUtf16: utf16leBytes(e.key) } : {}),
                },
          ),
        },
      },
    }),
  );
}

describe('encodeAppendFrame', () => {
  it('writes exactly the bytes protobuf-es writes', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(0), fc.nat({ max: 2 ** 32 - 1 })),
        fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat()),
        fc.array(event, { maxLength: 30 }),
        (channel, firstSequence, events) => {
          expect(encodeAppendFrame(channel, firstSequence, events, 0, events.length)).toEqual(
            reference(channel, firstSequence, events),
          );
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('writes every byte of a reused buffer: old contents never leak into a frame', () => {
    fc.assert(
      fc.property(fc.nat({ max: 255 }), fc.array(event, { maxLength: 30 }), (junk, events) => {
        // A larger buffer full of junk, as a pooled one would be; the frame is its first bytes.
        const dirty = (size: number) => new Uint8Array(size + 64).fill(junk).subarray(0, size);
        expect(encodeAppendFrame(5, 42, events, 0, events.length, dirty)).toEqual(reference(5, 42, events));
      }),
      { numRuns: 1_000 },
    );
  });

  it('encodes a slice of the events only', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 20 }), fc.nat(), fc.nat(), (events, a, b) => {
        const start = a % events.length;
        const end = start + (b % (events.length - start + 1));
        expect(encodeAppendFrame(7, 1_700_000_000_000_000, events, start, end)).toEqual(
          reference(7, 1_700_000_000_000_000, events.slice(start, end)),
        );
      }),
      { numRuns: 1_000 },
    );
  });

  it('frames a thousand events with large payloads (scratch space grows)', () => {
    const events = Array.from({ length: 3_000 }, (_, i) => ({
      payload: new Uint8Array(i % 7 === 0 ? 20_000 : 100).fill(i % 256),
      key: i % 3 === 0 ? undefined : `key-${i % 100}`,
    }));
    const fast = encodeAppendFrame(3, 2 ** 52, events, 0, events.length);
    const expected = reference(3, 2 ** 52, events);
    // Buffer.equals: a deep toEqual over 9 MB would take the better part of a minute.
    expect(fast.length).toBe(expected.length);
    expect(Buffer.from(fast.buffer, fast.byteOffset, fast.length).equals(expected)).toBe(true);
  });
});

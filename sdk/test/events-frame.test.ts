/**
 * The hand decoder of Events frames against protobuf-es: on every frame it accepts it returns
 * exactly what `fromBinary` returns; what it declines (`undefined`) protobuf-es decodes or rejects.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEventsFrame, LazyEvents } from '../src/protocol/events-frame.js';
import { decodeServerFrame } from '../src/protocol/frames.js';

const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const event = fc.record({
  streamIndex: fc.oneof(fc.constant(0), fc.nat({ max: 2 ** 32 - 1 })),
  segmentId: fc.oneof(fc.constant(0n), int64, fc.bigInt({ min: 0n, max: (1n << 40n) - 1n })),
  offset: fc.oneof(fc.constant(0n), int64, fc.bigInt({ min: 0n, max: (1n << 53n) + 10n })),
  payload: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 300 })),
});
const frame = fc
  .record({
    channel: fc.oneof(fc.constant(0), fc.nat({ max: 2 ** 32 - 1 })),
    events: fc.array(event, { maxLength: 20 }),
  })
  .map((value) => toBinary(ServerFrameSchema, create(ServerFrameSchema, { kind: { case: 'events', value } })));

/** A lazily decoded frame taken whole, in the shape of the eager decoder's result. */
function drain(lazy: LazyEvents) {
  const events = [];
  while (lazy.next()) {
    const { streamIndex, segmentId, offset, payload } = lazy;
    events.push({ $typeName: 'sluice.v1.Event', streamIndex, segmentId, offset, payload });
  }
  return {
    $typeName: 'sluice.v1.ServerFrame',
    kind: { case: 'events', value: { $typeName: 'sluice.v1.Events', channel: lazy.channel, events } },
  };
}

/** The decoders' contract on any bytes: the lazy one accepts exactly what the eager one does. */
function agrees(bytes: Uint8Array): void {
  const fast = decodeEventsFrame(bytes);
  const lazy = LazyEvents.of(bytes);
  expect(lazy === undefined).toBe(fast === undefined);
  if (fast === undefined) return;
  expect(fast).toEqual(fromBinary(ServerFrameSchema, bytes));
  expect(drain(lazy!)).toEqual(fast);
}

describe('decodeEventsFrame and LazyEvents', () => {
  it('decodes what protobuf-es encodes, exactly as protobuf-es decodes it', () => {
    fc.assert(
      fc.property(frame, (bytes) => {
        const fast = decodeEventsFrame(bytes);
        expect(fast).toBeDefined();
        expect(fast).toEqual(fromBinary(ServerFrameSchema, bytes));
        expect(drain(LazyEvents.of(bytes)!)).toEqual(fast);
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees with protobuf-es (or declines) on mutated, truncated and extended frames', () => {
    fc.assert(
      fc.property(
        frame,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        fc.uint8Array({ maxLength: 12 }),
        (bytes, flips, cut, tail) => {
          const mutated = Uint8Array.from(bytes);
          for (const [at, b] of flips) if (mutated.length > 0) mutated[at % mutated.length] = b;
          agrees(mutated);
          agrees(bytes.subarray(0, bytes.length === 0 ? 0 : cut % bytes.length));
          agrees(Uint8Array.from([...bytes, ...tail]));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('agrees with protobuf-es on arbitrary bytes behind the Events tag', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (rest) => agrees(Uint8Array.from([0x32, ...rest]))),
      { numRuns: 5_000 },
    );
  });

  it('declines other frames, non-minimal and unknown fields, and a repeated events field', () => {
    const pong = toBinary(ServerFrameSchema, create(ServerFrameSchema, { kind: { case: 'pong', value: {} } }));
    expect(decodeEventsFrame(pong)).toBeUndefined();
    // Events { channel: 1, <field 9 varint 1> }
    expect(decodeEventsFrame(Uint8Array.from([0x32, 0x04, 0x08, 0x01, 0x48, 0x01]))).toBeUndefined();
    // Events { channel: 1 } written twice: protobuf merges the two messages.
    const twice = Uint8Array.from([0x32, 0x02, 0x08, 0x01, 0x32, 0x02, 0x08, 0x02]);
    expect(decodeEventsFrame(twice)).toBeUndefined();
    expect(decodeServerFrame(twice)).toEqual(fromBinary(ServerFrameSchema, twice));
    // A truncated frame is still a typed `protocol` error.
    expect(() => decodeServerFrame(Uint8Array.from([0x32, 0x05, 0x08]))).toThrow(
      expect.objectContaining({ code: 'protocol' }),
    );
  });

  it('reads a 64 KiB payload as a view, without copying', () => {
    const value = {
      channel: 3,
      events: [{ streamIndex: 1, segmentId: 5n, offset: 9n, payload: new Uint8Array(1 << 16).fill(7) }],
    };
    const bytes = toBinary(ServerFrameSchema, create(ServerFrameSchema, { kind: { case: 'events', value } }));
    const fast = decodeEventsFrame(bytes)!;
    expect(fast).toEqual(fromBinary(ServerFrameSchema, bytes));
    const payload = fast.kind.case === 'events' ? fast.kind.value.events[0]!.payload : undefined;
    expect(payload?.buffer).toBe(bytes.buffer);
  });
});

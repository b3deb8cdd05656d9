/**
 * The hand decoder of Append frames against protobuf-es: on every frame it accepts it returns
 * what the reflective path (fromBinary, then appendBatchOf) returns; it never throws, and what it
 * declines (`undefined`) protobuf-es decodes or rejects as before.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ClientFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeAppendFrame } from '../../../sdk/src/protocol/append-frame.js';
import { type AppendBatch, appendBatchOf, decodeAppendFrame } from '../../src/sessions/append-frame.js';

const uint64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const event = fc.record({
  payload: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 300 })),
  routingKey: fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 8 })), {
    nil: undefined,
  }),
});
const append = fc.record({
  channel: fc.oneof(fc.constant(0), fc.nat({ max: 2 ** 32 - 1 })),
  firstSequence: fc.oneof(fc.constant(0n), uint64, fc.bigInt({ min: 0n, max: (1n << 53n) + 10n })),
  events: fc.array(event, { maxLength: 20 }),
});
const frame = append.map((value) =>
  toBinary(ClientFrameSchema, create(ClientFrameSchema, { kind: { case: 'append', value } })),
);

/** What the session gets from the reflective path, or undefined when that is not an Append. */
function reflective(bytes: Uint8Array): AppendBatch | undefined {
  const kind = fromBinary(ClientFrameSchema, bytes).kind;
  return kind.case === 'append' ? appendBatchOf(kind.value) : undefined;
}

/** The decoder's contract on any bytes: no throw; a batch only where protobuf-es agrees. */
function agrees(bytes: Uint8Array): void {
  const fast = decodeAppendFrame(bytes);
  if (fast === undefined) return;
  expect(fast).toEqual(reflective(bytes));
}

describe('decodeAppendFrame', () => {
  it('decodes what protobuf-es encodes, as the reflective path does (non-ASCII keys declined)', () => {
    fc.assert(
      fc.property(frame, (bytes) => {
        const fast = decodeAppendFrame(bytes);
        const expected = reflective(bytes)!;
        const asciiKeys = expected.keys.every((k) => k === undefined || /^[\0-\x7f]*$/.test(k));
        if (asciiKeys) expect(fast).toEqual(expected);
        else expect(fast).toBeUndefined();
      }),
      { numRuns: 2_000 },
    );
  });

  it('decodes what the SDK encodes by hand', () => {
    const events = Array.from({ length: 500 }, (_, i) => ({
      payload: new Uint8Array(100).fill(i % 256),
      key: i % 5 === 0 ? undefined : `key-${i % 100}`,
    }));
    const batch = decodeAppendFrame(encodeAppendFrame(9, 1_764_000_000_000_000, events, 0, events.length));
    expect(batch?.channel).toBe(9);
    expect(batch?.firstSequence).toBe(1_764_000_000_000_000);
    expect(batch?.keys).toEqual(events.map((e) => e.key));
    expect(batch?.payloads.map((p) => p[0])).toEqual(events.map((e) => e.payload[0]));
  });

  it('agrees with protobuf-es (or declines, never throws) on mutated, truncated and extended frames', () => {
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

  it('never throws on random bytes, and declines other frame kinds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => agrees(Uint8Array.from([34, ...bytes]))),
      { numRuns: 5_000 },
    );
    const ping = toBinary(
      ClientFrameSchema,
      create(ClientFrameSchema, { kind: { case: 'ping', value: { nonce: 1n } } }),
    );
    expect(decodeAppendFrame(ping)).toBeUndefined();
  });

  it('declines a second oneof field after the Append (protobuf lets the last one win)', () => {
    const a = toBinary(
      ClientFrameSchema,
      create(ClientFrameSchema, { kind: { case: 'append', value: { channel: 1, firstSequence: 5n } } }),
    );
    const ping = toBinary(
      ClientFrameSchema,
      create(ClientFrameSchema, { kind: { case: 'ping', value: { nonce: 1n } } }),
    );
    const both = Uint8Array.from([...a, ...ping]);
    expect(decodeAppendFrame(both)).toBeUndefined();
    expect(fromBinary(ClientFrameSchema, both).kind.case).toBe('ping');
  });
});

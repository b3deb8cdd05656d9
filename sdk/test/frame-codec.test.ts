/**
 * The SDK's table codec (@sluice/proto table-codec.ts + the generated gateway_codec.ts) against
 * protobuf-es, for any ClientFrame and ServerFrame (every field of every message, random values,
 * oneofs, optional fields, lists): the same bytes from the same init object, the same object
 * from the same bytes, also for two frames' bytes concatenated (protobuf's merge: last scalar
 * wins, messages merge, lists append). And whatever bytes arrive, the SDK's decodeServerFrame
 * fails only with a SluiceError `protocol`.
 */
import { create, type DescField, type DescMessage, fromBinary, ScalarType, toBinary } from '@bufbuild/protobuf';
import {
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
} from '@sluice/proto/sluice/v1/gateway_codec.js';
import { ClientFrameSchema, ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../src/errors.js';
import { decodeServerFrame as sdkDecodeServerFrame } from '../src/protocol/frames.js';

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const UINT64 = { min: 0n, max: 2n ** 64n - 1n };

function scalar(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.DOUBLE:
      return fc.oneof(fc.double(), fc.constantFrom(0, -0, 1.5));
    case ScalarType.FLOAT:
      return fc.float();
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.oneof(fc.integer(), fc.constant(0));
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constant(0));
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.oneof(fc.bigInt(INT64), fc.constant(0n));
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.oneof(fc.bigInt(UINT64), fc.constant(0n));
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.STRING:
      return fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 4 }), fc.constant(''));
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 16 });
  }
}

function single(field: DescField, depth: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case 'scalar':
      return scalar(field.scalar);
    case 'enum':
      return fc.oneof(fc.constantFrom(...field.enum.values.map((v) => v.number)), fc.integer({ min: -2, max: 9 }));
    case 'message':
      return message(field.message, depth - 1);
    case 'list': {
      const item =
        field.listKind === 'message'
          ? message(field.message, depth - 1)
          : field.listKind === 'enum'
            ? fc.integer({ min: -2, max: 9 })
            : scalar(field.scalar);
      return fc.array(item, { maxLength: 3 });
    }
    case 'map':
      throw new Error('no map fields in gateway.proto');
  }
}

const memo = new Map<string, fc.Arbitrary<object>>();
/** Init objects for `desc`: any subset of its fields, a oneof set to any member or none. */
function message(desc: DescMessage, depth: number): fc.Arbitrary<object> {
  const key = `${desc.typeName}/${depth}`;
  const known = memo.get(key);
  if (known) return known;
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of desc.members) {
    if (member.kind === 'oneof') {
      model[member.localName] = fc.oneof(
        fc.constant({ case: undefined }),
        ...member.fields
          .filter((f) => f.fieldKind !== 'message' || depth > 0)
          .map((f) => single(f, depth).map((value) => ({ case: f.localName, value }))),
      );
    } else if ((member.fieldKind !== 'message' && member.fieldKind !== 'list') || depth > 0) {
      model[member.localName] = single(member, depth);
    }
  }
  const arb = fc.record(model, { requiredKeys: [] });
  memo.set(key, arb);
  return arb;
}

const frames = [
  { name: 'ClientFrame', schema: ClientFrameSchema, encode: encodeClientFrame, decode: decodeClientFrame },
  { name: 'ServerFrame', schema: ServerFrameSchema, encode: encodeServerFrame, decode: decodeServerFrame },
] as const;

describe.each(frames)('table codec: $name against protobuf-es', ({ schema, encode, decode }) => {
  const init = message(schema, 6);
  // biome-ignore lint/suspicious/noExplicitAny: init shapes of either frame
  const reference = (m: object) => toBinary(schema, create(schema, m as any));

  it('encodes any frame to the bytes protobuf-es writes', () => {
    fc.assert(
      fc.property(init, (m) => {
        // biome-ignore lint/suspicious/noExplicitAny: as above
        expect(encode(m as any)).toEqual(reference(m));
      }),
      { numRuns: 400 },
    );
  });

  it('decodes any frame to the object protobuf-es reads', () => {
    fc.assert(
      fc.property(init, (m) => {
        const bytes = reference(m);
        expect(decode(bytes)).toEqual(fromBinary(schema, bytes));
      }),
      { numRuns: 400 },
    );
  });

  it('merges two frames concatenated as protobuf-es does', () => {
    fc.assert(
      fc.property(init, init, (a, b) => {
        const bytes = new Uint8Array([...reference(a), ...reference(b)]);
        expect(decode(bytes)).toEqual(fromBinary(schema, bytes));
      }),
      { numRuns: 200 },
    );
  });
});

describe('the SDK decoding server frames', () => {
  it('fails on any bytes only with a SluiceError protocol', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          sdkDecodeServerFrame(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(SluiceError);
          expect((err as SluiceError).code).toBe('protocol');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('reads packed and unpacked repeated numbers alike', () => {
    // Request.scaleStream.seal (repeated int64): [7, 9] packed, then the same one by one.
    const packed = encodeClientFrame({
      kind: { case: 'request', value: { call: { case: 'scaleStream', value: { seal: [7n, 9n] } } } },
    });
    const frame = fromBinary(ClientFrameSchema, packed);
    expect(decodeClientFrame(packed)).toEqual(frame);
    // ClientFrame.request (2) { Request.scale_stream (18) { seal (2), wire type 0, twice } }.
    const unpacked = new Uint8Array([0x12, 0x07, 0x92, 0x01, 0x04, 0x10, 0x07, 0x10, 0x09]);
    expect(decodeClientFrame(unpacked)).toEqual(fromBinary(ClientFrameSchema, unpacked));
    expect(decodeClientFrame(unpacked)).toEqual(frame);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReaderPosition, Serializers, SluiceError, StreamCut } from '../src/index.js';
import { hasLoneSurrogate } from '../src/protocol/utf16.js';
import { backoffDelay } from '../src/transport/backoff.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('Serializers', () => {
  it('utf8 gives the bytes of Java UTF8StringSerializer and reads bytes as it does (golden values from the JDK)', () => {
    // Printed by the Java peer's utf8-cases (UTF8StringSerializer on OpenJDK 17); the interop
    // test (interop/test/strings.test.ts) compares thousands more against the peer itself.
    const u = Serializers.utf8();
    const written: Array<[string, string]> = [
      ['héllo 😀', '68c3a96c6c6f20f09f9880'],
      ['\ufeffx', 'efbbbf78'],
      ['\ud800', '3f'],
      ['a\ud83d', '613f'],
      ['\ude00\ud83d', '3f3f'],
      ['\ud83d\ud83d\ude00', '3ff09f9880'],
      ['\uffff', 'efbfbf'],
      ['\udbff\udffd', 'f48fbfbd'],
    ];
    for (const [value, bytes] of written) expect(hex(u.serialize(value)), JSON.stringify(value)).toBe(bytes);
    const read: Array<[string, string]> = [
      ['efbbbf78', '\ufeffx'],
      ['efbbbfefbbbf', '\ufeff\ufeff'],
      ['eda080', '\ufffd'], // a surrogate's encoding: one U+FFFD in Java, three in TextDecoder
      ['7fedbfbf', '\u007f\ufffd'],
      ['eda080f5f4908080', '\ufffd'.repeat(6)],
      ['e282', '\ufffd'], // cut off at the end: one U+FFFD for the lot
      ['c080', '\ufffd\ufffd'],
      ['f09f9841', '\ufffdA'],
    ];
    for (const [bytes, value] of read) expect(u.deserialize(Buffer.from(bytes, 'hex')), bytes).toBe(value);
  });

  it('finds lone surrogates exactly (the routing keys that go as UTF-16 units)', () => {
    const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    const surrogateHeavy = fc.string({
      unit: fc.oneof(
        fc.integer({ min: 0xd7fe, max: 0xe001 }).map((c) => String.fromCharCode(c)),
        fc.constant('a'),
      ),
      maxLength: 12,
    });
    fc.assert(
      fc.property(fc.oneof(surrogateHeavy, fc.string({ unit: 'binary' })), (s) => {
        expect(hasLoneSurrogate(s)).toBe(lone.test(s));
      }),
      { numRuns: 5_000 },
    );
  });

  it('javaString matches Java Object Serialization of a String (verified with the JDK)', () => {
    const s = Serializers.javaString();
    expect(hex(s.serialize('hello'))).toBe('aced000574000568656c6c6f');
    expect(hex(s.serialize(''))).toBe('aced0005740000');
    expect(s.deserialize(Buffer.from('aced000574000568656c6c6f', 'hex'))).toBe('hello');
    expect(s.deserialize(s.serialize('é\u0000😀'))).toBe('é\u0000😀');
  });

  it('javaString refuses anything but a String', () => {
    // java.lang.Integer 5: a class descriptor, not a string.
    const integer = Buffer.from('aced0005737200116a6176612e6c616e672e496e7465676572', 'hex');
    expect(() => Serializers.javaString().deserialize(integer)).toThrowError(SluiceError);
  });

  it('protobuf round-trips a message with its plain binary encoding', async () => {
    const { create, toBinary } = await import('@bufbuild/protobuf');
    const { StreamCutSchema } = await import('@sluice/proto/sluice/v1/gateway_pb.js');
    const pb = Serializers.protobuf(StreamCutSchema);
    const msg = create(StreamCutSchema, { stream: 's/t', positions: [{ segmentId: 4n, offset: 99n }] });
    const bytes = pb.serialize(msg);
    expect(bytes).toEqual(toBinary(StreamCutSchema, msg));
    expect(pb.deserialize(bytes).positions[0]?.offset).toBe(99n);
  });

  it('json round-trips', () => {
    const j = Serializers.json<{ a: number[] }>();
    expect(j.deserialize(j.serialize({ a: [1, 2] }))).toEqual({ a: [1, 2] });
  });
});

describe('StreamCut text', () => {
  it("decodes Java's StreamCut.asText() (compare cuts, not strings)", async () => {
    const java = 'H4sIAAAAAAAA/zOwKk7OL0jVLy4pSk3MtTLUMQJiQytDAx0jAwD3+IcaHAAAAA==';
    const cut = await StreamCut.fromText(java);
    expect(cut.stream).toBe('scope/stream');
    expect([...cut.positions]).toEqual([
      [(1n << 32n) | 1n, 10n],
      [(1n << 32n) | 2n, 20n],
    ]);
    expect((await StreamCut.fromText(await cut.toText())).equals(cut)).toBe(true);
  });

  it('maps UNBOUNDED both ways and rejects garbage with invalid-argument', async () => {
    expect((await StreamCut.fromText('UNBOUNDED')).isUnbounded).toBe(true);
    expect(await StreamCut.UNBOUNDED.toText()).toBe('UNBOUNDED');
    await expect(StreamCut.fromText('not base64 gzip')).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

describe('ReaderPosition', () => {
  it('round-trips through JSON with bigints intact', () => {
    const p = new ReaderPosition(
      new Map([['s/t', { segments: new Map([[(5n << 32n) | 3n, 123n]]), future: new Map([[9n, [1n, 2n]]]) }]]),
    );
    const back = ReaderPosition.fromJSON(JSON.parse(JSON.stringify(p)));
    expect(back.streams.get('s/t')?.segments.get((5n << 32n) | 3n)).toBe(123n);
    expect(back.streams.get('s/t')?.future.get(9n)).toEqual([1n, 2n]);
  });

  it('rejects a corrupt position with invalid-argument', () => {
    expect(() => ReaderPosition.fromJSON('{"streams":[{"stream":1}]}')).toThrowError(
      expect.objectContaining({ code: 'invalid-argument' }),
    );
  });
});

describe('full-jitter backoff', () => {
  it.each([
    [0, 0, 0],
    [0, 0.999, 99],
    [3, 0.5, 400],
    [20, 0.999, 9_990],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, { baseMs: 100, maxMs: 10_000 }, () => random)).toBe(expected);
  });
});

/**
 * Hand-checked vectors (fact sheet §1.3, §1.14 — derived from Pravega's source, marked so) and
 * typed errors for truncated, oversized and unknown input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CommandDecoder,
  decodeModifiedUtf8,
  EventFrameParser,
  encodeAppendBlockEndParts,
  encodeCommand,
  encodeEventFrame,
  encodeModifiedUtf8,
  MAX_FRAME_BYTES,
  WireError,
} from '../../src/wire/index.js';
import { eventsOf } from '../helpers/runs.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const WRITER = '00000000-0000-0001-0000-000000000002';
const SEGMENT = 'sc/st/0.#epoch.0';

describe('derived vectors (§1.14)', () => {
  it('Hello(16, 5)', () => {
    expect(encodeCommand({ type: 'Hello', highVersion: 16, lowVersion: 5 })).toEqual(
      hex('ffffff81 00000008 00000010 00000005'),
    );
  });

  it('KeepAlive', () => {
    expect(encodeCommand({ type: 'KeepAlive' })).toEqual(hex('00000064 00000000'));
  });

  it('SetupAppend', () => {
    expect(
      encodeCommand({ type: 'SetupAppend', requestId: 1n, writerId: WRITER, segment: SEGMENT, delegationToken: '' }),
    ).toEqual(
      hex(
        '00000001 0000002c 0000000000000001 0000000000000001 0000000000000002 0010 73632f73742f302e2365706f63682e30 0000',
      ),
    );
  });

  it('AppendBlockEnd with one event', () => {
    const data = encodeEventFrame(Buffer.from('hello'));
    expect(data).toEqual(hex('00000000 00000005 68656c6c6f'));
    expect(
      encodeCommand({
        type: 'AppendBlockEnd',
        writerId: WRITER,
        sizeOfWholeEvents: 13,
        data,
        numEvents: 1,
        lastEventNumber: 1n,
        requestId: 2n,
      }),
    ).toEqual(
      hex(
        '00000004 00000039 0000000000000001 0000000000000002 0000000d 0000000d 0000000000000005 68656c6c6f 00000001 0000000000000001 0000000000000002',
      ),
    );
  });

  it('AppendBlockEnd in parts (head, the events uncopied, tail) is the same bytes', () => {
    const one = encodeEventFrame(Buffer.from('hello'));
    const parts = encodeAppendBlockEndParts({
      writerId: WRITER,
      events: [one],
      numEvents: 1,
      lastEventNumber: 1n,
      requestId: 2n,
    });
    expect(parts[1]).toBe(one);
    expect(Buffer.concat(parts)).toEqual(
      hex(
        '00000004 00000039 0000000000000001 0000000000000002 0000000d 0000000d 0000000000000005 68656c6c6f 00000001 0000000000000001 0000000000000002',
      ),
    );
    const events = [Buffer.from('a'), Buffer.alloc(10_240, 7), Buffer.alloc(0)].map((p) => encodeEventFrame(p));
    const data = Buffer.concat(events);
    const whole = { writerId: WRITER, numEvents: 3, lastEventNumber: 1n << 40n, requestId: (5n << 32n) | 9n };
    expect(Buffer.concat(encodeAppendBlockEndParts({ ...whole, events }))).toEqual(
      encodeCommand({ type: 'AppendBlockEnd', ...whole, sizeOfWholeEvents: data.length, data }),
    );
    expect(() => encodeAppendBlockEndParts({ ...whole, events: [Buffer.alloc(MAX_FRAME_BYTES)] })).toThrow(WireError);
  });

  it('ReadSegment', () => {
    expect(
      encodeCommand({
        type: 'ReadSegment',
        segment: SEGMENT,
        offset: 0n,
        suggestedLength: 1048576,
        delegationToken: '',
        requestId: 3n,
      }),
    ).toEqual(
      hex('00000009 00000028 0010 73632f73742f302e2365706f63682e30 0000000000000000 00100000 0000 0000000000000003'),
    );
  });
});

describe('Java modified UTF-8', () => {
  it('encodes U+0000 as C0 80 and surrogate pairs as two 3-byte units (verified with the JDK)', () => {
    const s = 'é\u0000😀';
    const encoded = encodeModifiedUtf8(s);
    expect(Buffer.from(encoded).toString('hex')).toBe('c3a9c080eda0bdedb880');
    expect(decodeModifiedUtf8(encoded, 0, encoded.length)).toBe(s);
  });

  it('refuses strings longer than 65535 encoded bytes', () => {
    const cmd = { type: 'SealSegment', requestId: 1n, segment: 'é'.repeat(40_000), delegationToken: '' } as const;
    expect(() => encodeCommand(cmd)).toThrowError(expect.objectContaining({ code: 'string-too-long' }));
  });
});

describe('optional trailing fields', () => {
  it('defaults fields a shorter (older) DataAppended omits, as Java does', () => {
    // writerId + eventNumber only: previousEventNumber, requestId, currentSegmentWriteOffset absent.
    const frame = hex('00000007 00000018 0000000000000001 0000000000000002 0000000000000009');
    expect(new CommandDecoder().push(frame)).toEqual([
      {
        type: 'DataAppended',
        writerId: WRITER,
        eventNumber: 9n,
        previousEventNumber: -1n,
        requestId: -1n,
        currentSegmentWriteOffset: -1n,
      },
    ]);
  });

  it('defaults a missing startOffset in StreamSegmentInfo to 0', () => {
    const full = encodeCommand({
      type: 'StreamSegmentInfo',
      requestId: 1n,
      segmentName: 's',
      exists: true,
      isSealed: false,
      isDeleted: false,
      lastModified: 5n,
      writeOffset: 100n,
      startOffset: 7n,
    });
    const short = Buffer.from(full.subarray(0, full.length - 8));
    short.writeInt32BE(short.length - 8, 4);
    expect(new CommandDecoder().push(short)[0]).toMatchObject({ writeOffset: 100n, startOffset: 0n });
  });
});

describe('bad input gets a typed error', () => {
  const decodeError = (bytes: Uint8Array, opts?: { maxFrameBytes?: number }) => {
    try {
      new CommandDecoder(opts).push(bytes);
    } catch (err) {
      return err;
    }
    return undefined;
  };

  it('unknown command type', () => {
    expect(decodeError(hex('0000002a 00000000'))).toMatchObject({ code: 'unknown-type' });
  });

  it('a frame over the limit, before its payload arrives', () => {
    const err = decodeError(hex('0000000a 00ffffff'));
    expect(err).toBeInstanceOf(WireError);
    expect(err).toMatchObject({ code: 'frame-too-large' });
    expect(decodeError(hex('0000000a 00001000'), { maxFrameBytes: 1024 })).toMatchObject({ code: 'frame-too-large' });
  });

  it('a negative length', () => {
    expect(decodeError(hex('0000000a ffffffff'))).toMatchObject({ code: 'negative-length' });
  });

  it('a payload shorter than its required fields', () => {
    expect(decodeError(hex('ffffff81 00000004 00000010'))).toMatchObject({ code: 'malformed' });
  });

  it('a string length running past the payload', () => {
    expect(decodeError(hex('0000001d 0000000a 0000000000000001 00ff'))).toMatchObject({ code: 'malformed' });
  });

  it('keeps a partial frame buffered until it completes', () => {
    const frame = encodeCommand({ type: 'KeepAlive' });
    const d = new CommandDecoder();
    expect(d.push(frame.subarray(0, 5))).toEqual([]);
    expect(d.bufferedBytes).toBe(5);
    expect(d.push(frame.subarray(5))).toEqual([{ type: 'KeepAlive' }]);
    expect(d.bufferedBytes).toBe(0);
  });
});

describe('EventFrameParser', () => {
  const events = ['a', '', 'hello world', 'x'.repeat(1000)].map((s) => Buffer.from(s));
  const data = Buffer.concat(events.map((e) => encodeEventFrame(e)));

  it('splits events cut at every offset across reads, with their offsets', () => {
    for (let cut = 0; cut <= data.length; cut++) {
      const parser = new EventFrameParser(100n);
      const got = eventsOf([...parser.push(data.subarray(0, cut)), ...parser.push(data.subarray(cut))]);
      expect(got.map((e) => Buffer.from(e.payload).toString())).toEqual(events.map((e) => e.toString()));
      expect(got.map((e) => e.offset)).toEqual([100n, 109n, 117n, 136n]);
      expect(parser.nextOffset).toBe(100n + BigInt(data.length));
      expect(parser.bufferedBytes).toBe(0);
    }
  });

  it('gives exact offsets past 2^53 (where a number would round)', () => {
    const start = 2n ** 53n - 10n;
    const parser = new EventFrameParser(start);
    const got = eventsOf(parser.push(data));
    expect(got.map((e) => e.offset)).toEqual([start, start + 9n, start + 17n, start + 36n]);
    expect(parser.nextOffset).toBe(start + BigInt(data.length));
  });

  it('splits events fed byte by byte, and cut into many pieces anywhere', () => {
    const bytewise = new EventFrameParser(0n);
    const one = eventsOf([...data].flatMap((b) => bytewise.push(Uint8Array.of(b))));
    expect(one.map((e) => Buffer.from(e.payload).toString())).toEqual(events.map((e) => e.toString()));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: data.length - 1 }), { maxLength: 8 }), (cuts) => {
        const bounds = [0, ...cuts.sort((a, b) => a - b), data.length];
        const parser = new EventFrameParser(100n);
        const got = eventsOf(bounds.slice(1).flatMap((end, i) => parser.push(data.subarray(bounds[i]!, end))));
        expect(got.map((e) => Buffer.from(e.payload).toString())).toEqual(events.map((e) => e.toString()));
        expect(got.map((e) => e.offset)).toEqual([100n, 109n, 117n, 136n]);
        expect(parser.bufferedBytes).toBe(0);
      }),
      { numRuns: 2_000 },
    );
  });

  it('rejects data that is not an event', () => {
    expect(() => new EventFrameParser(0n).push(hex('00000003 00000001 00'))).toThrowError(
      expect.objectContaining({ code: 'malformed' }),
    );
    expect(() => new EventFrameParser(0n).push(hex('00000000 7fffffff'))).toThrowError(
      expect.objectContaining({ code: 'malformed' }),
    );
  });
});

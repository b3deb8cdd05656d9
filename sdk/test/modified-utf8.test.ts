/**
 * The shared modified UTF-8 codec (@sluice/proto/modified-utf8), which the gateway's wire codec and
 * the SDK's Java serializers both use: the forms Java's DataOutput.writeUTF gives, and a lossless
 * round trip for every JavaScript string, lone surrogates included.
 */
import { decodeModifiedUtf8, encodeModifiedUtf8 } from '@sluice/proto/modified-utf8.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('modified UTF-8', () => {
  it('writes NUL as C0 80 and a character past U+FFFF as two 3-byte surrogates, as Java does', () => {
    expect(hex(encodeModifiedUtf8('a\u0000b'))).toBe('61c08062');
    expect(hex(encodeModifiedUtf8('\u{10000}'))).toBe('eda080edb080');
    expect(hex(encodeModifiedUtf8('\ud800'))).toBe('eda080');
    expect(hex(encodeModifiedUtf8('\u00e9\u20ac'))).toBe('c3a9e282ac');
  });

  it('round-trips every string, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(decodeModifiedUtf8(encodeModifiedUtf8(s))).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  it('equals standard UTF-8 for strings of BMP characters without NUL', () => {
    const bmp = fc.integer({ min: 1, max: 0xffff }).filter((c) => c < 0xd800 || c > 0xdfff);
    fc.assert(
      fc.property(fc.array(bmp), (codes) => {
        const s = String.fromCharCode(...codes);
        expect(hex(encodeModifiedUtf8(s))).toBe(Buffer.from(s, 'utf8').toString('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('reads a slice, and answers undefined for a truncated or invalid sequence', () => {
    expect(decodeModifiedUtf8(Uint8Array.of(0x00, 0x61, 0x62, 0x00), 1, 3)).toBe('ab');
    expect(decodeModifiedUtf8(Uint8Array.of(0x61, 0xc3))).toBeUndefined();
    expect(decodeModifiedUtf8(Uint8Array.of(0xe2, 0x82))).toBeUndefined();
    expect(decodeModifiedUtf8(Uint8Array.of(0xff))).toBeUndefined();
  });
});

/**
 * Pravega's VersionedSerializer numbers and strings (what EventPointer and Watermark bytes are
 * made of): every value round-trips, each compact number takes the size Java gives it, and
 * input that ends early or names an unknown format is a typed error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JavaDataReader, JavaDataWriter, readVersioned, writeVersioned } from '../src/protocol/java-versioned.js';

const sizeOfLong = (v: bigint) => (v > 0x3fffffffn ? 8 : v > 0x3fffn ? 4 : v > 0x3fn ? 2 : 1);
const sizeOfInt = (v: number) => (v > 0x3fff ? 4 : v > 0x7f ? 2 : 1);

describe('Java serialization', () => {
  it('compact longs and ints round-trip in the sizes RevisionDataOutput writes', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 62n - 1n }), fc.integer({ min: 0, max: 2 ** 30 - 1 }), (l, i) => {
        const w = new JavaDataWriter();
        w.compactLong(l);
        expect(w.length).toBe(sizeOfLong(l));
        w.compactInt(i);
        expect(w.length).toBe(sizeOfLong(l) + sizeOfInt(i));
        const r = new JavaDataReader(w.result());
        expect(r.compactLong()).toBe(l);
        expect(r.compactInt()).toBe(i);
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it('strings of any UTF-16 units round-trip as modified UTF-8 (NUL as two bytes, astral characters as surrogates)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 64 }).map((u) => String.fromCharCode(...u)),
        (s) => {
          const w = new JavaDataWriter();
          w.utf(s);
          expect(new JavaDataReader(w.result()).utf()).toBe(s);
        },
      ),
    );
    const w = new JavaDataWriter();
    w.utf('\0😀');
    expect([...w.result()]).toEqual([0, 8, 0xc0, 0x80, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]);
  });

  it('values written past the first buffer survive its growth', () => {
    const w = new JavaDataWriter();
    const s = 'x'.repeat(300);
    for (let i = 0; i < 20; i++) w.i64(BigInt(i) * 1_000_000_007n);
    w.utf(s);
    w.f64(0.25);
    const r = new JavaDataReader(w.result());
    for (let i = 0; i < 20; i++) expect(r.i64()).toBe(BigInt(i) * 1_000_000_007n);
    expect(r.utf()).toBe(s);
    expect(r.f64()).toBe(0.25);
  });

  it('versioned objects skip later revisions and refuse what they cannot read', () => {
    const w = new JavaDataWriter();
    writeVersioned(w, (d) => d.i64(42n));
    const bytes = w.result();
    expect([...bytes.subarray(0, 8)]).toEqual([0, 0, 1, 0, 0, 0, 0, 8]);
    expect(readVersioned(new JavaDataReader(bytes), 'x', (d) => d.i64())).toBe(42n);
    // A newer writer's second revision is skipped.
    const newer = Uint8Array.from([0, 0, 2, 0, 0, 0, 0, 8, ...bytes.subarray(8), 1, 0, 0, 0, 2, 9, 9]);
    expect(readVersioned(new JavaDataReader(newer), 'x', (d) => d.i64())).toBe(42n);
    for (const broken of [bytes.subarray(0, 10), Uint8Array.from([1, ...bytes.subarray(1)]), new Uint8Array(0)]) {
      expect(() => readVersioned(new JavaDataReader(broken), 'x', (d) => d.i64())).toThrow(
        expect.objectContaining({ code: 'invalid-argument' }),
      );
    }
  });
});

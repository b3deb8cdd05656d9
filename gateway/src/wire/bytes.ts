/**
 * Big-endian primitives as Java's DataOutput writes them (fact sheet §1.3): ints, longs as
 * bigint, UUIDs as two longs, and strings in Java's "modified UTF-8" with a u16 length.
 */

import { decodeModifiedUtf8 as decodeSharedModifiedUtf8, encodeModifiedUtf8 } from '@sluice/proto/modified-utf8.js';
import { WireError } from './errors.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Reads fields from one frame's payload; every read is bounds-checked. */
export class ByteReader {
  private readonly view: DataView;
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0) throw new WireError('negative-length', `negative length for ${what}`);
    if (this.pos + n > this.end)
      throw new WireError('malformed', `truncated ${what}: need ${n} bytes, ${this.end - this.pos} left`);
  }

  i8(): number {
    this.need(1, 'byte');
    return this.view.getInt8(this.pos++);
  }

  bool(): boolean {
    return this.i8() !== 0;
  }

  i32(): number {
    this.need(4, 'int');
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  i64(): bigint {
    this.need(8, 'long');
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  f64(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  uuid(): string {
    this.need(16, 'UUID');
    const b = this.bytes;
    const p = this.pos;
    this.pos += 16;
    let s = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      s += HEX[b[p + i]!];
    }
    return s;
  }

  utf(): string {
    this.need(2, 'string length');
    const len = this.view.getUint16(this.pos);
    this.pos += 2;
    this.need(len, 'string');
    const s = decodeModifiedUtf8(this.bytes, this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** `n` bytes as a view into the frame (no copy). */
  raw(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** An i32 length followed by that many bytes. */
  blob(what = 'blob'): Uint8Array {
    return this.raw(this.i32(), what);
  }

  rest(): Uint8Array {
    return this.raw(this.remaining);
  }
}

/** Accumulates fields; sized up front by the caller's estimate, grows if needed. */
export class ByteWriter {
  private buf: Buffer;
  pos = 0;

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  i8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
    return this;
  }

  bool(v: boolean): this {
    return this.i8(v ? 1 : 0);
  }

  i32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  i64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uuid(v: string): this {
    const hex = v.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new WireError('malformed', `not a UUID: ${v}`);
    this.ensure(16);
    this.buf.write(hex, this.pos, 16, 'hex');
    this.pos += 16;
    return this;
  }

  utf(v: string): this {
    const encoded = encodeModifiedUtf8(v);
    if (encoded.length > 0xffff)
      throw new WireError('string-too-long', `string of ${encoded.length} bytes exceeds 65535`);
    this.ensure(2 + encoded.length);
    this.buf.writeUInt16BE(encoded.length, this.pos);
    this.pos += 2;
    this.buf.set(encoded, this.pos);
    this.pos += encoded.length;
    return this;
  }

  raw(v: Uint8Array): this {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  blob(v: Uint8Array): this {
    return this.i32(v.length).raw(v);
  }

  /** Overwrites an i32 already written (frame length). */
  patchI32(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Java's modified UTF-8 (shared with the SDK): see @sluice/proto/modified-utf8. */
export { encodeModifiedUtf8 };

export function decodeModifiedUtf8(b: Uint8Array, start: number, end: number): string {
  const s = decodeSharedModifiedUtf8(b, start, end);
  if (s === undefined) throw new WireError('malformed', 'malformed modified UTF-8 sequence');
  return s;
}

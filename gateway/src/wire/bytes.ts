/**
 * Big-endian primitives as Java's DataOutput writes them (fact sheet §1.3): ints, longs as
 * bigint, UUIDs as two longs, and strings in Java's "modified UTF-8" with a u16 length.
 */
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

/** Java's modified UTF-8: UTF-16 units one by one; U+0000 as C0 80; surrogates as 3 bytes each. */
export function encodeModifiedUtf8(s: string): Uint8Array {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(s, 'latin1');
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 1 && c <= 0x7f) out.push(c);
    else if (c <= 0x7ff) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

export function decodeModifiedUtf8(b: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (b[i]! > 0x7f || b[i] === 0) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
  let s = '';
  let i = start;
  while (i < end) {
    const x = b[i]!;
    if (x < 0x80) {
      s += String.fromCharCode(x);
      i++;
    } else if ((x & 0xe0) === 0xc0) {
      if (i + 1 >= end) throw new WireError('malformed', 'truncated modified UTF-8 sequence');
      s += String.fromCharCode(((x & 0x1f) << 6) | (b[i + 1]! & 0x3f));
      i += 2;
    } else if ((x & 0xf0) === 0xe0) {
      if (i + 2 >= end) throw new WireError('malformed', 'truncated modified UTF-8 sequence');
      s += String.fromCharCode(((x & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f));
      i += 3;
    } else {
      throw new WireError('malformed', `invalid modified UTF-8 byte 0x${x.toString(16)}`);
    }
  }
  return s;
}

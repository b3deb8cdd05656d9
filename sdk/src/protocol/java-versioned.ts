/**
 * The byte format of Pravega's VersionedSerializer (what EventPointer.toBytes and the
 * controller's Watermark entries use): [format 0][version][revision count], then per revision
 * [revision id][i32 length][data]; data written with Java's DataOutput plus Pravega's compact
 * numbers (RevisionDataOutput). No I/O: bytes in, values out, and a typed error for bad input.
 */
import { decodeModifiedUtf8, encodeModifiedUtf8 } from '@sluice/proto/modified-utf8.js';
import { SluiceError } from '../errors.js';

const bad = (what: string) => new SluiceError('invalid-argument', `not a Pravega serialization: ${what}`);

/** Reads Java DataInput values from a byte range, refusing to read past it. */
export class JavaDataReader {
  private readonly view: DataView;
  pos = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number): number {
    if (this.pos + n > this.bytes.length) throw bad(`${n} more bytes needed at ${this.pos} of ${this.bytes.length}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }

  i32(): number {
    return this.view.getInt32(this.need(4));
  }

  i64(): bigint {
    return this.view.getBigInt64(this.need(8));
  }

  f64(): number {
    return this.view.getFloat64(this.need(8));
  }

  bytesOf(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  /** RevisionDataOutput.writeCompactInt: 1, 2 or 4 bytes, the top bits saying which. */
  compactInt(): number {
    const first = this.bytes[this.pos];
    if (first === undefined) throw bad('a compact int past the end');
    if ((first & 0x80) === 0) return this.u8();
    if ((first & 0x40) === 0) return this.view.getUint16(this.need(2)) & 0x3fff;
    return this.view.getUint32(this.need(4)) & 0x3fffffff;
  }

  /** RevisionDataOutput.writeCompactLong: 1, 2, 4 or 8 bytes, the top two bits saying which. */
  compactLong(): bigint {
    const first = this.bytes[this.pos];
    if (first === undefined) throw bad('a compact long past the end');
    switch (first >> 6) {
      case 0:
        return BigInt(this.u8());
      case 1:
        return BigInt(this.view.getUint16(this.need(2)) & 0x3fff);
      case 2:
        return BigInt(this.view.getUint32(this.need(4)) & 0x3fffffff);
      default:
        return this.view.getBigUint64(this.need(8)) & 0x3fff_ffff_ffff_ffffn;
    }
  }

  /** DataOutput.writeUTF: a u16 length, then modified UTF-8. */
  utf(): string {
    const length = this.view.getUint16(this.need(2));
    const s = decodeModifiedUtf8(this.bytesOf(length));
    if (s === undefined) throw bad('malformed modified UTF-8');
    return s;
  }
}

/** Writes Java DataOutput values into a growing buffer. */
export class JavaDataWriter {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  // Each writer takes its offset from room() first: room() may replace `this.view`.
  u8(v: number): void {
    const at = this.room(1);
    this.view.setUint8(at, v);
  }

  u16(v: number): void {
    const at = this.room(2);
    this.view.setUint16(at, v);
  }

  i32(v: number): void {
    const at = this.room(4);
    this.view.setInt32(at, v);
  }

  u32(v: number): void {
    const at = this.room(4);
    this.view.setUint32(at, v);
  }

  i64(v: bigint): void {
    const at = this.room(8);
    this.view.setBigInt64(at, v);
  }

  u64(v: bigint): void {
    const at = this.room(8);
    this.view.setBigUint64(at, v);
  }

  f64(v: number): void {
    const at = this.room(8);
    this.view.setFloat64(at, v);
  }

  bytes(b: Uint8Array): void {
    const at = this.room(b.length);
    this.buf.set(b, at);
  }

  compactInt(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0x3fffffff)
      throw new SluiceError('invalid-argument', `compact int ${v} out of range`);
    if (v > 0x3fff) this.u32((v | 0xc0000000) >>> 0);
    else if (v > 0x7f) this.u16(v | 0x8000);
    else this.u8(v);
  }

  compactLong(v: bigint): void {
    if (v < 0n || v > 0x3fff_ffff_ffff_ffffn)
      throw new SluiceError('invalid-argument', `compact long ${v} out of range`);
    if (v > 0x3fffffffn) this.u64(v | 0xc000_0000_0000_0000n);
    else if (v > 0x3fffn) this.u32(Number(v | 0x80000000n));
    else if (v > 0x3fn) this.u16(Number(v) | 0x4000);
    else this.u8(Number(v));
  }

  utf(s: string): void {
    const encoded = encodeModifiedUtf8(s);
    if (encoded.length > 0xffff) throw new SluiceError('invalid-argument', 'a string longer than writeUTF takes');
    this.u16(encoded.length);
    this.bytes(encoded);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/**
 * Reads one VersionedSerializer object whose only known revision is revision 0 of version 0
 * (later revisions, which newer Pravega versions may add, are skipped as Java skips them).
 */
export function readVersioned<T>(r: JavaDataReader, what: string, read00: (data: JavaDataReader) => T): T {
  if (r.u8() !== 0) throw bad(`${what}: unknown serialization format`);
  const version = r.u8();
  if (version !== 0) throw bad(`${what}: version ${version}, only 0 is known`);
  const revisions = r.u8();
  if (revisions < 1) throw bad(`${what}: no revision`);
  let value: T | undefined;
  for (let i = 0; i < revisions; i++) {
    const id = r.u8();
    const length = r.i32();
    if (length < 0) throw bad(`${what}: negative revision length`);
    const data = new JavaDataReader(r.bytesOf(length));
    if (i === 0) {
      if (id !== 0) throw bad(`${what}: revision ${id} first`);
      value = read00(data);
    }
  }
  return value as T;
}

/** Writes one object as VersionedSerializer does: version 0, one revision 0. */
export function writeVersioned(w: JavaDataWriter, write00: (data: JavaDataWriter) => void): void {
  const data = new JavaDataWriter();
  write00(data);
  w.u8(0); // format
  w.u8(0); // version
  w.u8(1); // revisions
  w.u8(0); // revision id
  w.i32(data.length);
  w.bytes(data.result());
}

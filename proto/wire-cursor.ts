/**
 * A cursor over one protobuf message, for the hand-written decoders of the hot-path frames (the
 * SDK's Events decoder, the gateway's Append decoder). It never throws: at the first unexpected
 * byte it sets `bad`, and the decoder declines the frame (protobuf-es decodes it instead).
 */
export class WireCursor {
  pos = 0;
  bad = false;
  /** The high 32 bits of the last `varint` (for 64-bit fields). */
  hi = 0;

  constructor(readonly buf: Uint8Array) {}

  /**
   * A cursor at the start of the body when `bytes` is exactly one length-delimited field `tag`
   * spanning the whole frame; else undefined (another kind, or more fields — a second oneof
   * field, or a repeated one protobuf would merge — are the reflective decoder's).
   */
  static ofOnlyField(bytes: Uint8Array, tag: number): WireCursor | undefined {
    if (bytes.length === 0 || bytes[0] !== tag) return undefined;
    const c = new WireCursor(bytes);
    c.pos = 1;
    const body = c.length(bytes.length);
    return c.bad || c.pos + body !== bytes.length ? undefined : c;
  }

  /** A varint of up to 10 bytes: returns its low 32 bits as an unsigned number, sets `hi`. */
  varint(end: number): number {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) break;
      const b = buf[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << shift;
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      shift += 7;
      if (b < 0x80) {
        this.hi = hi >>> 0;
        return lo >>> 0;
      }
    }
    this.bad = true;
    return 0;
  }

  /** A length-delimited field's length, checked against `end`. */
  length(end: number): number {
    const n = this.varint(end);
    if (this.hi !== 0 || n > end - this.pos) this.bad = true;
    return n;
  }
}

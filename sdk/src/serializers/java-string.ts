/**
 * Java Object Serialization of a single `String` — what Pravega's JavaSerializer<String> writes:
 * AC ED 00 05, then 74 + u16 length (or 7C + i64 length) + modified UTF-8. Anything else is
 * refused: arbitrary Java serialization is neither portable nor safe to decode.
 */
import { SluiceError } from '../errors.js';
import type { Serializer } from './serializer.js';

const MAGIC = [0xac, 0xed, 0x00, 0x05];

function modifiedUtf8(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 1 && c <= 0x7f) out.push(c);
    else if (c <= 0x7ff) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return out;
}

function decodeModifiedUtf8(b: Uint8Array, start: number, end: number): string {
  let s = '';
  let i = start;
  while (i < end) {
    const x = b[i]!;
    if (x < 0x80) {
      s += String.fromCharCode(x);
      i += 1;
    } else if ((x & 0xe0) === 0xc0 && i + 1 < end) {
      s += String.fromCharCode(((x & 0x1f) << 6) | (b[i + 1]! & 0x3f));
      i += 2;
    } else if ((x & 0xf0) === 0xe0 && i + 2 < end) {
      s += String.fromCharCode(((x & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f));
      i += 3;
    } else {
      throw new SluiceError('invalid-argument', 'not a Java-serialized string: bad modified UTF-8');
    }
  }
  return s;
}

export function javaStringSerializer(): Serializer<string> {
  return {
    serialize(value) {
      const body = modifiedUtf8(value);
      const head =
        body.length < 0x10000
          ? [0x74, body.length >> 8, body.length & 0xff]
          : [0x7c, 0, 0, 0, 0, ...[24, 16, 8, 0].map((s) => (body.length >>> s) & 0xff)];
      return Uint8Array.from([...MAGIC, ...head, ...body]);
    },
    deserialize(bytes) {
      const bad = () =>
        new SluiceError('invalid-argument', 'not a Java-serialized String (only java.lang.String is supported)');
      if (bytes.length < 7 || MAGIC.some((m, i) => bytes[i] !== m)) throw bad();
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let start: number;
      let length: number;
      if (bytes[4] === 0x74) {
        length = view.getUint16(5);
        start = 7;
      } else if (bytes[4] === 0x7c && bytes.length >= 13) {
        length = Number(view.getBigUint64(5));
        start = 13;
      } else {
        throw bad();
      }
      if (start + length !== bytes.length) throw bad();
      return decodeModifiedUtf8(bytes, start, start + length);
    },
  };
}

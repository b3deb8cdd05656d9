/**
 * Java Object Serialization of a single `String` — what Pravega's JavaSerializer<String> writes:
 * AC ED 00 05, then 74 + u16 length (or 7C + i64 length) + modified UTF-8. Anything else is
 * refused: arbitrary Java serialization is neither portable nor safe to decode.
 */
import { decodeModifiedUtf8, encodeModifiedUtf8 } from '@sluice/proto/modified-utf8.js';
import { SluiceError } from '../errors.js';
import type { Serializer } from './serializer.js';

const MAGIC = [0xac, 0xed, 0x00, 0x05];

export function javaStringSerializer(): Serializer<string> {
  return {
    serialize(value) {
      const body = encodeModifiedUtf8(value);
      const head =
        body.length < 0x10000
          ? [0x74, body.length >> 8, body.length & 0xff]
          : [0x7c, 0, 0, 0, 0, ...[24, 16, 8, 0].map((s) => (body.length >>> s) & 0xff)];
      const out = new Uint8Array(MAGIC.length + head.length + body.length);
      out.set(MAGIC);
      out.set(head, MAGIC.length);
      out.set(body, MAGIC.length + head.length);
      return out;
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
      const text = decodeModifiedUtf8(bytes, start, start + length);
      if (text === undefined)
        throw new SluiceError('invalid-argument', 'not a Java-serialized string: bad modified UTF-8');
      return text;
    },
  };
}

/**
 * UTF-8 exactly as Java's `UTF8StringSerializer` does it, both ways, for every string and every
 * byte sequence (compared with the Java peer's own output: interop/test/strings.test.ts).
 *
 * Encoding is `String.getBytes(UTF_8)`: as TextEncoder for well-formed strings, but a lone
 * surrogate becomes '?' (0x3F), not U+FFFD's three bytes.
 *
 * Decoding is `StandardCharsets.UTF_8.decode`: a leading U+FEFF is kept (TextDecoder drops it
 * unless told `ignoreBOM`), and malformed input is replaced as Java's decoder replaces it, which
 * is not always as WHATWG's: a surrogate's three-byte encoding (ED A0 80) is one U+FFFD in Java
 * and three in a browser, and an incomplete sequence at the end is one U+FFFD for all its bytes.
 * Valid input (nearly all of it) goes through TextDecoder; only input it refuses is walked here.
 */

import { hasLoneSurrogate } from '../protocol/utf16.js';

const encoder = new TextEncoder();
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const REPLACEMENT = 0xfffd;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `String.getBytes(StandardCharsets.UTF_8)`. */
export function encodeJavaUtf8(s: string): Uint8Array {
  return encoder.encode(hasLoneSurrogate(s) ? s.replace(LONE_SURROGATE, '?') : s);
}

/** `StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes)).toString()`. */
export function decodeJavaUtf8(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    return decodeMalformed(bytes);
  }
}

const isContinuation = (b: number) => (b & 0xc0) === 0x80;

/**
 * How many bytes Java's decoder replaces with one U+FFFD at `i`, where a `need`-byte sequence
 * was malformed (its malformedN).
 */
function malformedLength(bytes: Uint8Array, i: number, need: number): number {
  const b1 = bytes[i]!;
  const b2 = bytes[i + 1]!;
  if (need === 3) return (b1 === 0xe0 && (b2 & 0xe0) === 0x80) || !isContinuation(b2) ? 1 : 2;
  if (need === 4) {
    if (
      b1 > 0xf4 ||
      (b1 === 0xf0 && (b2 < 0x90 || b2 > 0xbf)) ||
      (b1 === 0xf4 && (b2 & 0xf0) !== 0x80) ||
      !isContinuation(b2)
    )
      return 1;
    return isContinuation(bytes[i + 2]!) ? 3 : 2;
  }
  return 1;
}

/** Java's decoding loop (sun.nio.cs.UTF_8.Decoder) with REPLACE, for input that is not valid UTF-8. */
function decodeMalformed(bytes: Uint8Array): string {
  const units: number[] = [];
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b1 = bytes[i]!;
    const left = n - i;
    if (b1 < 0x80) {
      units.push(b1);
      i++;
    } else if (b1 >= 0xc2 && b1 <= 0xdf) {
      if (left < 2) break; // incomplete at the end
      const b2 = bytes[i + 1]!;
      if (!isContinuation(b2)) {
        units.push(REPLACEMENT);
        i++;
        continue;
      }
      units.push(((b1 & 0x1f) << 6) | (b2 & 0x3f));
      i += 2;
    } else if (b1 >= 0xe0 && b1 <= 0xef) {
      if (left < 3) {
        const b2 = bytes[i + 1];
        if (b2 !== undefined && ((b1 === 0xe0 && (b2 & 0xe0) === 0x80) || !isContinuation(b2))) {
          units.push(REPLACEMENT);
          i++;
          continue;
        }
        break; // incomplete at the end
      }
      const b2 = bytes[i + 1]!;
      const b3 = bytes[i + 2]!;
      if ((b1 === 0xe0 && (b2 & 0xe0) === 0x80) || !isContinuation(b2) || !isContinuation(b3)) {
        units.push(REPLACEMENT);
        i += malformedLength(bytes, i, 3);
        continue;
      }
      const c = ((b1 & 0x0f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
      // A surrogate's encoding: malformed as a whole, one replacement for its three bytes.
      units.push(c >= 0xd800 && c <= 0xdfff ? REPLACEMENT : c);
      i += 3;
    } else if (b1 >= 0xf0 && b1 <= 0xf7) {
      if (left < 4) {
        const b2 = bytes[i + 1];
        if (
          b1 > 0xf4 ||
          (b2 !== undefined &&
            ((b1 === 0xf0 && (b2 < 0x90 || b2 > 0xbf)) || (b1 === 0xf4 && (b2 & 0xf0) !== 0x80) || !isContinuation(b2)))
        ) {
          units.push(REPLACEMENT);
          i++;
          continue;
        }
        const b3 = bytes[i + 2];
        if (b3 !== undefined && !isContinuation(b3)) {
          units.push(REPLACEMENT);
          i += 2;
          continue;
        }
        break; // incomplete at the end
      }
      const b2 = bytes[i + 1]!;
      const b3 = bytes[i + 2]!;
      const b4 = bytes[i + 3]!;
      const cp = ((b1 & 0x07) << 18) | ((b2 & 0x3f) << 12) | ((b3 & 0x3f) << 6) | (b4 & 0x3f);
      if (!isContinuation(b2) || !isContinuation(b3) || !isContinuation(b4) || cp < 0x10000 || cp > 0x10ffff) {
        units.push(REPLACEMENT);
        i += malformedLength(bytes, i, 4);
        continue;
      }
      units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
      i += 4;
    } else {
      // 80..BF without a lead, C0, C1, F8..FF.
      units.push(REPLACEMENT);
      i++;
    }
  }
  // What is left is the start of a sequence cut off by the end: one replacement for all of it.
  if (i < n) units.push(REPLACEMENT);
  let out = '';
  for (let at = 0; at < units.length; at += 8192) out += String.fromCharCode(...units.slice(at, at + 8192));
  return out;
}

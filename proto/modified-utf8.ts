/**
 * Java's modified UTF-8 (DataOutput.writeUTF's body, Java serialization's strings): each UTF-16
 * unit on its own — a lone surrogate included — U+0000 as C0 80, and a character past U+FFFF as its
 * two surrogates of 3 bytes each. Shared by the gateway's wire codec and the SDK's Java-compatible
 * serializers, which must agree with Java byte for byte.
 */

// Every runtime Sluice supports (Node, browsers, Deno, workers) has both; this package compiles
// without DOM or Node types, so it declares the two members it uses.
declare const TextEncoder: new () => { encode(s: string): Uint8Array };
declare const TextDecoder: new () => { decode(b: Uint8Array): string };

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** True when every unit is 1..0x7f: modified UTF-8, UTF-8 and ASCII then agree. */
function plainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0x7f) return false;
  }
  return true;
}

export function encodeModifiedUtf8(s: string): Uint8Array {
  if (plainAscii(s)) return utf8.encode(s);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 1 && c <= 0x7f) out.push(c);
    else if (c <= 0x7ff) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

/**
 * Decodes `b[start, end)`; `undefined` when the bytes are not modified UTF-8 (a truncated sequence
 * or a byte that cannot start one), so each caller raises its own typed error.
 */
export function decodeModifiedUtf8(b: Uint8Array, start = 0, end = b.length): string | undefined {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (b[i]! > 0x7f || b[i] === 0) {
      ascii = false;
      break;
    }
  }
  if (ascii) return utf8Decoder.decode(b.subarray(start, end));
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
      return undefined;
    }
  }
  return s;
}

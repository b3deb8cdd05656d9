/**
 * JavaScript strings are UTF-16 code units, like Java's, and may hold lone surrogates (half of a
 * pair, e.g. what `key.slice(0, n)` leaves of an emoji). UTF-8 cannot carry those: an encoder
 * replaces each with U+FFFD (TextEncoder) or '?' (Java). What must survive exactly — a routing
 * key, which Java hashes unit by unit — travels as its units when it has any (docs/routing-keys.md).
 */

/** Any surrogate: a string without one is well-formed, the common case, found without a loop. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** True when `s` holds a surrogate that is not half of a high-low pair. */
export function hasLoneSurrogate(s: string): boolean {
  if (!SURROGATE.test(s)) return false;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return true;
  }
  return false;
}

/** The code units of `s`, little-endian, two bytes each. */
export function utf16leBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    out[i * 2] = unit & 0xff;
    out[i * 2 + 1] = unit >> 8;
  }
  return out;
}

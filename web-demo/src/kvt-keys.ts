/**
 * How the key-value table panel shows keys and values: a key is text, UTF-8, padded with '_' to
 * the table's whole key length (Pravega's keys have a fixed length); a value is UTF-8 text.
 */
import { type Serializer, SluiceError } from '@sluice/sdk';

const PAD = 0x5f; // '_'

export function paddedKeys(length: number): Serializer<string> {
  return {
    serialize(key) {
      const bytes = new TextEncoder().encode(key);
      if (bytes.length > length)
        throw new SluiceError(
          'invalid-argument',
          `the key "${key}" has ${bytes.length} bytes; this table's keys have ${length}`,
        );
      const out = new Uint8Array(length).fill(PAD);
      out.set(bytes);
      return out;
    },
    deserialize(bytes) {
      let end = bytes.length;
      while (end > 0 && bytes[end - 1] === PAD) end--;
      return new TextDecoder().decode(bytes.subarray(0, end));
    },
  };
}

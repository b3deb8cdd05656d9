/**
 * The serializers that need no library: everything of `Serializers` but `protobuf`, which brings
 * protobuf-es's binary runtime (~4 KB min+gzip). `@sluice/sdk/writer` exports these as its
 * `Serializers`, to keep a writer-only app small (docs/packaging.md, "Bundle size").
 */
import { javaStringSerializer } from './java-string.js';
import { decodeJavaUtf8, encodeJavaUtf8 } from './java-utf8.js';
import type { Serializer } from './serializer.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const basicSerializers = {
  /**
   * Plain UTF-8, identical to Java's UTF8StringSerializer both ways for every string: a leading
   * U+FEFF is kept, a lone surrogate is written as '?' and malformed bytes read as Java reads them.
   */
  utf8(): Serializer<string> {
    return { serialize: encodeJavaUtf8, deserialize: decodeJavaUtf8 };
  },
  /** JSON as UTF-8 (what Jackson/Gson users write from Java). */
  json<T = unknown>(): Serializer<T> {
    return {
      serialize: (v) => encoder.encode(JSON.stringify(v)),
      deserialize: (b) => JSON.parse(decoder.decode(b)) as T,
    };
  },
  /** Raw bytes, as Java's ByteArraySerializer. */
  bytes(): Serializer<Uint8Array> {
    return { serialize: (b) => b, deserialize: (b) => b };
  },
  /** Java Object Serialization of a String (Java's JavaSerializer<String>); strings only. */
  javaString(): Serializer<string> {
    return javaStringSerializer();
  },
};

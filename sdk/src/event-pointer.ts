/**
 * Where one event lives (Pravega's EventPointer): its segment, its offset and its length (the
 * 8-byte event header included, as Java counts it). Made from any event a reader hands out,
 * resolved later with `client.fetchEvent`. Both of Java's forms interoperate: `toBytes()` /
 * `fromBytes()` are EventPointer.toBytes() / EventPointer.fromBytes(), and `toString()` /
 * `fromString()` are EventPointerImpl's text ("scope/stream/3.#epoch.1:120-45").
 */
import { SluiceError } from './errors.js';
import { JavaDataReader, JavaDataWriter, readVersioned, writeVersioned } from './protocol/java-versioned.js';
import type { ReadEvent } from './reader/reader-options.js';

const HEADER_BYTES = 8;
const SEGMENT = /^([^/]+)\/([^/]+)\/(\d+)(?:\.#epoch\.(\d+))?$/;

export class EventPointer {
  /** `stream` is "scope/stream"; `length` counts the event's 8-byte header and its payload. */
  constructor(
    readonly stream: string,
    readonly segment: bigint,
    readonly offset: bigint,
    readonly length: number,
  ) {
    if (offset < 0n || !Number.isInteger(length) || length < HEADER_BYTES)
      throw new SluiceError('invalid-argument', `not an event pointer: offset ${offset}, length ${length}`);
    if (!stream.includes('/'))
      throw new SluiceError('invalid-argument', `an event pointer needs "scope/stream", got "${stream}"`);
  }

  /** The pointer of an event a reader handed out. */
  static of(event: ReadEvent<unknown>): EventPointer {
    const next = event.position.streams.get(event.stream)?.segments.get(event.segment);
    if (next === undefined || next <= event.offset)
      throw new SluiceError('invalid-argument', 'this event carries no position for its own segment');
    return new EventPointer(event.stream, event.segment, event.offset, Number(next - event.offset));
  }

  /** The segment's name as Pravega writes it: "scope/stream/<number>.#epoch.<epoch>". */
  get segmentName(): string {
    return `${this.stream}/${Number(this.segment & 0xffffffffn)}.#epoch.${Number(this.segment >> 32n)}`;
  }

  /** EventPointerImpl.toString(). */
  toString(): string {
    return `${this.segmentName}:${this.offset}-${this.length}`;
  }

  /** EventPointerImpl.fromString(). */
  static fromString(text: string): EventPointer {
    const colon = text.lastIndexOf(':');
    const span = /^(\d+)-(\d+)$/.exec(text.slice(colon + 1));
    if (colon <= 0 || !span) throw new SluiceError('invalid-argument', `not an event pointer: "${text}"`);
    const { stream, segment } = parseSegment(text.slice(0, colon));
    return new EventPointer(stream, segment, BigInt(span[1]!), Number(span[2]));
  }

  /** EventPointer.toBytes(): Pravega's serialization (version 0, revision 0). */
  toBytes(): Uint8Array {
    const w = new JavaDataWriter();
    writeVersioned(w, (d) => {
      d.utf(this.segmentName);
      d.compactLong(this.offset);
      d.compactInt(this.length);
    });
    return w.result();
  }

  /** EventPointer.fromBytes(). */
  static fromBytes(bytes: Uint8Array): EventPointer {
    return readVersioned(new JavaDataReader(bytes), 'EventPointer', (d) => {
      const { stream, segment } = parseSegment(d.utf());
      return new EventPointer(stream, segment, d.compactLong(), d.compactInt());
    });
  }
}

/** Segment.fromScopedName: "scope/stream/<number>[.#epoch.<epoch>]". */
function parseSegment(name: string): { stream: string; segment: bigint } {
  const m = SEGMENT.exec(name);
  if (!m) throw new SluiceError('invalid-argument', `not a segment name: "${name}"`);
  const segment = (BigInt(m[4] ?? 0) << 32n) | BigInt(m[3]!);
  return { stream: `${m[1]}/${m[2]}`, segment };
}

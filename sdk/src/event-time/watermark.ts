/**
 * Pravega's Watermark (io.pravega.shared.watermarks.Watermark), as its controller writes one
 * into a stream's `_MARK` stream: a time window [lower, upper] and the stream cut it holds at,
 * each segment with its key range. Decoded from (and, for tests, encoded to) Java's bytes.
 */
import { JavaDataReader, JavaDataWriter, readVersioned, writeVersioned } from '../protocol/java-versioned.js';

export interface MarkSegment {
  segment: bigint;
  low: number;
  high: number;
  offset: bigint;
}

export interface Watermark {
  lowerTimeBound: bigint;
  upperTimeBound: bigint;
  streamCut: MarkSegment[];
}

export function decodeWatermark(bytes: Uint8Array): Watermark {
  return readVersioned(new JavaDataReader(bytes), 'Watermark', (d) => {
    const lowerTimeBound = d.i64();
    const upperTimeBound = d.i64();
    const count = d.compactInt();
    const streamCut: MarkSegment[] = [];
    for (let i = 0; i < count; i++) {
      const key = readVersioned(d, 'SegmentWithRange', (k) => ({ segment: k.i64(), low: k.f64(), high: k.f64() }));
      streamCut.push({ ...key, offset: d.i64() });
    }
    return { lowerTimeBound, upperTimeBound, streamCut };
  });
}

export function encodeWatermark(mark: Watermark): Uint8Array {
  const w = new JavaDataWriter();
  writeVersioned(w, (d) => {
    d.i64(mark.lowerTimeBound);
    d.i64(mark.upperTimeBound);
    d.compactInt(mark.streamCut.length);
    for (const s of mark.streamCut) {
      writeVersioned(d, (k) => {
        k.i64(s.segment);
        k.f64(s.low);
        k.f64(s.high);
      });
      d.i64(s.offset);
    }
  });
  return w.result();
}

/**
 * Where a reader's position stands against a mark, as Pravega's WatermarkReaderImpl.compare:
 * > 0 the reader is past it (at it counts as past: time advances), < 0 before it, 0 on both
 * sides. A segment of the reader's that the mark names is compared by offset; one it does not
 * name is compared, by segment id, with every segment of the mark (Java's rule for a segment
 * whose key range it does not know). An offset of -1 is past every offset.
 */
export function compareToMark(position: ReadonlyMap<bigint, bigint>, mark: Watermark): number {
  let below = false;
  let above = false;
  const named = new Map(mark.streamCut.map((s) => [s.segment, s.offset]));
  for (const [segment, offset] of position) {
    const exact = named.get(segment);
    const matches = exact !== undefined ? [[segment, exact] as const] : [...named];
    for (const [other, otherOffset] of matches) {
      const c = compareSegmentOffsets(segment, offset, other, otherOffset);
      if (c > 0) above = true;
      else if (c < 0) below = true;
    }
  }
  if (below && above) return 0;
  if (below) return -1;
  return 1;
}

function compareSegmentOffsets(a: bigint, aOffset: bigint, b: bigint, bOffset: bigint): number {
  if (a !== b) return a < b ? -1 : 1;
  if (aOffset <= -1n && bOffset >= 0n) return 1;
  if (aOffset >= 0n && bOffset <= -1n) return -1;
  return aOffset < bOffset ? -1 : aOffset > bOffset ? 1 : 0;
}

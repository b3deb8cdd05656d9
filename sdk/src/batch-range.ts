/**
 * One segment's share of a batch read (Pravega's `SegmentRange`): the events of `segment` from
 * offset `start` up to `end`. `client.batchRanges` splits a read between two cuts into these;
 * each can be handed to another worker, tab or process (as JSON, or by structured clone) and read
 * there with `client.readRange`; together they hold every event between the cuts once.
 */
import { SluiceError } from './errors.js';

export interface BatchRangeJSON {
  stream: string;
  segment: string;
  start: string;
  end: string;
}

export class BatchRange {
  constructor(
    /** "scope/stream" */
    readonly stream: string,
    readonly segment: bigint,
    readonly start: bigint,
    readonly end: bigint,
  ) {}

  /** Bytes in the range (events and their headers). */
  get bytes(): bigint {
    return this.end > this.start ? this.end - this.start : 0n;
  }

  toJSON(): BatchRangeJSON {
    return { stream: this.stream, segment: String(this.segment), start: String(this.start), end: String(this.end) };
  }

  /** From `toJSON()` output (or its text), or a structured clone of a BatchRange (bigint fields). */
  static fromJSON(json: unknown): BatchRange {
    try {
      const j = (typeof json === 'string' ? JSON.parse(json) : json) as Record<string, unknown>;
      if (!j || typeof j.stream !== 'string' || !j.stream.includes('/')) throw new Error('no "scope/stream"');
      const big = (v: unknown, what: string) => {
        if (typeof v !== 'bigint' && typeof v !== 'string' && typeof v !== 'number') throw new Error(`no ${what}`);
        return BigInt(v);
      };
      const range = new BatchRange(j.stream, big(j.segment, 'segment'), big(j.start, 'start'), big(j.end, 'end'));
      if (range.start < 0n || range.end < 0n || range.segment < 0n) throw new Error('negative value');
      return range;
    } catch (err) {
      throw new SluiceError('invalid-argument', `not a batch range: ${(err as Error).message}`, { cause: err });
    }
  }
}

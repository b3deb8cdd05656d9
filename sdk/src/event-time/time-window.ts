/**
 * A reader's time window on one stream (Pravega's EventStreamReader.getCurrentTimeWindow): the
 * watermarks Pravega's controller derived from its writers' noted times, read through the
 * gateway from the stream's `_MARK` stream, placed against the reader's position. As in Java's
 * WatermarkReaderImpl: marks the position is past give the lower bound (the latest one's lower
 * time); the marks it is still within or before, up to the first one wholly ahead, give the
 * upper bound (the last one's upper time). Marks behind are dropped and no mark past the first
 * one wholly ahead is fetched, so what is held stays small.
 */
import type { Connection } from '../client/connection.js';
import { SluiceError } from '../errors.js';
import { checkRun } from '../protocol/event-runs.js';
import { compareToMark, decodeWatermark, type Watermark } from './watermark.js';

/** Event time bounds in ms since the epoch; undefined where Pravega has no watermark yet. */
export interface TimeWindow {
  /** Every event after the reader's position has a time at least this (Java's lowerTimeBound). */
  lowerTimeBound: number | undefined;
  /** Events before the position have a time at most this (Java's upperTimeBound). */
  upperTimeBound: number | undefined;
}

export class TimeWindowTracker {
  private nextOffset = 0n;
  private readonly fetched: Watermark[] = [];
  private readonly inflight: Watermark[] = [];
  private passed: bigint | undefined;

  constructor(
    private readonly conn: Connection,
    readonly stream: string,
  ) {}

  async window(position: ReadonlyMap<bigint, bigint>, signal?: AbortSignal): Promise<TimeWindow> {
    while (this.inflight.length > 0 && compareToMark(position, this.inflight[0]!) > 0) {
      this.passed = this.inflight.shift()!.lowerTimeBound;
    }
    while (this.inflight.length === 0 || compareToMark(position, this.inflight[this.inflight.length - 1]!) >= 0) {
      const mark = await this.nextMark(signal);
      if (!mark) break;
      if (compareToMark(position, mark) <= 0) this.inflight.push(mark);
      else this.passed = mark.lowerTimeBound;
    }
    const last = this.inflight[this.inflight.length - 1];
    return {
      lowerTimeBound: this.passed === undefined ? undefined : Number(this.passed),
      upperTimeBound: last === undefined ? undefined : Number(last.upperTimeBound),
    };
  }

  private async nextMark(signal?: AbortSignal): Promise<Watermark | undefined> {
    if (this.fetched.length === 0) await this.fetch(signal);
    return this.fetched.shift();
  }

  private async fetch(signal?: AbortSignal): Promise<void> {
    const r = await this.conn.request(
      { case: 'readMarks', value: { stream: this.stream, offset: this.nextOffset } },
      signal,
    );
    if (r.case !== 'marks') throw new SluiceError('internal', 'unexpected reply to readMarks');
    const { entries, offset, nextOffset } = r.value;
    const problem = checkRun({ streamIndex: 0, segmentId: 0n, offset, events: entries } as never);
    if (problem) throw new SluiceError('protocol', `watermarks of ${this.stream}: ${problem}`);
    const view = new DataView(entries.buffer, entries.byteOffset, entries.byteLength);
    for (let pos = 0; pos < entries.length; ) {
      const length = view.getInt32(pos + 4);
      this.fetched.push(decodeWatermark(entries.subarray(pos + 8, pos + 8 + length)));
      pos += 8 + length;
    }
    this.nextOffset = nextOffset;
  }
}

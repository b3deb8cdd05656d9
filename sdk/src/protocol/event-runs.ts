/**
 * Events arrive as runs: a segment's events back to back as Pravega stores them ([i32 type 0]
 * [i32 length][payload], big-endian), the first at the run's offset (gateway.proto, EventRun).
 * `checkRun` rejects a run that is not whole events; `RunEvents` hands a frame's events out one at
 * a time, as the reader takes them, so a queued frame is a few objects, not several per event.
 */
import type { EventRun } from '@sluice/proto/sluice/v1/gateway_pb.js';

const HEADER_BYTES = 8;

/** Why `run` is not whole events, or undefined when it is. */
export function checkRun(run: EventRun): string | undefined {
  const bytes = run.events;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < HEADER_BYTES) return `a run of segment ${run.segmentId} ends inside an event header`;
    const type = view.getInt32(pos);
    const length = view.getInt32(pos + 4);
    if (type !== 0) return `an event of type ${type} in a run of segment ${run.segmentId}`;
    if (length < 0 || length > bytes.length - pos - HEADER_BYTES)
      return `an event of length ${length} past the end of a run of segment ${run.segmentId}`;
    pos += HEADER_BYTES + length;
  }
  if (run.offset < 0n) return `a run of segment ${run.segmentId} at offset ${run.offset}`;
  return undefined;
}

/** The events of a frame's runs (each checked with `checkRun`), in order. */
export class RunEvents {
  private index = -1;
  private run: EventRun | undefined;
  /** The run's offset as a number while every offset in it is exact as one; else -1. */
  private base = -1;
  private pos = 0;
  private start = 0;
  private length = 0;

  constructor(private readonly runs: readonly EventRun[]) {}

  /** Moves to the next event (its fields below); false when none is left. */
  next(): boolean {
    let run = this.run;
    if (run) this.pos = this.start + this.length;
    while (!run || this.pos >= run.events.length) {
      run = this.runs[++this.index];
      if (!run) {
        this.run = undefined;
        return false;
      }
      this.run = run;
      this.pos = 0;
      const end = Number(run.offset) + run.events.length;
      this.base = end <= Number.MAX_SAFE_INTEGER ? Number(run.offset) : -1;
    }
    const b = run.events;
    const p = this.pos;
    this.length = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
    this.start = p + HEADER_BYTES;
    return true;
  }

  get streamIndex(): number {
    return this.run!.streamIndex;
  }

  get segmentId(): bigint {
    return this.run!.segmentId;
  }

  get offset(): bigint {
    return this.base >= 0 ? BigInt(this.base + this.pos) : this.run!.offset + BigInt(this.pos);
  }

  /** A view into the frame. */
  get payload(): Uint8Array {
    const events = this.run!.events;
    return new Uint8Array(events.buffer, events.byteOffset + this.start, this.length);
  }
}

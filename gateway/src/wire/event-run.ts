/**
 * A run: consecutive whole events of one segment as Pravega stores them ([i32 type 0][i32 length]
 * [payload], back to back), the first at `offset`. The read path hands runs from the segment
 * reader to the client: the bytes go on as they were read, and the gateway makes no object per
 * event (a catch-up read is thousands of events a second, and their objects were most of the
 * gateway's collections). Runs are made only by EventFrameParser, which checked every header, so
 * the helpers here trust them.
 */

/** Bytes of an event's header in a segment: its type and its length. */
export const EVENT_HEADER_BYTES = 8;

/**
 * What keeps the buffer a run views from reuse (leased-buffers.ts): whoever keeps the
 * run after the call that handed it over holds it, and releases it when done.
 */
export interface RunLease {
  hold(): void;
  release(): void;
}

export interface EventRun {
  /** Offset of the first event in its segment. */
  readonly offset: bigint;
  /** The events, whole; usually a view of a read reply. */
  readonly bytes: Uint8Array;
  /** How many events `bytes` holds (at least one). */
  readonly count: number;
  /** Set when `bytes` views a pooled reply buffer. */
  readonly lease?: RunLease | undefined;
}

/** Offset just after the run's last event. */
export function runEnd(run: EventRun): bigint {
  return run.offset + BigInt(run.bytes.length);
}

/** Bytes of payload in the run (what reader credit counts). */
export function runPayloadBytes(run: EventRun): number {
  return run.bytes.length - EVENT_HEADER_BYTES * run.count;
}

/** Payload length in the header of the event at `pos`. */
function lengthAt(bytes: Uint8Array, pos: number): number {
  return ((bytes[pos + 4]! << 24) | (bytes[pos + 5]! << 16) | (bytes[pos + 6]! << 8) | bytes[pos + 7]!) >>> 0;
}

/** The first event boundary at or after `target` bytes into a run, and how many events precede it. */
function boundaryFrom(bytes: Uint8Array, target: number): [pos: number, count: number] {
  let pos = 0;
  let count = 0;
  while (pos < target) {
    pos += EVENT_HEADER_BYTES + lengthAt(bytes, pos);
    count++;
  }
  return [pos, count];
}

/** `bytes[from, to)` as a plain view (a Buffer's subarray would build a Buffer, which costs more). */
function view(bytes: Uint8Array, from: number, to: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + from, to - from);
}

/** The events of `run` in bytes [from, to) (both event boundaries, `count` events apart). */
function part(run: EventRun, from: number, to: number, count: number): EventRun {
  if (from === 0 && to === run.bytes.length) return run;
  return { offset: run.offset + BigInt(from), bytes: view(run.bytes, from, to), count, lease: run.lease };
}

/**
 * Splits `run` after as many events as `maxEvents` and `maxPayloadBytes` allow, taken one by one
 * while both are still above what was taken — at least one event, so the byte limit may be
 * overdrawn by the last (as reader credit is). Returns the events taken and the rest, if any.
 */
export function splitRun(
  run: EventRun,
  maxEvents: number,
  maxPayloadBytes: number,
): [taken: EventRun, rest: EventRun | undefined] {
  if (run.count <= maxEvents && runPayloadBytes(run) < maxPayloadBytes) return [run, undefined];
  const bytes = run.bytes;
  let pos = 0;
  let count = 0;
  let payload = 0;
  do {
    const length = lengthAt(bytes, pos);
    pos += EVENT_HEADER_BYTES + length;
    payload += length;
    count++;
  } while (count < maxEvents && payload < maxPayloadBytes && pos < bytes.length);
  if (pos === bytes.length) return [run, undefined];
  return [part(run, 0, pos, count), part(run, pos, bytes.length, run.count - count)];
}

/** The events of `run` that start before `endOffset` (undefined if none). */
export function cutBefore(run: EventRun, endOffset: bigint): EventRun | undefined {
  if (runEnd(run) <= endOffset) return run;
  if (run.offset >= endOffset) return undefined;
  const [pos, count] = boundaryFrom(run.bytes, Number(endOffset - run.offset)); // inside the run here
  return part(run, 0, pos, count);
}

/**
 * The events of `run` from `offset` on, if an event of the run starts there; undefined otherwise
 * (an offset inside an event, or outside the run).
 */
export function runFrom(run: EventRun, offset: bigint): EventRun | undefined {
  if (offset === run.offset) return run;
  if (offset < run.offset || offset >= runEnd(run)) return undefined;
  const target = Number(offset - run.offset);
  const [pos, count] = boundaryFrom(run.bytes, target);
  return pos === target ? part(run, pos, run.bytes.length, run.count - count) : undefined;
}

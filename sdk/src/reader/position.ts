/**
 * Where a reader stands: per stream, the segments being read with the offset of the next event,
 * and successor segments still waiting for predecessors to finish. Serialisable (bigints as
 * strings) so a checkpoint store can keep it; the reader re-opens from it exactly.
 */
import { SluiceError } from '../errors.js';
import { StreamCut } from '../stream-cut.js';

export interface StreamPositionState {
  readonly segments: Map<bigint, bigint>;
  readonly future: Map<bigint, bigint[]>;
}

export interface ReaderPositionJSON {
  streams: Array<{ stream: string; segments: Array<[string, string]>; future: Array<[string, string[]]> }>;
}

/**
 * `streams` is an own data property, as a plain field would be. A position made by
 * `ReaderPosition.afterEvent` (one per event a reader hands out) holds only a snapshot shared by
 * many events plus this event's segment and next offset, and builds its own maps on first access:
 * copying the reader's maps for every event was the largest cost of a catch-up read after GC.
 */
export class ReaderPosition {
  #base: ReadonlyMap<string, StreamPositionState> | undefined;
  #stream = '';
  #segment = 0n;
  #next = 0n;

  constructor(streams: ReadonlyMap<string, StreamPositionState>);
  /** @internal A lazy position (see `afterEvent`). */
  constructor(
    streams: undefined,
    base: ReadonlyMap<string, StreamPositionState>,
    stream: string,
    segment: bigint,
    next: bigint,
  );
  constructor(
    streams: ReadonlyMap<string, StreamPositionState> | undefined,
    base?: ReadonlyMap<string, StreamPositionState>,
    stream?: string,
    segment?: bigint,
    next?: bigint,
  ) {
    if (streams) {
      Object.defineProperty(this, 'streams', { value: streams, enumerable: true, writable: true, configurable: true });
      return;
    }
    this.#base = base;
    this.#stream = stream!;
    this.#segment = segment!;
    this.#next = next!;
  }

  /** Per stream: segment → offset of the next event, and successors waiting for predecessors. */
  get streams(): ReadonlyMap<string, StreamPositionState> {
    // Only a lazy position gets here (the constructor shadows this getter with an own property).
    const streams = copyStreams(this.#base!);
    streams.get(this.#stream)!.segments.set(this.#segment, this.#next);
    this.#base = undefined;
    Object.defineProperty(this, 'streams', { value: streams, enumerable: true, writable: true, configurable: true });
    return streams;
  }

  /**
   * @internal The position `base` with `stream`'s `segment` moved to `next`, built only when read.
   * `base` must never change afterwards (the reader passes a snapshot it made with `copyStreams`).
   */
  static afterEvent(
    base: ReadonlyMap<string, StreamPositionState>,
    stream: string,
    segment: bigint,
    next: bigint,
  ): ReaderPosition {
    return new ReaderPosition(undefined, base, stream, segment, next);
  }

  /** A deep copy (positions move on while a snapshot must not). */
  static copyOf(streams: ReadonlyMap<string, StreamPositionState>): ReaderPosition {
    return new ReaderPosition(copyStreams(streams));
  }

  /** The segments-being-read part as a stream cut (future segments are not part of a cut). */
  cutOf(stream: string): StreamCut {
    const s = this.streams.get(stream);
    if (!s) throw new SluiceError('invalid-argument', `the position has no entry for ${stream}`);
    return new StreamCut(stream, new Map(s.segments));
  }

  toJSON(): ReaderPositionJSON {
    return {
      streams: [...this.streams].map(([stream, s]) => ({
        stream,
        segments: [...s.segments].map(([id, off]) => [id.toString(), off.toString()] as [string, string]),
        future: [...s.future].map(([id, waiting]) => [id.toString(), waiting.map(String)] as [string, string[]]),
      })),
    };
  }

  static fromJSON(json: unknown): ReaderPosition {
    try {
      const j = (typeof json === 'string' ? JSON.parse(json) : json) as ReaderPositionJSON;
      if (!j || !Array.isArray(j.streams)) throw new Error('no streams');
      const streams = new Map<string, StreamPositionState>();
      for (const s of j.streams) {
        if (typeof s.stream !== 'string' || !Array.isArray(s.segments) || !Array.isArray(s.future))
          throw new Error('bad stream entry');
        streams.set(s.stream, {
          segments: new Map(s.segments.map(([id, off]) => [BigInt(id), BigInt(off)])),
          future: new Map(s.future.map(([id, waiting]) => [BigInt(id), waiting.map((w) => BigInt(w))])),
        });
      }
      return new ReaderPosition(streams);
    } catch (err) {
      throw new SluiceError('invalid-argument', `not a reader position: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** @internal A deep copy of a reader's per-stream state. */
export function copyStreams(streams: ReadonlyMap<string, StreamPositionState>): Map<string, StreamPositionState> {
  const copy = new Map<string, StreamPositionState>();
  for (const [name, s] of streams)
    copy.set(name, { segments: new Map(s.segments), future: new Map([...s.future].map(([k, v]) => [k, [...v]])) });
  return copy;
}

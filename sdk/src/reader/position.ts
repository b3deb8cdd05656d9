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

export class ReaderPosition {
  constructor(readonly streams: ReadonlyMap<string, StreamPositionState>) {}

  /** A deep copy (positions move on while a snapshot must not). */
  static copyOf(streams: ReadonlyMap<string, StreamPositionState>): ReaderPosition {
    const copy = new Map<string, StreamPositionState>();
    for (const [name, s] of streams)
      copy.set(name, { segments: new Map(s.segments), future: new Map([...s.future].map(([k, v]) => [k, [...v]])) });
    return new ReaderPosition(copy);
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

/**
 * What feeds a live table: a sequence of updates (a key's latest value, or its deletion), each
 * with the position right after it when the source has positions (a stream does; a key-value
 * table, polled, does not). The stream source lives here; the key-value table's in kvt-source.ts.
 */
import type { ReaderPosition } from '../reader/position.js';
import type { EventReader } from '../reader/reader.js';
import type { ReadEvent } from '../reader/reader-options.js';

/** One update: `value` undefined deletes the key. */
export interface LiveUpdate<T> {
  key: string;
  value: T | undefined;
  /** Where a source re-opened from this position continues (undefined: the source has none). */
  position?: ReaderPosition;
}

export interface LiveSource<T> extends AsyncIterable<LiveUpdate<T>> {
  /** True if updates carry positions, so the table can be checkpointed and resumed. */
  readonly positioned: boolean;
  /** Resolves once the source's first full pass is applied (a key-value table's snapshot); undefined: no such pass. */
  readonly firstPass?: Promise<void>;
  close(): Promise<void>;
}

/** A stream's events as updates: `key` names each event's key, a tombstone deletes it. */
export function streamSource<T>(
  reader: EventReader<T>,
  key: (event: ReadEvent<T>) => string,
  isTombstone: (event: ReadEvent<T>) => boolean,
): LiveSource<T> {
  return {
    positioned: true,
    // A plain iterator rather than an async generator: one promise per event, not a generator's
    // queue of them (the catch-up bench, L1, measured the difference).
    [Symbol.asyncIterator]() {
      const events = reader[Symbol.asyncIterator]();
      return {
        async next(): Promise<IteratorResult<LiveUpdate<T>>> {
          const r = await events.next();
          if (r.done) return { done: true, value: undefined };
          const ev = r.value;
          return {
            done: false,
            value: { key: key(ev), value: isTombstone(ev) ? undefined : ev.value, position: ev.position },
          };
        },
        async return(): Promise<IteratorResult<LiveUpdate<T>>> {
          await events.return?.();
          return { done: true, value: undefined };
        },
      };
    },
    close: () => reader.close(),
  };
}

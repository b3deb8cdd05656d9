/**
 * A key-value table as a live table's source: a snapshot by iteration, then its changes. Pravega's
 * key-value tables have no change feed a client can follow, so "changes" are found by polling:
 * every `pollMs` the source iterates the keys (with their versions) again and reads the values of
 * the keys whose version moved; a key no longer listed is deleted. So a change shows up within a
 * poll and an iteration, several changes of one key between two polls show as the last one, and
 * one pass is not an atomic snapshot across keys (no more than Java's iterator is). The cost is
 * one key iteration of the range per poll, plus a read of each changed key; what it holds is one
 * version per key of the table (bounded by the live table's `maxKeys`).
 */
import { SluiceError } from '../errors.js';
import { sleep, systemTimers } from '../transport/timers.js';
import type { KeyValueTable, TableIterateOptions } from './key-value-table.js';
import type { LiveSource, LiveUpdate } from './live-source.js';

export interface KvtLiveTableOptions<K> extends Pick<TableIterateOptions<K>, 'prefix' | 'from' | 'to'> {
  /** The live table's key for a table key (default: a string as it is, bytes as hex, else String(key)). */
  key?: (key: K) => string;
  /** Wait between the end of one pass and the start of the next (ms; default 1000). */
  pollMs?: number;
  /** Keys fetched per round trip of a pass (default 100). */
  pageSize?: number;
  /** At most this many keys (default 100,000); one more fails the table with `resource-exhausted`. */
  maxKeys?: number;
  /** Changes a slow `changes()` consumer may have pending before the table stops polling (default 1000). */
  maxPendingChanges?: number;
}

function defaultKey(key: unknown): string {
  if (typeof key === 'string') return key;
  if (key instanceof Uint8Array) return Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
  return String(key);
}

export function kvtSource<K, V>(kvt: KeyValueTable<K, V>, opts: KvtLiveTableOptions<K>): LiveSource<V> {
  const pollMs = opts.pollMs ?? 1000;
  const pageSize = opts.pageSize ?? 100;
  if (!(pollMs >= 0) || !Number.isInteger(pageSize) || pageSize < 1)
    throw new SluiceError('invalid-argument', 'pollMs must be ≥ 0 and pageSize a positive integer');
  const keyOf = opts.key ?? defaultKey;
  const stop = new AbortController();
  /** The version of every key the table holds, as the last pass saw it. */
  const versions = new Map<string, string>();
  let passed!: () => void;
  let failed!: (err: unknown) => void;
  const firstPass = new Promise<void>((resolve, reject) => {
    passed = resolve;
    failed = reject;
  });
  firstPass.catch(() => {});

  /** Reads the values of keys whose version moved (a key gone since is a deletion). */
  async function* read(keys: K[]): AsyncGenerator<LiveUpdate<V>> {
    const entries = await kvt.getAll(keys, stop.signal);
    for (let i = 0; i < keys.length; i++) {
      const k = keyOf(keys[i]!);
      const e = entries[i];
      if (e) {
        versions.set(k, e.version);
        yield { key: k, value: e.value };
      } else if (versions.delete(k)) yield { key: k, value: undefined };
    }
  }

  async function* pass(): AsyncGenerator<LiveUpdate<V>> {
    const listed = new Set<string>();
    let moved: K[] = [];
    const range = { prefix: opts.prefix, from: opts.from, to: opts.to };
    const defined = Object.fromEntries(Object.entries(range).filter(([, v]) => v !== undefined));
    for await (const item of kvt.keys({ ...defined, pageSize, signal: stop.signal })) {
      const k = keyOf(item.key);
      listed.add(k);
      if (versions.get(k) === item.version) continue;
      moved.push(item.key);
      if (moved.length >= pageSize) {
        yield* read(moved);
        moved = [];
      }
    }
    if (moved.length > 0) yield* read(moved);
    for (const k of [...versions.keys()])
      if (!listed.has(k)) {
        versions.delete(k);
        yield { key: k, value: undefined };
      }
  }

  return {
    positioned: false,
    firstPass,
    async *[Symbol.asyncIterator]() {
      try {
        yield* pass();
        // Everything yielded so far is applied: the consumer asked for more.
        passed();
        for (;;) {
          await sleep(systemTimers, pollMs, stop.signal);
          yield* pass();
        }
      } catch (err) {
        failed(err);
        throw err;
      }
    },
    async close() {
      stop.abort(new SluiceError('cancelled', `the live table of ${kvt.name} was closed`));
    },
  };
}

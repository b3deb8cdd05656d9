/**
 * A key-value table, with the semantics of Pravega's Java KeyValueTable (0.13): keys serialise to
 * exactly the table's primary + secondary key length; every change of one call has one primary
 * key and applies together or not at all; a version is Pravega's ("<segment>:<version>", as Java's
 * Version.toString()) and a change conditioned on a stale one fails with `conflict`, carrying the
 * versions the keys have now. Iteration is in ascending unsigned byte order of the keys.
 */
import { SluiceError } from '../errors.js';
import type { Serializer } from '../serializers/serializer.js';
import { type KvtIterateOptions, type KvtPage, pages } from './kvt-pages.js';
import type { TablesConnection } from './kvt-wire.js';

export interface KeyValueTableOptions<K, V> {
  key: Serializer<K>;
  value: Serializer<V>;
}

export interface TableEntry<K, V> {
  key: K;
  value: V;
  version: string;
}

export interface TableKeyItem<K> {
  key: K;
  version: string;
}

/** One key's change in `update`: a put (with `value`) or a remove (without). */
export interface TableChange<K, V> {
  key: K;
  value?: V;
  /** A version the key must have; 'absent': only if the key does not exist; undefined: always. */
  ifVersion?: string | 'absent' | undefined;
}

export interface TableIterateOptions<K> {
  /** Keys whose bytes start with this (a primary-key prefix, or a whole primary key and a secondary prefix). */
  prefix?: K | Uint8Array;
  /** First key (inclusive): a whole key, or a primary key (then from its first secondary key). */
  from?: K | Uint8Array;
  /** Last key (inclusive): a whole key, or a primary key (then through its last secondary key). */
  to?: K | Uint8Array;
  /** Continue after this token (from `continuationToken()` of an earlier iteration). */
  after?: string;
  /** Keys fetched per round trip (default 100, at most 1000). */
  pageSize?: number;
  signal?: AbortSignal;
}

/** An iteration that can say where it got to, to resume from there later (e.g. after a reload). */
export interface TableIteration<T> extends AsyncIterable<T> {
  /** A token for `after`: the iteration resumes after the last item this one yielded. */
  continuationToken(): string | undefined;
}

const NONE = new Uint8Array(0);

export class KeyValueTable<K, V> {
  /** @internal */
  constructor(
    private readonly conn: TablesConnection,
    /** "scope/table" */
    readonly name: string,
    private readonly opts: KeyValueTableOptions<K, V>,
  ) {}

  private keyBytes(key: K | Uint8Array): Uint8Array {
    return key instanceof Uint8Array ? key : this.opts.key.serialize(key as K);
  }

  /** The entry, or undefined if the key is absent. */
  async get(key: K, signal?: AbortSignal): Promise<TableEntry<K, V> | undefined> {
    return (await this.getAll([key], signal))[0];
  }

  /** One result per key, in order (undefined where absent); keys may span partitions. */
  async getAll(keys: readonly K[], signal?: AbortSignal): Promise<Array<TableEntry<K, V> | undefined>> {
    if (keys.length === 0) return [];
    const bytes = keys.map((k) => this.keyBytes(k));
    const r = await this.conn.request({ case: 'tablesGet', value: { table: this.name, keys: bytes } }, signal);
    if (r.case !== 'tablesEntries' || r.value.entries.length !== keys.length)
      throw new SluiceError('internal', 'unexpected reply to a key-value table get');
    return r.value.entries.map((e, i) =>
      e.version === '' ? undefined : { key: keys[i]!, value: this.opts.value.deserialize(e.value), version: e.version },
    );
  }

  async exists(key: K, signal?: AbortSignal): Promise<boolean> {
    return (await this.get(key, signal)) !== undefined;
  }

  /** Writes the value; resolves with the new version. `ifVersion`: only if the key has it (or 'absent'). */
  async put(key: K, value: V, opts: { ifVersion?: string | 'absent' | undefined; signal?: AbortSignal } = {}) {
    const [version] = await this.update([{ key, value, ifVersion: opts.ifVersion }], opts.signal);
    return version!;
  }

  /** Puts several keys of one primary key together (all or none); resolves with their new versions. */
  async putAll(entries: Iterable<readonly [K, V]>, signal?: AbortSignal): Promise<string[]> {
    return this.update(
      [...entries].map(([key, value]) => ({ key, value })),
      signal,
    );
  }

  /** Writes only if the key is absent; `conflict` if it exists. */
  async insert(key: K, value: V, signal?: AbortSignal): Promise<string> {
    return this.put(key, value, { ifVersion: 'absent', ...(signal ? { signal } : {}) });
  }

  /** Writes only if the key still has `version`; `conflict` otherwise. */
  async replace(key: K, value: V, version: string, signal?: AbortSignal): Promise<string> {
    return this.put(key, value, { ifVersion: version, ...(signal ? { signal } : {}) });
  }

  /** Removes the key (if `ifVersion`: only if it has that version; else a missing key is a no-op or `conflict`, as Pravega answers). */
  async remove(key: K, opts: { ifVersion?: string | undefined; signal?: AbortSignal } = {}): Promise<void> {
    await this.update([{ key, ifVersion: opts.ifVersion }], opts.signal);
  }

  /** Removes several keys of one primary key together (all or none). */
  async removeAll(keys: Iterable<K>, signal?: AbortSignal): Promise<void> {
    await this.update(
      [...keys].map((key) => ({ key })),
      signal,
    );
  }

  /**
   * Applies changes of one primary key together or not at all: all puts or all removes (as in
   * Pravega). Resolves with the puts' new versions. A lost connection while the change was
   * under way is `outcome-unknown` (read the keys to learn what happened).
   */
  async update(changes: ReadonlyArray<TableChange<K, V>>, signal?: AbortSignal): Promise<string[]> {
    const wire = changes.map((c) => ({
      key: this.keyBytes(c.key),
      ...('value' in c && c.value !== undefined ? { value: this.opts.value.serialize(c.value) } : {}),
      ifVersion: c.ifVersion ?? '',
    }));
    let r: Awaited<ReturnType<TablesConnection['request']>>;
    try {
      r = await this.conn.request({ case: 'tablesUpdate', value: { table: this.name, changes: wire } }, signal);
    } catch (err) {
      // The request may have reached Pravega before the socket went: say so, never guess.
      if (err instanceof SluiceError && err.code === 'unavailable' && this.conn.sent(err))
        throw new SluiceError(
          'outcome-unknown',
          `the change to ${this.name} may or may not have applied: ${err.message}`,
          {
            cause: err,
          },
        );
      throw err;
    }
    if (r.case === 'tablesConflict') {
      throw new SluiceError('conflict', `conflict on ${this.name}: ${r.value.message}`, {
        currentVersions: r.value.current.map((e) => (e.version === '' ? undefined : e.version)),
      });
    }
    if (r.case !== 'tablesVersions') throw new SluiceError('internal', 'unexpected reply to a key-value table update');
    return r.value.versions;
  }

  /** Keys in ascending byte order, with their versions. */
  keys(opts: TableIterateOptions<K> = {}): TableIteration<TableKeyItem<K>> {
    return this.iterate(opts, true, (e) => ({ key: this.opts.key.deserialize(e.key), version: e.version }));
  }

  /** Entries in ascending key byte order. */
  entries(opts: TableIterateOptions<K> = {}): TableIteration<TableEntry<K, V>> {
    return this.iterate(opts, false, (e) => ({
      key: this.opts.key.deserialize(e.key),
      value: this.opts.value.deserialize(e.value),
      version: e.version,
    }));
  }

  private iterate<T>(
    opts: TableIterateOptions<K>,
    keysOnly: boolean,
    convert: (e: KvtPage['entries'][number]) => T,
  ): TableIteration<T> {
    const range: KvtIterateOptions = {
      table: this.name,
      prefix: opts.prefix !== undefined ? this.keyBytes(opts.prefix) : NONE,
      from: opts.from !== undefined ? this.keyBytes(opts.from) : NONE,
      to: opts.to !== undefined ? this.keyBytes(opts.to) : NONE,
      after: opts.after,
      pageSize: opts.pageSize ?? 100,
      keysOnly,
      signal: opts.signal,
    };
    return pages(this.conn, range, convert);
  }
}

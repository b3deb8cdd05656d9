/**
 * The full client of `@sluice/sdk`: the core (admin calls), writers, readers, batch reads and
 * pipelines. `@sluice/sdk/writer` has a client without the reading half (writer-client.ts).
 * Stream names are "scope/stream", or "stream" in the client's default scope.
 */
import { BatchRange } from '../batch-range.js';
import { SluiceError } from '../errors.js';
import type { EventPointer } from '../event-pointer.js';
import { Pipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import { ReaderPosition } from '../reader/position.js';
import { EventReader, type ReadEvent, type ReaderOptions } from '../reader/reader.js';
import { Serializers } from '../serializers/index.js';
import type { Serializer } from '../serializers/serializer.js';
import { StreamCut } from '../stream-cut.js';
import { KeyValueTable, type KeyValueTableOptions } from '../tables/key-value-table.js';
import {
  createKeyValueTable,
  deleteKeyValueTable,
  describeKeyValueTable,
  type KeyValueTableConfig,
  type KeyValueTableInfo,
  listKeyValueTables,
} from '../tables/kvt-admin.js';
import { type TablesConnection, tablesConnection } from '../tables/kvt-wire.js';
import { LiveTable, type LiveTableOptions } from '../tables/live-table.js';
import { cancelled } from '../transport/timers.js';
import { type ConnectOptions, openConnection } from './core.js';
import * as streamApi from './stream-api.js';
import { WriterClient } from './writer-client.js';

export type {
  CompletedTransaction,
  ConnectOptions,
  GroupRetention,
  GroupSegment,
  ReaderGroupConfig,
  ReaderGroupInfo,
  StreamConfig,
  StreamConfiguration,
  StreamInfo,
  StreamRetention,
  StreamScaling,
} from './core.js';

export class SluiceClient extends WriterClient {
  /**
   * The event an EventPointer points at (Pravega's EventStreamReader.fetchEvent): `not-found`
   * when no such event is there, `truncated` when it was truncated away.
   */
  async fetchEvent<T = Uint8Array>(
    pointer: EventPointer,
    opts: { serializer?: Serializer<T>; signal?: AbortSignal } = {},
  ): Promise<T> {
    const serializer = opts.serializer ?? (Serializers.bytes() as unknown as Serializer<T>);
    return streamApi.fetchEvent(this.conn, pointer, serializer, opts.signal);
  }

  // ---- key-value tables (docs/tables.md) --------------------------------------------------

  private tablesConn: TablesConnection | undefined;
  private get tables(): TablesConnection {
    this.tablesConn ??= tablesConnection(this.conn);
    return this.tablesConn;
  }

  /** True if created, false if it existed. */
  createKeyValueTable(table: string, config: KeyValueTableConfig, signal?: AbortSignal): Promise<boolean> {
    return createKeyValueTable(this.tables, this.qualify(table), config, signal);
  }

  /** Key-value tables of a scope (default: the client's). */
  listKeyValueTables(scope?: string, signal?: AbortSignal): Promise<string[]> {
    return listKeyValueTables(this.tables, scope ?? this.scope ?? '', signal);
  }

  describeKeyValueTable(table: string, signal?: AbortSignal): Promise<KeyValueTableInfo> {
    return describeKeyValueTable(this.tables, this.qualify(table), signal);
  }

  /** True if deleted, false if there was no such table. */
  deleteKeyValueTable(table: string, signal?: AbortSignal): Promise<boolean> {
    return deleteKeyValueTable(this.tables, this.qualify(table), signal);
  }

  /** A key-value table's entries, keys and values through the given serializers. */
  keyValueTable<K, V>(table: string, opts: KeyValueTableOptions<K, V>): KeyValueTable<K, V> {
    return new KeyValueTable(this.tables, this.qualify(table), opts);
  }

  /** A live table of a stream: the latest value per key, checkpointed with its reader's position. */
  table<T>(stream: string, opts: LiveTableOptions<T>): LiveTable<T> {
    const name = this.qualify(stream);
    return new LiveTable<T>(
      (from) => this.reader<T>(name, { serializer: opts.serializer, ...(from !== undefined ? { from } : {}) }),
      name,
      opts,
    );
  }

  /**
   * A bounded batch read: every segment between `from` and `to` is read at once, in parallel;
   * each event in the range is yielded once, with no order across segments (within a segment,
   * in order). `from` defaults to the head, `to` to the tail at the time of the call.
   * `signal` ends the read at once, even while it waits for an event: the iteration throws
   * `cancelled` (it did not reach `to`). Leaving the loop early closes the read too.
   */
  async *readBatch<T = Uint8Array>(
    stream: string,
    opts: {
      from?: StreamCut | 'head';
      to?: StreamCut | 'tail';
      serializer?: ReaderOptions<T>['serializer'];
      signal?: AbortSignal;
    } = {},
  ): AsyncGenerator<ReadEvent<T>> {
    const name = this.qualify(stream);
    const needInfo = opts.from === undefined || opts.from === 'head' || opts.to === undefined || opts.to === 'tail';
    const info = needInfo ? await this.streamInfo(name, opts.signal) : undefined;
    const from = opts.from instanceof StreamCut ? opts.from : info!.head;
    const to = opts.to instanceof StreamCut ? opts.to : info!.tail;
    if (from.stream !== name && from.stream !== '' && this.qualify(from.stream) !== name) {
      throw new SluiceError('invalid-argument', `the start cut is for ${from.stream}, not ${name}`);
    }
    const reader = this.reader<T>(name, {
      ...(opts.serializer ? { serializer: opts.serializer } : {}),
      from,
      to,
      batch: true,
    });
    yield* untilEnd(reader, opts.signal, 'readBatch');
  }

  /**
   * A batch read between two cuts split into one range per segment, as Pravega's batch client
   * lists them: hand them to workers or tabs and read each with `readRange`; together they hold
   * every event between the cuts once. `from` defaults to the head, `to` to the tail now; a `to`
   * that leaves segments out bounds them as readBatch does (docs/stream-cuts.md).
   */
  async batchRanges(
    stream: string,
    opts: { from?: StreamCut | 'head'; to?: StreamCut | 'tail'; signal?: AbortSignal } = {},
  ): Promise<BatchRange[]> {
    const name = this.qualify(stream);
    const cut = (c: StreamCut | string | undefined) =>
      c instanceof StreamCut && !c.isUnbounded
        ? {
            stream: this.qualify(c.stream),
            positions: [...c.positions].map(([segmentId, offset]) => ({ segmentId, offset })),
          }
        : undefined;
    const from = cut(opts.from);
    const to = cut(opts.to);
    const r = await this.conn.request(
      { case: 'batchRanges', value: { stream: name, ...(from ? { from } : {}), ...(to ? { to } : {}) } },
      opts.signal,
    );
    if (r.case !== 'ranges') throw new SluiceError('internal', 'unexpected reply to batchRanges');
    return r.value.ranges.map((x) => new BatchRange(x.stream, x.segmentId, x.start, x.end));
  }

  /**
   * Reads one range of `batchRanges` (here or in another worker, tab or process): its segment's
   * events from `start` up to `end`, in order. `signal` and leaving the loop early behave as in readBatch.
   */
  async *readRange<T = Uint8Array>(
    range: BatchRange,
    opts: { serializer?: ReaderOptions<T>['serializer']; signal?: AbortSignal } = {},
  ): AsyncGenerator<ReadEvent<T>> {
    const r = range instanceof BatchRange ? range : BatchRange.fromJSON(range);
    const reader = this.reader<T>(r.stream, {
      ...(opts.serializer ? { serializer: opts.serializer } : {}),
      from: new StreamCut(r.stream, new Map([[r.segment, r.start]])),
      to: new StreamCut(r.stream, new Map([[r.segment, r.end]])),
      batch: true,
      range: true,
    });
    yield* untilEnd(reader, opts.signal, 'readRange');
  }

  /** An exactly-once pipeline (read → process → transactional write) tied to checkpoints. */
  pipeline<I, O, S = unknown>(opts: PipelineOptions<I, O, S>): Pipeline<I, O, S> {
    return new Pipeline<I, O, S>(
      (stream, txnId, signal) => this.commitTransaction(stream, txnId, signal),
      (stream, txnId, signal) => this.transactionStatus(stream, txnId, signal),
      opts,
    );
  }

  reader<T = Uint8Array>(streams: string | string[], opts?: Partial<ReaderOptions<T>>): EventReader<T> {
    const names = (Array.isArray(streams) ? streams : [streams]).map((s) => this.qualify(s));
    if (names.length === 0) throw new SluiceError('invalid-argument', 'a reader needs at least one stream');
    const serializer = opts?.serializer ?? (Serializers.bytes() as unknown as ReaderOptions<T>['serializer']);
    let from = opts?.from;
    if (from instanceof ReaderPosition) {
      const position = from;
      const missing = names.filter((n) => !position.streams.has(n));
      if (missing.length > 0)
        throw new SluiceError('invalid-argument', `the position has no entry for ${missing.join(', ')}`);
    } else if (from instanceof StreamCut || Array.isArray(from)) {
      const cuts = (Array.isArray(from) ? from : [from])
        .filter((c) => !c.isUnbounded)
        .map((c) => new StreamCut(this.qualify(c.stream), c.positions));
      for (const c of cuts) {
        if (!names.includes(c.stream))
          throw new SluiceError(
            'invalid-argument',
            `the start cut is for ${c.stream}, which this reader does not read`,
          );
      }
      if (cuts.length > 0) {
        const missing = names.filter((n) => cuts.filter((c) => c.stream === n).length !== 1);
        if (missing.length > 0)
          throw new SluiceError(
            'invalid-argument',
            `a start from cuts needs exactly one cut for ${missing.join(', ')}`,
          );
      }
      from = Array.isArray(from) ? cuts : (cuts[0] ?? from);
    }
    return new EventReader<T>(this.conn, names, { ...opts, serializer, ...(from !== undefined ? { from } : {}) });
  }
}

/** Connects to a gateway; resolves once the session is live. */
export async function connect(options: ConnectOptions = {}): Promise<SluiceClient> {
  return new SluiceClient(await openConnection(options), options.scope);
}

/** A bounded reader's events until its end; `signal` ends it at once with `cancelled`. */
async function* untilEnd<T>(reader: EventReader<T>, signal: AbortSignal | undefined, what: string) {
  // An abort closes the reader, which ends the iteration even while it waits for an event.
  const onAbort = () => void reader.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const ev of reader) {
      if (signal?.aborted) break;
      yield ev;
    }
    // An aborted read did not reach its end: it says so rather than end as if it had.
    if (signal?.aborted) throw cancelled(signal, what);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await reader.close();
  }
}

/**
 * The full client of `@sluice/sdk`: the reading client (core admin calls, readers, batch reads)
 * plus writers, key-value and live tables, and pipelines. `@sluice/sdk/writer` and
 * `@sluice/sdk/reader` have a client with only one half (writer-client.ts, reader-client.ts).
 * Stream names are "scope/stream", or "stream" in the client's default scope.
 */
import { Pipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import { KeyValueTable, type KeyValueTableOptions } from '../tables/key-value-table.js';
import {
  createKeyValueTable,
  deleteKeyValueTable,
  describeKeyValueTable,
  type KeyValueTableConfig,
  type KeyValueTableInfo,
  listKeyValueTables,
} from '../tables/kvt-admin.js';
import { type KvtLiveTableOptions, kvtSource } from '../tables/kvt-source.js';
import { type TablesConnection, tablesConnection } from '../tables/kvt-wire.js';
import { streamSource } from '../tables/live-source.js';
import { LiveTable, type LiveTableOptions } from '../tables/live-table.js';
import { EventWriter, type WriterOptions } from '../writer/writer.js';
import { type ConnectOptions, openConnection } from './core.js';
import { ReaderClient } from './reader-client.js';

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

export class SluiceClient extends ReaderClient {
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
  table<T>(stream: string, opts: LiveTableOptions<T>): LiveTable<T>;
  /** A live table of a key-value table: its snapshot, then its changes as polling finds them (docs/tables.md). */
  table<K, V>(table: KeyValueTable<K, V>, opts?: KvtLiveTableOptions<K>): LiveTable<V>;
  table<T>(
    source: string | KeyValueTable<unknown, T>,
    opts: LiveTableOptions<T> | KvtLiveTableOptions<unknown> = {},
  ): LiveTable<T> {
    if (source instanceof KeyValueTable) {
      const o = opts as KvtLiveTableOptions<unknown>;
      return new LiveTable<T>(() => kvtSource(source, o), source.name, {
        checkpointEveryMs: 0,
        ...(o.maxKeys !== undefined ? { maxKeys: o.maxKeys } : {}),
        ...(o.maxPendingChanges !== undefined ? { maxPendingChanges: o.maxPendingChanges } : {}),
      });
    }
    const o = opts as LiveTableOptions<T>;
    const name = this.qualify(source);
    const isTombstone = o.isTombstone ?? ((ev) => ev.value === null || ev.value === undefined);
    return new LiveTable<T>(
      (from) =>
        streamSource(
          this.reader<T>(name, { serializer: o.serializer, ...(from !== undefined ? { from } : {}) }),
          o.key,
          isTombstone,
        ),
      name,
      o,
    );
  }

  /** An exactly-once pipeline (read → process → transactional write) tied to checkpoints. */
  pipeline<I, O, S = unknown>(opts: PipelineOptions<I, O, S>): Pipeline<I, O, S> {
    return new Pipeline<I, O, S>(
      (stream, txnId, signal) => this.commitTransaction(stream, txnId, signal),
      (stream, txnId, signal) => this.transactionStatus(stream, txnId, signal),
      opts,
    );
  }

  /** As WriterClient's (one class cannot extend both halves; this line is all a writer takes). */
  writer<T>(stream: string, opts: WriterOptions<T>): EventWriter<T> {
    return new EventWriter(this.conn, this.qualify(stream), opts);
  }
}

/** Connects to a gateway; resolves once the session is live. */
export async function connect(options: ConnectOptions = {}): Promise<SluiceClient> {
  return new SluiceClient(await openConnection(options), options.scope);
}

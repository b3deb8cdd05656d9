/** @sluice/sdk: Pravega streams for browsers, edge functions and Node. */
// Clients, readers and writers are AsyncDisposable: the published declarations bring that lib
// along, so a consumer on lib ES2022 (DOM or not) type-checks without adding it.
/// <reference lib="esnext.disposable" preserve="true" />

export { BatchRange, type BatchRangeJSON } from './batch-range.js';
export { type Checkpoint, type CheckpointStore, memoryStore } from './checkpoints/store.js';
export {
  type CompletedTransaction,
  type ConnectOptions,
  connect,
  type GroupRetention,
  type GroupSegment,
  type ReaderGroupConfig,
  type ReaderGroupInfo,
  SluiceClient,
  type StreamConfig,
  type StreamConfiguration,
  type StreamInfo,
  type StreamRetention,
  type StreamScaling,
} from './client/client.js';
export type { ConnectionState } from './client/connection.js';
export { ClientCore } from './client/core.js';
export { ReaderClient } from './client/reader-client.js';
export { WriterClient } from './client/writer-client.js';
export { SluiceError, type SluiceErrorCode, type Truncation } from './errors.js';
export { EventPointer } from './event-pointer.js';
export type { TimeWindow } from './event-time/time-window.js';
export { type Emit, Pipeline, type PipelineOptions } from './pipeline/pipeline.js';
export { ReaderPosition, type ReaderPositionJSON, type StreamPositionState } from './reader/position.js';
export { EventReader } from './reader/reader.js';
export type { GroupRestored, ReadEvent, ReaderOptions } from './reader/reader-options.js';
export { type Serializer, Serializers } from './serializers/index.js';
export { StreamCut } from './stream-cut.js';
export {
  KeyValueTable,
  type KeyValueTableOptions,
  type TableChange,
  type TableEntry,
  type TableIterateOptions,
  type TableIteration,
  type TableKeyItem,
} from './tables/key-value-table.js';
export type { KeyValueTableConfig, KeyValueTableInfo } from './tables/kvt-admin.js';
export type { KvtLiveTableOptions } from './tables/kvt-source.js';
export { LiveTable, type LiveTableChange, type LiveTableOptions, type LiveTableSettings } from './tables/live-table.js';
export type { TimerHandle, Timers } from './transport/timers.js';
export type { WebSocketConstructor, WebSocketLike } from './transport/websocket.js';
export { SDK_VERSION } from './version.js';
export { Transaction, type TransactionState, type TxnStatus } from './writer/transaction.js';
export { type CallOptions, EventWriter, type WriterMode, type WriterOptions } from './writer/writer.js';

import { indexedDbStore as indexedDb } from './checkpoints/indexeddb-store.js';
import { memoryStore as memory } from './checkpoints/store.js';

export { type IndexedDbFactory, indexedDbStore } from './checkpoints/indexeddb-store.js';

/** Checkpoint stores available in every runtime (the Node entry adds `file(dir)`). */
export const checkpointStores = { memory, indexedDb };

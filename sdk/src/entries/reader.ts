/**
 * @sluice/sdk/reader: a client that reads (and makes admin calls) without the writing half — no
 * writers, transactions, pipelines or tables — for apps whose bundle size counts
 * (docs/packaging.md, "Bundle size"). Same names and behaviour as `@sluice/sdk`, except: `connect`
 * returns a `ReaderClient` (no `writer()`, `pipeline()`, tables), and `Serializers` has no
 * `protobuf(schema)` (take it from `@sluice/sdk` if needed).
 */
/// <reference lib="esnext.disposable" preserve="true" />

export { BatchRange, type BatchRangeJSON } from '../batch-range.js';
export { type Checkpoint, type CheckpointStore, memoryStore } from '../checkpoints/store.js';
export type { ConnectionState } from '../client/connection.js';
export type {
  CompletedTransaction,
  ConnectOptions,
  GroupSegment,
  ReaderGroupInfo,
  StreamConfig,
  StreamConfiguration,
  StreamInfo,
  StreamRetention,
  StreamScaling,
} from '../client/core.js';
export { ClientCore } from '../client/core.js';
export { connectReader as connect, ReaderClient } from '../client/reader-client.js';
export { SluiceError, type SluiceErrorCode, type Truncation } from '../errors.js';
export { EventPointer } from '../event-pointer.js';
export type { TimeWindow } from '../event-time/time-window.js';
export { ReaderPosition, type ReaderPositionJSON, type StreamPositionState } from '../reader/position.js';
export { EventReader } from '../reader/reader.js';
export type { GroupRestored, ReadEvent, ReaderOptions } from '../reader/reader-options.js';
// Without `protobuf` (it brings protobuf-es's runtime): take it from `@sluice/sdk` if needed.
export { basicSerializers as Serializers } from '../serializers/basic.js';
export type { Serializer } from '../serializers/serializer.js';
export { StreamCut } from '../stream-cut.js';
export type { TimerHandle, Timers } from '../transport/timers.js';
export type { WebSocketConstructor, WebSocketLike } from '../transport/websocket.js';
export { SDK_VERSION } from '../version.js';
// A type only (no writer code): `client.transactionStatus()` answers one.
export type { TxnStatus } from '../writer/transaction.js';

import { indexedDbStore as indexedDb } from '../checkpoints/indexeddb-store.js';
import { memoryStore as memory } from '../checkpoints/store.js';

export { type IndexedDbFactory, indexedDbStore } from '../checkpoints/indexeddb-store.js';

/** Checkpoint stores available in every runtime, as `@sluice/sdk`'s (the Node entry adds `file(dir)`). */
export const checkpointStores = { memory, indexedDb };

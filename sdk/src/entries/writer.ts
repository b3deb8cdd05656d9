/**
 * @sluice/sdk/writer: a client that writes (and makes admin calls) without the reading half —
 * no readers, batch reads, pipelines or checkpoint stores — for apps whose bundle size counts
 * (docs/packaging.md, "Bundle size"). Same names and behaviour as `@sluice/sdk`, except: `connect`
 * returns a `WriterClient` (no `reader()`, `readBatch()`, `pipeline()`), and `Serializers` has no
 * `protobuf(schema)` (`import { Serializers } from '@sluice/sdk'` has it, and with the root
 * entry's tree shaking still brings no reader).
 */
/// <reference lib="esnext.disposable" preserve="true" />

export type { ConnectionState } from '../client/connection.js';
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
} from '../client/core.js';
export { ClientCore } from '../client/core.js';
export { connectWriter as connect, WriterClient } from '../client/writer-client.js';
export { SluiceError, type SluiceErrorCode, type Truncation } from '../errors.js';
// A type only (no reader code): `client.readerOffline()` takes one.
export type { ReaderPosition, ReaderPositionJSON, StreamPositionState } from '../reader/position.js';
// Without `protobuf` (it brings protobuf-es's runtime): take it from `@sluice/sdk` if needed.
export { basicSerializers as Serializers } from '../serializers/basic.js';
export type { Serializer } from '../serializers/serializer.js';
export { StreamCut } from '../stream-cut.js';
export type { TimerHandle, Timers } from '../transport/timers.js';
export type { WebSocketConstructor, WebSocketLike } from '../transport/websocket.js';
export { SDK_VERSION } from '../version.js';
export { Transaction, type TransactionState, type TxnStatus } from '../writer/transaction.js';
export { type CallOptions, EventWriter, type WriterMode, type WriterOptions } from '../writer/writer.js';

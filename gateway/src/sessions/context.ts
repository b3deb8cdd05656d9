import type { Logger } from 'pino';
import type { TokenVerifier } from '../auth/verifier.js';
import type { ControllerClient } from '../controller/controller-client.js';
import type { GroupTable } from '../groups/group-table.js';
import type { LeasedBuffers } from '../leased-buffers.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import type { GatewayMetrics } from '../server/metrics.js';
import type { SharedTails } from '../streams/shared-tails.js';
import type { WriterRegistry } from '../streams/writer-registry.js';
import type { FramePool } from './frame-pool.js';
import type { InflightBudget } from './inflight-budget.js';

/** What every session shares: the Pravega clients, the writer registry, limits and metrics. */
export interface GatewayContext {
  readonly controller: ControllerClient;
  readonly segments: SegmentStoreClient;
  readonly writers: WriterRegistry;
  /** The gateway-wide budget of writers' unacknowledged bytes, and the sessions waiting for room. */
  readonly inflight: InflightBudget;
  /** Reader-group state in Pravega (one table segment per scope). */
  readonly groups: GroupTable;
  /** Shared tail reads: one Pravega read per segment for all its readers on this gateway. */
  readonly tails: SharedTails;
  /** Buffers reused for large EventRuns frames (catch-up reads). */
  readonly framePool: FramePool;
  /** Buffers reused for clients' large messages (a writer's Append frames). */
  readonly messageBuffers: LeasedBuffers;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly defaultScope: string | undefined;
  readonly limits: SessionLimits;
  readonly version: string;
  /** Set when client auth is on. */
  readonly verifyToken: TokenVerifier | undefined;
}

export interface SessionLimits {
  /** Largest WebSocket message accepted (ws maxPayload). */
  readonly maxMessageBytes: number;
  /** Unacknowledged bytes a writer channel may have outstanding. */
  readonly maxInflightBytesPerWriter: number;
  readonly maxChannelsPerSession: number;
  /** Above this many bytes queued on the socket, readers stop pulling from Pravega. */
  readonly sendHighWaterBytes: number;
  /** Lease of a transaction when the client names none. */
  readonly txnLeaseMs: number;
  /** How long the gateway keeps renewing a transaction's lease after its session is gone. */
  readonly txnGraceMs: number;
  readonly idleTimeoutMs: number;
  readonly slowConsumerMs: number;
}

/**
 * The gateway's way into the segment stores: one connection per endpoint (replaced when it
 * dies), endpoints resolved through the controller and cached, and a request/reply helper
 * for the one-shot commands (segment info, table operations).
 *
 * In a cluster the cache is never trusted past a failure: a connection that ends (refused,
 * reset, closed without a reply) forgets every endpoint that named its host, and WrongHost
 * forgets the segment's, so the next try asks the controller again. Lookups of one segment
 * in flight at once (its appender, readers, requests) share one controller call, and the
 * segments of a store that refused a connection wait for one shared watch of that store
 * (down-hosts.ts) instead of each polling the controller.
 */
import type { Logger } from 'pino';
import type { ControllerClient } from '../controller/controller-client.js';
import { GatewayError } from '../errors.js';
import { LeasedBuffers } from '../leased-buffers.js';
import type { WireCommand } from '../wire/index.js';
import { backoffDelay, sleep } from './backoff.js';
import { type FlowHandler, SegmentStoreConnection } from './connection.js';
import { DownHosts } from './down-hosts.js';
import { ERROR_REPLIES } from './error-replies.js';
import { type OutageObserver, SegmentOutages } from './outages.js';
import type { SegmentRef } from './segment-ref.js';
import { DelegationTokens } from './tokens.js';

const ENDPOINT_TTL_MS = 5 * 60_000;

const hostPortOf = (e: { host: string; port: number }) => `${e.host}:${e.port}`;

export interface SegmentStoreClientOptions {
  controller: ControllerClient;
  logger: Logger;
  tls?: { ca?: string | Buffer; validateHostname: boolean } | undefined;
  /** How long one-shot requests keep retrying through reconnects before giving up. */
  requestBudgetMs?: number;
  /** Metrics for segments that lost their store (server/metrics.ts). */
  outages?: OutageObserver;
  /** Hears every error reply a segment store sends, by type (metrics). */
  onErrorReply?: (type: string) => void;
}

/** A 1 MiB read reply (segment-reader.ts) with its header and segment name fits. */
const REPLY_BUFFER_BYTES = 1024 * 1024 + 8 * 1024;
/** Idle reply buffers kept: 16 MiB when reading stops. */
const IDLE_REPLY_BUFFERS = 16;

export class SegmentStoreClient {
  readonly tokens: DelegationTokens;
  /** Buffers for large replies, reused once the runs cut from them are gone (see leased-buffers.ts). */
  readonly replies = new LeasedBuffers(REPLY_BUFFER_BYTES, IDLE_REPLY_BUFFERS);
  private readonly connections = new Map<string, SegmentStoreConnection>();
  private readonly endpoints = new Map<string, { host: string; port: number; at: number }>();
  /** Controller lookups in flight, by segment name: callers at the same time share one. */
  private readonly lookups = new Map<string, Promise<{ host: string; port: number }>>();
  private closed = false;
  /** Segments without an owner now, logged and counted once per outage. */
  readonly outages: SegmentOutages;
  /** Stores that refused a connection lately: their segments share one watch (down-hosts.ts). */
  readonly downHosts: DownHosts;

  constructor(private readonly opts: SegmentStoreClientOptions) {
    this.tokens = new DelegationTokens(opts.controller);
    this.outages = new SegmentOutages(opts.logger, opts.outages);
    this.downHosts = new DownHosts({
      lookup: async (segment) =>
        hostPortOf(await opts.controller.getEndpoint(segment.scope, segment.stream, segment.segmentId)),
    });
  }

  get logger(): Logger {
    return this.opts.logger;
  }

  /**
   * The live connection to the segment store that owns `segment`, opening one if needed.
   * `lane`: a connection of its own next to the shared one (key-value tables use one per store,
   * so that their requests do not queue behind append blocks: tables/send-once.ts).
   */
  async connectionFor(segment: SegmentRef, lane = ''): Promise<SegmentStoreConnection> {
    if (this.closed) throw new GatewayError('cancelled', 'the gateway is shutting down');
    let endpoint = await this.endpointFor(segment);
    // A store that refused lately: wait for the shared watch rather than ask and try again alone.
    while (this.downHosts.isDown(hostPortOf(endpoint))) {
      const changed = await this.downHosts.wait(hostPortOf(endpoint), segment);
      if (this.closed) throw new GatewayError('cancelled', 'the gateway is shutting down');
      this.invalidateEndpoint(segment);
      endpoint = await this.endpointFor(segment);
      if (!changed) break; // waited long enough: try it, so the caller's retries and accounting run
    }
    const hostPort = hostPortOf(endpoint);
    const key = `${hostPort}${lane ? `#${lane}` : ''}`;
    let conn = this.connections.get(key);
    if (!conn || conn.isClosed) {
      conn = new SegmentStoreConnection({
        host: endpoint.host,
        port: endpoint.port,
        tls: this.opts.tls,
        logger: this.opts.logger,
        allocReply: this.replies.alloc,
        // Whatever named this host may be stale now: the next use asks the controller.
        onClosed: () => this.forgetHost(key),
        ...(this.opts.onErrorReply ? { onErrorReply: this.opts.onErrorReply } : {}),
      });
      this.connections.set(key, conn);
    }
    try {
      await conn.whenReady();
    } catch (err) {
      this.invalidateEndpoint(segment);
      this.downHosts.markDown(hostPort);
      throw GatewayError.from(err, 'unavailable');
    }
    this.downHosts.markUp(hostPort);
    return conn;
  }

  async endpointFor(segment: SegmentRef): Promise<{ host: string; port: number }> {
    const cached = this.endpoints.get(segment.name);
    if (cached && Date.now() - cached.at < ENDPOINT_TTL_MS) return cached;
    let lookup = this.lookups.get(segment.name);
    if (!lookup) {
      lookup = this.opts.controller
        .getEndpoint(segment.scope, segment.stream, segment.segmentId)
        .then((endpoint) => {
          const entry = { host: endpoint.host, port: endpoint.port, at: Date.now() };
          this.endpoints.set(segment.name, entry);
          return entry;
        })
        .finally(() => this.lookups.delete(segment.name));
      this.lookups.set(segment.name, lookup);
    }
    return lookup;
  }

  /** `host:port` this gateway last learnt for `segment`, if it knows one. */
  knownHost(segment: SegmentRef): string | undefined {
    const cached = this.endpoints.get(segment.name);
    return cached ? `${cached.host}:${cached.port}` : undefined;
  }

  /** After WrongHost (or a failed connect): ask the controller again next time. */
  invalidateEndpoint(segment: SegmentRef): void {
    this.endpoints.delete(segment.name);
  }

  /** A connection to `hostPort` ended: every segment it served is looked up again. */
  private forgetHost(hostPort: string): void {
    for (const [name, e] of this.endpoints) if (`${e.host}:${e.port}` === hostPort) this.endpoints.delete(name);
  }

  /**
   * Sends one request and resolves with its reply (error replies included: the caller decides).
   * Retries through lost connections and WrongHost within the request budget; use only for
   * requests that are safe to repeat.
   */
  async request(
    segment: SegmentRef,
    build: (requestId: bigint) => WireCommand,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<WireCommand> {
    const budget = this.opts.requestBudgetMs ?? 15_000;
    const deadline = Date.now() + budget;
    let lastError: GatewayError | undefined;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      if (options.signal?.aborted) throw new GatewayError('cancelled', 'request cancelled');
      try {
        const reply = await this.requestOnce(segment, build, options);
        if (reply.type === 'WrongHost') {
          this.invalidateEndpoint(segment);
          this.opts.outages?.wrongHost();
          lastError = new GatewayError('unavailable', `segment ${segment.name} moved to another segment store`);
        } else if (reply.type === 'AuthTokenCheckFailed') {
          this.tokens.invalidate(segment.scope, segment.stream);
          lastError = new GatewayError(
            'unauthenticated',
            `segment store rejected the delegation token for ${segment.name}`,
          );
        } else {
          return reply;
        }
      } catch (err) {
        lastError = GatewayError.from(err, 'unavailable');
        if (!lastError.retriable) throw lastError;
      }
      // A low cap: a moved segment is usable again as soon as the controller names its new store.
      await sleep(backoffDelay(attempt, 50, 250), options.signal);
    }
    throw lastError ?? new GatewayError('unavailable', `segment store request for ${segment.name} timed out`);
  }

  /**
   * Asks the segment's owner about it on a connection of its own (lane `verify`) before the
   * segment goes back onto the connection every segment of that store shares. Just after a
   * failover the controller names the new owner while its container may still be starting, and
   * a store answers a request for such a segment by closing the connection: on the shared one
   * that cut every other segment's appends and reads too (they set up again and resent). Resolves
   * once the store answered for the segment; throws `unavailable` (to retry) otherwise.
   */
  async verifyOwner(segment: SegmentRef): Promise<void> {
    const token = await this.tokens.get(segment.scope, segment.stream, 'read');
    const reply = await this.requestOnce(
      segment,
      (requestId) => ({ type: 'GetStreamSegmentInfo', requestId, segmentName: segment.name, delegationToken: token }),
      { timeoutMs: 10_000, lane: 'verify' },
    );
    if (reply.type === 'WrongHost') {
      this.invalidateEndpoint(segment);
      this.opts.outages?.wrongHost();
      throw new GatewayError('unavailable', `${segment.name} moved to another segment store`);
    }
    if (reply.type === 'AuthTokenCheckFailed') {
      this.tokens.invalidate(segment.scope, segment.stream);
      throw new GatewayError('unauthenticated', `segment store rejected the delegation token for ${segment.name}`);
    }
  }

  private async requestOnce(
    segment: SegmentRef,
    build: (requestId: bigint) => WireCommand,
    options: { signal?: AbortSignal; timeoutMs?: number; lane?: string },
  ): Promise<WireCommand> {
    const conn = await this.connectionFor(segment, options.lane);
    return new Promise<WireCommand>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        conn.closeFlow(flowId);
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const handler: FlowHandler = {
        onReply: (reply) => {
          if ('requestId' in reply && reply.requestId === requestId) finish(() => resolve(reply));
          else if (ERROR_REPLIES.has(reply.type) && 'segment' in reply && reply.segment === segment.name) {
            finish(() => resolve(reply));
          }
        },
        onConnectionLost: (err) => finish(() => reject(err)),
      };
      const flowId = conn.openFlow(handler);
      const requestId = (BigInt(flowId) << 32n) | 1n;
      const onAbort = () => finish(() => reject(new GatewayError('cancelled', 'request cancelled')));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            finish(() => reject(new GatewayError('unavailable', `no reply from ${conn.endpoint} for ${segment.name}`))),
          options.timeoutMs,
        );
      }
      try {
        conn.send(build(requestId));
      } catch (err) {
        finish(() => reject(GatewayError.from(err, 'unavailable')));
      }
    });
  }

  /** `GetStreamSegmentInfo`: length, start offset (truncation) and whether it is sealed. */
  async segmentInfo(
    segment: SegmentRef,
    signal?: AbortSignal,
  ): Promise<{ writeOffset: bigint; startOffset: bigint; sealed: boolean; exists: boolean }> {
    const token = await this.tokens.get(segment.scope, segment.stream, 'read');
    const reply = await this.request(
      segment,
      (requestId) => ({ type: 'GetStreamSegmentInfo', requestId, segmentName: segment.name, delegationToken: token }),
      { timeoutMs: 10_000, ...(signal ? { signal } : {}) },
    );
    if (reply.type === 'StreamSegmentInfo') {
      return {
        writeOffset: reply.writeOffset,
        startOffset: reply.startOffset < 0n ? 0n : reply.startOffset,
        sealed: reply.isSealed,
        exists: reply.exists && !reply.isDeleted,
      };
    }
    if (reply.type === 'NoSuchSegment') return { writeOffset: 0n, startOffset: 0n, sealed: true, exists: false };
    throw new GatewayError('internal', `unexpected reply ${reply.type} to GetStreamSegmentInfo`);
  }

  /** Is anything reachable? Used by /readyz. */
  get openConnections(): number {
    let n = 0;
    for (const c of this.connections.values()) if (!c.isClosed) n++;
    return n;
  }

  close(): void {
    this.closed = true;
    this.downHosts.close();
    for (const conn of this.connections.values()) conn.close();
    this.connections.clear();
  }
}

/**
 * One table-segment request on the segment store's connection for tables: one per store for all
 * partitions of all tables, apart from the connections that carry appends and event reads (so a
 * table request never queues behind a MiB append block). Java's client keeps one per table
 * segment; here, with many requests in flight, one connection lets a turn's requests to a store
 * leave in one write (write-coalescer.ts) — gateway CPU per put 31–34 → 21–22 µs against a
 * connection per partition (bench/kvt-profile.ts, A/B in one session).
 *
 * Failures before the request left (no connection, WrongHost, a refused token) are retried within
 * the budget. A connection lost after sending, or no reply in time, is retried for a `repeatable`
 * request (reads, unconditional changes) and is `outcome-unknown` for the others: a conditional
 * update applied by a first attempt whose reply was lost would fail its repeat as a conflict.
 */
import { GatewayError } from '../errors.js';
import { backoffDelay, sleep } from '../segmentstore/backoff.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import type { SegmentRef } from '../segmentstore/segment-ref.js';
import type { Access } from '../segmentstore/tokens.js';
import type { WireCommand } from '../wire/index.js';

/** The lane (SegmentStoreClient.connectionFor) of every table request. */
const TABLES_LANE = 'tables';

export interface SendOptions {
  timeoutMs: number;
  budgetMs: number;
  repeatable: boolean;
  access: Access;
}

export async function sendTable(
  segments: SegmentStoreClient,
  segment: SegmentRef,
  build: (requestId: bigint, token: string) => WireCommand,
  options: SendOptions,
): Promise<WireCommand> {
  const deadline = Date.now() + options.budgetMs;
  let lastError: GatewayError | undefined;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt - 1));
    let conn: Awaited<ReturnType<SegmentStoreClient['connectionFor']>>;
    let token: string;
    try {
      token = await segments.tokens.get(segment.scope, segment.stream, options.access);
      conn = await segments.connectionFor(segment, TABLES_LANE);
    } catch (err) {
      lastError = GatewayError.from(err, 'unavailable');
      if (!lastError.retriable) throw lastError;
      continue;
    }
    let reply: WireCommand;
    try {
      reply = await exchange(conn, segment, build, token, options.timeoutMs);
    } catch (err) {
      const e = GatewayError.from(err, 'unavailable');
      if (e.code !== 'unavailable') throw e;
      if (!options.repeatable)
        throw new GatewayError(
          'outcome-unknown',
          `${e.message} after the update of ${segment.name} was sent: it may or may not have applied`,
        );
      lastError = e;
      continue;
    }
    if (reply.type === 'WrongHost') {
      segments.invalidateEndpoint(segment);
      lastError = new GatewayError('unavailable', `segment ${segment.name} moved to another segment store`);
    } else if (reply.type === 'AuthTokenCheckFailed') {
      segments.tokens.invalidate(segment.scope, segment.stream);
      lastError = new GatewayError(
        'unauthenticated',
        `segment store rejected the delegation token for ${segment.name}`,
      );
    } else {
      return reply;
    }
  }
  throw lastError ?? new GatewayError('unavailable', `segment store request for ${segment.name} timed out`);
}

/** Sends one request; rejects `unavailable` if the connection goes or no reply comes in time. */
function exchange(
  conn: Awaited<ReturnType<SegmentStoreClient['connectionFor']>>,
  segment: SegmentRef,
  build: (requestId: bigint, token: string) => WireCommand,
  token: string,
  timeoutMs: number,
): Promise<WireCommand> {
  return new Promise<WireCommand>((resolve, reject) => {
    const finish = (fn: () => void) => {
      conn.closeFlow(flowId);
      clearTimeout(timer);
      fn();
    };
    const flowId = conn.openFlow({
      onReply: (r) => {
        if ('requestId' in r && r.requestId === requestId) finish(() => resolve(r));
      },
      onConnectionLost: (err) =>
        finish(() => reject(new GatewayError('unavailable', `the segment store connection was lost (${err.message})`))),
    });
    const requestId = (BigInt(flowId) << 32n) | 1n;
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(new GatewayError('unavailable', `no reply from ${conn.endpoint} for ${segment.name} in time`)),
        ),
      timeoutMs,
    );
    try {
      conn.send(build(requestId, token));
    } catch (err) {
      finish(() => reject(GatewayError.from(err, 'unavailable')));
    }
  });
}

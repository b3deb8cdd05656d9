/**
 * One table-segment request that must not be repeated once sent: a conditional update applied
 * by a first attempt whose reply was lost would fail its repeat as a conflict. Failures before
 * the request left (no connection, WrongHost, a refused token) are retried within the budget;
 * a connection lost after sending, or no reply in time, is `outcome-unknown`.
 */
import { GatewayError } from '../errors.js';
import { backoffDelay, sleep } from '../segmentstore/backoff.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import type { SegmentRef } from '../segmentstore/segment-ref.js';
import type { WireCommand } from '../wire/index.js';

export async function sendOnce(
  segments: SegmentStoreClient,
  segment: SegmentRef,
  build: (requestId: bigint, token: string) => WireCommand,
  options: { timeoutMs: number; budgetMs: number },
): Promise<WireCommand> {
  const deadline = Date.now() + options.budgetMs;
  let lastError: GatewayError | undefined;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt - 1));
    let conn: Awaited<ReturnType<SegmentStoreClient['connectionFor']>>;
    let token: string;
    try {
      token = await segments.tokens.get(segment.scope, segment.stream, 'read-write');
      conn = await segments.connectionFor(segment);
    } catch (err) {
      lastError = GatewayError.from(err, 'unavailable');
      if (!lastError.retriable) throw lastError;
      continue;
    }
    const reply = await new Promise<WireCommand>((resolve, reject) => {
      const unknown = (why: string) =>
        new GatewayError(
          'outcome-unknown',
          `${why} after the update of ${segment.name} was sent: it may or may not have applied`,
        );
      const finish = (fn: () => void) => {
        conn.closeFlow(flowId);
        clearTimeout(timer);
        fn();
      };
      const flowId = conn.openFlow({
        onReply: (r) => {
          if ('requestId' in r && r.requestId === requestId) finish(() => resolve(r));
        },
        onConnectionLost: () => finish(() => reject(unknown('the segment store connection was lost'))),
      });
      const requestId = (BigInt(flowId) << 32n) | 1n;
      const timer = setTimeout(() => finish(() => reject(unknown('no reply in time'))), options.timeoutMs);
      try {
        conn.send(build(requestId, token));
      } catch (err) {
        // Nothing left: the connection refused the frame before it was written.
        finish(() => reject(GatewayError.from(err, 'unavailable')));
      }
    });
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

/**
 * Reads bytes [from, to) of a segment with ReadSegment requests (the segment store may answer
 * with less than asked, so it asks again from where the answer ended). The caller checks first
 * that `to` is within the segment's length: a read at the tail would wait for new data.
 */
import { GatewayError } from '../errors.js';
import type { SegmentStoreClient } from './client.js';
import type { SegmentRef } from './segment-ref.js';

export async function readSegmentRange(
  client: SegmentStoreClient,
  segment: SegmentRef,
  from: bigint,
  to: bigint,
): Promise<Uint8Array> {
  const total = Number(to - from);
  const out = new Uint8Array(total);
  let filled = 0;
  while (filled < total) {
    const offset = from + BigInt(filled);
    const token = await client.tokens.get(segment.scope, segment.stream, 'read');
    const reply = await client.request(
      segment,
      (requestId) => ({
        type: 'ReadSegment',
        segment: segment.name,
        offset,
        suggestedLength: total - filled,
        delegationToken: token,
        requestId,
      }),
      { timeoutMs: 10_000 },
    );
    if (reply.type === 'SegmentIsTruncated')
      throw new GatewayError('truncated', `${segment.name} was truncated past ${offset}`);
    if (reply.type === 'NoSuchSegment') throw new GatewayError('not-found', `segment ${segment.name} does not exist`);
    if (reply.type !== 'SegmentRead')
      throw new GatewayError('internal', `unexpected reply ${reply.type} to ReadSegment`);
    const data = reply.data as Uint8Array;
    if (reply.offset !== offset)
      throw new GatewayError('internal', `ReadSegment answered at ${reply.offset}, not ${offset}`);
    if (data.length === 0 && reply.endOfSegment)
      throw new GatewayError('not-found', `${segment.name} ends at ${offset}, before ${to}`);
    const n = Math.min(data.length, total - filled);
    out.set(data.subarray(0, n), filled);
    filled += n;
  }
  return out;
}

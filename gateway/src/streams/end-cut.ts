/**
 * Completing an end cut that leaves segments out, as Pravega's batch client does
 * (BatchClientFactoryImpl.getSegmentRange): every segment the controller lists up to the cut that
 * the cut does not name is read up to its write offset at the time the cut is completed. Only
 * open segments need it — a sealed one ends by itself and its successors beyond the cut are not
 * read — so only those are added, at their current write offset. The result is a cut that
 * bounds every segment a reader can reach, and a reader bounded by it always ends
 * (docs/stream-cuts.md "A `to` cut that leaves segments out").
 */
import type { ControllerClient } from '../controller/controller-client.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import { segmentRef } from '../segmentstore/segment-ref.js';

export async function completeEndCut(
  controller: ControllerClient,
  segments: SegmentStoreClient,
  scope: string,
  stream: string,
  to: ReadonlyMap<bigint, bigint>,
): Promise<Map<bigint, bigint>> {
  const complete = new Map(to);
  if (to.size === 0) return complete;
  // An open segment the cut does not name is either left out by the cut (listed up to it) or
  // beyond it (it succeeds a segment the cut names, and is not listed).
  const [upTo, current] = await Promise.all([
    controller.getSegmentsBetween(scope, stream, new Map(), new Map(to)),
    controller.getCurrentSegments(scope, stream),
  ]);
  const listed = new Set(upTo);
  const missing = current.segments.map((s) => s.segmentId).filter((id) => listed.has(id) && !to.has(id));
  const infos = await Promise.all(missing.map((id) => segments.segmentInfo(segmentRef(scope, stream, id))));
  for (const [i, id] of missing.entries()) complete.set(id, infos[i]!.writeOffset);
  return complete;
}

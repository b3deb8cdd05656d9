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

export interface SegmentRangeBounds {
  readonly segmentId: bigint;
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * A batch read between two cuts split into one range per segment, as Pravega's batch client
 * lists them (BatchClientFactoryImpl.listSegments): every segment between the cuts, from its
 * offset in `from` (else its first readable offset) to its offset in the completed `to` (else
 * its write offset now). Empty cuts mean the head and the tail now. Each range can then be read
 * on its own, anywhere; together they hold every event between the cuts once.
 */
export async function batchRanges(
  controller: ControllerClient,
  segments: SegmentStoreClient,
  scope: string,
  stream: string,
  from: ReadonlyMap<bigint, bigint>,
  to: ReadonlyMap<bigint, bigint>,
): Promise<SegmentRangeBounds[]> {
  const start = from.size > 0 ? new Map(from) : await controller.getHeadCut(scope, stream);
  let end: Map<bigint, bigint>;
  if (to.size > 0) end = await completeEndCut(controller, segments, scope, stream, to);
  else {
    const current = (await controller.getCurrentSegments(scope, stream)).segments.map((s) => s.segmentId);
    const infos = await Promise.all(current.map((id) => segments.segmentInfo(segmentRef(scope, stream, id))));
    end = new Map(current.map((id, i) => [id, infos[i]!.writeOffset]));
  }
  const between = (await controller.getSegmentsBetween(scope, stream, start, end)).sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return Promise.all(
    between.map(async (segmentId) => {
      const s = start.get(segmentId);
      const e = end.get(segmentId);
      if (s !== undefined && e !== undefined) return { segmentId, start: s, end: e };
      const info = await segments.segmentInfo(segmentRef(scope, stream, segmentId));
      return { segmentId, start: s ?? info.startOffset, end: e ?? info.writeOffset };
    }),
  );
}

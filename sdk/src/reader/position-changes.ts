/**
 * How the gateway's frames move a reader's position (besides events, which `reader.ts` applies
 * on its hot path): the start the gateway resolved or the group gave, segments finishing,
 * truncation, assignment. Each applies when the application reaches it in the queue.
 */
import type { StreamPosition } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { SluiceError, type Truncation } from '../errors.js';
import type { StreamPositionState } from './position.js';
import type { AssignedItem, SegmentsChangedItem, TruncatedItem } from './reader-items.js';

type OpenedStreams = readonly StreamPosition[];

/**
 * The start the gateway resolved (head, tail or a cut became offsets). Stream names come back
 * fully scoped; the result is keyed by the names the reader was opened with, in the same order.
 */
export function resolvedStart(names: readonly string[], opened: OpenedStreams): Map<string, StreamPositionState> {
  const resolved = new Map<string, StreamPositionState>();
  for (const s of opened) {
    resolved.set(s.stream, {
      segments: new Map(s.segments.map((o) => [o.segmentId, o.offset])),
      future: new Map(s.future.map((f) => [f.segmentId, [...f.waitingFor]])),
    });
  }
  return new Map(
    names.map((name, i) => [name, [...resolved.values()][i] ?? { segments: new Map(), future: new Map() }]),
  );
}

/** A group reader's position on (re)joining: exactly the segments the group gave it. */
export function groupStart(names: readonly string[], opened: OpenedStreams): Map<string, StreamPositionState> {
  return new Map<string, StreamPositionState>(
    names.map((name, i) => [
      name,
      {
        segments: new Map((opened[i]?.segments ?? []).map((o) => [o.segmentId, o.offset])),
        future: new Map(),
      },
    ]),
  );
}

/**
 * A segment finished: it leaves the position (unless held at its end for a successor that waits
 * for other predecessors), as do segments given away; successors start or wait. Returns whether
 * the reader was reading the finished segment (a group reader reports it at its next commit).
 */
export function applySegmentsChanged(s: StreamPositionState, item: SegmentsChangedItem): boolean {
  const wasReading = s.segments.has(item.finished);
  if (!item.held) s.segments.delete(item.finished);
  for (const id of item.released) s.segments.delete(id);
  for (const [id, off] of item.started) s.segments.set(id, off);
  s.future.clear();
  for (const [id, waiting] of item.future) s.future.set(id, waiting);
  return wasReading;
}

/**
 * Data was truncated away below the reader's offset: with `onTruncated` the reader accepts the
 * loss and reads on; without it, it fails (nothing is skipped silently).
 */
export function applyTruncation(
  s: StreamPositionState,
  stream: string,
  item: TruncatedItem,
  onTruncated: ((info: Truncation) => void) | undefined,
): void {
  const truncation = { stream, segment: item.segment, requested: item.requested, resumed: item.resumed };
  if (!onTruncated)
    throw new SluiceError(
      'truncated',
      `${stream} segment ${item.segment}: offsets ${item.requested}–${item.resumed} were truncated away; ` +
        'pass onTruncated to accept the loss and read on from the first offset Pravega still holds',
      { truncation },
    );
  s.segments.set(item.segment, item.resumed);
  onTruncated(truncation);
}

/** The group assigned segments to this reader. */
export function applyAssigned(s: StreamPositionState, item: AssignedItem): void {
  for (const [id, offset] of item.acquired) s.segments.set(id, offset);
}

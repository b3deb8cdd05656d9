/**
 * A reader's place in one stream: the segments being read (next offset) and the successors
 * still waiting for some of their predecessors (fact sheet §3.6: a successor is read only once
 * all its predecessors are finished, which keeps per-key order across merges).
 */
export interface StreamPositionState {
  readonly active: Map<bigint, bigint>;
  readonly future: Map<bigint, Set<bigint>>;
  /**
   * Finished segments kept in `active` at their end offset, each with the successors that wait
   * for other predecessors (see SegmentCompletion.held). Rebuilt when a reader re-opens: the held
   * segment is read again from its end, finishes at once, and is held again.
   */
  held?: Map<bigint, Set<bigint>>;
}

export interface SuccessorInfo {
  readonly segmentId: bigint;
  readonly predecessors: readonly bigint[];
}

/** What finishing a segment changed in a position. */
export interface SegmentCompletion {
  /** Successors that may be read now (at offset 0). */
  readonly started: bigint[];
  /**
   * The finished segment stays in the position at its end offset: a successor of it waits for
   * other predecessors. Without it, a cut made from the position would leave the finished
   * segment's key range out, and a reader started from that cut would wait for it forever.
   */
  readonly held: boolean;
  /** Segments held earlier whose successors have now all started: they leave the position. */
  readonly released: bigint[];
}

/**
 * Applies "segment `finished` was read to its end, these are its successors". `allowed`, when
 * given, drops successors beyond a reader's end cut.
 */
export function completeSegment(
  position: StreamPositionState,
  finished: bigint,
  successors: readonly SuccessorInfo[],
  allowed?: ReadonlySet<bigint>,
): SegmentCompletion {
  for (const waiting of position.future.values()) waiting.delete(finished);
  const pending: bigint[] = [];
  for (const s of successors) {
    if (allowed && !allowed.has(s.segmentId)) continue;
    if (position.active.has(s.segmentId)) continue;
    let waiting = position.future.get(s.segmentId);
    if (!waiting) {
      waiting = new Set(s.predecessors.filter((p) => p !== finished));
      position.future.set(s.segmentId, waiting);
    }
    pending.push(s.segmentId);
  }
  const started: bigint[] = [];
  for (const [id, waiting] of position.future) {
    if (waiting.size === 0) {
      position.future.delete(id);
      position.active.set(id, 0n);
      started.push(id);
    }
  }
  const held = position.held ?? new Map<bigint, Set<bigint>>();
  const waitingOn = pending.filter((id) => position.future.has(id));
  if (waitingOn.length > 0) held.set(finished, new Set(waitingOn));
  else {
    held.delete(finished);
    position.active.delete(finished);
  }
  const released: bigint[] = [];
  for (const [segment, successorsWaiting] of held) {
    for (const id of started) successorsWaiting.delete(id);
    if (successorsWaiting.size === 0) {
      held.delete(segment);
      position.active.delete(segment);
      released.push(segment);
    }
  }
  if (held.size > 0) position.held = held;
  else delete position.held;
  return { started, held: waitingOn.length > 0, released };
}

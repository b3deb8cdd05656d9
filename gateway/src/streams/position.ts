/**
 * A reader's place in one stream: the segments being read (next offset) and the successors
 * still waiting for some of their predecessors (fact sheet §3.6: a successor is read only once
 * all its predecessors are finished, which keeps per-key order across merges).
 */
export interface StreamPositionState {
  readonly active: Map<bigint, bigint>;
  readonly future: Map<bigint, Set<bigint>>;
}

export interface SuccessorInfo {
  readonly segmentId: bigint;
  readonly predecessors: readonly bigint[];
}

/**
 * Applies "segment `finished` was read to its end, these are its successors" and returns the
 * successors that may be read now (at offset 0). `allowed`, when given, drops successors
 * beyond a reader's end cut.
 */
export function completeSegment(
  position: StreamPositionState,
  finished: bigint,
  successors: readonly SuccessorInfo[],
  allowed?: ReadonlySet<bigint>,
): bigint[] {
  position.active.delete(finished);
  for (const waiting of position.future.values()) waiting.delete(finished);
  const started: bigint[] = [];
  for (const s of successors) {
    if (allowed && !allowed.has(s.segmentId)) continue;
    if (position.active.has(s.segmentId)) continue;
    let waiting = position.future.get(s.segmentId);
    if (!waiting) {
      waiting = new Set(s.predecessors.filter((p) => p !== finished));
      position.future.set(s.segmentId, waiting);
    }
  }
  for (const [id, waiting] of position.future) {
    if (waiting.size === 0) {
      position.future.delete(id);
      position.active.set(id, 0n);
      started.push(id);
    }
  }
  return started;
}

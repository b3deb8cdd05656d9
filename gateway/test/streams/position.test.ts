import { describe, expect, it } from 'vitest';
import { completeSegment, type StreamPositionState } from '../../src/streams/position.js';

function state(active: Array<[bigint, bigint]>, future: Array<[bigint, bigint[]]> = []): StreamPositionState {
  return { active: new Map(active), future: new Map(future.map(([id, w]) => [id, new Set(w)])) };
}

describe('completeSegment', () => {
  it('starts both halves of a split at once', () => {
    const p = state([
      [0n, 100n],
      [1n, 50n],
    ]);
    const change = completeSegment(p, 0n, [
      { segmentId: 2n, predecessors: [0n] },
      { segmentId: 3n, predecessors: [0n] },
    ]);
    expect(change).toEqual({ started: [2n, 3n], held: false, released: [] });
    expect([...p.active]).toEqual([
      [1n, 50n],
      [2n, 0n],
      [3n, 0n],
    ]);
  });

  it('holds a merged successor until every predecessor is finished, and the finished one in the position', () => {
    const p = state([
      [0n, 10n],
      [1n, 20n],
    ]);
    expect(completeSegment(p, 0n, [{ segmentId: 2n, predecessors: [0n, 1n] }])).toEqual({
      started: [],
      held: true,
      released: [],
    });
    expect(p.future.get(2n)).toEqual(new Set([1n]));
    // Segment 0 stays at its end: a cut of this position still covers its key range.
    expect(p.active).toEqual(
      new Map([
        [0n, 10n],
        [1n, 20n],
      ]),
    );
    expect(completeSegment(p, 1n, [{ segmentId: 2n, predecessors: [0n, 1n] }])).toEqual({
      started: [2n],
      held: false,
      released: [0n],
    });
    expect([...p.active]).toEqual([[2n, 0n]]);
    expect(p.future.size).toBe(0);
    expect(p.held).toBeUndefined();
  });

  it('holds a finished segment again when a re-opened reader finds it at its end', () => {
    // Re-opened from a position that held segment 0: it finishes at once, and is held again.
    const p = state(
      [
        [0n, 10n],
        [1n, 5n],
      ],
      [[2n, [1n]]],
    );
    expect(completeSegment(p, 0n, [{ segmentId: 2n, predecessors: [0n, 1n] }]).held).toBe(true);
    expect(p.future.get(2n)).toEqual(new Set([1n]));
    expect(completeSegment(p, 1n, [{ segmentId: 2n, predecessors: [0n, 1n] }])).toEqual({
      started: [2n],
      held: false,
      released: [0n],
    });
  });

  it('skips successors outside the allowed set', () => {
    const p = state([[0n, 10n]]);
    expect(completeSegment(p, 0n, [{ segmentId: 5n, predecessors: [0n] }], new Set([0n])).started).toEqual([]);
    expect(p.active.size).toBe(0);
  });

  it('ends with nothing active when a sealed stream has no successors', () => {
    const p = state([[7n, 10n]]);
    expect(completeSegment(p, 7n, [])).toEqual({ started: [], held: false, released: [] });
    expect(p.active.size + p.future.size).toBe(0);
  });
});

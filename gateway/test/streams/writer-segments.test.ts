/**
 * How a writer's view of the segments moves on past a seal (the integration proof is
 * integration/writer-across-scales.test.ts; here the history is written out to check each case).
 */
import { describe, expect, it } from 'vitest';
import type { SegmentRange } from '../../src/controller/controller-client.js';
import { type Successor, WriterSegments } from '../../src/streams/writer-segments.js';

const id = (epoch: number, n: number) => (BigInt(epoch) << 32n) | BigInt(n);
const seg = (segmentId: bigint, minKey: number, maxKey: number): SegmentRange => ({ segmentId, minKey, maxKey });

// A stream's history: S0 [0, 1) split into A [0, .5) and B [.5, 1); A split into A1 [0, .25) and
// A2 [.25, .5); A2 and B merged into C [.25, 1).
const S0 = seg(id(0, 0), 0, 1);
const A = seg(id(1, 1), 0, 0.5);
const B = seg(id(1, 2), 0.5, 1);
const A1 = seg(id(2, 3), 0, 0.25);
const A2 = seg(id(2, 4), 0.25, 0.5);
const C = seg(id(3, 5), 0.25, 1);
const SUCCESSORS = new Map<bigint, Successor[]>([
  [S0.segmentId, [A, B].map((s) => ({ segment: s, predecessors: [S0.segmentId] }))],
  [A.segmentId, [A1, A2].map((s) => ({ segment: s, predecessors: [A.segmentId] }))],
  [A2.segmentId, [{ segment: C, predecessors: [A2.segmentId, B.segmentId] }]],
  [B.segmentId, [{ segment: C, predecessors: [A2.segmentId, B.segmentId] }]],
]);

async function replace(view: WriterSegments, sealed: bigint) {
  const drained: bigint[] = [];
  const next = await view.replaceSealed(sealed, {
    successorsOf: async (s) => SUCCESSORS.get(s) ?? [],
    drain: async (s) => {
      drained.push(s);
    },
  });
  return { next, drained };
}

const ranges = (view: WriterSegments | undefined) => view?.map.segments.map((s) => [s.segmentId, s.minKey, s.maxKey]);

describe('WriterSegments.replaceSealed', () => {
  it('replaces a split segment by its successors', async () => {
    const { next, drained } = await replace(WriterSegments.of([S0]), S0.segmentId);
    expect(ranges(next)).toEqual([
      [A.segmentId, 0, 0.5],
      [B.segmentId, 0.5, 1],
    ]);
    expect(drained).toEqual([]);
  });

  it('drains the other predecessor of a merge', async () => {
    const { next, drained } = await replace(WriterSegments.of([A1, A2, B]), B.segmentId);
    expect(drained).toEqual([A2.segmentId]);
    expect(ranges(next)).toEqual([
      [A1.segmentId, 0, 0.25],
      [C.segmentId, 0.25, 0.5],
      [C.segmentId, 0.5, 1],
    ]);
  });

  it('drains an ancestor of a successor, and replaces the sealed segments between them too', async () => {
    // The view is two scalings old: B's successor C also continues A (through A2).
    const { next, drained } = await replace(WriterSegments.of([A, B]), B.segmentId);
    expect(drained).toEqual([A.segmentId, A2.segmentId]);
    expect(ranges(next)).toEqual([
      [A1.segmentId, 0, 0.25],
      [C.segmentId, 0.25, 0.5],
      [C.segmentId, 0.5, 1],
    ]);
  });

  it('heard the other way round: A2 looks current until its own seal, which drains B', async () => {
    const first = await replace(WriterSegments.of([A, B]), A.segmentId);
    expect(first.drained).toEqual([]);
    expect(ranges(first.next)).toEqual([
      [A1.segmentId, 0, 0.25],
      [A2.segmentId, 0.25, 0.5],
      [B.segmentId, 0.5, 1],
    ]);
    const second = await replace(first.next!, A2.segmentId);
    expect(second.drained).toEqual([B.segmentId]);
    expect(ranges(second.next)).toEqual([
      [A1.segmentId, 0, 0.25],
      [C.segmentId, 0.25, 0.5],
      [C.segmentId, 0.5, 1],
    ]);
  });

  it('says when the stream is sealed (no successors)', async () => {
    const { next } = await replace(WriterSegments.of([A1, C]), A1.segmentId);
    expect(next).toBeUndefined();
  });
});

/** The pure rules of reader-group state: fair shares, hand-over only at commits, fencing, successors. */
import { describe, expect, it } from 'vitest';
import {
  acquire,
  checkpointIfDue,
  commit,
  endsOf,
  fairShare,
  heartbeat,
  isFinished,
  newGroup,
  ownedBy,
  removeReader,
  requestCheckpoint,
  silentReaders,
  unpublishedCheckpoint,
} from '../../src/groups/group-state.js';

const seg = (id: number) => `0:${id}`;

function group(segments: number) {
  return newGroup(['sc/st'], new Map(Array.from({ length: segments }, (_, i) => [seg(i), 0n])), 1_000);
}

describe('group state', () => {
  it('gives every live reader ⌊n/k⌋ or ⌈n/k⌉ segments', () => {
    const s = group(8);
    for (const id of ['a', 'b', 'c']) heartbeat(s, id, 0);
    expect(['a', 'b', 'c'].map((id) => fairShare(s, id))).toEqual([3, 3, 2]);
    for (const id of ['a', 'b', 'c']) acquire(s, id);
    expect(['a', 'b', 'c'].map((id) => ownedBy(s, id).length)).toEqual([3, 3, 2]);
  });

  it('hands surplus segments over only in a commit, at the committed offset', () => {
    const s = group(4);
    heartbeat(s, 'a', 0);
    acquire(s, 'a');
    heartbeat(s, 'b', 0);
    expect(acquire(s, 'b')).toEqual([]); // nothing free: a owns everything until it commits
    const positions = new Map(ownedBy(s, 'a').map((k) => [k, 100n]));
    const { released } = commit(s, { readerId: 'a', positions, finished: [], now: 1 });
    expect(released).toHaveLength(2);
    expect(acquire(s, 'b')).toEqual(released.map((k) => [k, 100n]));
  });

  it('fences a reader the group removed, and one reporting a segment it no longer owns', () => {
    const s = group(2);
    heartbeat(s, 'a', 0);
    acquire(s, 'a');
    heartbeat(s, 'b', 5_000);
    expect(silentReaders(s, 5_000)).toEqual(['a']);
    removeReader(s, 'a', 5_000);
    acquire(s, 'b');
    expect(() => commit(s, { readerId: 'a', positions: new Map([[seg(0), 9n]]), finished: [], now: 5_001 })).toThrow(
      expect.objectContaining({ code: 'reassigned' }),
    );
    heartbeat(s, 'c', 5_002);
    expect(() => commit(s, { readerId: 'c', positions: new Map([[seg(0), 9n]]), finished: [], now: 5_003 })).toThrow(
      expect.objectContaining({ code: 'reassigned' }),
    );
    expect(s.segments[seg(0)]?.offset).toBe('0');
  });

  it('starts a merged successor only when all its predecessors have been committed as finished', () => {
    const s = group(2);
    heartbeat(s, 'a', 0);
    heartbeat(s, 'b', 0);
    acquire(s, 'a');
    acquire(s, 'b');
    const succ = { key: seg(10), predecessors: [seg(0), seg(1)] };
    commit(s, { readerId: 'a', positions: new Map(), finished: [{ key: seg(0), successors: [succ] }], now: 1 });
    expect(s.future[seg(10)]).toEqual([seg(1)]);
    expect(s.segments[seg(10)]).toBeUndefined();
    commit(s, { readerId: 'b', positions: new Map(), finished: [{ key: seg(1), successors: [succ] }], now: 2 });
    expect(s.future[seg(10)]).toBeUndefined();
    expect(s.segments[seg(10)]).toEqual({ offset: '0' });
  });

  it('completes a group-wide checkpoint when every reader has committed, or left', () => {
    const s = group(2);
    heartbeat(s, 'a', 0);
    heartbeat(s, 'b', 0);
    acquire(s, 'a');
    acquire(s, 'b');
    const id = requestCheckpoint(s, 1);
    commit(s, { readerId: 'a', positions: new Map([[ownedBy(s, 'a')[0]!, 42n]]), finished: [], now: 2 });
    expect(s.checkpoints.last).toBeUndefined();
    removeReader(s, 'b', 3);
    expect(s.checkpoints.last?.id).toBe(id);
    expect(Object.values(s.checkpoints.last!.cut).sort()).toEqual(['0', '42']);
  });

  it('with end cuts, takes in no successor beyond them, and is finished when its segments are', () => {
    const s = group(2);
    // Segment 0 is bounded at 500; segment 1 is read to its end, and its successor 11 lies
    // before the end cut (reachable) while 0's successor 10 lies beyond it.
    s.bounds = { end: { [seg(0)]: '500', [seg(11)]: '70' }, reachable: [seg(0), seg(1), seg(11)], streams: [0] };
    expect(endsOf(s)).toEqual([
      new Map([
        [0n, 500n],
        [11n, 70n],
      ]),
    ]);
    heartbeat(s, 'a', 0);
    acquire(s, 'a');
    const finished = [
      { key: seg(0), successors: [{ key: seg(10), predecessors: [seg(0)] }] },
      { key: seg(1), successors: [{ key: seg(11), predecessors: [seg(1)] }] },
    ];
    commit(s, { readerId: 'a', positions: new Map(), finished, now: 1 });
    expect(Object.keys(s.segments)).toEqual([seg(11)]);
    expect(isFinished(s)).toBe(false);
    acquire(s, 'a');
    commit(s, { readerId: 'a', positions: new Map(), finished: [{ key: seg(11), successors: [] }], now: 2 });
    expect(isFinished(s)).toBe(true);
  });

  it('tells an automatic-release group which completed checkpoint it has not published', () => {
    const s = group(1);
    heartbeat(s, 'a', 0);
    const id = requestCheckpoint(s, 1);
    commit(s, { readerId: 'a', positions: new Map(), finished: [], now: 2 });
    expect(unpublishedCheckpoint(s)).toBeUndefined(); // no retention: nothing to publish
    s.retention = { type: 'automatic', readerGroupId: 'x', generation: '0', published: 0 };
    expect(unpublishedCheckpoint(s)).toBe(id);
    s.retention.published = id;
    expect(unpublishedCheckpoint(s)).toBeUndefined();
    s.retention = { type: 'manual', readerGroupId: 'x', generation: '0', published: 0 };
    expect(unpublishedCheckpoint(s)).toBeUndefined();
  });

  it('starts a periodic group checkpoint when the last one is older than the interval', () => {
    const s = group(1);
    heartbeat(s, 'a', 0);
    expect(checkpointIfDue(s, 10_000)).toBeUndefined(); // no interval: only on request
    s.checkpointEveryMs = 1_000;
    const first = checkpointIfDue(s, 10_000);
    expect(first).toBeDefined();
    expect(checkpointIfDue(s, 20_000)).toBeUndefined(); // one pending at a time
    commit(s, { readerId: 'a', positions: new Map(), finished: [], now: 10_500 });
    expect(s.checkpoints.last?.id).toBe(first);
    expect(checkpointIfDue(s, 11_000)).toBeUndefined(); // 500 ms after the last
    expect(checkpointIfDue(s, 11_500)).toBe(first! + 1);
  });
});

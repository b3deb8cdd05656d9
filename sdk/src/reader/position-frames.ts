/**
 * Positions and cuts as the reader sends them (OpenReader, GroupCommit, Lag): the wire form of
 * what `position.ts` and `StreamCut` hold.
 */
import { StreamCut } from '../stream-cut.js';
import type { ReaderPosition } from './position.js';

/** A position, stream by stream: each segment's next offset and the successors still waiting. */
export function positionFrame(position: ReaderPosition) {
  return [...position.streams].map(([stream, s]) => ({
    stream,
    segments: [...s.segments].map(([segmentId, offset]) => ({ segmentId, offset })),
    future: [...s.future].map(([segmentId, waitingFor]) => ({ segmentId, waitingFor })),
  }));
}

/** Segments read to their end (group readers report them so the group can hand on successors). */
export function finishedFrame(finished: ReadonlyArray<{ stream: string; segmentId: bigint }>) {
  return finished.map((f) => ({ stream: f.stream, segmentId: f.segmentId, offset: 0n }));
}

/** Where a reader ends: the bounded cuts of `to` (an unbounded cut does not end a stream). */
export function endFrame(to: StreamCut | StreamCut[] | undefined) {
  const cuts = to === undefined ? [] : Array.isArray(to) ? to : [to];
  return cuts
    .filter((c) => !c.isUnbounded)
    .map((c) => ({
      stream: c.stream,
      positions: [...c.positions].map(([segmentId, offset]) => ({ segmentId, offset })),
    }));
}

/**
 * Where a reader starts: from its own position once it has one (a checkpoint, a seek, events
 * already handed out), else from `from` — the gateway resolves head, tail and cuts to offsets.
 */
export function startFrame(
  streams: readonly string[],
  position: ReaderPosition | undefined,
  from: 'head' | 'tail' | StreamCut | StreamCut[] | ReaderPosition,
) {
  if (position) return { case: 'position' as const, value: { streams: positionFrame(position) } };
  if (from === 'tail') return { case: 'tail' as const, value: true };
  const cuts = (Array.isArray(from) ? from : from instanceof StreamCut ? [from] : []).filter((c) => !c.isUnbounded);
  if (cuts.length > 0) {
    // client.reader() checked that every stream has exactly one cut.
    return {
      case: 'position' as const,
      value: {
        streams: streams.map((stream) => ({
          stream,
          segments: [...(cuts.find((c) => c.stream === stream)?.positions ?? [])].map(([segmentId, offset]) => ({
            segmentId,
            offset,
          })),
          future: [],
        })),
      },
    };
  }
  return { case: 'head' as const, value: true };
}

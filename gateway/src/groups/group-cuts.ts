/**
 * The start and end cuts of a reader group as segment keys (group-state.ts): where its segments
 * start (head, tail or cuts), the completed end cuts of a bounded group, and the segments between.
 */
import type { StreamCut } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { GatewayError } from '../errors.js';
import { segmentRef } from '../segmentstore/segment-ref.js';
import { completeEndCut } from '../streams/end-cut.js';
import { parseStreamName } from '../streams/stream-name.js';
import type { GroupServices } from './group-member.js';
import { type GroupBounds, parseSegmentKey, segmentKey } from './group-state.js';

/** Where a group's segments start: `from`'s cuts, else every stream's tail or head. */
export async function startOf(
  services: GroupServices,
  streams: string[],
  from: { cuts: StreamCut[]; tail: boolean },
  defaultScope: string | undefined,
): Promise<Map<string, bigint>> {
  const byStream = new Map<string, StreamCut>();
  for (const cut of from.cuts) {
    const n = parseStreamName(cut.stream, defaultScope);
    const name = `${n.scope}/${n.stream}`;
    if (!streams.includes(name)) throw new GatewayError('invalid-argument', `the group does not read ${cut.stream}`);
    byStream.set(name, cut);
  }
  if (from.cuts.length > 0 && byStream.size !== streams.length)
    throw new GatewayError('invalid-argument', `a start from cuts needs one cut for each of ${streams.join(', ')}`);
  const result = new Map<string, bigint>();
  for (const [i, name] of streams.entries()) {
    const [scope, stream] = name.split('/') as [string, string];
    let cut: Map<bigint, bigint>;
    const given = byStream.get(name);
    if (given) {
      cut = new Map(given.positions.map((p) => [p.segmentId, p.offset]));
      if (!(await services.controller.isStreamCutValid(scope, stream, cut)))
        throw new GatewayError('invalid-argument', `the cut for ${name} is not a valid stream cut`);
    } else if (!from.tail) {
      cut = await services.controller.getHeadCut(scope, stream);
    } else {
      const { segments } = await services.controller.getCurrentSegments(scope, stream);
      const infos = await Promise.all(
        segments.map((s) => services.segments.segmentInfo(segmentRef(scope, stream, s.segmentId))),
      );
      cut = new Map(segments.map((s, j) => [s.segmentId, infos[j]!.writeOffset]));
    }
    for (const [segmentId, offset] of cut) result.set(segmentKey(i, segmentId), offset);
  }
  return result;
}

/**
 * The end cuts completed as a bounded read's are (end-cut.ts: an open segment the cut leaves
 * out is bounded at its length now), and the segments between the start and them.
 */
export async function boundsOf(
  services: GroupServices,
  streams: string[],
  start: Map<string, bigint>,
  to: StreamCut[],
  defaultScope: string | undefined,
): Promise<GroupBounds | undefined> {
  if (to.length === 0) return undefined;
  const bounds: GroupBounds = { end: {}, reachable: [], streams: [] };
  for (const cut of to) {
    const n = parseStreamName(cut.stream, defaultScope);
    const index = streams.indexOf(`${n.scope}/${n.stream}`);
    if (index < 0)
      throw new GatewayError('invalid-argument', `an end cut for ${cut.stream}, which the group does not read`);
    if (bounds.streams.includes(index)) throw new GatewayError('invalid-argument', `two end cuts for ${cut.stream}`);
    const given = new Map(cut.positions.map((p) => [p.segmentId, p.offset]));
    if (given.size === 0) continue; // an empty cut is no bound (Java's StreamCut.UNBOUNDED)
    if (!(await services.controller.isStreamCutValid(n.scope, n.stream, given)))
      throw new GatewayError('invalid-argument', `the end cut for ${cut.stream} is not a valid stream cut`);
    const end = await completeEndCut(services.controller, services.segments, n.scope, n.stream, given);
    for (const [key, offset] of start) {
      const { streamIndex, segmentId } = parseSegmentKey(key);
      if (streamIndex === index && end.has(segmentId) && end.get(segmentId)! < offset)
        throw new GatewayError(
          'invalid-argument',
          `the end cut for ${cut.stream} is before the start in segment ${segmentId}`,
        );
    }
    bounds.streams.push(index);
    for (const [segmentId, offset] of end) bounds.end[segmentKey(index, segmentId)] = offset.toString();
  }
  if (bounds.streams.length === 0) return undefined;
  bounds.reachable = await reachableSegments(services, streams, start, bounds);
  return bounds;
}

/** Segment keys of the bounded streams from `start` to the end cuts (also after a reset). */
export async function reachableSegments(
  services: GroupServices,
  streams: string[],
  start: Map<string, bigint>,
  bounds: GroupBounds,
): Promise<string[]> {
  const keys: string[] = [];
  for (const index of bounds.streams) {
    const [scope, stream] = streams[index]!.split('/') as [string, string];
    const slice = (offsets: Iterable<[string, bigint | string]>) => {
      const m = new Map<bigint, bigint>();
      for (const [key, offset] of offsets) {
        const { streamIndex, segmentId } = parseSegmentKey(key);
        if (streamIndex === index) m.set(segmentId, BigInt(offset));
      }
      return m;
    };
    const between = await services.controller.getSegmentsBetween(
      scope,
      stream,
      slice(start),
      slice(Object.entries(bounds.end)),
    );
    for (const segmentId of between) keys.push(segmentKey(index, segmentId));
  }
  return keys;
}

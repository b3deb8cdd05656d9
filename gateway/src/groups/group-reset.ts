/**
 * A reader group started over (Pravega's ReaderGroup.resetReaderGroup): every reader removed
 * (their next commit fails with `reassigned`, as a zombie's does), segments from new start cuts.
 * Checkpoint ids keep counting up, so an id never names two different cuts.
 */
import type { StreamCut } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { allows, type Grant } from '../auth/grants.js';
import { GatewayError } from '../errors.js';
import { segmentRef } from '../segmentstore/segment-ref.js';
import { parseStreamName } from '../streams/stream-name.js';
import type { GroupServices } from './group-member.js';
import { checkGroupState, type GroupState, newGroup, segmentKey } from './group-state.js';

export async function resetGroup(
  services: GroupServices,
  scope: string,
  group: string,
  from: { cuts: StreamCut[]; tail: boolean },
  grants: readonly Grant[] | undefined,
  defaultScope: string | undefined,
): Promise<void> {
  const current = await services.groups.read<GroupState>(scope, group);
  if (!current) throw new GatewayError('not-found', `reader group ${scope}/${group} does not exist`);
  const streams = checkGroupState(current.value, group).streams;
  for (const name of streams) {
    const [sc, st] = name.split('/') as [string, string];
    if (grants && !allows(grants, sc, st, 'read'))
      throw new GatewayError(
        'permission-denied',
        `no read right on ${name}, which reader group ${scope}/${group} reads`,
      );
  }
  const start = await startOf(services, streams, from, defaultScope);
  await services.groups.update<GroupState, void>(scope, group, (now) => {
    if (!now) throw new GatewayError('not-found', `reader group ${scope}/${group} does not exist`);
    const s = checkGroupState(now.value, group);
    const next = newGroup(s.streams, start, s.timeoutMs);
    next.checkpoints.next = s.checkpoints.next;
    return { next, result: undefined };
  });
}

async function startOf(
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
    throw new GatewayError('invalid-argument', `a reset from cuts needs one cut for each of ${streams.join(', ')}`);
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

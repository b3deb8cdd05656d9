/**
 * A reader group started over (Pravega's ReaderGroup.resetReaderGroup): every reader removed
 * (their next commit fails with `reassigned`, as a zombie's does), segments from new start cuts.
 * Checkpoint ids keep counting up, so an id never names two different cuts.
 */
import type { StreamCut } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { Grant } from '../auth/grants.js';
import { GatewayError } from '../errors.js';
import { authorizeGroup } from './group-access.js';
import { reachableSegments, startOf } from './group-cuts.js';
import type { GroupServices } from './group-member.js';
import { checkGroupState, type GroupState, newGroup } from './group-state.js';

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
  authorizeGroup(streams, grants, 'read', `${scope}/${group}`);
  const start = await startOf(services, streams, from, defaultScope);
  const before = checkGroupState(current.value, group).bounds;
  // The end cuts stay (only the start changes); what lies between is the new start's.
  const bounds = before && { ...before, reachable: await reachableSegments(services, streams, start, before) };
  await services.groups.update<GroupState, void>(scope, group, (now) => {
    if (!now) throw new GatewayError('not-found', `reader group ${scope}/${group} does not exist`);
    const s = checkGroupState(now.value, group);
    const next = newGroup(s.streams, start, s.timeoutMs);
    next.checkpoints.next = s.checkpoints.next;
    if (s.retention) next.retention = s.retention;
    if (bounds) next.bounds = bounds;
    if (s.checkpointEveryMs) next.checkpointEveryMs = s.checkpointEveryMs;
    return { next, result: undefined };
  });
}

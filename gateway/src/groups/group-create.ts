/**
 * A reader group created ahead of its readers with its whole configuration (Pravega's
 * ReaderGroupManager.createReaderGroup with a ReaderGroupConfig): start cuts, end cuts
 * (endingStreamCuts) and consumption-based retention (group-retention.ts). A group a first
 * reader creates (group-member.ts) has a start only.
 */
import type { StreamCut } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { SubscriberRetention } from '../controller/subscriber-rpc.js';
import { boundsOf, startOf } from './group-cuts.js';
import type { GroupServices } from './group-member.js';
import { subscribe } from './group-retention.js';
import { type GroupState, newGroup } from './group-state.js';

export interface CreateGroupInput {
  streams: string[];
  from: { cuts: StreamCut[]; tail: boolean };
  /** End cuts, at most one per stream; streams without one are read without end. */
  to: StreamCut[];
  timeoutMs: number;
  retention: SubscriberRetention | undefined;
  /** A group-wide checkpoint this often (0: none). */
  checkpointEveryMs: number;
}

/** Creates the group; false if it exists (its configuration is left as it is, as in Java). */
export async function createGroup(
  services: GroupServices,
  scope: string,
  group: string,
  input: CreateGroupInput,
  defaultScope: string | undefined,
): Promise<boolean> {
  if (await services.groups.read(scope, group)) return false;
  const start = await startOf(services, input.streams, input.from, defaultScope);
  const state = newGroup(input.streams, start, input.timeoutMs);
  const bounds = await boundsOf(services, input.streams, start, input.to, defaultScope);
  if (bounds) state.bounds = bounds;
  if (input.checkpointEveryMs > 0) state.checkpointEveryMs = input.checkpointEveryMs;
  if (input.retention) await subscribe(services, scope, group, state, input.retention, start);
  return services.groups.update<GroupState, boolean>(scope, group, (current) =>
    current ? { next: undefined, result: false } : { next: state, result: true },
  );
}

/**
 * Consumption-based retention for Sluice reader groups (Pravega's ReaderGroupConfig.retentionType):
 * a group created with retention 'manual' or 'automatic' is registered with the controller as a
 * subscriber of its streams, and publishes the cuts it has consumed up to — the application's
 * (updateRetentionStreamCut, 'manual') or each completed group checkpoint's ('automatic', as
 * Java's AUTOMATIC_RELEASE_AT_LAST_CHECKPOINT); a new group publishes its start cuts first.
 * (Groups are created with their configuration in group-create.ts.) The controller's periodic retention then keeps
 * whatever a subscriber has not consumed yet, within the stream's retention policy.
 */
import type { StreamCut } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { Grant } from '../auth/grants.js';
import {
  publishSubscriberCut,
  registerSubscriber,
  removeSubscriber,
  type SubscriberRetention,
} from '../controller/subscriber-rpc.js';
import { GatewayError } from '../errors.js';
import { parseStreamName } from '../streams/stream-name.js';
import { authorizeGroup } from './group-access.js';
import type { GroupServices } from './group-member.js';
import { checkGroupState, cutsOf, type GroupState, unpublishedCheckpoint } from './group-state.js';

/**
 * Registers a new group's state `s` (not stored yet) as the controller's subscriber of its
 * streams and publishes its start: it has consumed nothing yet, so its start holds the streams'
 * retention from the first moment. (A Java subscriber holds nothing back until its first cut.)
 */
export async function subscribe(
  services: GroupServices,
  scope: string,
  group: string,
  s: GroupState,
  retention: SubscriberRetention,
  start: Map<string, bigint>,
): Promise<void> {
  const id = await registerSubscriber(services.controller, scope, group, s.streams, retention);
  s.retention = { type: retention, ...id, published: 0 };
  const offsets = Object.fromEntries([...start].map(([key, offset]) => [key, offset.toString()]));
  await publishCuts(services, scope, group, s, cutsOf(s, offsets));
}

/** Publishes the last completed checkpoint of an automatic-release group, once. */
export async function publishCheckpoint(services: GroupServices, scope: string, group: string): Promise<void> {
  const current = await services.groups.read<GroupState>(scope, group);
  if (!current) return;
  const s = checkGroupState(current.value, group);
  const id = unpublishedCheckpoint(s);
  if (id === undefined || !s.retention) return;
  await publishCuts(services, scope, group, s, cutsOf(s, s.checkpoints.last!.cut));
  await services.groups.update<GroupState, void>(scope, group, (now) => {
    if (!now) return { next: undefined, result: undefined };
    const next = checkGroupState(now.value, group);
    if (!next.retention || next.retention.published >= id) return { next: undefined, result: undefined };
    next.retention.published = id;
    return { next, result: undefined };
  });
}

/** The application's consumed-up-to cuts of a manual-release group (Java's updateRetentionStreamCut). */
export async function updateRetentionCuts(
  services: GroupServices,
  scope: string,
  group: string,
  cuts: StreamCut[],
  grants: readonly Grant[] | undefined,
  defaultScope: string | undefined,
): Promise<void> {
  const current = await services.groups.read<GroupState>(scope, group);
  if (!current) throw new GatewayError('not-found', `reader group ${scope}/${group} does not exist`);
  const s = checkGroupState(current.value, group);
  authorizeGroup(s.streams, grants, 'read', `${scope}/${group}`);
  if (s.retention?.type !== 'manual')
    throw new GatewayError(
      'invalid-argument',
      `reader group ${scope}/${group} was not created with retention 'manual' (it is ${s.retention?.type ?? "'none'"})`,
    );
  const named = cuts.map((c) => {
    const n = parseStreamName(c.stream, defaultScope);
    const stream = `${n.scope}/${n.stream}`;
    if (!s.streams.includes(stream)) throw new GatewayError('invalid-argument', `the group does not read ${c.stream}`);
    return { stream, positions: c.positions };
  });
  await publishCuts(services, scope, group, s, named);
}

/** Removes the group's subscriber registration, if it has one (before its state is deleted). */
export async function unsubscribe(services: GroupServices, scope: string, group: string, s: GroupState): Promise<void> {
  if (!s.retention) return;
  await removeSubscriber(services.controller, scope, group, s.retention);
}

async function publishCuts(
  services: GroupServices,
  scope: string,
  group: string,
  s: GroupState,
  cuts: Array<{ stream: string; positions: Array<{ segmentId: bigint; offset: bigint }> }>,
): Promise<void> {
  const id = s.retention!;
  for (const cut of cuts) {
    if (cut.positions.length === 0) continue; // nothing of that stream left to keep
    const positions = new Map(cut.positions.map((p) => [p.segmentId, p.offset]));
    await publishSubscriberCut(services.controller, { scope, name: group, id }, cut.stream, positions);
  }
}

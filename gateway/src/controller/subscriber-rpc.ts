/**
 * The controller RPCs of consumption-based retention (Pravega's ReaderGroupConfig.retentionType).
 * Pravega 0.13 has no RPC that only adds a subscriber: the controller registers a reader group
 * as a subscriber of its streams when the group is created with a retention type other than
 * NONE (createReaderGroup, which also creates the group's `_RG<name>` stream), takes the cuts
 * the group publishes with updateSubscriberStreamCut, and forgets the subscriber when the group
 * is deleted. Its periodic retention then truncates no stream past what every subscriber read,
 * within the stream's retention policy (StreamMetadataTasks.retention).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateReaderGroupResponse_Status,
  DeleteReaderGroupStatus_Status,
  SubscribersResponse_Status,
  UpdateSubscriberStatus_Status,
} from '@sluice/proto/pravega/controller_pb.js';
import { GatewayError } from '../errors.js';
import type { ControllerClient } from './controller-client.js';

export type SubscriberRetention = 'manual' | 'automatic';

/** The controller's identity of a subscribing group: every cut it publishes names both. */
export interface SubscriberId {
  readerGroupId: string;
  generation: string;
}

/** Java's defaults for what Sluice groups do not use (ReaderGroupConfig's builder). */
const JAVA_REFRESH_MS = 3_000n;
const JAVA_CHECKPOINT_MS = 30_000n;
const JAVA_OUTSTANDING_CHECKPOINTS = 3;

/**
 * Registers the group `scope/name` with the controller as a subscriber of `streams` ("scope/stream").
 * Idempotent: a group the controller already has answers with its existing id, which is adopted
 * (two gateways registering the same new group at once end up with one id).
 */
export async function registerSubscriber(
  controller: ControllerClient,
  scope: string,
  name: string,
  streams: readonly string[],
  retention: SubscriberRetention,
): Promise<SubscriberId> {
  const r = await controller.call('createReaderGroup', (c, o) =>
    c.createReaderGroup(
      {
        scope,
        readerGroupName: name,
        groupRefreshTimeMillis: JAVA_REFRESH_MS,
        automaticCheckpointIntervalMillis: JAVA_CHECKPOINT_MS,
        maxOutstandingCheckpointRequest: JAVA_OUTSTANDING_CHECKPOINTS,
        retentionType: retention === 'manual' ? 1 : 2,
        generation: 0n,
        readerGroupId: randomUUID(),
        // Unbounded cuts (no positions): the controller only needs to know the streams.
        startingStreamCuts: streams.map((s) => {
          const [sc, st] = s.split('/') as [string, string];
          return { streamInfo: { scope: sc, stream: st } };
        }),
      },
      o,
    ),
  );
  switch (r.status) {
    case CreateReaderGroupResponse_Status.SUCCESS:
      if (!r.config) throw new GatewayError('internal', `controller registered ${scope}/${name} without its config`);
      return { readerGroupId: r.config.readerGroupId, generation: r.config.generation.toString() };
    case CreateReaderGroupResponse_Status.SCOPE_NOT_FOUND:
      throw new GatewayError('not-found', `scope ${scope} does not exist`);
    case CreateReaderGroupResponse_Status.INVALID_RG_NAME:
      throw new GatewayError(
        'invalid-argument',
        `"${name}" is not a name Pravega accepts for a reader group (letters, digits, '-' and '.'), which a group with retention needs`,
      );
    default:
      throw new GatewayError('internal', `controller failed to register reader group ${scope}/${name} as a subscriber`);
  }
}

/** Removes the group (and with it the subscriber) from the controller; false if it had none. */
export async function removeSubscriber(
  controller: ControllerClient,
  scope: string,
  name: string,
  id: SubscriberId,
): Promise<boolean> {
  const r = await controller.call('deleteReaderGroup', (c, o) =>
    c.deleteReaderGroup(
      { scope, readerGroup: name, readerGroupId: id.readerGroupId, generation: BigInt(id.generation) },
      o,
    ),
  );
  if (r.status === DeleteReaderGroupStatus_Status.SUCCESS) return true;
  if (r.status === DeleteReaderGroupStatus_Status.RG_NOT_FOUND) return false;
  throw new GatewayError('internal', `controller failed to delete reader group ${scope}/${name}`);
}

/** Publishes what the group has consumed of `stream` ("scope/stream"): retention may drop data before it. */
export async function publishSubscriberCut(
  controller: ControllerClient,
  group: { scope: string; name: string; id: SubscriberId },
  stream: string,
  cut: Map<bigint, bigint>,
): Promise<void> {
  const [scope, name] = stream.split('/') as [string, string];
  const r = await controller.call('updateSubscriberStreamCut', (c, o) =>
    c.updateSubscriberStreamCut(
      {
        subscriber: `${group.scope}/${group.name}`,
        readerGroupId: group.id.readerGroupId,
        generation: BigInt(group.id.generation),
        streamCut: { streamInfo: { scope, stream: name }, cut: Object.fromEntries(cut) as never },
      },
      o,
    ),
  );
  switch (r.status) {
    case UpdateSubscriberStatus_Status.SUCCESS:
      return;
    case UpdateSubscriberStatus_Status.STREAM_NOT_FOUND:
      throw new GatewayError('not-found', `stream ${stream} does not exist`);
    case UpdateSubscriberStatus_Status.SUBSCRIBER_NOT_FOUND:
    case UpdateSubscriberStatus_Status.GENERATION_MISMATCH:
      throw new GatewayError(
        'not-found',
        `reader group ${group.scope}/${group.name} is not (or no longer) a subscriber of ${stream}`,
      );
    case UpdateSubscriberStatus_Status.STREAM_CUT_NOT_VALID:
      throw new GatewayError(
        'invalid-argument',
        `the cut for ${stream} is not a valid stream cut, or is behind the one the group published before`,
      );
    default:
      throw new GatewayError('internal', `controller failed to take the retention cut of ${stream}`);
  }
}

/** The subscribers of a stream, as "scope/group" names. */
export async function listSubscribers(controller: ControllerClient, scope: string, stream: string): Promise<string[]> {
  const r = await controller.call('listSubscribers', (c, o) => c.listSubscribers(controller.info(scope, stream), o));
  if (r.status === SubscribersResponse_Status.STREAM_NOT_FOUND)
    throw new GatewayError('not-found', `stream ${scope}/${stream} does not exist`);
  if (r.status !== SubscribersResponse_Status.SUCCESS)
    throw new GatewayError('internal', `controller failed to list the subscribers of ${scope}/${stream}`);
  return r.subscribers;
}

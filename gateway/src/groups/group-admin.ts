/**
 * Admin calls on reader groups: list, describe, delete, and a group-wide checkpoint. A group is
 * authorised through its streams: `read` on all of them to see it or checkpoint it, `admin` on
 * all of them to delete it.
 */
import { allows, type Grant } from '../auth/grants.js';
import { GatewayError } from '../errors.js';
import { authorizeGroup } from './group-access.js';
import { type GroupServices, groupLag, startGroupCheckpoint } from './group-member.js';
import { publishCheckpoint, unsubscribe } from './group-retention.js';
import { checkGroupState, cutsOf, type GroupState, parseSegmentKey } from './group-state.js';

async function load(services: GroupServices, scope: string, group: string): Promise<GroupState> {
  const current = await services.groups.read<GroupState>(scope, group);
  if (!current) throw new GatewayError('not-found', `reader group ${scope}/${group} does not exist`);
  return checkGroupState(current.value, group);
}

export async function listGroups(
  services: GroupServices,
  scope: string,
  grants: readonly Grant[] | undefined,
): Promise<string[]> {
  const names = await services.groups.list(scope);
  if (!grants) return names;
  const visible: string[] = [];
  for (const name of names) {
    const current = await services.groups.read<GroupState>(scope, name);
    if (!current) continue;
    const s = checkGroupState(current.value, name);
    if (s.streams.every((n) => allows(grants, n.split('/')[0]!, n.split('/')[1]!, 'read'))) visible.push(name);
  }
  return visible;
}

export async function describeGroup(
  services: GroupServices,
  scope: string,
  group: string,
  grants: readonly Grant[] | undefined,
) {
  const s = await load(services, scope, group);
  authorizeGroup(s.streams, grants, 'read', `${scope}/${group}`);
  const segment = (key: string) => {
    const { streamIndex, segmentId } = parseSegmentKey(key);
    return { stream: s.streams[streamIndex]!, segmentId, offset: BigInt(s.segments[key]!.offset) };
  };
  return {
    group: `${scope}/${group}`,
    streams: s.streams,
    readers: Object.entries(s.readers).map(([readerId, r]) => ({
      readerId,
      lastSeenMs: BigInt(r.seenAt),
      segments: Object.keys(s.segments)
        .filter((k) => s.segments[k]!.owner === readerId)
        .map(segment),
    })),
    unassigned: Object.keys(s.segments)
      .filter((k) => s.segments[k]!.owner === undefined)
      .map(segment),
    lastCheckpointId: BigInt(s.checkpoints.last?.id ?? 0),
    lastCheckpoint: s.checkpoints.last ? cutsOf(s, s.checkpoints.last.cut) : [],
    lagBytes: (await groupLag(services, scope, group)) ?? 0n,
  };
}

export async function deleteGroup(
  services: GroupServices,
  scope: string,
  group: string,
  grants: readonly Grant[] | undefined,
): Promise<boolean> {
  const current = await services.groups.read<GroupState>(scope, group);
  if (!current) return false;
  const s = checkGroupState(current.value, group);
  authorizeGroup(s.streams, grants, 'admin', `${scope}/${group}`);
  // The subscriber goes first: a group that is gone must not hold back the streams' retention.
  await unsubscribe(services, scope, group, s);
  await services.groups.remove(scope, group);
  return true;
}

/**
 * A group-wide checkpoint: every reader of the group commits once more (each at its next read),
 * then the committed offsets of all segments form one cut. Resolves with that cut.
 */
export async function checkpointGroup(
  services: GroupServices,
  scope: string,
  group: string,
  grants: readonly Grant[] | undefined,
  timeoutMs = 60_000,
): Promise<{ id: bigint; cuts: ReturnType<typeof cutsOf> }> {
  authorizeGroup((await load(services, scope, group)).streams, grants, 'read', `${scope}/${group}`);
  const id = await startGroupCheckpoint(services.groups, scope, group);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
    const s = await load(services, scope, group);
    const last = s.checkpoints.last;
    if (last && last.id >= id) {
      // Resolves only once an automatic-release group's cut is the controller's too.
      await publishCheckpoint(services, scope, group);
      return { id: BigInt(last.id), cuts: cutsOf(s, last.cut) };
    }
    if (Date.now() > deadline)
      throw new GatewayError(
        'unavailable',
        `checkpoint ${id} of reader group ${scope}/${group} still waits for ${s.checkpoints.pending?.waiting.join(', ') || 'readers'}`,
      );
    await new Promise((r) => setTimeout(r, delay));
  }
}

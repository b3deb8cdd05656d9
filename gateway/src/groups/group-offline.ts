/**
 * A reader declared offline (Pravega's ReaderGroup.readerOffline): removed from its group at
 * once, its segments returned to the pool at the offsets of a position the application saved
 * (where it names them; the others at their committed offsets), so another reader takes over
 * exactly there instead of waiting for the silent reader's timeout.
 */
import type { Position } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { Grant } from '../auth/grants.js';
import { GatewayError } from '../errors.js';
import { parseStreamName } from '../streams/stream-name.js';
import { authorizeGroup } from './group-access.js';
import type { GroupServices } from './group-member.js';
import { checkGroupState, type GroupState, removeReader, segmentKey } from './group-state.js';

export async function readerOffline(
  services: GroupServices,
  scope: string,
  group: string,
  readerId: string,
  position: Position | undefined,
  grants: readonly Grant[] | undefined,
  defaultScope: string | undefined,
): Promise<boolean> {
  if (!readerId) throw new GatewayError('invalid-argument', 'readerOffline needs a reader id');
  return services.groups.update<GroupState, boolean>(scope, group, (current) => {
    if (!current) throw new GatewayError('not-found', `reader group ${scope}/${group} does not exist`);
    const s = checkGroupState(current.value, group);
    authorizeGroup(s.streams, grants, 'read', `${scope}/${group}`);
    if (!s.readers[readerId]) return { next: undefined, result: false };
    for (const p of position?.streams ?? []) {
      const n = parseStreamName(p.stream, defaultScope);
      const index = s.streams.indexOf(`${n.scope}/${n.stream}`);
      if (index < 0)
        throw new GatewayError('invalid-argument', `reader group ${scope}/${group} does not read ${p.stream}`);
      for (const { segmentId, offset } of p.segments) {
        const seg = s.segments[segmentKey(index, segmentId)];
        // Only what the reader owns moves: a segment it no longer holds is another reader's now.
        if (seg?.owner === readerId && offset >= 0n) seg.offset = offset.toString();
      }
    }
    removeReader(s, readerId, Date.now());
    return { next: s, result: true };
  });
}

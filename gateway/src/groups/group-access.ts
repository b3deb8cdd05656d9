/**
 * A reader group is authorised through its streams: a caller holds a right on the group when it
 * holds that right on every stream the group reads.
 */
import { allows, type Grant, type Right } from '../auth/grants.js';
import { GatewayError } from '../errors.js';

/**
 * Throws permission-denied naming the first of `streams` ("scope/stream") on which `grants` lack
 * `right`; no grants (authorisation off) allow everything. `group` is "scope/group", for the message.
 */
export function authorizeGroup(
  streams: readonly string[],
  grants: readonly Grant[] | undefined,
  right: Right,
  group: string,
): void {
  if (!grants) return;
  for (const name of streams) {
    const [scope, stream] = name.split('/') as [string, string];
    if (!allows(grants, scope, stream, right))
      throw new GatewayError('permission-denied', `no ${right} right on ${name}, which reader group ${group} reads`);
  }
}

/**
 * Admin calls that configure reader groups beyond what a first reader says (Pravega's
 * ReaderGroupManager.createReaderGroup with a ReaderGroupConfig, ReaderGroup.updateRetentionStreamCut),
 * and StreamManager.checkScopeExists.
 */
import { CreateReaderGroup_Retention, type Request } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { requireRight } from '../auth/grants.js';
import { GatewayError } from '../errors.js';
import { createGroup } from '../groups/group-create.js';
import { DEFAULT_GROUP_TIMEOUT_MS } from '../groups/group-member.js';
import { updateRetentionCuts } from '../groups/group-retention.js';
import { checkScopeName, parseStreamName } from '../streams/stream-name.js';
import type { ChannelHost } from './channel-host.js';
import type { encodeServerFrame } from './frames.js';

type Result = Extract<Parameters<typeof encodeServerFrame>[0], { case: 'reply' }>['value']['result'];
type Call = Request['call'];

/** The request cases this module answers. */
export const GROUP_CONFIG_CALLS: ReadonlySet<string> = new Set([
  'createReaderGroup',
  'updateRetentionStreamCut',
  'checkScopeExists',
]);

export async function handleGroupConfig(session: ChannelHost, call: Call): Promise<Result> {
  const { ctx, grants } = session;
  const services = { ...ctx, logger: session.logger };
  switch (call.case) {
    case 'createReaderGroup': {
      const v = call.value;
      if (!v.group) throw new GatewayError('invalid-argument', 'a reader group needs a name');
      if (v.streams.length === 0)
        throw new GatewayError('invalid-argument', 'a reader group reads at least one stream');
      const g = parseStreamName(v.group, ctx.defaultScope);
      if (v.groupCheckpointMs > 0 && v.groupCheckpointMs < 100)
        throw new GatewayError(
          'invalid-argument',
          `group_checkpoint_ms is 0 (none) or at least 100, got ${v.groupCheckpointMs}`,
        );
      const streams = v.streams.map((s) => {
        const n = parseStreamName(s, ctx.defaultScope);
        // Creating a group is reading its streams: the same right as a first reader's.
        requireRight(grants, n.scope, n.stream, 'read');
        return `${n.scope}/${n.stream}`;
      });
      if (new Set(streams).size !== streams.length)
        throw new GatewayError('invalid-argument', 'a reader group names each stream once');
      const retention =
        v.retention === CreateReaderGroup_Retention.MANUAL
          ? 'manual'
          : v.retention === CreateReaderGroup_Retention.AUTOMATIC
            ? 'automatic'
            : undefined;
      const created = await createGroup(
        services,
        g.scope,
        g.stream,
        {
          streams,
          from: { cuts: v.from, tail: v.tail },
          to: v.to,
          checkpointEveryMs: v.groupCheckpointMs,
          timeoutMs: v.timeoutMs || DEFAULT_GROUP_TIMEOUT_MS,
          retention,
        },
        ctx.defaultScope,
      );
      return { case: 'done', value: created };
    }
    case 'updateRetentionStreamCut': {
      if (!call.value.group) throw new GatewayError('invalid-argument', 'a reader group needs a name');
      const g = parseStreamName(call.value.group, ctx.defaultScope);
      await updateRetentionCuts(services, g.scope, g.stream, call.value.cuts, grants, ctx.defaultScope);
      return { case: 'done', value: true };
    }
    case 'checkScopeExists': {
      const scope = call.value.scope;
      checkScopeName(scope);
      // As listScopes: a scope the token grants nothing in is not shown, so it does not exist here.
      if (grants && !grants.some((g) => g.scope === '*' || g.scope === scope)) return { case: 'done', value: false };
      return { case: 'done', value: !scope.startsWith('_') && (await ctx.controller.scopeExists(scope)) };
    }
    default:
      throw new GatewayError('invalid-argument', 'unknown or empty request');
  }
}

/** Admin calls (unary requests on the session): scopes, streams, stream info, scaling. */
import type { GroupCommit, Position, Request } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { allows, type Grant, type Right, requireRight } from '../auth/grants.js';
import type { StreamRetention, StreamScaling } from '../controller/controller-client.js';
import { GatewayError } from '../errors.js';
import { checkpointGroup, deleteGroup, describeGroup, listGroups } from '../groups/group-admin.js';
import { segmentRef } from '../segmentstore/segment-ref.js';
import { batchRanges, completeEndCut } from '../streams/end-cut.js';
import { checkScopeName, parseStreamName } from '../streams/stream-name.js';
import { isTablesCall, runTablesCall } from '../tables/kvt-requests.js';
import type { ChannelHost } from './channel-host.js';
import type { GatewayContext } from './context.js';
import { encodeServerFrame } from './frames.js';
import { GROUP_CONFIG_CALLS, handleGroupConfig } from './group-config-api.js';
import { ReaderChannel } from './reader-channel.js';
import { handleStreamApi, STREAM_API_CALLS } from './stream-api.js';
import { retentionOf, scalingOf } from './stream-config.js';

type Result = Extract<Parameters<typeof encodeServerFrame>[0], { case: 'reply' }>['value']['result'];

export async function handleRequest(session: ChannelHost, request: Request): Promise<void> {
  let result: Result;
  const started = performance.now();
  try {
    result =
      request.call.case === 'groupCommit'
        ? await groupCommit(session, request.call.value)
        : STREAM_API_CALLS.has(request.call.case ?? '')
          ? await handleStreamApi(session, request.call)
          : GROUP_CONFIG_CALLS.has(request.call.case ?? '')
            ? await handleGroupConfig(session, request.call)
            : await run({ ...session.ctx, logger: session.logger }, request, session.grants);
  } catch (err) {
    const error = GatewayError.from(err);
    result = { case: 'error', value: { code: error.code, message: error.message } };
  }
  if (request.call.case === 'commitTxn' && result?.case !== 'error')
    session.ctx.metrics.service.commitSeconds.observe((performance.now() - started) / 1000);
  session.send(encodeServerFrame({ case: 'reply', value: { id: request.id, result } as never }));
}

/** A group reader's checkpoint, on the reader channel it belongs to. */
async function groupCommit(session: ChannelHost, commit: GroupCommit): Promise<Result> {
  const channel = session.channelOf(commit.channel);
  if (!(channel instanceof ReaderChannel))
    throw new GatewayError('invalid-argument', `channel ${commit.channel} is not an open reader`);
  const released = await channel.commitGroup(commit);
  return { case: 'groupCommitted', value: { released } as never };
}

async function run(ctx: GatewayContext, request: Request, grants: readonly Grant[] | undefined): Promise<Result> {
  const { controller } = ctx;
  const call = request.call;
  if (isTablesCall(call)) return (await runTablesCall(ctx, call, grants)) as Result;
  authorize(call, grants, ctx.defaultScope);
  const name = (s: string) => parseStreamName(s, ctx.defaultScope);
  switch (call.case) {
    case 'createScope':
      checkScopeName(call.value.scope);
      return { case: 'done', value: await controller.createScope(call.value.scope) };
    case 'deleteScope':
      checkScopeName(call.value.scope);
      return { case: 'done', value: await controller.deleteScope(call.value.scope) };
    case 'listScopes':
      return {
        case: 'names',
        value: {
          names: (await controller.listScopes()).filter(
            (s) => !s.startsWith('_') && (!grants || grants.some((g) => g.scope === '*' || g.scope === s)),
          ),
        },
      };
    case 'listStreams': {
      const scope = call.value.scope || ctx.defaultScope;
      if (!scope) throw new GatewayError('invalid-argument', 'listStreams needs a scope');
      const streams = await controller.listStreams(scope);
      const visible = streams.filter((s) => !s.startsWith('_') && (!grants || allows(grants, scope, s, 'read')));
      return { case: 'names', value: { names: visible.sort() } };
    }
    case 'createStream': {
      const { scope, stream } = name(call.value.stream);
      const config: { scaling: StreamScaling; retention?: StreamRetention; tags?: string[] } = {
        scaling: scalingOf(call.value.scaling),
        ...(call.value.tags.length ? { tags: call.value.tags } : {}),
      };
      const retention = retentionOf(call.value.retention);
      if (retention) config.retention = retention;
      return { case: 'done', value: await controller.createStream(scope, stream, config) };
    }
    case 'streamInfo': {
      const { scope, stream } = name(call.value.stream);
      return { case: 'streamInfo', value: (await streamInfo(ctx, scope, stream)) as never };
    }
    case 'sealStream': {
      const { scope, stream } = name(call.value.stream);
      await controller.sealStream(scope, stream);
      return { case: 'done', value: true };
    }
    case 'deleteStream': {
      const { scope, stream } = name(call.value.stream);
      await controller.deleteStream(scope, stream);
      return { case: 'done', value: true };
    }
    case 'scaleStream': {
      const { scope, stream } = name(call.value.stream);
      const ranges = call.value.newRanges.map((r) => [r.low, r.high] as [number, number]);
      await controller.scale(scope, stream, call.value.seal, ranges);
      return { case: 'done', value: true };
    }
    case 'truncateStream': {
      const { scope, stream } = name(call.value.stream);
      await controller.truncateStream(scope, stream, new Map(call.value.positions.map((p) => [p.segmentId, p.offset])));
      return { case: 'done', value: true };
    }
    case 'commitTxn': {
      const { scope, stream } = name(call.value.stream);
      const { timestamp, writerId } = call.value;
      if (timestamp !== undefined && (timestamp < 0n || !writerId))
        throw new GatewayError('invalid-argument', 'a commit with a time needs a time of 0 or more and the writer id');
      const eventTime = timestamp !== undefined ? { writerId, timestamp } : undefined;
      await commitAndWait(ctx, scope, stream, checkTxnId(call.value.txnId), eventTime);
      return { case: 'done', value: true };
    }
    case 'abortTxn': {
      const { scope, stream } = name(call.value.stream);
      await controller.abortTransaction(scope, stream, checkTxnId(call.value.txnId));
      return { case: 'done', value: true };
    }
    case 'txnStatus': {
      const { scope, stream } = name(call.value.stream);
      return {
        case: 'txnState',
        value: await controller.transactionState(scope, stream, checkTxnId(call.value.txnId)),
      };
    }
    case 'lag':
      return { case: 'bytes', value: await lagOf(ctx, call.value.streams) };
    case 'batchRanges': {
      const { scope, stream } = name(call.value.stream);
      const qualified = `${scope}/${stream}`;
      const cut = (c: typeof call.value.from) => {
        if (c && c.positions.length > 0 && c.stream && `${name(c.stream).scope}/${name(c.stream).stream}` !== qualified)
          throw new GatewayError('invalid-argument', `the cut is for ${c.stream}, not ${qualified}`);
        return new Map((c?.positions ?? []).map((p) => [p.segmentId, p.offset]));
      };
      const ranges = await batchRanges(
        ctx.controller,
        ctx.segments,
        scope,
        stream,
        cut(call.value.from),
        cut(call.value.to),
      );
      return {
        case: 'ranges',
        value: {
          ranges: ranges.map((r) => ({ stream: qualified, segmentId: r.segmentId, start: r.start, end: r.end })),
        } as never,
      };
    }
    case 'completeEndCut': {
      const { scope, stream } = name(call.value.stream);
      const qualified = `${scope}/${stream}`;
      const to = new Map(call.value.positions.map((p) => [p.segmentId, p.offset]));
      const end = await completeEndCut(ctx.controller, ctx.segments, scope, stream, to);
      return {
        case: 'streamInfo',
        value: {
          stream: qualified,
          tail: { stream: qualified, positions: [...end].map(([segmentId, offset]) => ({ segmentId, offset })) },
        } as never,
      };
    }
    case 'listReaderGroups': {
      const scope = call.value.scope || ctx.defaultScope;
      if (!scope) throw new GatewayError('invalid-argument', 'listReaderGroups needs a scope');
      checkScopeName(scope);
      return { case: 'names', value: { names: await listGroups(ctx, scope, grants) } };
    }
    case 'describeReaderGroup': {
      const g = groupName(call.value.group, ctx.defaultScope);
      return { case: 'groupInfo', value: (await describeGroup(ctx, g.scope, g.stream, grants)) as never };
    }
    case 'deleteReaderGroup': {
      const g = groupName(call.value.group, ctx.defaultScope);
      return { case: 'done', value: await deleteGroup(ctx, g.scope, g.stream, grants) };
    }
    case 'checkpointReaderGroup': {
      const g = groupName(call.value.group, ctx.defaultScope);
      return { case: 'groupCheckpoint', value: (await checkpointGroup(ctx, g.scope, g.stream, grants)) as never };
    }
    default:
      throw new GatewayError('invalid-argument', 'unknown or empty request');
  }
}

function groupName(name: string, defaultScope: string | undefined) {
  if (!name) throw new GatewayError('invalid-argument', 'a reader group needs a name');
  return parseStreamName(name, defaultScope);
}

async function streamInfo(ctx: GatewayContext, scope: string, stream: string) {
  if (!(await ctx.controller.streamExists(scope, stream))) {
    throw new GatewayError('not-found', `stream ${scope}/${stream} does not exist`);
  }
  const [head, current] = await Promise.all([
    ctx.controller.getHeadCut(scope, stream),
    ctx.controller.getCurrentSegments(scope, stream),
  ]);
  const infos = await Promise.all(
    current.segments.map((s) => ctx.segments.segmentInfo(segmentRef(scope, stream, s.segmentId))),
  );
  const full = `${scope}/${stream}`;
  return {
    stream: full,
    head: { stream: full, positions: [...head].map(([segmentId, offset]) => ({ segmentId, offset })) },
    tail: {
      stream: full,
      positions: current.segments.map((s, i) => ({ segmentId: s.segmentId, offset: infos[i]!.writeOffset })),
    },
    segments: current.segments.map((s) => ({ segmentId: s.segmentId, lowKey: s.minKey, highKey: s.maxKey })),
    sealed: current.segments.length === 0,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkTxnId(txnId: string): string {
  if (!UUID.test(txnId)) throw new GatewayError('invalid-argument', `"${txnId}" is not a transaction id`);
  return txnId.toLowerCase();
}

/** Commits (idempotent in Pravega) and waits until the controller reports it committed. */
async function commitAndWait(
  ctx: GatewayContext,
  scope: string,
  stream: string,
  txnId: string,
  eventTime?: { writerId: string; timestamp: bigint },
): Promise<void> {
  await ctx.controller.commitTransaction(scope, stream, txnId, eventTime);
  const deadline = Date.now() + 120_000;
  for (let delay = 10; ; delay = Math.min(delay * 2, 500)) {
    const state = await ctx.controller.transactionState(scope, stream, txnId);
    if (state === 'committed') return;
    if (state === 'aborting' || state === 'aborted')
      throw new GatewayError('txn-aborted', `transaction ${txnId} was aborted`);
    if (Date.now() > deadline)
      throw new GatewayError('outcome-unknown', `transaction ${txnId} is still ${state}: query its status`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Unread bytes after a reader position: for each segment being read, its length minus the
 * offset; for each successor still waiting, its whole length (successors of successors that do
 * not exist yet cannot be counted).
 */
async function lagOf(ctx: GatewayContext, streams: Position['streams']): Promise<bigint> {
  let total = 0n;
  for (const s of streams) {
    const { scope, stream } = parseStreamName(s.stream, ctx.defaultScope);
    const parts = [
      ...s.segments.map((p) => ({ id: p.segmentId, offset: p.offset })),
      ...s.future.map((f) => ({ id: f.segmentId, offset: 0n })),
    ];
    const infos = await Promise.all(parts.map((p) => ctx.segments.segmentInfo(segmentRef(scope, stream, p.id))));
    for (const [i, p] of parts.entries()) {
      const unread = infos[i]!.writeOffset - p.offset;
      if (unread > 0n) total += unread;
    }
  }
  return total;
}

/** Which right each admin call needs, on what (scope-wide calls on "<scope>/*"). */
function authorize(
  call: Request['call'],
  grants: readonly Grant[] | undefined,
  defaultScope: string | undefined,
): void {
  if (!grants) return;
  const on = (stream: string, right: Right) => {
    const n = parseStreamName(stream, defaultScope);
    requireRight(grants, n.scope, n.stream, right);
  };
  switch (call.case) {
    case 'createScope':
    case 'deleteScope':
      requireRight(grants, call.value.scope, '*', 'admin');
      return;
    case 'createStream':
    case 'sealStream':
    case 'deleteStream':
    case 'scaleStream':
    case 'truncateStream':
      on(call.value.stream, 'admin');
      return;
    case 'streamInfo':
    case 'batchRanges':
    case 'completeEndCut':
      on(call.value.stream, 'read');
      return;
    case 'lag':
      for (const s of call.value.streams) on(s.stream, 'read');
      return;
    case 'commitTxn':
    case 'abortTxn':
    case 'txnStatus':
      on(call.value.stream, 'write');
      return;
    default:
      return; // listScopes / listStreams filter their answers instead
  }
}

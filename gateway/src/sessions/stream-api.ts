/**
 * Admin calls of the stream API (issue 25): stream configuration and tags, existence, completed
 * transactions, event pointers resolved, a writer's noted time, and the stream's watermarks.
 */
import type { Request } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { allows, requireRight } from '../auth/grants.js';
import {
  listCompletedTransactions,
  listStreamsByTag,
  noteTimestampFromWriter,
  type StreamConfiguration,
  streamConfiguration,
  updateStream,
} from '../controller/stream-api-rpc.js';
import { GatewayError } from '../errors.js';
import { readerOffline } from '../groups/group-offline.js';
import { resetGroup } from '../groups/group-reset.js';
import { readSegmentRange } from '../segmentstore/read-range.js';
import { segmentRef } from '../segmentstore/segment-ref.js';
import { checkScopeName, parseStreamName } from '../streams/stream-name.js';
import { AppendingChannel } from './appending-channel.js';
import type { ChannelHost } from './channel-host.js';
import type { encodeServerFrame } from './frames.js';
import { configFrame, retentionOf, scalingOf } from './stream-config.js';
import { WriterChannel } from './writer-channel.js';

type Result = Extract<Parameters<typeof encodeServerFrame>[0], { case: 'reply' }>['value']['result'];
type Call = Request['call'];

/** The request cases this module answers. */
export const STREAM_API_CALLS: ReadonlySet<string> = new Set([
  'listCompletedTxns',
  'fetchEvent',
  'updateStream',
  'listStreamsByTag',
  'checkStreamExists',
  'noteTime',
  'readMarks',
  'streamConfig',
  'readerOffline',
  'resetReaderGroup',
]);

/** The most bytes of watermarks one readMarks reply carries (it says where to ask next). */
const MARKS_REPLY_BYTES = 256 * 1024;
/** Pravega's largest event plus its header: no event pointer is longer. */
const MAX_EVENT_SPAN = 8 * 1024 * 1024 + 8;

export async function handleStreamApi(session: ChannelHost, call: Call): Promise<Result> {
  const { ctx, grants } = session;
  const name = (s: string) => parseStreamName(s, ctx.defaultScope);
  const need = (stream: string, right: 'read' | 'write' | 'admin') => {
    const n = name(stream);
    requireRight(grants, n.scope, n.stream, right);
    return n;
  };
  switch (call.case) {
    case 'listCompletedTxns': {
      const { scope, stream } = need(call.value.stream, 'write');
      const txns = await listCompletedTransactions(ctx.controller, scope, stream);
      return { case: 'completedTxns', value: { txns } as never };
    }
    case 'fetchEvent': {
      const { scope, stream } = need(call.value.stream, 'read');
      return { case: 'event', value: await fetchEvent(session, scope, stream, call.value) };
    }
    case 'updateStream': {
      const { scope, stream } = need(call.value.stream, 'admin');
      const config: StreamConfiguration = { scaling: scalingOf(call.value.scaling), tags: call.value.tags };
      const retention = retentionOf(call.value.retention);
      if (retention) config.retention = retention;
      await updateStream(ctx.controller, scope, stream, config);
      return { case: 'done', value: true };
    }
    case 'listStreamsByTag': {
      const scope = call.value.scope || ctx.defaultScope;
      if (!scope) throw new GatewayError('invalid-argument', 'listStreamsByTag needs a scope');
      checkScopeName(scope);
      if (!call.value.tag) throw new GatewayError('invalid-argument', 'listStreamsByTag needs a tag');
      const streams = await listStreamsByTag(ctx.controller, scope, call.value.tag);
      const visible = streams.filter((s) => !s.startsWith('_') && (!grants || allows(grants, scope, s, 'read')));
      return { case: 'names', value: { names: visible.sort() } as never };
    }
    case 'checkStreamExists': {
      const { scope, stream } = need(call.value.stream, 'read');
      return { case: 'done', value: await ctx.controller.streamExists(scope, stream) };
    }
    case 'streamConfig': {
      const { scope, stream } = need(call.value.stream, 'read');
      const c = await streamConfiguration(ctx.controller, scope, stream);
      return { case: 'streamConfig', value: configFrame(c) as never };
    }
    case 'noteTime':
      await noteTime(session, call.value.channel, call.value.timestamp);
      return { case: 'done', value: true };
    case 'readMarks': {
      const { scope, stream } = need(call.value.stream, 'read');
      return { case: 'marks', value: (await readMarks(session, scope, stream, call.value.offset)) as never };
    }
    case 'readerOffline': {
      if (!call.value.group) throw new GatewayError('invalid-argument', 'a reader group needs a name');
      const g = parseStreamName(call.value.group, ctx.defaultScope);
      const { readerId, position } = call.value;
      return {
        case: 'done',
        value: await readerOffline(ctx, g.scope, g.stream, readerId, position, grants, ctx.defaultScope),
      };
    }
    case 'resetReaderGroup': {
      if (!call.value.group) throw new GatewayError('invalid-argument', 'a reader group needs a name');
      const g = parseStreamName(call.value.group, ctx.defaultScope);
      const from = { cuts: call.value.from, tail: call.value.tail };
      await resetGroup(ctx, g.scope, g.stream, from, grants, ctx.defaultScope);
      return { case: 'done', value: true };
    }
    default:
      throw new GatewayError('invalid-argument', 'unknown or empty request');
  }
}

/** The payload of the event at `offset` (Pravega's EventStreamReader.fetchEvent). */
async function fetchEvent(
  session: ChannelHost,
  scope: string,
  stream: string,
  p: { segmentId: bigint; offset: bigint; length: number },
): Promise<Uint8Array> {
  if (p.offset < 0n || p.length < 8 || p.length > MAX_EVENT_SPAN)
    throw new GatewayError('invalid-argument', `not an event pointer: offset ${p.offset}, length ${p.length}`);
  const ref = segmentRef(scope, stream, p.segmentId);
  const info = await session.ctx.segments.segmentInfo(ref);
  if (!info.exists) throw new GatewayError('not-found', `segment ${ref.name} does not exist`);
  if (p.offset < info.startOffset)
    throw new GatewayError('truncated', `the event at ${ref.name}:${p.offset} was truncated away`);
  const end = p.offset + BigInt(p.length);
  if (end > info.writeOffset)
    throw new GatewayError('not-found', `${ref.name} ends at ${info.writeOffset}, before ${end}: no such event`);
  const bytes = await readSegmentRange(session.ctx.segments, ref, p.offset, end);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getInt32(0) !== 0 || view.getInt32(4) !== p.length - 8)
    throw new GatewayError('invalid-argument', `no event of ${p.length - 8} bytes starts at ${ref.name}:${p.offset}`);
  return bytes.subarray(8);
}

async function noteTime(session: ChannelHost, channel: number, timestamp: bigint): Promise<void> {
  const ch = session.channelOf(channel);
  const writer = ch instanceof AppendingChannel ? ch.openWriter : undefined;
  if (!writer) throw new GatewayError('invalid-argument', `channel ${channel} is not an open writer`);
  if (ch instanceof WriterChannel && ch.notesTimeAutomatically)
    throw new GatewayError(
      'invalid-argument',
      'this writer notes time automatically: noteTime is not allowed (as in Java)',
    );
  if (timestamp < 0n) throw new GatewayError('invalid-argument', `a time must not be negative, got ${timestamp}`);
  await noteTimestampFromWriter(
    session.ctx.controller,
    writer.scope,
    writer.stream,
    writer.writerId,
    writer.writePosition(),
    timestamp,
  );
}

/**
 * Entries of the stream's watermark segment (Pravega keeps them in the stream `_MARK<stream>`,
 * one segment) from `offset` on, whole ones only, up to a bounded size.
 */
async function readMarks(session: ChannelHost, scope: string, stream: string, offset: bigint) {
  if (!(await session.ctx.controller.streamExists(scope, stream)))
    throw new GatewayError('not-found', `stream ${scope}/${stream} does not exist`);
  const ref = segmentRef(scope, `_MARK${stream}`, 0n);
  const info = await session.ctx.segments.segmentInfo(ref);
  if (!info.exists) return { offset, entries: new Uint8Array(0), nextOffset: offset };
  const from = offset < info.startOffset ? info.startOffset : offset;
  const upTo =
    info.writeOffset < from + BigInt(MARKS_REPLY_BYTES) ? info.writeOffset : from + BigInt(MARKS_REPLY_BYTES);
  if (upTo <= from) return { offset: from, entries: new Uint8Array(0), nextOffset: from };
  const bytes = await readSegmentRange(session.ctx.segments, ref, from, upTo);
  const whole = wholeEntries(bytes);
  return { offset: from, entries: bytes.subarray(0, whole), nextOffset: from + BigInt(whole) };
}

/** How many leading bytes are whole [i32 type][i32 length][data] entries. */
function wholeEntries(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (bytes.length - pos >= 8) {
    const length = view.getInt32(pos + 4);
    if (length < 0 || pos + 8 + length > bytes.length) break;
    pos += 8 + length;
  }
  return pos;
}

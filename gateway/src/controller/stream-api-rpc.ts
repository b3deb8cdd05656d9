/**
 * The controller RPCs of the stream API (issue 25): a stream's configuration (read and update,
 * tags included), streams by tag, completed transactions, a writer's noted time. They go
 * through ControllerClient.call, with its deadline and retries of transient failures.
 */
import {
  RetentionPolicy_RetentionPolicyType,
  ScalingPolicy_ScalingPolicyType,
  StreamsInScopeResponse_Status,
  TimestampResponse_Status,
  TxnResponse_Status,
} from '@sluice/proto/pravega/controller_pb.js';
import { GatewayError } from '../errors.js';
import {
  type ControllerClient,
  CREATE_TAG_PREFIX,
  MAX_LONG,
  retentionPolicy,
  type StreamRetention,
  type StreamScaling,
  scalingPolicy,
} from './controller-client.js';
import { bitsToUuid } from './names.js';

/** A stream's configuration as Sluice names it. */
export interface StreamConfiguration {
  scaling: StreamScaling;
  retention?: StreamRetention;
  tags: string[];
}

/** Replaces a stream's scaling, retention and tags (Pravega's StreamManager.updateStream). */
export async function updateStream(
  controller: ControllerClient,
  scope: string,
  stream: string,
  config: StreamConfiguration,
): Promise<void> {
  const r = await controller.call('updateStream', (c, o) =>
    c.updateStream(
      {
        streamInfo: { scope, stream },
        scalingPolicy: scalingPolicy(config.scaling),
        retentionPolicy: retentionPolicy(config.retention),
        tags: { tag: config.tags },
      },
      o,
    ),
  );
  controller.checkUpdate(r.status, scope, stream, 'update');
}

/** A stream's configuration (Pravega's getStreamConfiguration); not-found when it does not exist. */
export async function streamConfiguration(
  controller: ControllerClient,
  scope: string,
  stream: string,
): Promise<StreamConfiguration> {
  if (!(await controller.streamExists(scope, stream)))
    throw new GatewayError('not-found', `stream ${scope}/${stream} does not exist`);
  const r = await controller.call('getStreamConfiguration', (c, o) =>
    c.getStreamConfiguration(controller.info(scope, stream), o),
  );
  const s = r.scalingPolicy;
  let scaling: StreamScaling;
  if (!s || s.scaleType === ScalingPolicy_ScalingPolicyType.FIXED_NUM_SEGMENTS) {
    scaling = { type: 'fixed', segments: s?.minNumSegments ?? 1 };
  } else {
    scaling = {
      type: s.scaleType === ScalingPolicy_ScalingPolicyType.BY_RATE_IN_EVENTS_PER_SEC ? 'byEventRate' : 'byDataRate',
      targetRate: s.targetRate,
      scaleFactor: s.scaleFactor,
      minSegments: s.minNumSegments,
    };
  }
  const p = r.retentionPolicy;
  // The tag createStream adds to tell its own retried create from a stranger's is not the user's.
  const tags = (r.tags?.tag ?? []).filter((t) => !t.startsWith(CREATE_TAG_PREFIX));
  const config: StreamConfiguration = { scaling, tags };
  const max = p && p.retentionMax > 0n && p.retentionMax < MAX_LONG ? Number(p.retentionMax) : undefined;
  if (p?.retentionType === RetentionPolicy_RetentionPolicyType.TIME)
    config.retention = { type: 'time', ms: Number(p.retentionParam), ...(max !== undefined ? { maxMs: max } : {}) };
  else if (p?.retentionType === RetentionPolicy_RetentionPolicyType.SIZE)
    config.retention = {
      type: 'size',
      bytes: Number(p.retentionParam),
      ...(max !== undefined ? { maxBytes: max } : {}),
    };
  return config;
}

/** Streams of a scope carrying `tag` (Pravega's StreamManager.listStreams(scope, tag)). */
export async function listStreamsByTag(controller: ControllerClient, scope: string, tag: string): Promise<string[]> {
  const out: string[] = [];
  let token = '';
  for (;;) {
    const r = await controller.call('listStreamsInScopeForTag', (c, o) =>
      c.listStreamsInScopeForTag({ scope: { scope }, tag, continuationToken: { token } }, o),
    );
    if (r.status === StreamsInScopeResponse_Status.SCOPE_NOT_FOUND)
      throw new GatewayError('not-found', `scope ${scope} does not exist`);
    if (r.streams.length === 0) return out;
    out.push(...r.streams.map((s) => s.stream));
    const next = r.continuationToken?.token ?? '';
    if (next === token) return out;
    token = next;
  }
}

/** Transactions of a stream that completed recently, as the controller keeps them. */
export async function listCompletedTransactions(
  controller: ControllerClient,
  scope: string,
  stream: string,
): Promise<Array<{ txnId: string; status: 'committed' | 'aborted' }>> {
  if (!(await controller.streamExists(scope, stream)))
    throw new GatewayError('not-found', `stream ${scope}/${stream} does not exist`);
  const r = await controller.call('listCompletedTransactions', (c, o) =>
    c.listCompletedTransactions({ streamInfo: { scope, stream } }, o),
  );
  return r.response.map((t) => ({
    txnId: bitsToUuid(t.txnId?.highBits ?? 0n, t.txnId?.lowBits ?? 0n),
    status: t.status === TxnResponse_Status.ABORTED ? 'aborted' : 'committed',
  }));
}

/**
 * A writer's noted time (Pravega's noteTimestampFromWriter): every event it wrote before has a
 * time <= timestamp; `position` is, per segment, the write offset Pravega last acknowledged to
 * it (-1: none yet), as Java's writer reports it.
 */
export async function noteTimestampFromWriter(
  controller: ControllerClient,
  scope: string,
  stream: string,
  writer: string,
  position: Map<bigint, bigint>,
  timestamp: bigint,
): Promise<void> {
  const r = await controller.call('noteTimestampFromWriter', (c, o) =>
    c.noteTimestampFromWriter(
      { writer, position: { streamInfo: { scope, stream }, cut: Object.fromEntries(position) as never }, timestamp },
      o,
    ),
  );
  switch (r.result) {
    case TimestampResponse_Status.SUCCESS:
      return;
    case TimestampResponse_Status.INVALID_TIME:
      throw new GatewayError(
        'invalid-argument',
        `time ${timestamp} is before a time writer ${writer} noted already on ${scope}/${stream}`,
      );
    case TimestampResponse_Status.INVALID_POSITION:
      throw new GatewayError(
        'invalid-argument',
        `the controller refused writer ${writer}'s position on ${scope}/${stream}`,
      );
    default:
      throw new GatewayError('internal', `controller failed to note time for ${scope}/${stream}`);
  }
}

/**
 * The stream API's admin calls (issue 25): a stream's configuration and tags, existence,
 * streams by tag, completed transactions, and events fetched by pointer. SluiceClient's
 * methods of the same names call these.
 */
import { Retention_Type, Scaling_Type } from '@sluice/proto/sluice/v1/gateway_codec.js';
import { SluiceError } from '../errors.js';
import type { EventPointer } from '../event-pointer.js';
import type { ReaderPosition } from '../reader/position.js';
import type { Serializer } from '../serializers/serializer.js';
import type { StreamCut } from '../stream-cut.js';
import type { Connection } from './connection.js';

export type StreamScaling =
  | { type: 'fixed'; segments: number }
  | { type: 'byEventRate' | 'byDataRate'; targetRate: number; scaleFactor: number; minSegments: number };
/**
 * How long a stream keeps its data: at least `ms` / `bytes`. With reader groups subscribed to the
 * stream (`createReaderGroup` with `retention`), Pravega keeps what a group has not consumed,
 * up to `maxMs` / `maxBytes` (absent: no maximum) — consumption-based retention.
 */
export type StreamRetention =
  | { type: 'time'; ms: number; maxMs?: number }
  | { type: 'size'; bytes: number; maxBytes?: number };

/** A stream's configuration as Pravega keeps it (StreamConfiguration). */
export interface StreamConfiguration {
  scaling: StreamScaling;
  /** Absent: data is kept until truncated. */
  retention?: StreamRetention;
  tags: string[];
}

/** A transaction the controller lists as completed (listCompletedTransactions). */
export interface CompletedTransaction {
  txnId: string;
  status: 'committed' | 'aborted';
}

export function scalingFrame(s: StreamScaling) {
  return s.type === 'fixed'
    ? { type: Scaling_Type.FIXED, segments: s.segments }
    : {
        type: s.type === 'byEventRate' ? Scaling_Type.BY_EVENT_RATE : Scaling_Type.BY_DATA_RATE,
        segments: s.minSegments,
        targetRate: s.targetRate,
        scaleFactor: s.scaleFactor,
      };
}

export function retentionFrame(r: StreamRetention | undefined) {
  if (!r) return undefined;
  return r.type === 'time'
    ? { type: Retention_Type.TIME, value: BigInt(r.ms), max: BigInt(r.maxMs ?? 0) }
    : { type: Retention_Type.SIZE, value: BigInt(r.bytes), max: BigInt(r.maxBytes ?? 0) };
}

export async function updateStream(
  conn: Connection,
  stream: string,
  config: { scaling: StreamScaling; retention?: StreamRetention; tags?: string[] },
  signal?: AbortSignal,
): Promise<void> {
  const retention = retentionFrame(config.retention);
  await conn.request(
    {
      case: 'updateStream',
      value: {
        stream,
        scaling: scalingFrame(config.scaling),
        tags: config.tags ?? [],
        ...(retention ? { retention } : {}),
      } as never,
    },
    signal,
  );
}

export async function streamConfiguration(
  conn: Connection,
  stream: string,
  signal?: AbortSignal,
): Promise<StreamConfiguration> {
  const r = await conn.request({ case: 'streamConfig', value: { stream } }, signal);
  if (r.case !== 'streamConfig') throw new SluiceError('internal', 'unexpected reply to streamConfig');
  const s = r.value.scaling;
  const scaling: StreamScaling =
    !s || s.type === Scaling_Type.FIXED
      ? { type: 'fixed', segments: s?.segments ?? 1 }
      : {
          type: s.type === Scaling_Type.BY_EVENT_RATE ? 'byEventRate' : 'byDataRate',
          targetRate: s.targetRate,
          scaleFactor: s.scaleFactor,
          minSegments: s.segments,
        };
  const config: StreamConfiguration = { scaling, tags: r.value.tags };
  const ret = r.value.retention;
  if (ret)
    config.retention =
      ret.type === Retention_Type.TIME
        ? { type: 'time', ms: Number(ret.value), ...(ret.max > 0n ? { maxMs: Number(ret.max) } : {}) }
        : { type: 'size', bytes: Number(ret.value), ...(ret.max > 0n ? { maxBytes: Number(ret.max) } : {}) };
  return config;
}

export async function listStreamsByTag(
  conn: Connection,
  scope: string,
  tag: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const r = await conn.request({ case: 'listStreamsByTag', value: { scope, tag } }, signal);
  return r.case === 'names' ? r.value.names : [];
}

export async function checkStreamExists(conn: Connection, stream: string, signal?: AbortSignal): Promise<boolean> {
  const r = await conn.request({ case: 'checkStreamExists', value: { stream } }, signal);
  return r.case === 'done' && r.value;
}

export async function listCompletedTransactions(
  conn: Connection,
  stream: string,
  signal?: AbortSignal,
): Promise<CompletedTransaction[]> {
  const r = await conn.request({ case: 'listCompletedTxns', value: { stream } }, signal);
  if (r.case !== 'completedTxns') throw new SluiceError('internal', 'unexpected reply to listCompletedTransactions');
  return r.value.txns.map((t) => ({ txnId: t.txnId, status: t.status === 'aborted' ? 'aborted' : 'committed' }));
}

export async function fetchEvent<T>(
  conn: Connection,
  pointer: EventPointer,
  serializer: Serializer<T>,
  signal?: AbortSignal,
): Promise<T> {
  const r = await conn.request(
    {
      case: 'fetchEvent',
      value: { stream: pointer.stream, segmentId: pointer.segment, offset: pointer.offset, length: pointer.length },
    },
    signal,
  );
  if (r.case !== 'event') throw new SluiceError('internal', 'unexpected reply to fetchEvent');
  return serializer.deserialize(r.value);
}

/** Declares a group's reader gone, its segments returned at `position` where it names them. */
export async function readerOffline(
  conn: Connection,
  group: string,
  readerId: string,
  position: ReaderPosition | undefined,
  signal?: AbortSignal,
): Promise<boolean> {
  const frame = position
    ? {
        streams: [...position.streams].map(([stream, s]) => ({
          stream,
          segments: [...s.segments].map(([segmentId, offset]) => ({ segmentId, offset })),
          future: [...s.future].map(([segmentId, waitingFor]) => ({ segmentId, waitingFor })),
        })),
      }
    : undefined;
  const r = await conn.request(
    { case: 'readerOffline', value: { group, readerId, ...(frame ? { position: frame } : {}) } as never },
    signal,
  );
  return r.case === 'done' && r.value;
}

/** Starts a group over from `from` (cuts, one per stream of the group; 'head' or 'tail'). */
export async function resetReaderGroup(
  conn: Connection,
  group: string,
  from: 'head' | 'tail' | StreamCut[],
  signal?: AbortSignal,
): Promise<void> {
  const cuts = Array.isArray(from)
    ? from.map((c) => ({
        stream: c.stream,
        positions: [...c.positions].map(([segmentId, offset]) => ({ segmentId, offset })),
      }))
    : [];
  await conn.request(
    { case: 'resetReaderGroup', value: { group, from: cuts, tail: from === 'tail' } as never },
    signal,
  );
}

/**
 * Reader groups configured ahead of their readers (Pravega's ReaderGroupManager.createReaderGroup
 * with a ReaderGroupConfig) and consumption-based retention (ReaderGroup.updateRetentionStreamCut).
 * SluiceClient's methods of the same names call these.
 */
import { CreateReaderGroup_Retention } from '@sluice/proto/sluice/v1/gateway_codec.js';
import { SluiceError } from '../errors.js';
import type { StreamCut } from '../stream-cut.js';
import type { Connection } from './connection.js';

/**
 * Whether the group holds back its streams' retention (Pravega's ReaderGroupConfig.retentionType):
 * - `'none'` (default): the group does not affect retention;
 * - `'manual'`: the stream keeps what is after the cuts the application gives with
 *   `updateRetentionStreamCut` (MANUAL_RELEASE_AT_USER_STREAMCUT);
 * - `'automatic'`: each completed group checkpoint (`checkpointReaderGroup`) releases what is
 *   before it (AUTOMATIC_RELEASE_AT_LAST_CHECKPOINT).
 * Only a stream with a retention policy is ever truncated; `maxMs`/`maxBytes` of that policy
 * bound what a slow group can hold back.
 */
export type GroupRetention = 'none' | 'manual' | 'automatic';

/** A reader group's configuration (Pravega's ReaderGroupConfig). */
export interface ReaderGroupConfig {
  /** The streams the group reads, "scope/stream" or "stream" in the client's scope. */
  streams: string[];
  /** Where the group starts: 'head' (default), 'tail', or one cut per stream. */
  from?: 'head' | 'tail' | StreamCut[];
  /** A reader silent this long loses its segments (default 30 s). */
  groupTimeoutMs?: number;
  retention?: GroupRetention;
  /**
   * End cuts (Java's ReaderGroupConfig endingStreamCuts), at most one per stream: the group reads
   * those streams up to their cut, and its readers' iterations end once every segment is read to
   * its bound. A cut that leaves open segments out bounds them at their length when the group is
   * created, as for a reader's `to`.
   */
  to?: StreamCut[];
  /**
   * A group-wide checkpoint this often (Java's automaticCheckpointIntervalMillis): every reader
   * commits at its next read, as for `checkpointReaderGroup`. With retention 'automatic' each
   * one releases what is before it. Default: none (only `checkpointReaderGroup`).
   */
  groupCheckpointMs?: number;
}

const RETENTION = {
  none: CreateReaderGroup_Retention.NONE,
  manual: CreateReaderGroup_Retention.MANUAL,
  automatic: CreateReaderGroup_Retention.AUTOMATIC,
} as const;

function cutFrames(cuts: StreamCut[], qualify: (name: string) => string) {
  return cuts.map((c) => ({
    stream: qualify(c.stream),
    positions: [...c.positions].map(([segmentId, offset]) => ({ segmentId, offset })),
  }));
}

export async function createReaderGroup(
  conn: Connection,
  group: string,
  config: ReaderGroupConfig,
  qualify: (name: string) => string,
  signal?: AbortSignal,
): Promise<boolean> {
  const retention = RETENTION[config.retention ?? 'none'];
  if (retention === undefined)
    throw new SluiceError('invalid-argument', `retention is 'none', 'manual' or 'automatic', not ${config.retention}`);
  const from = config.from ?? 'head';
  const r = await conn.request(
    {
      case: 'createReaderGroup',
      value: {
        group,
        streams: config.streams.map(qualify),
        from: Array.isArray(from) ? cutFrames(from, qualify) : [],
        tail: from === 'tail',
        timeoutMs: config.groupTimeoutMs ?? 0,
        retention,
        to: cutFrames(config.to ?? [], qualify),
        groupCheckpointMs: config.groupCheckpointMs ?? 0,
      } as never,
    },
    signal,
  );
  return r.case === 'done' && r.value;
}

export async function updateRetentionStreamCut(
  conn: Connection,
  group: string,
  cuts: StreamCut[],
  qualify: (name: string) => string,
  signal?: AbortSignal,
): Promise<void> {
  await conn.request(
    { case: 'updateRetentionStreamCut', value: { group, cuts: cutFrames(cuts, qualify) } as never },
    signal,
  );
}

export async function checkScopeExists(conn: Connection, scope: string, signal?: AbortSignal): Promise<boolean> {
  const r = await conn.request({ case: 'checkScopeExists', value: { scope } }, signal);
  return r.case === 'done' && r.value;
}

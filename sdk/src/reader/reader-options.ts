/**
 * What a reader is opened with and what it hands out (the public shapes of `reader.ts`, apart
 * from it so the files that only need the shapes do not read the reader's machinery).
 */
import type { CheckpointStore } from '../checkpoints/store.js';
import type { Truncation } from '../errors.js';
import type { Serializer } from '../serializers/serializer.js';
import type { StreamCut } from '../stream-cut.js';
import type { ReaderPosition } from './position.js';

export interface ReadEvent<T> {
  value: T;
  /** "scope/stream" */
  stream: string;
  segment: bigint;
  /** Offset of this event in its segment. */
  offset: bigint;
  /** Where a reader re-opened from this position continues: right after this event. */
  position: ReaderPosition;
}

export interface ReaderOptions<T> {
  serializer: Serializer<T>;
  /** Where to start: head (default), tail, a stream cut (one per stream), or a saved position. */
  from?: 'head' | 'tail' | StreamCut | StreamCut[] | ReaderPosition;
  /** Iteration ends at this cut (per stream). */
  to?: StreamCut | StreamCut[];
  /** Credit window: events and bytes the gateway may send ahead of consumption. */
  creditEvents?: number;
  creditBytes?: number;
  /**
   * Where checkpoints live; the reader resumes from the last one (and `from` applies only when
   * there is none). Default: none (positions are then yours to keep, see `position()`).
   */
  checkpoints?: CheckpointStore;
  /** @internal a batch read (see client.readBatch). */
  batch?: boolean;
  /** @internal a range read (see client.readRange): only the segments of `from`, each up to `to`. */
  range?: boolean;
  /**
   * A reader group ("name" or "scope/name"): readers sharing it split the segments between
   * them, and the group's state (who reads what, committed offsets, checkpoints) lives in
   * Pravega. `checkpoint()` then commits to the group; `checkpoints` is not used.
   */
  group?: string;
  /** Group readers: a stable id lets a restarted reader resume its segments and state. Default: random. */
  readerId?: string;
  /** Group readers: a reader silent this long loses its segments (set when the group is created). Default 30 s. */
  groupTimeoutMs?: number;
  /**
   * Group readers: commit the position this often (ms) and whenever the group asks for a
   * checkpoint; 0 leaves every commit to `checkpoint()` (exactly-once pipelines). Default 10 s.
   */
  autoCheckpointMs?: number;
  /**
   * Accepts data truncated away below the reader's position: called with where reading resumed.
   * Without it such a reader fails with a `truncated` error (nothing is skipped silently).
   */
  onTruncated?: (info: Truncation) => void;
}

/** What a group reader's last commit recorded, restored when the same reader id returns. */
export interface GroupRestored {
  state?: unknown;
  txn?: { stream: string; txnId: string };
}

/**
 * A reader's membership of a reader group. The group's state (who reads which segments, the
 * committed offsets, each reader's last commit) lives in Pravega, kept by the gateway; the group
 * decides what this reader reads: ReaderOpened gives it its share, SegmentsAssigned adds to it,
 * and a commit hands back the segments the group gives to other readers. A commit records the
 * position, the segments read to their end and the application's state in one conditional
 * update, so a reader that returns with the same id resumes exactly where it committed.
 */
import type { Connection } from '../client/connection.js';
import { SluiceError } from '../errors.js';
import type { ReaderPosition } from './position.js';
import { finishedFrame, positionFrame } from './position-frames.js';
import type { GroupRestored } from './reader-options.js';

export interface GroupSettings {
  /** "name" or "scope/name". */
  group: string;
  readerId?: string | undefined;
  groupTimeoutMs?: number | undefined;
}

/** A segment the group gave to another reader. */
export interface ReleasedSegment {
  stream: string;
  segmentId: bigint;
}

/** What a commit takes from its reader: read when the commit is sent, not when it was asked for. */
export interface CommittingReader {
  channel(): number;
  position(): ReaderPosition;
  /** The commit is recorded; `released` now belong to other readers. */
  committed(released: readonly ReleasedSegment[]): void;
}

export interface CommitOptions {
  state?: unknown;
  txn?: { stream: string; txnId: string } | undefined;
}

export class GroupMembership {
  readonly readerId: string;
  /** What this reader id's last commit recorded, as of the reader's first join. */
  restored: GroupRestored | undefined;
  /** Joined once: a reopen (after a reconnect) resumes the membership instead of joining afresh. */
  private joined = false;
  /** Segments read to their end since the last commit. */
  private finished: Array<{ stream: string; segmentId: bigint }> = [];
  private committing: Promise<void> | undefined;

  constructor(
    private readonly conn: Connection,
    private readonly settings: GroupSettings,
    private readonly reader: CommittingReader,
  ) {
    this.readerId = settings.readerId ?? crypto.randomUUID();
  }

  get isJoined(): boolean {
    return this.joined;
  }

  get isCommitting(): boolean {
    return this.committing !== undefined;
  }

  /** The group's fields of OpenReader. */
  openFields() {
    return {
      group: this.settings.group,
      readerId: this.readerId,
      groupTimeoutMs: this.settings.groupTimeoutMs ?? 0,
      resume: this.joined,
      finished: finishedFrame(this.finished),
    };
  }

  /** ReaderOpened: the reader is in the group; on its first join, `restoredJson` is its id's last commit. */
  joinedWith(restoredJson: string): void {
    if (!this.joined && restoredJson) {
      try {
        this.restored = JSON.parse(restoredJson) as GroupRestored;
      } catch {
        this.restored = undefined;
      }
    }
    this.joined = true;
  }

  /** The reader read one of its segments to the end; the next commit reports it. */
  noteFinished(stream: string, segmentId: bigint): void {
    this.finished.push({ stream, segmentId });
  }

  /** The group dropped this reader (`reassigned`): it joins again, from the group's committed offsets. */
  leave(): void {
    this.joined = false;
    this.finished = [];
  }

  /**
   * Commits the reader's position (and `state`, `txn`) in one conditional update of the group's
   * state. One commit at a time: a second waits for the first, then commits the position as it is
   * then. Rejects with `reassigned` if the group has moved on.
   */
  async commit(options: CommitOptions): Promise<void> {
    while (this.committing) await this.committing.catch(() => {});
    const finished = [...this.finished];
    const position = this.reader.position();
    const run = (async () => {
      const reply = await this.conn.request({
        case: 'groupCommit',
        value: {
          channel: this.reader.channel(),
          position: { streams: positionFrame(position) },
          finished: finishedFrame(finished),
          stateJson: options.state === undefined ? '' : JSON.stringify(options.state),
          ...(options.txn ? { txn: { stream: options.txn.stream, txnId: options.txn.txnId } } : {}),
        },
      });
      if (reply.case !== 'groupCommitted') throw new SluiceError('internal', 'unexpected reply to a group commit');
      this.finished = this.finished.filter((f) => !finished.includes(f));
      this.reader.committed(reply.value.released);
    })();
    this.committing = run;
    try {
      await run;
    } finally {
      if (this.committing === run) this.committing = undefined;
    }
  }
}

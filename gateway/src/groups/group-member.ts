/**
 * One reader's membership in a reader group, run by the gateway the reader is connected to:
 * join (creating the group on first use), heartbeats that also remove silent readers and pick
 * up unowned segments, commits, and leave. Every change is a compare-and-set on the group's
 * state in Pravega (group-table.ts) under the rules of group-state.ts; nothing here outlives
 * the reader's channel, so any gateway process can serve any reader of any group.
 */
import type { Logger } from 'pino';
import type { ControllerClient } from '../controller/controller-client.js';
import { GatewayError } from '../errors.js';
import type { SegmentStoreClient } from '../segmentstore/client.js';
import { segmentRef } from '../segmentstore/segment-ref.js';
import type { GatewayMetrics } from '../server/metrics.js';
import type { ScopedStream } from '../streams/stream-name.js';
import {
  acquire,
  checkGroupState,
  checkpointIfDue,
  commit,
  endsOf,
  type FinishedSegment,
  type GroupState,
  heartbeat,
  isFinished,
  newGroup,
  ownedBy,
  parseSegmentKey,
  removeReader,
  requestCheckpoint,
  segmentKey,
  silentReaders,
  unpublishedCheckpoint,
} from './group-state.js';
import type { GroupTable } from './group-table.js';

export interface GroupServices {
  readonly controller: ControllerClient;
  readonly segments: SegmentStoreClient;
  readonly groups: GroupTable;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

export interface GroupMemberListener {
  onAcquired(segments: Array<[string, bigint]>): void;
  onCheckpointRequested(id: number): void;
  /** The group has nothing left to read (every segment finished, no successor waiting). */
  onGroupFinished(): void;
  /** A completed group checkpoint waits to be published as the group's retention cut. */
  onPublishDue(): void;
  onFailed(err: GatewayError): void;
}

export interface JoinResult {
  /** Segments this reader reads now, at the offsets to read from. */
  owned: Map<string, bigint>;
  restored: { state?: unknown; txn?: { stream: string; txnId: string } } | undefined;
  /** Per stream, the offsets its segments are read up to (the group's end cuts; undefined: no end). */
  ends: Array<Map<bigint, bigint> | undefined>;
}

export const DEFAULT_GROUP_TIMEOUT_MS = 30_000;
const LAG_REFRESH_MS = 5_000;
const lagRefreshedAt = new Map<string, number>();
const membersHere = new Map<string, number>();

export class GroupMember {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking = false;
  private lastCheckpointSignalled = 0;
  private heartbeatMs = 10_000;
  private readonly label: string;

  constructor(
    private readonly services: GroupServices,
    readonly scope: string,
    readonly group: string,
    readonly readerId: string,
    private readonly streams: readonly ScopedStream[],
    private readonly listener: GroupMemberListener,
  ) {
    this.label = `${scope}/${group}`;
  }

  private get names(): string[] {
    return this.streams.map((s) => `${s.scope}/${s.stream}`);
  }

  /**
   * Joins the group. `resume` (a re-open after a lost socket) is where this reader had got to;
   * it is honoured for segments the reader still owns, and a reader the group already removed
   * gets `reassigned` rather than a silent restart.
   */
  async join(
    resolveStart: () => Promise<Map<string, bigint>>,
    timeoutMs: number,
    resume: { positions: Map<string, bigint>; finished: Set<string> } | undefined,
  ): Promise<JoinResult> {
    const { groups } = this.services;
    let created: GroupState | undefined;
    if (!(await groups.read(this.scope, this.group))) {
      created = newGroup(this.names, await resolveStart(), timeoutMs);
    }
    await this.reapSilent();
    const result = await groups.update<GroupState, JoinResult>(this.scope, this.group, (current) => {
      const s = current ? checkGroupState(current.value, this.group) : structuredClone(created!);
      if (!s) throw new GatewayError('not-found', `reader group ${this.label} does not exist`);
      this.checkStreams(s);
      const now = Date.now();
      for (const id of silentReaders(s, now)) if (id !== this.readerId) removeReader(s, id, now);
      const known = s.readers[this.readerId];
      const resuming = resume !== undefined && (resume.positions.size > 0 || resume.finished.size > 0);
      if (resuming && !known)
        throw new GatewayError(
          'reassigned',
          `reader ${this.readerId} was removed from group ${this.label} while it was away; its segments were reassigned`,
        );
      heartbeat(s, this.readerId, now);
      acquire(s, this.readerId);
      const owned = new Map<string, bigint>();
      for (const key of ownedBy(s, this.readerId)) {
        if (resume?.finished.has(key)) continue;
        owned.set(key, resume?.positions.get(key) ?? BigInt(s.segments[key]!.offset));
      }
      const restored =
        known && (known.state !== undefined || known.txn)
          ? { ...(known.state !== undefined ? { state: known.state } : {}), ...(known.txn ? { txn: known.txn } : {}) }
          : undefined;
      return { next: s, result: { owned, restored, ends: endsOf(s) } };
    });
    membersHere.set(this.label, (membersHere.get(this.label) ?? 0) + 1);
    this.services.metrics.groupReaders.set({ group: this.label }, membersHere.get(this.label)!);
    this.heartbeatMs = Math.max(200, Math.floor(timeoutMs / 3));
    return result;
  }

  /** Heartbeats start once the channel reads what join() gave it (so no acquisition is missed). */
  startHeartbeats(): void {
    if (this.stopped || this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.timer.unref?.();
  }

  /**
   * Commits this reader's progress (see group-state.ts `commit`); returns the released segments,
   * and whether the commit completed a checkpoint that an automatic-release group has to publish.
   */
  async commit(input: {
    positions: Map<string, bigint>;
    finished: string[];
    state?: unknown;
    txn?: { stream: string; txnId: string };
  }): Promise<{ released: string[]; publish: boolean }> {
    const finished = await Promise.all(input.finished.map((key) => this.successorsOf(key)));
    return this.services.groups.update<GroupState, { released: string[]; publish: boolean }>(
      this.scope,
      this.group,
      (current) => {
        if (!current) throw new GatewayError('not-found', `reader group ${this.label} was deleted`);
        const s = checkGroupState(current.value, this.group);
        const { released } = commit(s, {
          readerId: this.readerId,
          positions: input.positions,
          finished,
          ...(input.state !== undefined ? { state: input.state } : {}),
          ...(input.txn ? { txn: input.txn } : {}),
          now: Date.now(),
        });
        return { next: s, result: { released, publish: unpublishedCheckpoint(s) !== undefined } };
      },
    );
  }

  /** The client closed the reader: its segments go back to the group at their committed offsets. */
  async leave(): Promise<void> {
    this.stop();
    await this.services.groups.update<GroupState, void>(this.scope, this.group, (current) => {
      if (!current) return { next: undefined, result: undefined };
      const s = checkGroupState(current.value, this.group);
      if (!s.readers[this.readerId]) return { next: undefined, result: undefined };
      removeReader(s, this.readerId, Date.now());
      return { next: s, result: undefined };
    });
  }

  /** The socket went away: stop heartbeating; the reader keeps its segments until its timeout. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const left = (membersHere.get(this.label) ?? 1) - 1;
    if (left <= 0) {
      membersHere.delete(this.label);
      lagRefreshedAt.delete(this.label);
      // Nothing about a group outlives its last reader on this gateway, metrics included.
      this.services.metrics.groupReaders.remove({ group: this.label });
      this.services.metrics.groupLagBytes.remove({ group: this.label });
    } else {
      membersHere.set(this.label, left);
      this.services.metrics.groupReaders.set({ group: this.label }, left);
    }
  }

  // ---- heartbeat ---------------------------------------------------------------------------

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      await this.reapSilent();
      type TickResult =
        | {
            kind: 'ok';
            acquired: Array<[string, bigint]>;
            checkpoint: number | undefined;
            finished: boolean;
            publish: boolean;
          }
        | { kind: 'gone'; err: GatewayError };
      const result = await this.services.groups.update<GroupState, TickResult>(this.scope, this.group, (current) => {
        if (!current)
          return {
            next: undefined,
            result: { kind: 'gone', err: new GatewayError('not-found', `reader group ${this.label} was deleted`) },
          };
        const s = checkGroupState(current.value, this.group);
        const now = Date.now();
        for (const id of silentReaders(s, now)) if (id !== this.readerId) removeReader(s, id, now);
        if (!s.readers[this.readerId])
          return {
            next: undefined,
            result: {
              kind: 'gone',
              err: new GatewayError(
                'reassigned',
                `reader ${this.readerId} was removed from group ${this.label} (silent for more than ${s.timeoutMs} ms)`,
              ),
            },
          };
        heartbeat(s, this.readerId, now);
        const acquired = acquire(s, this.readerId);
        checkpointIfDue(s, now);
        const pending = s.checkpoints.pending;
        const checkpoint = pending?.waiting.includes(this.readerId) ? pending.id : undefined;
        const publish = unpublishedCheckpoint(s) !== undefined;
        return { next: s, result: { kind: 'ok', acquired, checkpoint, finished: isFinished(s), publish } };
      });
      if (this.stopped) return;
      if (result.kind === 'gone') {
        this.stop();
        this.listener.onFailed(result.err);
        return;
      }
      if (result.acquired.length > 0) this.listener.onAcquired(result.acquired);
      if (result.checkpoint !== undefined && result.checkpoint > this.lastCheckpointSignalled) {
        this.lastCheckpointSignalled = result.checkpoint;
        this.listener.onCheckpointRequested(result.checkpoint);
      }
      if (result.publish) this.listener.onPublishDue();
      if (result.finished) this.listener.onGroupFinished();
      void this.refreshLag();
    } catch (err) {
      // A heartbeat that fails (Pravega briefly away) is retried at the next tick; the
      // reader keeps its segments until the group's timeout.
      this.services.logger.warn({ err, group: this.label }, 'reader-group heartbeat failed');
    } finally {
      this.ticking = false;
    }
  }

  /** Commits the transactions recorded by silent readers before anyone removes them. */
  private async reapSilent(): Promise<void> {
    const current = await this.services.groups.read<GroupState>(this.scope, this.group);
    if (!current) return;
    const s = checkGroupState(current.value, this.group);
    for (const id of silentReaders(s, Date.now())) {
      const txn = s.readers[id]?.txn;
      if (!txn || id === this.readerId) continue;
      const [scope, stream] = txn.stream.split('/') as [string, string];
      try {
        await this.services.controller.commitTransaction(scope, stream, txn.txnId);
      } catch (err) {
        const error = GatewayError.from(err);
        if (error.code !== 'txn-aborted') throw error;
        this.services.metrics.groupTxnsLost.inc({ group: this.label });
        this.services.logger.error(
          { group: this.label, reader: id, txn: txn.txnId },
          'a vanished reader recorded a transaction that Pravega had aborted: that commit’s output is lost',
        );
      }
    }
  }

  private async successorsOf(key: string): Promise<FinishedSegment> {
    const { streamIndex, segmentId } = parseSegmentKey(key);
    const s = this.streams[streamIndex];
    if (!s) throw new GatewayError('invalid-argument', `segment ${key} is not in this group's streams`);
    const reply = await this.services.controller.getSuccessors(s.scope, s.stream, segmentId);
    return {
      key,
      successors: reply.successors.map((succ) => ({
        key: segmentKey(streamIndex, succ.segment.segmentId),
        predecessors: succ.predecessors.map((p) => segmentKey(streamIndex, p)),
      })),
    };
  }

  private async refreshLag(): Promise<void> {
    const now = Date.now();
    if (now - (lagRefreshedAt.get(this.label) ?? 0) < LAG_REFRESH_MS) return;
    lagRefreshedAt.set(this.label, now);
    try {
      const lag = await groupLag(this.services, this.scope, this.group);
      if (!this.stopped && lag !== undefined)
        this.services.metrics.groupLagBytes.set({ group: this.label }, Number(lag));
    } catch (err) {
      this.services.logger.debug({ err, group: this.label }, 'reader-group lag not refreshed');
    }
  }

  private checkStreams(s: GroupState): void {
    const names = this.names;
    if (s.streams.length !== names.length || s.streams.some((n, i) => n !== names[i]))
      throw new GatewayError(
        'invalid-argument',
        `reader group ${this.label} reads ${s.streams.join(', ')}, not ${names.join(', ')}`,
      );
  }
}

/** Bytes after the group's committed offsets, over the segments it holds now. */
export async function groupLag(services: GroupServices, scope: string, group: string): Promise<bigint | undefined> {
  const current = await services.groups.read<GroupState>(scope, group);
  if (!current) return undefined;
  const s = checkGroupState(current.value, group);
  const parts = await Promise.all(
    Object.entries(s.segments).map(async ([key, seg]) => {
      const { streamIndex, segmentId } = parseSegmentKey(key);
      const [sc, st] = s.streams[streamIndex]!.split('/') as [string, string];
      const info = await services.segments.segmentInfo(segmentRef(sc, st, segmentId));
      const lag = info.writeOffset - BigInt(seg.offset);
      return lag > 0n ? lag : 0n;
    }),
  );
  return parts.reduce((a, b) => a + b, 0n);
}

/** Starts a group-wide checkpoint and returns its id (an already pending one is reused). */
export async function startGroupCheckpoint(groups: GroupTable, scope: string, group: string): Promise<number> {
  return groups.update<GroupState, number>(scope, group, (current) => {
    if (!current) throw new GatewayError('not-found', `reader group ${scope}/${group} does not exist`);
    const s = checkGroupState(current.value, group);
    const id = requestCheckpoint(s, Date.now());
    return { next: s, result: id };
  });
}

/**
 * The state of one reader group, as stored in Pravega (see group-table.ts), and the pure rules
 * that change it. Offsets in `segments` are *committed* positions: where the group resumes a
 * segment if its owner vanishes. Ownership moves only at safe points:
 *  - a reader acquires segments nobody owns (fair share: ⌈n/k⌉ or ⌊n/k⌋ per live reader);
 *  - a reader releases surplus segments only in a commit, at the offset it just committed;
 *  - a reader that misses heartbeats for `timeoutMs` is removed and its segments go back to the
 *    pool at their committed offsets (its uncommitted progress is void, and its later commits
 *    fail with `reassigned`: a zombie can never commit over the new owner).
 * A segment a reader read to its end leaves the group at that reader's next commit; successors
 * join the pool once all their predecessors have left (per-key order across merges).
 */
import { GatewayError } from '../errors.js';

export interface GroupReader {
  /** Gateway wall-clock ms of the last heartbeat. */
  seenAt: number;
  /** The user state of the reader's last commit (restored when the same reader id returns). */
  state?: unknown;
  /** The prepared transaction holding the output of the reader's last commit. */
  txn?: { stream: string; txnId: string };
  commits: number;
}

export interface GroupCheckpoints {
  next: number;
  pending?: { id: number; waiting: string[] };
  last?: { id: number; at: number; cut: Record<string, string> };
}

/**
 * A group registered with the controller as a subscriber of its streams (consumption-based
 * retention): its controller identity, and the id of the last checkpoint whose cuts were
 * published (automatic release).
 */
export interface GroupRetention {
  type: 'manual' | 'automatic';
  readerGroupId: string;
  generation: string;
  published: number;
}

export interface GroupState {
  v: 1;
  /** Fully scoped stream names; segment keys are `<stream index>:<segment id>`. */
  streams: string[];
  timeoutMs: number;
  readers: Record<string, GroupReader>;
  segments: Record<string, { offset: string; owner?: string }>;
  /** Successors waiting for predecessors (segment keys) to leave the group. */
  future: Record<string, string[]>;
  checkpoints: GroupCheckpoints;
  retention?: GroupRetention;
  bounds?: GroupBounds;
  /** A group-wide checkpoint this often (Java's automaticCheckpointIntervalMillis); absent: none. */
  checkpointEveryMs?: number;
}

/**
 * End cuts of a bounded group (Pravega's endingStreamCuts): every segment of a bounded stream
 * is read up to its offset in `end`, and only the segments in `reachable` (between the start and
 * the end cut) ever join the group, so it runs out of segments: it is finished.
 */
export interface GroupBounds {
  /** Segment key → the offset it is read up to (the completed end cuts of the bounded streams). */
  end: Record<string, string>;
  /** Segment keys of the bounded streams from the start to the end cuts. */
  reachable: string[];
  /** Indexes (in `streams`) of the bounded streams; the others are read without end. */
  streams: number[];
}

export interface FinishedSegment {
  key: string;
  successors: Array<{ key: string; predecessors: string[] }>;
}

export function segmentKey(streamIndex: number, segmentId: bigint): string {
  return `${streamIndex}:${segmentId}`;
}

export function parseSegmentKey(key: string): { streamIndex: number; segmentId: bigint } {
  const i = key.indexOf(':');
  return { streamIndex: Number(key.slice(0, i)), segmentId: BigInt(key.slice(i + 1)) };
}

export function newGroup(streams: string[], start: Map<string, bigint>, timeoutMs: number): GroupState {
  const segments: GroupState['segments'] = {};
  for (const [key, offset] of start) segments[key] = { offset: offset.toString() };
  return { v: 1, streams, timeoutMs, readers: {}, segments, future: {}, checkpoints: { next: 1 } };
}

/** Per stream of the group, the cut that `offsets` (segment key → offset) describe. */
export function cutsOf(
  s: GroupState,
  offsets: Record<string, string>,
): Array<{ stream: string; positions: Array<{ segmentId: bigint; offset: bigint }> }> {
  const cuts = s.streams.map((stream) => ({ stream, positions: [] as Array<{ segmentId: bigint; offset: bigint }> }));
  for (const [key, offset] of Object.entries(offsets)) {
    const { streamIndex, segmentId } = parseSegmentKey(key);
    cuts[streamIndex]?.positions.push({ segmentId, offset: BigInt(offset) });
  }
  return cuts;
}

/** The last completed checkpoint, if an automatic-release group has not published it yet. */
export function unpublishedCheckpoint(s: GroupState): number | undefined {
  const last = s.checkpoints.last;
  if (s.retention?.type !== 'automatic' || !last || last.id <= s.retention.published) return undefined;
  return last.id;
}

/** Throws unless the stored value is a group state this code understands. */
export function checkGroupState(value: unknown, group: string): GroupState {
  const s = value as Partial<GroupState> | null;
  if (
    s?.v !== 1 ||
    !Array.isArray(s.streams) ||
    typeof s.readers !== 'object' ||
    typeof s.segments !== 'object' ||
    typeof s.future !== 'object' ||
    typeof s.checkpoints !== 'object'
  )
    throw new GatewayError('internal', `the stored state of reader group "${group}" is corrupt`);
  return s as GroupState;
}

export function liveReaders(s: GroupState): string[] {
  return Object.keys(s.readers).sort();
}

export function ownedBy(s: GroupState, readerId: string): string[] {
  return Object.keys(s.segments)
    .filter((k) => s.segments[k]!.owner === readerId)
    .sort();
}

/** Readers whose last heartbeat is older than the group's timeout. */
export function silentReaders(s: GroupState, now: number): string[] {
  return Object.keys(s.readers).filter((id) => now - s.readers[id]!.seenAt > s.timeoutMs);
}

export function heartbeat(s: GroupState, readerId: string, now: number): void {
  const r = s.readers[readerId];
  if (r) r.seenAt = now;
  else s.readers[readerId] = { seenAt: now, commits: 0 };
}

/** Removes a reader: its segments go back to the pool at their committed offsets. */
export function removeReader(s: GroupState, readerId: string, now: number): void {
  delete s.readers[readerId];
  for (const seg of Object.values(s.segments)) if (seg.owner === readerId) delete seg.owner;
  const pending = s.checkpoints.pending;
  if (pending) {
    pending.waiting = pending.waiting.filter((id) => id !== readerId);
    completeCheckpointIfDone(s, now);
  }
}

/** How many segments `readerId` should own now. */
export function fairShare(s: GroupState, readerId: string): number {
  const readers = liveReaders(s);
  const n = Object.keys(s.segments).length;
  const k = readers.length;
  if (k === 0) return 0;
  const index = readers.indexOf(readerId);
  return Math.floor(n / k) + (index >= 0 && index < n % k ? 1 : 0);
}

/** Takes unowned segments up to the reader's fair share; returns them with their offsets. */
export function acquire(s: GroupState, readerId: string): Array<[string, bigint]> {
  const want = fairShare(s, readerId) - ownedBy(s, readerId).length;
  const taken: Array<[string, bigint]> = [];
  if (want <= 0) return taken;
  for (const key of Object.keys(s.segments).sort()) {
    const seg = s.segments[key]!;
    if (seg.owner !== undefined) continue;
    seg.owner = readerId;
    taken.push([key, BigInt(seg.offset)]);
    if (taken.length >= want) break;
  }
  return taken;
}

/** Segments beyond the reader's fair share while another reader is below its own. */
export function surplus(s: GroupState, readerId: string): string[] {
  const owned = ownedBy(s, readerId);
  const extra = owned.length - fairShare(s, readerId);
  if (extra <= 0) return [];
  const someoneShort = liveReaders(s).some((id) => id !== readerId && ownedBy(s, id).length < fairShare(s, id));
  return someoneShort ? owned.slice(owned.length - extra) : [];
}

export interface CommitInput {
  readerId: string;
  /** Next offset of every segment the reader reads (those it owns; others are ignored). */
  positions: Map<string, bigint>;
  /** Segments the reader read to their end since its last commit. */
  finished: FinishedSegment[];
  state?: unknown;
  txn?: { stream: string; txnId: string };
  now: number;
}

/**
 * Records a reader's committed position (and state/transaction); releases its surplus segments.
 * Fails with `reassigned` when the reader is no longer a member or no longer owns a segment it
 * reports: the group has moved on from it and its uncommitted progress must be discarded.
 */
export function commit(s: GroupState, input: CommitInput): { released: string[] } {
  const reader = s.readers[input.readerId];
  if (!reader)
    throw new GatewayError(
      'reassigned',
      `reader ${input.readerId} was removed from the group (silent for more than ${s.timeoutMs} ms); its segments were reassigned`,
    );
  for (const key of [...input.positions.keys(), ...input.finished.map((f) => f.key)]) {
    const seg = s.segments[key];
    if (seg && seg.owner !== input.readerId)
      throw new GatewayError('reassigned', `segment ${key} now belongs to another reader of the group`);
  }
  for (const [key, offset] of input.positions) {
    const seg = s.segments[key];
    if (seg) seg.offset = offset.toString();
  }
  for (const f of input.finished) finishSegment(s, f);
  reader.seenAt = input.now;
  reader.commits++;
  if (input.state !== undefined) reader.state = input.state;
  if (input.txn) reader.txn = input.txn;
  else delete reader.txn;
  const released = surplus(s, input.readerId);
  for (const key of released) delete s.segments[key]!.owner;
  const pending = s.checkpoints.pending;
  if (pending?.waiting.includes(input.readerId)) {
    pending.waiting = pending.waiting.filter((id) => id !== input.readerId);
    completeCheckpointIfDone(s, input.now);
  }
  return { released };
}

function finishSegment(s: GroupState, f: FinishedSegment): void {
  if (!s.segments[f.key]) return;
  delete s.segments[f.key];
  for (const waiting of Object.values(s.future)) {
    const i = waiting.indexOf(f.key);
    if (i >= 0) waiting.splice(i, 1);
  }
  for (const succ of f.successors) {
    if (s.segments[succ.key] || s.future[succ.key]) continue;
    if (beyondBounds(s, succ.key)) continue; // after the end cut: never read
    // A predecessor the group does not hold any more was finished before.
    s.future[succ.key] = succ.predecessors.filter((p) => p !== f.key && (s.segments[p] || s.future[p]));
  }
  for (const [key, waiting] of Object.entries(s.future)) {
    if (waiting.length > 0) continue;
    delete s.future[key];
    s.segments[key] = { offset: '0' };
  }
}

function beyondBounds(s: GroupState, key: string): boolean {
  const b = s.bounds;
  if (!b) return false;
  return b.streams.includes(parseSegmentKey(key).streamIndex) && !b.reachable.includes(key);
}

/** Per stream, the offsets segments are read up to (undefined: the stream has no end cut). */
export function endsOf(s: GroupState): Array<Map<bigint, bigint> | undefined> {
  const ends = s.streams.map((_, i) => (s.bounds?.streams.includes(i) ? new Map<bigint, bigint>() : undefined));
  for (const [key, offset] of Object.entries(s.bounds?.end ?? {})) {
    const { streamIndex, segmentId } = parseSegmentKey(key);
    ends[streamIndex]?.set(segmentId, BigInt(offset));
  }
  return ends;
}

/** Starts the group's periodic checkpoint when one is due; returns its id, if it started one. */
export function checkpointIfDue(s: GroupState, now: number): number | undefined {
  const every = s.checkpointEveryMs;
  if (!every || s.checkpoints.pending || now - (s.checkpoints.last?.at ?? 0) < every) return undefined;
  return requestCheckpoint(s, now);
}

/** Starts a group-wide checkpoint: every current reader must commit once more. */
export function requestCheckpoint(s: GroupState, now: number): number {
  const pending = s.checkpoints.pending;
  if (pending) return pending.id;
  const id = s.checkpoints.next++;
  s.checkpoints.pending = { id, waiting: liveReaders(s) };
  completeCheckpointIfDone(s, now);
  return id;
}

function completeCheckpointIfDone(s: GroupState, now: number): void {
  const pending = s.checkpoints.pending;
  if (!pending || pending.waiting.length > 0) return;
  const cut: Record<string, string> = {};
  for (const [key, seg] of Object.entries(s.segments)) cut[key] = seg.offset;
  s.checkpoints.last = { id: pending.id, at: now, cut };
  delete s.checkpoints.pending;
}

/** True when nothing is left to read: every segment finished and no successor waiting. */
export function isFinished(s: GroupState): boolean {
  return Object.keys(s.segments).length === 0 && Object.keys(s.future).length === 0;
}

/**
 * A reader-group member for the cluster tests that keeps the books of checkpoint-based
 * exactly-once (docs/readers.md, "Reader groups"): what it delivered since its last successful
 * commit is `pending`; a commit moves it to `committed`. A reader whose commit is refused with
 * `reassigned` lost its segments at their committed offsets, so its pending events are void
 * (another reader gets them again). Across the group, `committed` must then hold every event
 * once. Commits happen inside the read loop (every `commitEvery` events, so the position
 * committed is exactly after the last pending event) and, at the end, by `commitNow()` while the
 * loop waits for events that will not come.
 */
import { type EventReader, Serializers, type SluiceClient } from '@sluice/sdk';

export interface GroupMember {
  readonly id: string;
  readonly reader: EventReader<string>;
  /** Delivered and covered by a successful commit, in delivery order. */
  readonly committed: string[];
  /** Delivered since the last successful commit. */
  pending: string[];
  /** Every event delivered, with its segment, in order (void ones included). */
  readonly delivered: Array<{ value: string; segment: bigint }>;
  /** Commits that failed (code → count): the reader goes on, the next commit covers them. */
  readonly commitErrors: Map<string, number>;
  readonly readError: () => string | undefined;
  /** Commits what was delivered so far; call when no event is arriving. */
  commitNow(): Promise<void>;
  close(): Promise<void>;
}

const codeOf = (err: unknown) => (err as { code?: string }).code ?? String(err);

export function startGroupMember(
  client: SluiceClient,
  stream: string,
  group: string,
  id: string,
  commitEvery: number,
): GroupMember {
  const reader = client.reader(stream, {
    serializer: Serializers.utf8(),
    group,
    readerId: id,
    autoCheckpointMs: 0,
  });
  let readError: string | undefined;
  const member: GroupMember = {
    id,
    reader,
    committed: [],
    pending: [],
    delivered: [],
    commitErrors: new Map(),
    readError: () => readError,
    commitNow: () => commit(),
    close: async () => {
      await reader.close();
      await loop;
    },
  };
  const commit = async () => {
    // The commit covers at least what was delivered when it was asked for (more, if events
    // arrive meanwhile: those stay pending and the next commit covers them again).
    const covered = member.pending.length;
    try {
      await reader.checkpoint();
      member.committed.push(...member.pending.slice(0, covered));
      member.pending = member.pending.slice(covered);
    } catch (err) {
      const code = codeOf(err);
      member.commitErrors.set(code, (member.commitErrors.get(code) ?? 0) + 1);
      if (code === 'reassigned') member.pending = [];
    }
  };
  const loop = (async () => {
    try {
      for await (const ev of reader) {
        member.delivered.push({ value: ev.value, segment: ev.segment });
        member.pending.push(ev.value);
        if (member.pending.length >= commitEvery) await commit();
      }
    } catch (err) {
      readError = codeOf(err);
    }
  })();
  return member;
}

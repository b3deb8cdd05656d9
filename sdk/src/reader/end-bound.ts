/**
 * A bounded reader's end, fixed once (docs/stream-cuts.md "A `to` cut that leaves segments
 * out"). A `to` cut that leaves open segments out bounds them at their length when the read
 * starts, as Pravega's batch client does. The gateway works that out when asked; asked again
 * after a reconnect it would bound them at their length then and take newer events. So the
 * reader asks once, before its first open, and every open (on any gateway) sends the completed
 * cut, which names every segment it bounds and so completes to itself.
 */
import type { Connection } from '../client/connection.js';
import { SluiceError } from '../errors.js';

/** A cut as the gateway's frames carry it. */
export interface CutFrame {
  stream: string;
  positions: Array<{ segmentId: bigint; offset: bigint }>;
}

/** Each cut completed by the gateway now: the open segments it leaves out at their length. */
export async function fixEndCuts(conn: Connection, cuts: readonly CutFrame[]): Promise<CutFrame[]> {
  return Promise.all(
    cuts.map(async (cut) => {
      const r = await conn.request({ case: 'completeEndCut', value: cut });
      if (r.case !== 'streamInfo' || !r.value.tail)
        throw new SluiceError('protocol', `unexpected reply ${r.case} to completeEndCut`);
      return {
        stream: cut.stream,
        positions: r.value.tail.positions.map((p) => ({ segmentId: p.segmentId, offset: p.offset })),
      };
    }),
  );
}

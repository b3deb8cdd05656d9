/** Runs of events (wire/event-run.ts) built from payloads, and taken apart again, for tests. */
import { type EventRun, encodeEventFrame } from '../../src/wire/index.js';

/** One run of `payloads` stored back to back from `offset`. */
export function runOf(offset: bigint, payloads: readonly Uint8Array[]): EventRun {
  return { offset, bytes: Buffer.concat(payloads.map((p) => encodeEventFrame(p))), count: payloads.length };
}

/** The events of `runs`, in order, with their offsets (payloads are views of the runs). */
export function eventsOf(runs: readonly EventRun[]): Array<{ offset: bigint; payload: Uint8Array }> {
  const out: Array<{ offset: bigint; payload: Uint8Array }> = [];
  for (const run of runs) {
    const view = new DataView(run.bytes.buffer, run.bytes.byteOffset, run.bytes.byteLength);
    let pos = 0;
    for (let i = 0; i < run.count; i++) {
      const length = view.getInt32(pos + 4);
      out.push({ offset: run.offset + BigInt(pos), payload: run.bytes.subarray(pos + 8, pos + 8 + length) });
      pos += 8 + length;
    }
    if (pos !== run.bytes.length)
      throw new Error(`a run of ${run.count} events holds ${run.bytes.length - pos} more bytes`);
  }
  return out;
}

/**
 * Clients' large WebSocket messages (a writer's Append frames, up to 1 MiB) received into reused
 * buffers. A message spans many socket reads, and `ws` joins those into a fresh buffer per
 * message: at 100+ MB/s that was most of the gateway's new memory outside V8's heap, and a full
 * collection every ~120 ms of a 10 KiB-event write (`--trace-gc`, "external memory pressure").
 *
 * `ws` has no option for it, so this replaces, on one connection's receiver, the step that takes
 * `n` bytes from the socket reads it holds (`consume`): a message payload that spans reads and
 * that the pool takes is copied into a pooled buffer (the same one copy `ws` makes) and leased
 * (leased-buffers.ts); everything else goes to `ws`'s own step. `ws` then unmasks and delivers
 * that buffer as the message, as it would its own. The session finds its lease (`leaseOf`) and
 * hands it on with the payloads it keeps.
 *
 * This reaches into `ws`'s receiver (`_receiver`, `_buffers`, `_bufferedBytes`, `consume`),
 * pinned in the lockfile; when they are not there the connection keeps `ws`'s own receiving,
 * and gateway/test/sessions/pooled-messages.test.ts fails.
 */
import type { WebSocket } from 'ws';
import type { LeasedBuffers } from '../leased-buffers.js';

/** The part of `ws`'s Receiver this replaces and reads. */
interface ReceiverInternals {
  _buffers: Buffer[];
  _bufferedBytes: number;
  consume(n: number): Buffer;
}

function receiverOf(ws: WebSocket): ReceiverInternals | undefined {
  const receiver = (ws as unknown as { _receiver?: Partial<ReceiverInternals> })._receiver;
  if (
    !receiver ||
    typeof receiver.consume !== 'function' ||
    !Array.isArray(receiver._buffers) ||
    typeof receiver._bufferedBytes !== 'number'
  ) {
    return undefined;
  }
  return receiver as ReceiverInternals;
}

/**
 * Makes `ws` receive large messages into `buffers`' pooled buffers. False when `ws`'s receiver
 * is not what this expects (the connection then receives as before).
 */
export function poolMessages(ws: WebSocket, buffers: LeasedBuffers): boolean {
  const receiver = receiverOf(ws);
  if (!receiver) return false;
  const own = receiver.consume;
  receiver.consume = function consume(this: ReceiverInternals, n: number): Buffer {
    const reads = this._buffers;
    // Within one read `ws` returns a view, no copy; small ones are headers and short messages.
    if (n <= reads[0]!.length || !buffers.pools(n)) return own.call(this, n);
    const out = buffers.alloc(n);
    let filled = 0;
    while (filled < n) {
      const read = reads[0]!;
      const take = Math.min(read.length, n - filled);
      out.set(take === read.length ? read : read.subarray(0, take), filled);
      if (take === read.length) reads.shift();
      else reads[0] = read.subarray(take);
      filled += take;
    }
    this._bufferedBytes -= n;
    return out;
  };
  return true;
}

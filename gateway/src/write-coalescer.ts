/**
 * Coalesces the small writes one turn of the event loop makes to a socket into one system call.
 *
 * Many requests in flight (a client's 32 key-value table gets, say) are answered by the same read
 * from the segment store, and each answer was its own write to the client's socket; each request
 * was its own write to the segment store too. In a profile of 32 gets in flight, those writes were
 * a quarter of the gateway's CPU (`writev`/`writeBuffer`). Corking the socket at the first write
 * of a turn and uncorking it once the turn's I/O callbacks ran (`setImmediate`: after the poll
 * phase, so replies that came in several reads of the same turn go out together) makes them one
 * vectored write. Nothing is reordered, and the delay is the rest of the current turn.
 */
import type { Writable } from 'node:stream';

export class WriteCoalescer {
  private held = false;

  constructor(private readonly stream: Writable) {}

  /** Call before writing: the writes until the end of this turn leave together. */
  hold(): void {
    if (this.held) return;
    this.held = true;
    this.stream.cork();
    setImmediate(this.release);
  }

  private readonly release = (): void => {
    this.held = false;
    this.stream.uncork();
  };
}

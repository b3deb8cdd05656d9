/**
 * Reused buffers for the large frames a catch-up read sends. A fresh buffer per 256 KiB EventRuns
 * frame was hundreds of MB/s of new memory outside V8's heap, and that pressure alone made the
 * gateway run a full collection every few dozen milliseconds. A buffer comes back once the
 * socket has written its frame (the session's write callback), so only frames in flight hold one.
 *
 * Small frames are not pooled: a subscriber at the tail gets many small frames, and a pooled
 * buffer under each would multiply the memory its queued frames hold.
 */
import { Fifo } from '@sluice/proto/fifo.js';

export class FramePool {
  private readonly free: ArrayBuffer[] = [];

  constructor(
    /** Size of every pooled buffer; a larger frame gets a buffer of its own. */
    readonly bufferBytes: number,
    /** Idle buffers kept at most: bounds the pool's memory when the traffic stops. */
    readonly maxFree: number,
  ) {}

  /** Whether a frame of `size` bytes is taken from the pool (and should be given back). */
  pools(size: number): boolean {
    return size > this.bufferBytes / 2 && size <= this.bufferBytes;
  }

  /** A buffer of exactly `size` bytes: a view of a pooled buffer when `pools(size)`. */
  take(size: number): Uint8Array {
    if (!this.pools(size)) return new Uint8Array(size);
    return new Uint8Array(this.free.pop() ?? new ArrayBuffer(this.bufferBytes), 0, size);
  }

  /** Returns a frame from `take` once nothing reads it any more; other buffers are ignored. */
  give(frame: Uint8Array): void {
    if (frame.buffer.byteLength !== this.bufferBytes || !(frame.buffer instanceof ArrayBuffer)) return;
    if (this.free.length < this.maxFree) this.free.push(frame.buffer);
  }

  get freeBuffers(): number {
    return this.free.length;
  }
}

/**
 * One socket's pooled frames between send and written. Write callbacks come in send order,
 * except that a failed socket reports later frames early: after the first error no frame goes
 * back (the collector takes them), so none is reused while still being written.
 */
export class FramesInFlight {
  private sent = 0;
  private written = 0;
  private pooled = new Fifo<{ seq: number; frame: Uint8Array }>();
  private broken = false;

  constructor(private readonly pool: FramePool) {}

  /** Call for every frame handed to the socket, in order. */
  onSent(frame: Uint8Array, pooled: boolean): void {
    this.sent++;
    if (pooled && !this.broken) this.pooled.push({ seq: this.sent, frame });
  }

  /** Call from every frame's write callback. */
  onWritten(err: Error | undefined): void {
    if (err) this.broken = true;
    this.written++;
    if (this.broken) {
      this.pooled = new Fifo();
      return;
    }
    while (!this.pooled.isEmpty && this.pooled.peek()!.seq <= this.written) {
      this.pool.give(this.pooled.shift()!.frame);
    }
  }
}

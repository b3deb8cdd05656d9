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
import { BufferPool } from '../buffer-pool.js';

export class FramePool {
  private readonly buffers: BufferPool;

  constructor(
    /** Size of every pooled buffer; a larger frame gets a buffer of its own. */
    bufferBytes: number,
    /** Idle buffers kept at most: bounds the pool's memory when the traffic stops. */
    maxFree: number,
  ) {
    this.buffers = new BufferPool(bufferBytes, maxFree);
  }

  /** Whether a frame of `size` bytes is taken from the pool (and should be given back). */
  pools(size: number): boolean {
    return this.buffers.pools(size);
  }

  /** A buffer of exactly `size` bytes: a view of a pooled buffer when `pools(size)`. */
  take(size: number): Uint8Array {
    return this.pools(size) ? new Uint8Array(this.buffers.take(), 0, size) : new Uint8Array(size);
  }

  /** Returns a frame from `take` once nothing reads it any more; other buffers are ignored. */
  give(frame: Uint8Array): void {
    this.buffers.give(frame.buffer);
  }

  get freeBuffers(): number {
    return this.buffers.idle;
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

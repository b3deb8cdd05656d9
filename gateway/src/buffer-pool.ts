/**
 * Fixed-size buffers kept for reuse, for traffic of hundreds of MB/s where a fresh buffer each
 * time is memory outside V8's heap whose rate alone keeps the collector busy. Shared by the frames
 * sent to clients (sessions/frame-pool.ts) and the data the gateway receives — replies from the
 * segment store, clients' messages (leased-buffers.ts); each decides when a buffer is free again.
 *
 * Only sizes above half a buffer are pooled: smaller ones would hold a whole buffer each.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  /** Buffers handed out again after their first use (tests). */
  reused = 0;

  constructor(
    /** Size of every pooled buffer. */
    readonly bufferBytes: number,
    /** Idle buffers kept at most: bounds the pool's memory when the traffic stops. */
    readonly maxFree: number,
  ) {}

  /** Whether `size` bytes are served from the pool: more than half a buffer, at most one. */
  pools(size: number): boolean {
    return size > this.bufferBytes / 2 && size <= this.bufferBytes;
  }

  /** An idle buffer, or a new one. */
  take(): ArrayBuffer {
    const buffer = this.free.pop();
    if (!buffer) return new ArrayBuffer(this.bufferBytes);
    this.reused++;
    return buffer;
  }

  /** Keeps `buffer` for reuse once nothing reads it any more; one not of the pool's size is ignored. */
  give(buffer: ArrayBufferLike): void {
    if (buffer.byteLength !== this.bufferBytes || !(buffer instanceof ArrayBuffer)) return;
    if (this.free.length < this.maxFree) this.free.push(buffer);
  }

  /** Idle buffers held. */
  get idle(): number {
    return this.free.length;
  }
}

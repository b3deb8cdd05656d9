/**
 * Reused buffers for large replies from the segment store (a catch-up read's 1 MiB
 * `SegmentRead`s). A fresh buffer per reply was hundreds of MB/s of new memory outside V8's heap,
 * and that rate alone kept the gateway collecting (a full collection every 50–100 ms in a catch-up
 * read).
 *
 * The runs of events cut from a reply are views of its buffer (wire/event-run.ts) and carry its
 * lease. Whoever keeps a run beyond the call that handed it over — the shared tail's ring, a
 * reader's queue until the run is copied into a frame — holds the lease and releases it after;
 * the buffer comes back for reuse when the last hold is released. A keeper that never releases
 * costs only the reuse (the buffer is then collected like any other). A lease belongs to one use
 * of a buffer: once the buffer is back, that lease's holds and releases do nothing, so a late
 * release cannot free the buffer's next reply.
 */
import { BufferPool } from '../buffer-pool.js';

/** One use of a pooled buffer, counted by its keepers. */
export class ReplyLease {
  /** Keepers; 0 once the buffer went back. */
  private count = 1;

  constructor(
    private readonly pool: ReplyBuffers,
    readonly buffer: ArrayBuffer,
  ) {}

  get held(): boolean {
    return this.count > 0;
  }

  hold(): void {
    if (this.count > 0) this.count++;
  }

  release(): void {
    if (this.count <= 0) return;
    if (--this.count === 0) this.pool.giveBack(this);
  }
}

export class ReplyBuffers {
  private readonly buffers: BufferPool;
  private readonly leases = new WeakMap<ArrayBufferLike, ReplyLease>();

  constructor(
    /** Size of every pooled buffer; a reply above it, or at most half of it, gets one of its own. */
    bufferBytes: number,
    /** Idle buffers kept at most: bounds the pool's memory when reading stops. */
    maxFree: number,
  ) {
    this.buffers = new BufferPool(bufferBytes, maxFree);
  }

  /** Replies read into a buffer used before (tests). */
  get reused(): number {
    return this.buffers.reused;
  }

  /** Idle buffers held (tests). */
  get idle(): number {
    return this.buffers.idle;
  }

  /**
   * A buffer of exactly `size` bytes. A pooled one comes with a lease held once, for whoever
   * handles the reply (`leaseOf`): it releases that hold once the reply was handled.
   */
  readonly alloc = (size: number): Buffer => {
    if (!this.buffers.pools(size)) return Buffer.allocUnsafe(size);
    const buffer = this.buffers.take();
    this.leases.set(buffer, new ReplyLease(this, buffer));
    return Buffer.from(buffer, 0, size);
  };

  /** The current lease of the pooled buffer `bytes` views, if it is pooled and in use. */
  leaseOf(bytes: Uint8Array): ReplyLease | undefined {
    const lease = this.leases.get(bytes.buffer);
    return lease?.held ? lease : undefined;
  }

  /** @internal Called by a lease whose last hold was released. */
  giveBack(lease: ReplyLease): void {
    if (this.leases.get(lease.buffer) === lease) this.leases.delete(lease.buffer);
    this.buffers.give(lease.buffer);
  }
}

/**
 * Reused buffers for the gateway's large incoming data: replies from the segment store (a
 * catch-up read's 1 MiB `SegmentRead`s, segmentstore/client.ts) and clients' WebSocket messages
 * (a writer's 1 MiB Append frames, sessions/pooled-messages.ts). A fresh buffer each time was
 * hundreds of MB/s of new memory outside V8's heap, and that rate alone kept the gateway
 * collecting (a full collection every 50–150 ms while reading or writing at full speed).
 *
 * What is cut from a buffer — the runs of events of a reply (wire/event-run.ts), the payloads of an
 * Append frame — are views of it. Whoever keeps such a view beyond the call that handed it over
 * (the shared tail's ring, a reader's queue until the run is copied into a frame; a writer until
 * Pravega acknowledged the event) holds the buffer's lease and releases it after; the buffer comes
 * back for reuse when the last hold is released. A keeper that never releases costs only the reuse
 * (the buffer is then collected like any other), so a path that cannot tell when it is done simply
 * never releases. A lease belongs to one use of a buffer: once the buffer is back, that lease's
 * holds and releases do nothing, so a late release cannot free the buffer's next use.
 */
import { BufferPool } from './buffer-pool.js';

/** One use of a pooled buffer, counted by its keepers. */
export class BufferLease {
  /** Keepers; 0 once the buffer went back. */
  private count = 1;

  constructor(
    private readonly pool: LeasedBuffers,
    readonly buffer: ArrayBuffer,
  ) {}

  /** Whether the buffer is still in this use (not back in the pool). */
  get held(): boolean {
    return this.count > 0;
  }

  /** One more keeper; nothing once the buffer is back (a lease is one use). */
  hold(): void {
    if (this.count > 0) this.count++;
  }

  /** One keeper fewer; the last one gives the buffer back for reuse. */
  release(): void {
    if (this.count <= 0) return;
    if (--this.count === 0) this.pool.giveBack(this);
  }
}

/** A pool of same-size buffers whose uses are leased (see above). */
export class LeasedBuffers {
  private readonly buffers: BufferPool;
  private readonly leases = new WeakMap<ArrayBufferLike, BufferLease>();

  constructor(
    /** Size of every pooled buffer; data above it, or at most half of it, gets a buffer of its own. */
    bufferBytes: number,
    /** Idle buffers kept at most: bounds the pool's memory when the traffic stops. */
    maxFree: number,
  ) {
    this.buffers = new BufferPool(bufferBytes, maxFree);
  }

  /** Buffers handed out again after a use (tests). */
  get reused(): number {
    return this.buffers.reused;
  }

  /** Idle buffers held (tests). */
  get idle(): number {
    return this.buffers.idle;
  }

  /** Whether `size` bytes get a pooled buffer: more than half a buffer, at most one. */
  pools(size: number): boolean {
    return this.buffers.pools(size);
  }

  /**
   * A buffer of exactly `size` bytes. A pooled one comes with a lease held once, for whoever
   * handles the data (`leaseOf`): it releases that hold once it was handled.
   */
  readonly alloc = (size: number): Buffer => {
    if (!this.buffers.pools(size)) return Buffer.allocUnsafe(size);
    const buffer = this.buffers.take();
    this.leases.set(buffer, new BufferLease(this, buffer));
    return Buffer.from(buffer, 0, size);
  };

  /** The current lease of the pooled buffer `bytes` views, if it is pooled and in use. */
  leaseOf(bytes: Uint8Array): BufferLease | undefined {
    const lease = this.leases.get(bytes.buffer);
    return lease?.held ? lease : undefined;
  }

  /** @internal Called by a lease whose last hold was released. */
  giveBack(lease: BufferLease): void {
    if (this.leases.get(lease.buffer) === lease) this.leases.delete(lease.buffer);
    this.buffers.give(lease.buffer);
  }
}

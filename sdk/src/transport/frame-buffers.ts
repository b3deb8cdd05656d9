/**
 * Buffers for large outgoing frames, reused once the socket has let go of them.
 *
 * A fresh buffer per frame costs more than filling it: the runtime zeroes it and, at these sizes,
 * the process touches new pages for each one (P2's writer sent ~1 MB frames at hundreds of MB/s).
 * A buffer comes back only through `release`, which the connection calls when the socket says it
 * no longer reads the frame (`WebSocketLike.sendAndRelease`); where a socket cannot say, frames
 * are never released and every frame is new, as before.
 *
 * Sizes go in powers of two from 64 KiB to 2 MiB, so a frame holds at most twice its bytes;
 * smaller frames are cheap to allocate and larger ones rare, and neither is pooled.
 */

const SMALLEST_CLASS = 16; // 64 KiB
const LARGEST_CLASS = 21; // 2 MiB
/** Idle buffers kept across all sizes; beyond this a released buffer is left to the collector. */
const MAX_IDLE_BYTES = 8 * 1024 * 1024;

/** The power of two that holds `bytes` (bytes ≥ 2): 16 for 64 KiB, 17 for 64 KiB + 1 … 128 KiB. */
const sizeClassOf = (bytes: number): number => 32 - Math.clz32(bytes - 1);

export class FrameBuffers {
  private readonly idle: ArrayBuffer[][] = Array.from({ length: LARGEST_CLASS + 1 }, () => []);
  private idleBytes = 0;
  /**
   * Each buffer that is out (taken, not yet released), with the one frame it was handed out as:
   * only that frame gives it back, so a late second release of an earlier frame from the same
   * buffer cannot free it while a newer frame in it is in flight.
   */
  private readonly out = new WeakMap<ArrayBuffer, Uint8Array>();

  /** A buffer of exactly `size` bytes, its contents undefined (the encoder writes every byte). */
  take(size: number): Uint8Array {
    if (size < 1 << SMALLEST_CLASS || size > 1 << LARGEST_CLASS) return new Uint8Array(size);
    const sizeClass = sizeClassOf(size);
    const reused = this.idle[sizeClass]!.pop();
    if (reused) this.idleBytes -= reused.byteLength;
    const buffer = reused ?? new ArrayBuffer(1 << sizeClass);
    const frame = new Uint8Array(buffer, 0, size);
    this.out.set(buffer, frame);
    return frame;
  }

  /** Gives back a frame from `take`; anything else, or a frame given back already, is ignored. */
  release(frame: Uint8Array): void {
    const buffer = frame.buffer as ArrayBuffer;
    if (this.out.get(buffer) !== frame) return;
    this.out.delete(buffer);
    const sizeClass = sizeClassOf(buffer.byteLength);
    // Frame sizes drift (a writer's batches follow its acknowledgements): buffers of the size in
    // use now displace idle ones of other sizes rather than being dropped for want of room.
    while (this.idleBytes + buffer.byteLength > MAX_IDLE_BYTES && this.dropIdleOtherThan(sizeClass)) {}
    if (this.idleBytes + buffer.byteLength > MAX_IDLE_BYTES) return;
    this.idle[sizeClass]!.push(buffer);
    this.idleBytes += buffer.byteLength;
  }

  /** Leaves one idle buffer of the size class holding the most idle bytes, but `kept`, to the collector. */
  private dropIdleOtherThan(kept: number): boolean {
    let largest = -1;
    for (let c = SMALLEST_CLASS; c <= LARGEST_CLASS; c++) {
      if (c === kept || this.idle[c]!.length === 0) continue;
      if (largest < 0 || this.idle[c]!.length << c > this.idle[largest]!.length << largest) largest = c;
    }
    if (largest < 0) return false;
    this.idleBytes -= this.idle[largest]!.pop()!.byteLength;
    return true;
  }

  /** Bytes held idle (for tests). */
  get idleByteCount(): number {
    return this.idleBytes;
  }
}

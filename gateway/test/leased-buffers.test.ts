/**
 * Leased buffers (store replies, clients' messages) come back for reuse only when every keeper let
 * go, never earlier: a buffer handed out again while a run or a payload still views it would change
 * events already read or not yet written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeasedBuffers } from '../src/leased-buffers.js';

const KiB = 1024;

describe('LeasedBuffers', () => {
  it('pools only sizes above half its buffer size, up to it', () => {
    const pool = new LeasedBuffers(64 * KiB, 4);
    for (const size of [10, 32 * KiB, 64 * KiB + 1]) {
      const b = pool.alloc(size);
      expect(b.length).toBe(size);
      expect(pool.leaseOf(b)).toBeUndefined();
    }
    const b = pool.alloc(40 * KiB);
    expect(b.length).toBe(40 * KiB);
    expect(b.buffer.byteLength).toBe(64 * KiB);
    pool.leaseOf(b)!.release();
    expect(pool.idle).toBe(1);
    expect(pool.alloc(64 * KiB).buffer).toBe(b.buffer);
    expect(pool.reused).toBe(1);
  });

  it('gives a buffer back after its last keeper only, and a late release never frees its next use', () => {
    fc.assert(
      fc.property(fc.nat({ max: 6 }), fc.nat({ max: 4 }), (keepers, extraReleases) => {
        const pool = new LeasedBuffers(64 * KiB, 4);
        const reply = pool.alloc(50 * KiB);
        const lease = pool.leaseOf(reply.subarray(100, 2000))!; // runs are views of the reply
        for (let i = 0; i < keepers; i++) lease.hold();
        lease.release(); // the decoder's hold, dropped once the reply was handled
        for (let i = 0; i < keepers; i++) {
          expect(pool.idle).toBe(0);
          lease.release();
        }
        expect(pool.idle).toBe(1);
        expect(pool.leaseOf(reply)).toBeUndefined();
        for (let i = 0; i < extraReleases; i++) lease.release();
        expect(pool.idle).toBe(1);
        // The next reply in the same buffer has a lease of its own: the old one is spent.
        const next = pool.alloc(50 * KiB);
        expect(next.buffer).toBe(reply.buffer);
        lease.hold();
        lease.release();
        expect(pool.idle).toBe(0);
        expect(pool.leaseOf(next)).not.toBe(lease);
      }),
    );
  });

  it('keeps at most maxFree idle buffers', () => {
    const pool = new LeasedBuffers(64 * KiB, 2);
    const replies = [1, 2, 3].map(() => pool.alloc(60 * KiB));
    for (const r of replies) pool.leaseOf(r)!.release();
    expect(pool.idle).toBe(2);
  });
});

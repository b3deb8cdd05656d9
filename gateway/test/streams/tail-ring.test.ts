import { describe, expect, it } from 'vitest';
import { TailRing } from '../../src/streams/tail-ring.js';
import { type EventRun, runEnd } from '../../src/wire/index.js';
import { eventsOf, runOf } from '../helpers/runs.js';

/** A run of `count` events of `size` payload bytes from `offset`, the i-th filled with i. */
function run(offset: bigint, count: number, size = 10): EventRun {
  return runOf(
    offset,
    Array.from({ length: count }, (_, i) => new Uint8Array(size).fill(i)),
  );
}

/** `r` as the parser hands it out: a view of a reply buffer of `replyBytes` it sits at the start of. */
function inReply(r: EventRun, replyBytes: number): EventRun {
  const reply = new Uint8Array(replyBytes);
  reply.set(r.bytes);
  return { offset: r.offset, bytes: reply.subarray(0, r.bytes.length), count: r.count };
}

const offsets = (runs: EventRun[]) => eventsOf(runs).map((e) => e.offset);

describe('TailRing', () => {
  it('holds whole events from start to end and hands them out from any boundary', () => {
    const ring = new TailRing(100n);
    expect(ring.holds(100n)).toBe(true);
    const a = run(100n, 5);
    ring.append([a], runEnd(a));
    expect(ring.start).toBe(100n);
    expect(ring.end).toBe(runEnd(a));
    expect(ring.bytes).toBe(5 * 18);
    expect(ring.holds(118n)).toBe(true);
    expect(ring.holds(119n)).toBe(false); // not an event boundary
    expect(ring.holds(runEnd(a) + 18n)).toBe(false); // beyond the end
    expect(offsets(ring.take(118n, 1 << 20, undefined))).toEqual([118n, 136n, 154n, 172n]);
    expect(ring.take(119n, 1 << 20, undefined)).toEqual([]);
    // Never at or after the end offset.
    expect(offsets(ring.take(100n, 1 << 20, 154n))).toEqual([100n, 118n, 136n]);
    expect(offsets(ring.take(100n, 1 << 20, 150n))).toEqual([100n, 118n, 136n]); // 136 starts before 150
  });

  it('hands out whole runs up to the byte budget, at least one', () => {
    const ring = new TailRing(0n);
    const runs = [run(0n, 2), run(36n, 3), run(90n, 1)];
    ring.append(runs, runEnd(runs[2]!));
    expect(offsets(ring.take(0n, 1, undefined))).toEqual([0n, 18n]);
    expect(offsets(ring.take(0n, 5 * 18, undefined))).toEqual([0n, 18n, 36n, 54n, 72n]);
    expect(offsets(ring.take(18n, 4 * 18, undefined))).toEqual([18n, 36n, 54n, 72n]);
    expect(offsets(ring.take(54n, 1 << 20, undefined))).toEqual([54n, 72n, 90n]);
  });

  it('evicts the oldest runs down to the cap but never one that ends after keepFrom', () => {
    const ring = new TailRing(0n);
    const a = run(0n, 10);
    ring.append([a], runEnd(a));
    const b = run(runEnd(a), 10);
    ring.append([b], runEnd(b));
    expect(ring.evict(5 * 18, runEnd(a))).toBe(10 * 18);
    expect(ring.start).toBe(runEnd(a));
    expect(ring.holds(0n)).toBe(false);
    expect(ring.bytes).toBe(10 * 18);
    // A run's memory goes with the whole run: over the cap, the whole run goes.
    expect(ring.evict(5 * 18, runEnd(b))).toBe(10 * 18);
    expect(ring.start).toBe(runEnd(b));
    expect(ring.evict(0, runEnd(b))).toBe(0);
    expect(ring.holds(runEnd(b))).toBe(true); // empty: subscribers at the end wait there
  });

  it('keeps a copy, not a view of the reply buffer, of a run that fills little of it', () => {
    const parsed = inReply(run(0n, 3), 64 * 1024);
    const ring = new TailRing(0n);
    expect(ring.append([parsed], runEnd(parsed))).toBe(3 * 18);
    const [held] = ring.take(0n, 1 << 20, undefined);
    expect(Buffer.from(held!.bytes).equals(Buffer.from(parsed.bytes))).toBe(true);
    expect(held!.bytes.buffer).not.toBe(parsed.bytes.buffer);
    expect(held!.bytes.buffer.byteLength).toBe(3 * 18);
    expect(ring.bytes).toBe(3 * 18);
  });

  it('keeps a run that fills its reply as a view, counting the whole reply buffer', () => {
    // 1,000 events filling a 1 MiB-ish reply but for a partial event at its end (7 KiB).
    const size = 1016;
    const parsed = inReply(run(0n, 1000, size), 1000 * (size + 8) + 7 * 1024);
    const ring = new TailRing(0n);
    const reply = parsed.bytes.buffer.byteLength;
    expect(ring.append([parsed], runEnd(parsed))).toBe(reply);
    expect(ring.bytes).toBe(reply);
    const held = ring.take(0n, 1 << 30, undefined);
    expect(held).toHaveLength(1);
    expect(held[0]!.bytes.buffer).toBe(parsed.bytes.buffer);
    expect(held[0]!.count).toBe(1000);
    // Its memory goes with it.
    expect(ring.evict(0, runEnd(parsed))).toBe(reply);
    expect(ring.bytes).toBe(0);
  });

  it('holds the lease of a run it keeps as a view until it evicts or resets it, and none of one it copies', () => {
    const counts = { held: 0 };
    const lease = { hold: () => counts.held++, release: () => counts.held-- };
    const size = 1016;
    const big = { ...inReply(run(0n, 100, size), 100 * (size + 8) + 100), lease };
    const ring = new TailRing(0n);
    ring.append([big], runEnd(big));
    expect(counts.held).toBe(1);
    const small = { ...inReply(run(runEnd(big), 2), 64 * 1024), lease };
    ring.append([small], runEnd(small));
    expect(counts.held).toBe(1); // copied: the reply may be reused at once
    expect(ring.take(runEnd(big), 1 << 20, undefined)[0]!.lease).toBeUndefined();
    ring.evict(0, runEnd(small));
    expect(counts.held).toBe(0);
    ring.append([{ ...big, offset: runEnd(small) }], runEnd(small) + BigInt(big.bytes.length));
    expect(counts.held).toBe(1);
    ring.reset(0n);
    expect(counts.held).toBe(0);
  });

  it('finds the run holding an offset among many small ones (tail reads)', () => {
    const ring = new TailRing(0n);
    let at = 0n;
    for (let i = 0; i < 500; i++) {
      const r = run(at, 1 + (i % 3));
      ring.append([r], runEnd(r));
      at = runEnd(r);
    }
    const all = offsets(ring.take(0n, 1 << 30, undefined));
    expect(all).toHaveLength(999); // 1, 2, 3, 1, 2, 3, … events a run
    for (const o of [all[1]!, all[499]!, all[998]!]) {
      expect(ring.holds(o)).toBe(true);
      expect(offsets(ring.take(o, 1 << 30, undefined))).toEqual(all.slice(all.indexOf(o)));
    }
  });

  it('resets to a new offset (truncation, a moved ring)', () => {
    const ring = new TailRing(0n);
    const a = run(0n, 3);
    ring.append([a], runEnd(a));
    expect(ring.reset(1000n)).toBe(3 * 18);
    expect(ring.start).toBe(1000n);
    expect(ring.end).toBe(1000n);
    expect(ring.bytes).toBe(0);
    expect(ring.holds(0n)).toBe(false);
  });
});

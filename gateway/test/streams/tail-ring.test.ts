import { describe, expect, it } from 'vitest';
import { eventBytes, TailRing } from '../../src/streams/tail-ring.js';

/**
 * Events of `size` payload bytes laid out from `offset`, as a segment holds them and as the
 * parser hands them out: views of one reply buffer that they fill (headers included).
 */
function events(offset: bigint, count: number, size = 10) {
  const reply = new Uint8Array(count * (size + 8));
  const out: Array<{ offset: bigint; payload: Uint8Array }> = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    const from = i * (size + 8) + 8;
    const e = { offset: at, payload: reply.subarray(from, from + size).fill(i) };
    out.push(e);
    at += BigInt(eventBytes(e));
  }
  return { events: out, next: at };
}

describe('TailRing', () => {
  it('holds whole events from start to end and hands them out from any boundary', () => {
    const ring = new TailRing(100n);
    expect(ring.holds(100n)).toBe(true);
    const a = events(100n, 5);
    ring.append(a.events, a.next);
    expect(ring.start).toBe(100n);
    expect(ring.end).toBe(a.next);
    expect(ring.bytes).toBe(5 * 18);
    expect(ring.holds(118n)).toBe(true);
    expect(ring.holds(119n)).toBe(false); // not an event boundary
    expect(ring.holds(a.next + 18n)).toBe(false); // beyond the end
    expect(ring.take(118n, 1 << 20, undefined).map((e) => e.offset)).toEqual([118n, 136n, 154n, 172n]);
    // At least one event, then up to the byte budget.
    expect(ring.take(118n, 1, undefined)).toHaveLength(1);
    expect(ring.take(118n, 36, undefined)).toHaveLength(2);
    // Never at or after the end offset.
    expect(ring.take(100n, 1 << 20, 154n).map((e) => e.offset)).toEqual([100n, 118n, 136n]);
  });

  it('evicts the oldest batches down to the cap but never the batch just read', () => {
    const ring = new TailRing(0n);
    const a = events(0n, 10);
    ring.append(a.events, a.next);
    const b = events(a.next, 10);
    ring.append(b.events, b.next);
    expect(ring.evict(5 * 18, a.next)).toBe(10 * 18);
    expect(ring.start).toBe(a.next);
    expect(ring.holds(0n)).toBe(false);
    expect(ring.bytes).toBe(10 * 18);
    // A batch's memory goes with its last event: over the cap, the whole batch goes.
    expect(ring.evict(5 * 18, b.next)).toBe(10 * 18);
    expect(ring.start).toBe(b.next);
    expect(ring.evict(0, b.next)).toBe(0);
    expect(ring.holds(b.next)).toBe(true); // empty: subscribers at the end wait there
  });

  it('keeps copies, not views of the reply buffer, and counts the memory it holds', () => {
    // Three events parsed out of one 64 KiB reply buffer, as the event parser hands them out.
    const reply = new Uint8Array(64 * 1024).fill(7);
    const parsed = [0, 1, 2].map((i) => ({ offset: BigInt(i * 18), payload: reply.subarray(i * 18 + 8, i * 18 + 18) }));
    const ring = new TailRing(0n);
    expect(ring.append(parsed, 54n)).toBe(3 * 18);
    const held = ring.take(0n, 1 << 20, undefined);
    expect(held.map((e) => [...e.payload])).toEqual(parsed.map((e) => [...e.payload]));
    for (const e of held) {
      expect(e.payload.buffer).not.toBe(reply.buffer);
      expect(e.payload.buffer.byteLength).toBe(30); // one right-sized copy for the batch
    }
    expect(ring.bytes).toBe(3 * 18);
  });

  it('keeps views of a reply its events fill (no copy), counting the whole reply buffer', () => {
    // 1,000 events filling a 1 MiB-ish reply but for a partial event at its end (7 KiB).
    const size = 1016;
    const reply = new Uint8Array(1000 * (size + 8) + 7 * 1024);
    const parsed = Array.from({ length: 1000 }, (_, i) => ({
      offset: BigInt(i * (size + 8)),
      payload: reply.subarray(i * (size + 8) + 8, (i + 1) * (size + 8)),
    }));
    const ring = new TailRing(0n);
    expect(ring.append(parsed, BigInt(1000 * (size + 8)))).toBe(reply.byteLength);
    expect(ring.bytes).toBe(reply.byteLength);
    const held = ring.take(0n, 1 << 30, undefined);
    expect(held).toHaveLength(1000);
    for (const e of held) expect(e.payload.buffer).toBe(reply.buffer);
    // Its memory goes with the last of its events.
    expect(ring.evict(0, BigInt(1000 * (size + 8)))).toBe(reply.byteLength);
    expect(ring.bytes).toBe(0);
  });

  it('keeps an event completed across two replies (a buffer of its own) as a batch of its own', () => {
    const a = events(0n, 4);
    const completed = { offset: a.next, payload: new Uint8Array(10).fill(9) }; // its own buffer
    const ring = new TailRing(0n);
    ring.append([...a.events, completed], a.next + 18n);
    expect(ring.bytes).toBe(5 * 18);
    expect(ring.take(0n, 1 << 20, undefined).map((e) => e.payload[0])).toEqual([0, 1, 2, 3, 9]);
  });

  it('resets to a new offset (truncation, a moved ring)', () => {
    const ring = new TailRing(0n);
    const a = events(0n, 3);
    ring.append(a.events, a.next);
    expect(ring.reset(1000n)).toBe(3 * 18);
    expect(ring.start).toBe(1000n);
    expect(ring.end).toBe(1000n);
    expect(ring.bytes).toBe(0);
    expect(ring.holds(0n)).toBe(false);
  });
});

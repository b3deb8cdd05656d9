import { describe, expect, it } from 'vitest';
import { FramePool, FramesInFlight } from '../../src/sessions/frame-pool.js';

describe('FramePool', () => {
  it('pools only frames of more than half a buffer, up to a whole one', () => {
    const pool = new FramePool(1024, 4);
    expect(pool.pools(512)).toBe(false);
    expect(pool.pools(513)).toBe(true);
    expect(pool.pools(1024)).toBe(true);
    expect(pool.pools(1025)).toBe(false);
    expect(pool.take(100).buffer.byteLength).toBe(100);
    const frame = pool.take(600);
    expect(frame.length).toBe(600);
    expect(frame.buffer.byteLength).toBe(1024);
  });

  it('hands a given-back buffer out again, and keeps at most maxFree idle', () => {
    const pool = new FramePool(1024, 2);
    const frames = [pool.take(700), pool.take(800), pool.take(900)];
    for (const f of frames) pool.give(f);
    expect(pool.freeBuffers).toBe(2);
    const again = pool.take(1000);
    expect(frames.map((f) => f.buffer)).toContain(again.buffer);
    pool.give(new Uint8Array(100)); // not the pool's size: ignored
    expect(pool.freeBuffers).toBe(1);
  });
});

describe('FramesInFlight', () => {
  it('returns each pooled frame once the socket wrote it, in send order', () => {
    const pool = new FramePool(1024, 8);
    const inFlight = new FramesInFlight(pool);
    const a = pool.take(600);
    const b = pool.take(600);
    inFlight.onSent(a, true);
    inFlight.onSent(new Uint8Array(10), false);
    inFlight.onSent(b, true);
    inFlight.onWritten(undefined);
    expect(pool.freeBuffers).toBe(1);
    expect(pool.take(600).buffer).toBe(a.buffer);
    inFlight.onWritten(undefined);
    expect(pool.freeBuffers).toBe(0); // the small frame's callback frees nothing
    inFlight.onWritten(undefined);
    expect(pool.take(600).buffer).toBe(b.buffer);
  });

  it('after a failed write returns nothing more: a later frame may be reported before an earlier one', () => {
    const pool = new FramePool(1024, 8);
    const inFlight = new FramesInFlight(pool);
    const a = pool.take(600);
    const b = pool.take(600);
    inFlight.onSent(a, true);
    inFlight.onSent(b, true);
    inFlight.onWritten(new Error('socket closed')); // b's callback, while a is still being written
    inFlight.onWritten(undefined);
    const c = pool.take(600);
    inFlight.onSent(c, true);
    inFlight.onWritten(undefined);
    expect(pool.freeBuffers).toBe(0);
  });
});

/**
 * WriteCoalescer: the writes of one turn of the event loop reach the stream's sink as one
 * vectored write, in order; a later turn's writes are a write of their own.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WriteCoalescer } from '../src/write-coalescer.js';

/** A sink that records each call it gets: one entry per write or writev, with its chunks. */
function recordingSink() {
  const calls: string[][] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      done();
    },
  });
  return { sink, calls };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WriteCoalescer', () => {
  it("sends one turn's writes as one vectored write, in order, and the next turn's as another", async () => {
    const { sink, calls } = recordingSink();
    const coalescer = new WriteCoalescer(sink);
    for (const word of ['a', 'b', 'c']) {
      coalescer.hold();
      sink.write(word);
    }
    // Writes made from promise callbacks of the same turn join them.
    await Promise.resolve();
    coalescer.hold();
    sink.write('d');
    expect(calls).toEqual([]);
    await nextTurn();
    expect(calls).toEqual([['a', 'b', 'c', 'd']]);
    coalescer.hold();
    sink.write('e');
    await nextTurn();
    expect(calls).toEqual([['a', 'b', 'c', 'd'], ['e']]);
    expect(sink.writableCorked).toBe(0);
  });

  it('leaves nothing corked when the stream ends within the turn', async () => {
    const { sink, calls } = recordingSink();
    const coalescer = new WriteCoalescer(sink);
    coalescer.hold();
    sink.write('last');
    const finished = new Promise<void>((resolve) => sink.on('finish', () => resolve()));
    sink.end();
    await finished;
    await nextTurn();
    expect(calls.flat()).toEqual(['last']);
    expect(sink.writableCorked).toBe(0);
  });
});

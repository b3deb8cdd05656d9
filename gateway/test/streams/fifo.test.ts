import { Fifo } from '@sluice/proto/fifo.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('Fifo', () => {
  it('behaves as an array used as a queue, for any mix of pushes and shifts', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant('shift' as const)), { maxLength: 5_000 }), (ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        for (const op of ops) {
          if (op === 'shift') expect(fifo.shift()).toBe(model.shift());
          else {
            fifo.push(op);
            model.push(op);
          }
          expect(fifo.length).toBe(model.length);
          expect(fifo.isEmpty).toBe(model.length === 0);
          expect(fifo.peek()).toBe(model[0]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps no reference to what was taken', () => {
    const fifo = new Fifo<object>();
    for (let i = 0; i < 3_000; i++) fifo.push({ i });
    for (let i = 0; i < 2_000; i++) fifo.shift();
    // Every slot still in the backing array holds a live item or nothing.
    const slots = (fifo as unknown as { items: Array<object | undefined> }).items;
    expect(slots.filter((s) => s !== undefined)).toHaveLength(1_000);
    expect(fifo.peek()).toEqual({ i: 2_000 });
  });
});

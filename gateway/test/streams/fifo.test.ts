import { Fifo } from '@sluice/proto/fifo.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('Fifo', () => {
  it('behaves as an array used as a queue, for any mix of pushes, shifts, front replacements and take-alls, read from both ends', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { arbitrary: fc.integer(), weight: 10 },
            { arbitrary: fc.constant('shift' as const), weight: 6 },
            { arbitrary: fc.constant('replace' as const), weight: 2 },
            { arbitrary: fc.constant('takeAll' as const), weight: 1 },
          ),
          { maxLength: 5_000 },
        ),
        (ops) => {
          const fifo = new Fifo<number>();
          let model: number[] = [];
          for (const op of ops) {
            if (op === 'shift') expect(fifo.shift()).toBe(model.shift());
            else if (op === 'replace') {
              if (model.length === 0) expect(() => fifo.replaceFront(-1)).toThrow();
              else {
                fifo.replaceFront(-model[0]! - 1);
                model[0] = -model[0]! - 1;
              }
            } else if (op === 'takeAll') {
              expect(fifo.takeAll()).toEqual(model);
              model = [];
            } else {
              fifo.push(op);
              model.push(op);
            }
            expect(fifo.length).toBe(model.length);
            expect(fifo.isEmpty).toBe(model.length === 0);
            expect(fifo.peek()).toBe(model[0]);
            if (model.length > 0) expect(fifo.at(model.length - 1)).toBe(model.at(-1));
            expect(fifo.at(model.length)).toBeUndefined();
          }
          expect(fifo.takeAll()).toEqual(model);
          expect(fifo.isEmpty).toBe(true);
        },
      ),
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

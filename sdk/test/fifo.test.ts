/** Fifo against an array as the model: any mix of push, shift, peek and drain agrees. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../src/writer/fifo.js';

const op = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 3000 }) }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 3000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), count: fc.constant(0) }) },
);

describe('Fifo', () => {
  it('behaves as an array used as a queue', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        let next = 0;
        for (const { kind, count } of ops) {
          if (kind === 'push') {
            for (let i = 0; i < count; i++) {
              fifo.push(next);
              model.push(next++);
            }
          } else if (kind === 'shift') {
            const got: Array<number | undefined> = [];
            const want: Array<number | undefined> = [];
            for (let i = 0; i < count; i++) {
              got.push(fifo.peek(), fifo.shift());
              want.push(model[0], model.shift());
            }
            expect(got).toEqual(want);
          } else {
            expect(fifo.drain()).toEqual(model.splice(0));
          }
          expect(fifo.size).toBe(model.length);
          expect(fifo.peek()).toBe(model[0]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * Cutting runs of events (wire/event-run.ts) against a model, the list of their events: every
 * piece holds whole events, the pieces put together are the run, and each cut falls where the
 * credit, the end offset or the boundary says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutBefore, runEnd, runFrom, runPayloadBytes, splitRun } from '../../src/wire/index.js';
import { eventsOf, runOf } from '../helpers/runs.js';

const payloads = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 30 });
const start = fc.oneof(fc.constant(0n), fc.bigInt({ min: (1n << 53n) - 500n, max: (1n << 53n) + 500n }));
const same = (a: { offset: bigint; payload: Uint8Array }[], b: { offset: bigint; payload: Uint8Array }[]) =>
  expect(a.map((e) => [e.offset, [...e.payload]])).toEqual(b.map((e) => [e.offset, [...e.payload]]));

describe('event runs', () => {
  it('splitRun takes events while both limits are above what was taken, at least one', () => {
    fc.assert(
      fc.property(
        payloads,
        start,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 600 }),
        (ps, at, maxEvents, maxBytes) => {
          const run = runOf(at, ps);
          const events = eventsOf([run]);
          const [taken, rest] = splitRun(run, maxEvents, maxBytes);
          let n = 0;
          let bytes = 0;
          do bytes += ps[n++]!.length;
          while (n < maxEvents && bytes < maxBytes && n < ps.length);
          same(eventsOf([taken]), events.slice(0, n));
          expect(runPayloadBytes(taken)).toBe(bytes);
          if (n === ps.length) expect(rest).toBeUndefined();
          else {
            same(eventsOf([rest!]), events.slice(n));
            expect(rest!.offset).toBe(runEnd(taken));
            expect(runEnd(rest!)).toBe(runEnd(run));
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('splitRun stops once the byte limit is reached exactly, even before an empty event', () => {
    const run = runOf(0n, [new Uint8Array(9), new Uint8Array(0)]);
    const [taken, rest] = splitRun(run, 2, 9);
    expect(taken.count).toBe(1);
    expect(rest?.count).toBe(1);
    expect(splitRun(run, 2, 10)[0]).toBe(run);
  });

  it('cutBefore keeps the events that start before the end offset', () => {
    fc.assert(
      fc.property(payloads, start, fc.integer({ min: -20, max: 1500 }), (ps, at, past) => {
        const run = runOf(at, ps);
        const end = at + BigInt(past);
        const kept = eventsOf([run]).filter((e) => e.offset < end);
        const cut = cutBefore(run, end);
        if (kept.length === 0) expect(cut).toBeUndefined();
        else same(eventsOf([cut!]), kept);
      }),
      { numRuns: 2_000 },
    );
  });

  it('runFrom starts at an event boundary and nowhere else', () => {
    fc.assert(
      fc.property(payloads, start, fc.integer({ min: -20, max: 1500 }), (ps, at, past) => {
        const run = runOf(at, ps);
        const offset = at + BigInt(past);
        const events = eventsOf([run]);
        const i = events.findIndex((e) => e.offset === offset);
        const from = runFrom(run, offset);
        if (i < 0) expect(from).toBeUndefined();
        else same(eventsOf([from!]), events.slice(i));
      }),
      { numRuns: 2_000 },
    );
  });
});

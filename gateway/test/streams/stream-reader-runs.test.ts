/**
 * The stream reader's handling of runs, driven by hand: whatever the runs and however the credit
 * comes, the client gets every event once and in order, never more events than it granted, and
 * the reply buffers stay held while a run of them is queued or being encoded — and are let go
 * once it was (a buffer let go early is reused for the next reply and corrupts queued events).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SegmentReaderListener, SegmentSource } from '../../src/segmentstore/segment-reader.js';
import type { SegmentRef } from '../../src/segmentstore/segment-ref.js';
import { type DeliveredRun, type ReaderSink, StreamReader } from '../../src/streams/stream-reader.js';
import type { EventRun } from '../../src/wire/index.js';
import { eventsOf, runOf } from '../helpers/runs.js';

/** A lease that counts its holds and fails the test on a release too many. */
class CountingLease {
  count = 1; // the segment reader's hold while it hands the reply over
  hold(): void {
    this.count++;
  }
  release(): void {
    if (--this.count < 0) throw new Error('released more than held');
  }
}

/** One segment's source: the test delivers runs when the reader wants more. */
class FakeSource implements SegmentSource {
  nextOffset = 0n;
  isEnded = false;
  closed = false;
  constructor(
    readonly segment: SegmentRef,
    readonly listener: SegmentReaderListener,
  ) {}
  resume(): void {}
  close(): void {
    this.closed = true;
  }
}

const stepArb = fc.oneof(
  {
    arbitrary: fc.record({ grant: fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6_000 })) }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ deliver: fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 25 }) }),
    weight: 2,
  },
  { arbitrary: fc.constant({ close: true as const }), weight: 1 },
);

describe('StreamReader with runs', () => {
  it('delivers every event once, in order, within the credit, holding each reply until its runs are encoded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
        let source: FakeSource | undefined;
        /** Each reply's lease and the index in `sent` just after its last event. */
        const replies: Array<{ lease: CountingLease; end: number }> = [];
        const sent: Array<{ offset: bigint; payload: number[] }> = [];
        const encoded: Array<{ offset: bigint; payload: number[] }> = [];
        let closed = false;
        const sink: ReaderSink = {
          onRuns(runs: DeliveredRun[]) {
            for (const { run } of runs) {
              // Encoding happens now: the run's buffer must still be held.
              const lease = run.lease as CountingLease;
              expect(lease.count).toBeGreaterThan(0);
              for (const e of eventsOf([run])) encoded.push({ offset: e.offset, payload: [...e.payload] });
            }
          },
          onSegmentsChanged() {},
          onTruncated() {},
          onEnd() {},
          onError(err) {
            throw err;
          },
        };
        const tails = {
          open: (ref: SegmentRef, _offset: bigint, _end: bigint | undefined, listener: SegmentReaderListener) => {
            source = new FakeSource(ref, listener);
            return source;
          },
        };
        const reader = new StreamReader(
          {} as never,
          {} as never,
          { debug() {} } as never,
          [{ scope: 's', stream: 't' }],
          sink,
          tails as never,
        );
        await reader.open({ type: 'position', streams: [{ active: new Map([[0n, 0n]]), future: new Map() }] }, []);
        let grantedEvents = 0;
        for (const step of steps) {
          if (closed) break;
          if ('grant' in step) {
            grantedEvents += step.grant[0];
            reader.grant(step.grant[0], step.grant[1]);
          } else if ('deliver' in step) {
            if (!source!.listener.wantsMore(source!)) continue; // a real reader would not read now
            const payloads = step.deliver.map((n, i) => new Uint8Array(n).fill((sent.length + i) & 0xff));
            const run: EventRun = { ...runOf(source!.nextOffset, payloads), lease: new CountingLease() };
            for (const e of eventsOf([run])) sent.push({ offset: e.offset, payload: [...e.payload] });
            source!.nextOffset += BigInt(run.bytes.length);
            replies.push({ lease: run.lease as CountingLease, end: sent.length });
            source!.listener.onRuns(source!, [run]);
            (run.lease as CountingLease).release(); // the segment reader's hold, after the call
          } else {
            reader.close();
            closed = true;
          }
          await Promise.resolve(); // the reader's microtasks (credit lent, end checks)
          expect(encoded.length).toBeLessThanOrEqual(grantedEvents);
          // A reply is held exactly while some of its events are not encoded yet (until close).
          for (const { lease, end } of replies) {
            if (closed) continue;
            if (encoded.length < end) expect(lease.count).toBeGreaterThan(0);
            else expect(lease.count).toBe(0);
          }
        }
        // Everything encoded is what was sent, in order, once.
        expect(encoded).toEqual(sent.slice(0, encoded.length));
        if (!closed) reader.close();
        // Closed: every reply is let go.
        for (const { lease } of replies) expect(lease.count).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

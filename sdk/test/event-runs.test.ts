/**
 * Runs of events from the gateway: `RunEvents` hands out exactly the events a run holds, with
 * exact offsets (past 2^53 too), and a run that is not whole events is a `protocol` error when
 * its frame is decoded, never events cut from the wrong place.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { type EventRun, EventRunSchema, ServerFrameSchema } from '@sluice/proto/sluice/v1/gateway_pb.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRun, RunEvents } from '../src/protocol/event-runs.js';
import { decodeServerFrame } from '../src/protocol/frames.js';

/** Events stored back to back: [int32 type][int32 length][payload]. */
function stored(payloads: Uint8Array[], type = 0): Uint8Array {
  return Buffer.concat(
    payloads.flatMap((p) => {
      const header = Buffer.alloc(8);
      header.writeInt32BE(type, 0);
      header.writeInt32BE(p.length, 4);
      return [header, p];
    }),
  );
}

const runOf = (streamIndex: number, segmentId: bigint, offset: bigint, payloads: Uint8Array[]): EventRun =>
  create(EventRunSchema, { streamIndex, segmentId, offset, events: stored(payloads) });

const frameOf = (runs: EventRun[]) =>
  toBinary(ServerFrameSchema, create(ServerFrameSchema, { kind: { case: 'eventRuns', value: { channel: 3, runs } } }));

const runSpec = fc.record({
  streamIndex: fc.nat({ max: 3 }),
  segmentId: fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }),
  offset: fc.oneof(
    fc.bigInt({ min: 0n, max: 1n << 40n }),
    fc.bigInt({ min: (1n << 53n) - 300n, max: (1n << 53n) + 300n }),
  ),
  payloads: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 10 }),
});

describe('RunEvents', () => {
  it('hands out every event of every run in order, with its stream, segment and exact offset', () => {
    fc.assert(
      fc.property(fc.array(runSpec, { maxLength: 5 }), (specs) => {
        const frame = decodeServerFrame(
          frameOf(specs.map((s) => runOf(s.streamIndex, s.segmentId, s.offset, s.payloads))),
        );
        expect(frame.kind.case).toBe('eventRuns');
        if (frame.kind.case !== 'eventRuns') return;
        const expected = specs.flatMap((s) => {
          let at = s.offset;
          return s.payloads.map((p) => {
            const e = [s.streamIndex, s.segmentId, at, [...p]];
            at += BigInt(8 + p.length);
            return e;
          });
        });
        const got = [];
        const events = new RunEvents(frame.kind.value.runs);
        while (events.next()) got.push([events.streamIndex, events.segmentId, events.offset, [...events.payload]]);
        expect(got).toEqual(expected);
        expect(events.next()).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('checkRun', () => {
  it('accepts whole events and rejects a cut, a lying length or another type', () => {
    const ok = runOf(0, 1n, 0n, [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(4)]);
    expect(checkRun(ok)).toBeUndefined();
    // Events of 3, 0 and 1 bytes end at 11, 19 and 28: only those prefixes are whole events.
    for (let length = 0; length <= ok.events.length; length++) {
      const prefix = create(EventRunSchema, { segmentId: 1n, events: ok.events.subarray(0, length) });
      if ([0, 11, 19, 28].includes(length)) expect(checkRun(prefix)).toBeUndefined();
      else expect(checkRun(prefix)).toMatch(/ends inside an event header|past the end/);
    }
    const lying = stored([Uint8Array.of(1, 2, 3)]);
    new DataView(lying.buffer, lying.byteOffset).setInt32(4, 4);
    expect(checkRun(create(EventRunSchema, { events: lying }))).toMatch(/past the end/);
    expect(checkRun(create(EventRunSchema, { events: stored([Uint8Array.of(1)], 3) }))).toMatch(/type 3/);
  });

  it('makes a frame holding a malformed run a protocol error', () => {
    const bad = create(EventRunSchema, { segmentId: 2n, events: stored([Uint8Array.of(1, 2, 3)]).subarray(0, 9) });
    expect(() => decodeServerFrame(frameOf([runOf(0, 1n, 0n, [Uint8Array.of(9)]), bad]))).toThrowError(
      expect.objectContaining({ code: 'protocol' }),
    );
  });
});

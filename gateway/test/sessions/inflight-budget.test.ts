/**
 * The in-flight budget's rules, over random interleavings of appends from several sessions and
 * acknowledgements in any order (fast-check): the gateway's and each session's accounts never
 * pass their limits; a session's socket is paused exactly while something of it waits; every
 * session's messages are handled in the order they arrived; and once everything is acknowledged
 * everything was delivered, every account is back at 0 and no socket is paused. The writers here
 * charge what they are given and free it when told, as AccountedWriter does with Pravega's
 * acknowledgements (the integration test, inflight-budget.test.ts, runs the real ones).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppendBatch } from '../../src/sessions/append-frame.js';
import { InflightBudget } from '../../src/sessions/inflight-budget.js';
import { SessionInflight } from '../../src/sessions/session-inflight.js';
import { inflightCost } from '../../src/streams/inflight-account.js';

const TOTAL = 4_000;
const PER_SESSION = 1_500;

interface Model {
  budget: InflightBudget;
  sessions: Array<{
    inflight: SessionInflight;
    paused: boolean;
    sent: number[];
    handled: number[];
  }>;
  /** Delivered batches not yet acknowledged: which session, what they cost. */
  unacked: Array<{ session: number; cost: number }>;
  heldBytes: number;
}

function model(sessions: number): Model {
  const m: Model = {
    budget: undefined as unknown as InflightBudget,
    sessions: [],
    unacked: [],
    heldBytes: 0,
  };
  m.budget = new InflightBudget(TOTAL, PER_SESSION, {
    pushedBack() {},
    heldBytes: (delta) => {
      m.heldBytes += delta;
    },
  });
  const batches = new Map<number, AppendBatch>();
  let nextId = 0;
  for (let s = 0; s < sessions; s++) {
    const state = {
      paused: false,
      sent: [] as number[],
      handled: [] as number[],
      inflight: undefined as unknown as SessionInflight,
    };
    // A writer: takes the batch and charges it to the session's account until acknowledged.
    const target = {
      append: (batch: AppendBatch) => {
        const cost = inflightCost(batch.payloads);
        state.inflight.account.add(cost);
        m.unacked.push({ session: s, cost });
        state.handled.push(batch.channel);
      },
    };
    // What a session does with a message: decode (here: look up) and admit or hold it.
    const onMessage = (data: Buffer) => {
      const batch = batches.get(data.readUInt32LE(0))!;
      if (state.inflight.admit(batch, target)) target.append(batch);
    };
    state.inflight = new SessionInflight(
      m.budget,
      {
        pause: () => {
          state.paused = true;
        },
        resume: () => {
          state.paused = false;
        },
      },
      () => {},
      onMessage,
      (err) => {
        throw err;
      },
    );
    m.sessions.push(state);
    // The socket's message event, as session.ts handles it.
    (state as unknown as { receive: (sizes: number[]) => void }).receive = (sizes) => {
      const id = nextId++;
      batches.set(id, { channel: id, firstSequence: 0, payloads: sizes.map((n) => new Uint8Array(n)), keys: [] });
      state.sent.push(id);
      const data = Buffer.alloc(4);
      data.writeUInt32LE(id);
      if (state.inflight.holding) state.inflight.hold(data, true);
      else onMessage(data);
    };
  }
  return m;
}

const receive = (m: Model, s: number, sizes: number[]) =>
  (m.sessions[s] as unknown as { receive: (sizes: number[]) => void }).receive(sizes);

function ack(m: Model, index: number): void {
  const [{ session, cost }] = m.unacked.splice(index % m.unacked.length, 1) as [{ session: number; cost: number }];
  m.sessions[session]!.inflight.account.add(-cost);
}

function checkInvariants(m: Model): void {
  expect(m.budget.total.used).toBeLessThanOrEqual(TOTAL);
  for (const s of m.sessions) {
    expect(s.inflight.account.used).toBeLessThanOrEqual(PER_SESSION);
    expect(s.paused).toBe(s.inflight.holding);
    expect(s.handled).toEqual(s.sent.slice(0, s.handled.length));
  }
}

/** Lets the budget's retries (queued as microtasks) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const step = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      session: fc.nat(3),
      // Each frame's cost stays within one session's budget, as the configuration requires.
      sizes: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), index: fc.nat() }) },
);

describe('in-flight budget', () => {
  it('never passes a limit, keeps each session in order, and pauses exactly while something waits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 120 }), async (steps) => {
        const m = model(4);
        for (const s of steps) {
          if (s.kind === 'append') receive(m, s.session, s.sizes);
          else if (m.unacked.length > 0) ack(m, s.index);
          await settle();
          checkInvariants(m);
        }
        // Pravega acknowledges everything, in whatever order: everything gets through.
        while (m.unacked.length > 0) {
          ack(m, 0);
          await settle();
          checkInvariants(m);
        }
        for (const s of m.sessions) {
          expect(s.handled).toEqual(s.sent);
          expect(s.paused).toBe(false);
          expect(s.inflight.account.used).toBe(0);
        }
        expect(m.budget.total.used).toBe(0);
        expect(m.budget.waitingSessions).toBe(0);
        expect(m.heldBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('lets go of what waits when its session closes', async () => {
    const m = model(2);
    receive(m, 0, [1_000]);
    receive(m, 0, [1_000]); // over the session's 1,500: held, socket paused
    receive(m, 0, [10]); // behind it
    expect(m.sessions[0]!.paused).toBe(true);
    expect(m.heldBytes).toBe(1_004); // the blocked frame's payload and the 4-byte message behind it
    m.sessions[0]!.inflight.close();
    expect(m.sessions[0]!.paused).toBe(false);
    expect(m.heldBytes).toBe(0);
    expect(m.budget.waitingSessions).toBe(0);
    ack(m, 0);
    await settle();
    expect(m.sessions[0]!.handled).toHaveLength(1);
    expect(m.budget.total.used).toBe(0);
  });
});

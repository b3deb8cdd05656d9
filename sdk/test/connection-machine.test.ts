/**
 * The connection's state machine, row by row as in sdk/SPEC.md ("Connection"): every phase ×
 * event pair has a row (the last test checks that none is missing), and properties over random
 * runs of failures: the backoff never starts over while failures continue, `maxAttempts` holds on
 * the first connect as on reconnects, and there is never more than one attempt at a time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Action,
  initialState,
  type MachineEnv,
  type MachineEvent,
  type MachineState,
  type Phase,
  publicState,
  step,
} from '../src/client/connection-machine.js';
import { SluiceError } from '../src/errors.js';

const NOW = 1_000_000;
const env: MachineEnv = {
  now: NOW,
  random: () => 0.5,
  options: {
    baseMs: 100,
    maxMs: 10_000,
    firstConnectAttempts: 3,
    maxAttempts: 5,
    handshakeTimeoutMs: 9_000,
    stableMs: 10_000,
  },
};
/** The delay full jitter gives with random() = 0.5 at a backoff step. */
const half = (step: number) => Math.floor(0.5 * Math.min(10_000, 100 * 2 ** step));

const unavailable = new SluiceError('unavailable', 'connection refused');
const events = {
  start: { type: 'start' },
  opened: { type: 'opened' },
  openFailed: { type: 'open-failed', error: unavailable },
  welcome: { type: 'welcome' },
  closed1006: { type: 'socket-closed', code: 1006, reason: '' },
  closed1001: { type: 'socket-closed', code: 1001, reason: 'gateway shutting down' },
  closed1002: { type: 'socket-closed', code: 1002, reason: 'protocol version 9 is not supported (2 is)' },
  closed4001: { type: 'socket-closed', code: 4001, reason: 'unauthenticated: "exp" claim timestamp check failed' },
  goingAway: { type: 'going-away', reason: 'gateway shutting down' },
  fault: { type: 'fault', error: new SluiceError('unavailable', 'the gateway stopped answering pings') },
  timer: { type: 'timer' },
  close: { type: 'close' },
} satisfies Record<string, MachineEvent>;

function at(phase: Phase, overrides: Partial<MachineState> = {}): MachineState {
  return { ...initialState, phase, everLive: phase === 'live', ...overrides };
}

/** An action as the table writes it: its type, and the fields that matter for the row. */
type Expected = { type: Action['type']; [field: string]: unknown };

interface Row {
  name: string;
  from: MachineState;
  event: MachineEvent;
  to: Phase;
  actions: Expected[];
  /** Fields of the new state the row pins. */
  state?: Partial<MachineState>;
  /** The code of the error the connection closed (or disconnected) with. */
  error?: string;
}

const closeSocket = (code: number) => ({ type: 'close-socket' as const, code });
const timer = (ms: number) => ({ type: 'set-timer' as const, ms });

const rows: Row[] = [
  // idle
  {
    name: 'start opens a socket, under the handshake deadline',
    from: at('idle'),
    event: events.start,
    to: 'opening',
    actions: [{ type: 'open-socket' }, timer(9_000)],
  },
  {
    name: 'close before start',
    from: at('idle'),
    event: events.close,
    to: 'closed',
    actions: [{ type: 'clear-timer' }, { type: 'closed' }],
    error: 'cancelled',
  },
  // opening
  {
    name: 'upgrade done: Hello',
    from: at('opening'),
    event: events.opened,
    to: 'handshaking',
    actions: [{ type: 'send-hello' }],
  },
  {
    name: 'unreachable or refused before the upgrade: back off',
    from: at('opening'),
    event: events.openFailed,
    to: 'waiting',
    actions: [timer(half(0))],
    state: { failures: 1, backoffStep: 1 },
  },
  {
    name: 'first connect: the last allowed attempt fails',
    from: at('opening', { failures: 2, backoffStep: 2 }),
    event: events.openFailed,
    to: 'closed',
    actions: [{ type: 'clear-timer' }, { type: 'closed' }],
    error: 'unavailable',
  },
  {
    name: 'a non-retriable open failure (bad URL) is fatal',
    from: at('opening'),
    event: { type: 'open-failed', error: new SluiceError('invalid-argument', 'bad url') },
    to: 'closed',
    actions: [{ type: 'clear-timer' }, { type: 'closed' }],
    error: 'invalid-argument',
  },
  {
    name: 'no upgrade in time',
    from: at('opening'),
    event: events.timer,
    to: 'waiting',
    actions: [closeSocket(4000), timer(half(0))],
    state: { failures: 1 },
  },
  {
    name: 'close while opening',
    from: at('opening'),
    event: events.close,
    to: 'closed',
    actions: [{ type: 'clear-timer' }, closeSocket(1000), { type: 'closed' }],
    error: 'cancelled',
  },
  // handshaking
  {
    name: 'Welcome: live',
    from: at('handshaking', { failures: 2, backoffStep: 4 }),
    event: events.welcome,
    to: 'live',
    actions: [{ type: 'clear-timer' }, { type: 'go-live' }],
    state: { failures: 0, backoffStep: 4, everLive: true, liveSince: NOW },
  },
  {
    name: 'closed before Welcome: one loop, backoff grows',
    from: at('handshaking', { failures: 1, backoffStep: 1 }),
    event: events.closed1006,
    to: 'waiting',
    actions: [timer(half(1))],
    state: { failures: 2, backoffStep: 2 },
  },
  {
    name: 'protocol mismatch (1002 before Welcome) is fatal',
    from: at('handshaking'),
    event: events.closed1002,
    to: 'closed',
    actions: [{ type: 'clear-timer' }, { type: 'closed' }],
    error: 'protocol',
  },
  {
    name: 'token refused (4001 before Welcome) is fatal',
    from: at('handshaking', { everLive: true }),
    event: events.closed4001,
    to: 'closed',
    actions: [{ type: 'clear-timer' }, { type: 'closed' }],
    error: 'unauthenticated',
  },
  {
    name: 'going away before Welcome: again at once',
    from: at('handshaking'),
    event: events.closed1001,
    to: 'waiting',
    actions: [timer(0)],
    state: { failures: 1, backoffStep: 0, lastImmediateAt: NOW },
  },
  {
    name: 'going away again within stableMs: the backoff applies',
    from: at('handshaking', { lastImmediateAt: NOW - 1_000 }),
    event: events.closed1001,
    to: 'waiting',
    actions: [timer(half(0))],
    state: { backoffStep: 1 },
  },
  {
    name: 'GoingAway frame before Welcome',
    from: at('handshaking'),
    event: events.goingAway,
    to: 'waiting',
    actions: [closeSocket(1000), timer(0)],
    state: { failures: 1 },
  },
  {
    name: 'undecodable frame before Welcome',
    from: at('handshaking'),
    event: events.fault,
    to: 'waiting',
    actions: [closeSocket(4000), timer(half(0))],
    state: { failures: 1 },
  },
  {
    name: 'no Welcome in time',
    from: at('handshaking'),
    event: events.timer,
    to: 'waiting',
    actions: [closeSocket(4000), timer(half(0))],
    state: { failures: 1 },
  },
  {
    name: 'reconnect: the last allowed attempt fails',
    from: at('handshaking', { everLive: true, failures: 4, backoffStep: 9 }),
    event: events.closed1006,
    to: 'closed',
    actions: [{ type: 'clear-timer' }, { type: 'closed' }],
    error: 'unavailable',
  },
  {
    name: 'close while handshaking',
    from: at('handshaking'),
    event: events.close,
    to: 'closed',
    actions: [{ type: 'clear-timer' }, closeSocket(1000), { type: 'closed' }],
    error: 'cancelled',
  },
  // live
  {
    name: 'lost after a short session: the backoff goes on growing',
    from: at('live', { liveSince: NOW - 1_000, backoffStep: 3 }),
    event: events.closed1006,
    to: 'waiting',
    actions: [{ type: 'disconnected' }, timer(half(3))],
    state: { failures: 0, backoffStep: 4 },
    error: 'unavailable',
  },
  {
    name: 'lost after a stable session: the backoff starts over',
    from: at('live', { liveSince: NOW - 10_000, backoffStep: 3 }),
    event: events.closed1006,
    to: 'waiting',
    actions: [{ type: 'disconnected' }, timer(half(0))],
    state: { backoffStep: 1 },
    error: 'unavailable',
  },
  {
    name: 'closed 1001 (gateway shutting down): again at once',
    from: at('live', { liveSince: NOW - 1_000, backoffStep: 3 }),
    event: events.closed1001,
    to: 'waiting',
    actions: [{ type: 'disconnected' }, timer(0)],
    state: { backoffStep: 3, lastImmediateAt: NOW },
  },
  {
    name: 'token expired (4001 while live): reconnect with a fresh token',
    from: at('live', { liveSince: NOW - 20_000 }),
    event: events.closed4001,
    to: 'waiting',
    actions: [{ type: 'disconnected' }, timer(half(0))],
    error: 'unavailable',
  },
  {
    name: 'protocol error while live: reconnect, the error reported',
    from: at('live', { liveSince: NOW - 20_000 }),
    event: events.closed1002,
    to: 'waiting',
    actions: [{ type: 'disconnected' }, timer(half(0))],
    error: 'protocol',
  },
  {
    name: 'GoingAway frame: leave and reconnect at once',
    from: at('live', { liveSince: NOW - 1_000, backoffStep: 2 }),
    event: events.goingAway,
    to: 'waiting',
    actions: [closeSocket(1000), { type: 'disconnected' }, timer(0)],
    state: { lastImmediateAt: NOW, backoffStep: 2 },
  },
  {
    name: 'no pong: drop the socket, back off',
    from: at('live', { liveSince: NOW - 1_000, backoffStep: 1 }),
    event: events.fault,
    to: 'waiting',
    actions: [closeSocket(4000), { type: 'disconnected' }, timer(half(1))],
    state: { backoffStep: 2 },
  },
  {
    name: 'close while live',
    from: at('live'),
    event: events.close,
    to: 'closed',
    actions: [{ type: 'clear-timer' }, closeSocket(1000), { type: 'closed' }],
    error: 'cancelled',
  },
  // waiting
  {
    name: 'backoff over: the next attempt',
    from: at('waiting', { failures: 1, backoffStep: 1 }),
    event: events.timer,
    to: 'opening',
    actions: [{ type: 'open-socket' }, timer(9_000)],
    state: { failures: 1, backoffStep: 1 },
  },
  {
    name: 'close while waiting',
    from: at('waiting'),
    event: events.close,
    to: 'closed',
    actions: [{ type: 'clear-timer' }, { type: 'closed' }],
    error: 'cancelled',
  },
];

/** Pairs that change nothing (stale events, or events that cannot happen in that phase). */
const ignored: Record<Phase, Array<keyof typeof events>> = {
  idle: ['opened', 'openFailed', 'welcome', 'closed1006', 'goingAway', 'fault', 'timer'],
  opening: ['start', 'welcome', 'closed1006', 'goingAway', 'fault'],
  handshaking: ['start', 'opened', 'openFailed'],
  live: ['start', 'opened', 'openFailed', 'welcome', 'timer'],
  waiting: ['start', 'opened', 'openFailed', 'welcome', 'closed1006', 'goingAway', 'fault'],
  closed: Object.keys(events) as Array<keyof typeof events>,
};

function pick(action: Action, expected: Expected): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(expected)) out[key] = (action as unknown as Record<string, unknown>)[key];
  return out;
}

describe('connection state machine', () => {
  it.each(rows)('$from.phase: $name', (row) => {
    const { state, actions } = step(row.from, row.event, env);
    expect(state.phase).toBe(row.to);
    expect(actions.map((a, i) => pick(a, row.actions[i] ?? { type: a.type }))).toEqual(row.actions);
    if (row.state) expect(state).toMatchObject(row.state);
    if (row.error) {
      const withError = actions.find((a) => a.type === 'closed' || a.type === 'disconnected') as
        | { error: SluiceError }
        | undefined;
      expect(withError?.error).toBeInstanceOf(SluiceError);
      expect(withError?.error.code).toBe(row.error);
      if (row.to === 'closed') expect(state.error?.code).toBe(row.error);
    }
  });

  it.each((Object.keys(ignored) as Phase[]).flatMap((phase) => ignored[phase].map((event) => ({ phase, event }))))(
    '$phase: $event changes nothing',
    ({ phase, event }) => {
      const from = at(phase, { failures: 1, backoffStep: 2 });
      expect(step(from, events[event], env)).toEqual({ state: from, actions: [] });
    },
  );

  it('has a row for every phase × event', () => {
    const covered = new Set([
      ...rows.map((r) => `${r.from.phase}/${r.event.type}`),
      ...(Object.keys(ignored) as Phase[]).flatMap((p) => ignored[p].map((e) => `${p}/${events[e].type}`)),
    ]);
    const phases: Phase[] = ['idle', 'opening', 'handshaking', 'live', 'waiting', 'closed'];
    const types = [...new Set(Object.values(events).map((e) => e.type))];
    const missing = phases.flatMap((p) => types.map((t) => `${p}/${t}`)).filter((k) => !covered.has(k));
    expect(missing).toEqual([]);
  });

  it('shows connecting before the first Welcome and reconnecting after', () => {
    expect(publicState(at('waiting'))).toBe('connecting');
    expect(publicState(at('waiting', { everLive: true }))).toBe('reconnecting');
    expect(publicState(at('handshaking', { everLive: true }))).toBe('reconnecting');
    expect(publicState(at('live'))).toBe('live');
    expect(publicState(at('closed', { everLive: true }))).toBe('closed');
  });
});

/** Each way an attempt fails before Welcome. */
const failedAttempts: MachineEvent[][] = [
  [events.openFailed],
  [events.timer],
  [events.opened, events.closed1006],
  [events.opened, events.timer],
  [events.opened, events.fault],
];
const attemptFailure = fc.constantFrom(...failedAttempts);
/** …and a session welcomed, then dropped before it was stable: still a failure for the backoff. */
const failure = fc.constantFrom(...failedAttempts, [events.opened, events.welcome, events.closed1006]);

/** Runs `events` from `state`, advancing the clock by each timer's delay; returns what happened. */
function run(start: MachineState, script: MachineEvent[][], maxAttempts = 5, firstConnectAttempts = 3) {
  let state = start;
  let now = NOW;
  const opened: number[] = [];
  const waits: number[] = [];
  let socketsOpen = 0;
  let maxOpen = 0;
  const options = { ...env.options, maxAttempts, firstConnectAttempts };
  const feed = (event: MachineEvent) => {
    const t = step(state, event, { now, random: () => 0.999, options });
    for (const a of t.actions) {
      if (a.type === 'open-socket') {
        opened.push(now);
        socketsOpen++;
        maxOpen = Math.max(maxOpen, socketsOpen);
      }
      if (a.type === 'close-socket') socketsOpen = Math.max(0, socketsOpen - 1);
      if (a.type === 'set-timer' && t.state.phase === 'waiting') waits.push(a.ms);
    }
    // A socket that closed or failed on its own is gone too.
    if (event.type === 'socket-closed' || event.type === 'open-failed') socketsOpen = Math.max(0, socketsOpen - 1);
    state = t.state;
  };
  feed(events.start);
  for (const attempt of script) {
    if (state.phase === 'closed') break;
    for (const e of attempt) {
      if (e.type === 'socket-closed' && state.phase === 'live') now += 1_000; // a short session
      feed(e);
    }
    if (state.phase === 'waiting') {
      now += waits.at(-1) ?? 0;
      feed(events.timer);
    }
  }
  return { state, opened, waits, maxOpen };
}

describe('connection state machine, over random runs of failures', () => {
  it('never starts the backoff over while failures continue, and runs one attempt at a time', () => {
    fc.assert(
      fc.property(fc.array(failure, { minLength: 1, maxLength: 40 }), (script) => {
        const { waits, maxOpen } = run(at('idle', { everLive: true }), script, Number.POSITIVE_INFINITY);
        // random() = 0.999: each wait is just under its ceiling, which doubles up to maxMs.
        for (let i = 1; i < waits.length; i++) expect(waits[i]!).toBeGreaterThanOrEqual(Math.min(waits[i - 1]!, 9_990));
        expect(waits.at(-1)).toBe(Math.floor(0.999 * Math.min(10_000, 100 * 2 ** (waits.length - 1))));
        expect(maxOpen).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  it('gives up after maxAttempts failed attempts in a row, on the first connect as on reconnects', () => {
    fc.assert(
      fc.property(
        fc.array(attemptFailure, { minLength: 20, maxLength: 20 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        (attempts, maxAttempts, everLive) => {
          const { state, opened } = run(at('idle', { everLive }), attempts, maxAttempts, maxAttempts);
          expect(state.phase).toBe('closed');
          expect(state.error?.code).toBe('unavailable');
          expect(opened).toHaveLength(maxAttempts);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * The connection's lifecycle as a pure function: (state, event) → (state, actions). It owns every
 * decision — when to open a socket, how long to wait, when to give up, which closures are fatal —
 * and does no I/O; `Connection` performs the actions and feeds the events back, one at a time.
 * The table in sdk/SPEC.md ("Connection") is this function; sdk/test/connection-machine.test.ts
 * checks it row by row.
 *
 * One owner, one loop: there is exactly one attempt at a time and one timer (the handshake
 * deadline while an attempt runs, the backoff while waiting), so a socket that closes during the
 * handshake cannot start a second loop beside the first.
 */
import { SluiceError } from '../errors.js';
import { backoffDelay } from '../transport/backoff.js';

/**
 * idle: not started · opening: a socket is being opened (token, upgrade) · handshaking: Hello
 * sent, waiting for Welcome · live · waiting: backoff before the next attempt · closed: for good.
 */
export type Phase = 'idle' | 'opening' | 'handshaking' | 'live' | 'waiting' | 'closed';

export interface MachineOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Attempts in a row that may fail (not reach Welcome) before the first connect gives up. */
  readonly firstConnectAttempts: number;
  /** The same once the connection has been live (reconnects). */
  readonly maxAttempts: number;
  /** From opening a socket to Welcome. */
  readonly handshakeTimeoutMs: number;
  /** A session live this long before it ends resets the backoff; a shorter one does not. */
  readonly stableMs: number;
}

export interface MachineState {
  readonly phase: Phase;
  /** Reached Welcome at least once (public state 'reconnecting' rather than 'connecting'). */
  readonly everLive: boolean;
  /** Attempts in a row that did not reach Welcome. */
  readonly failures: number;
  /** Exponent of the next backoff delay: grows with every wait, reset only by a stable session. */
  readonly backoffStep: number;
  readonly liveSince: number;
  /** When a reconnect last skipped its backoff (a gateway going away); -∞ if never. */
  readonly lastImmediateAt: number;
  /** Why the last attempt failed, or why the connection closed. */
  readonly error: SluiceError | undefined;
}

export type MachineEvent =
  | { readonly type: 'start' }
  /** The upgrade succeeded. */
  | { readonly type: 'opened' }
  /** The socket never opened (unreachable, refused before the upgrade) or no token could be had. */
  | { readonly type: 'open-failed'; readonly error: SluiceError }
  | { readonly type: 'welcome' }
  /** The open socket closed, with the close frame's code and reason. */
  | { readonly type: 'socket-closed'; readonly code: number; readonly reason: string }
  /** The gateway said it is going away (GoingAway frame). */
  | { readonly type: 'going-away'; readonly reason: string }
  /** The socket is unusable though open: no pong for two intervals, or an undecodable frame. */
  | { readonly type: 'fault'; readonly error: SluiceError }
  /** The machine's one timer fired. */
  | { readonly type: 'timer' }
  /** The application closed the client (or aborted connect()). */
  | { readonly type: 'close'; readonly error?: SluiceError };

export type Action =
  /** Get a token and open a new socket (the current one, if any, was closed before). */
  | { readonly type: 'open-socket' }
  | { readonly type: 'send-hello' }
  /** Close the current socket and forget it: nothing it reports later counts. */
  | { readonly type: 'close-socket'; readonly code: number; readonly reason: string }
  /** (Re)arms the one timer. */
  | { readonly type: 'set-timer'; readonly ms: number }
  | { readonly type: 'clear-timer' }
  /** Welcome: pings start, waiters resolve, every channel (re)opens. */
  | { readonly type: 'go-live' }
  /** The live session ended: pings stop, admin calls in flight fail, channels wait. */
  | { readonly type: 'disconnected'; readonly error: SluiceError }
  /** For good: everything pending settles with `error`, every channel ends. */
  | { readonly type: 'closed'; readonly error: SluiceError };

export interface Transition {
  readonly state: MachineState;
  readonly actions: readonly Action[];
}

export interface MachineEnv {
  readonly now: number;
  readonly random: () => number;
  readonly options: MachineOptions;
}

/** WebSocket close codes the machine tells apart (gateway.proto lists the gateway's). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  serviceRestart: 1012,
  /** Client side: the socket is unusable (no pong, no Welcome in time, undecodable frame). */
  clientFault: 4000,
  unauthenticated: 4001,
} as const;

export const initialState: MachineState = {
  phase: 'idle',
  everLive: false,
  failures: 0,
  backoffStep: 0,
  liveSince: 0,
  lastImmediateAt: Number.NEGATIVE_INFINITY,
  error: undefined,
};

/** The state as the API shows it (`client.state`). */
export function publicState(state: MachineState): 'connecting' | 'live' | 'reconnecting' | 'closed' {
  if (state.phase === 'live') return 'live';
  if (state.phase === 'closed') return 'closed';
  return state.everLive ? 'reconnecting' : 'connecting';
}

const same = (state: MachineState): Transition => ({ state, actions: [] });

function describe(code: number, reason: string): string {
  return reason ? `${code} ${reason}` : String(code);
}

/** Ends the connection for good. */
function close(state: MachineState, error: SluiceError, socketOpen: boolean): Transition {
  const actions: Action[] = [{ type: 'clear-timer' }];
  if (socketOpen) actions.push({ type: 'close-socket', code: CloseCode.normal, reason: 'client closed' });
  actions.push({ type: 'closed', error });
  return { state: { ...state, phase: 'closed', error }, actions };
}

/**
 * The attempt failed (or the live session ended: `countsAsFailure` false): wait, then try again —
 * or give up when `maxAttempts` attempts in a row failed. `immediate` (a gateway going away) skips
 * the wait, at most once per `stableMs`, so that a gateway that keeps going away cannot make a
 * client spin.
 */
function retry(
  state: MachineState,
  env: MachineEnv,
  error: SluiceError,
  opts: { countsAsFailure: boolean; immediate?: boolean; before?: Action[] },
): Transition {
  const failures = opts.countsAsFailure ? state.failures + 1 : state.failures;
  const before = opts.before ?? [];
  if (failures >= (state.everLive ? env.options.maxAttempts : env.options.firstConnectAttempts)) {
    const gaveUp = new SluiceError(
      'unavailable',
      `gave up after ${failures} failed attempt${failures === 1 ? '' : 's'} to connect: ${error.message}`,
      { cause: error },
    );
    const closed = close({ ...state, failures }, gaveUp, false);
    return { state: closed.state, actions: [...before, ...closed.actions] };
  }
  const immediate = opts.immediate === true && env.now - state.lastImmediateAt >= env.options.stableMs;
  const ms = immediate ? 0 : backoffDelay(state.backoffStep, env.options, env.random);
  return {
    state: {
      ...state,
      phase: 'waiting',
      failures,
      error,
      backoffStep: immediate ? state.backoffStep : state.backoffStep + 1,
      lastImmediateAt: immediate ? env.now : state.lastImmediateAt,
    },
    actions: [...before, { type: 'set-timer', ms }],
  };
}

/** A socket closed before Welcome: the gateway refused the handshake, or it could not complete. */
function closedBeforeWelcome(state: MachineState, env: MachineEnv, code: number, reason: string): Transition {
  if (code === CloseCode.protocolError)
    return close(
      state,
      new SluiceError('protocol', `the gateway refused the handshake (${describe(code, reason)})`),
      false,
    );
  if (code === CloseCode.unauthenticated)
    return close(
      state,
      new SluiceError('unauthenticated', `the gateway refused the token (${describe(code, reason)})`),
      false,
    );
  const error = new SluiceError(
    'unavailable',
    `the gateway closed the connection before Welcome (${describe(code, reason)})`,
  );
  const immediate = code === CloseCode.goingAway || code === CloseCode.serviceRestart;
  return retry(state, env, error, { countsAsFailure: true, immediate });
}

/** The live session ended; the backoff starts over only if it had been stable. */
function liveEnded(
  state: MachineState,
  env: MachineEnv,
  error: SluiceError,
  opts: { immediate: boolean; before: Action[] },
): Transition {
  const stable = env.now - state.liveSince >= env.options.stableMs;
  const base = { ...state, failures: 0, backoffStep: stable ? 0 : state.backoffStep };
  return retry(base, env, error, {
    countsAsFailure: false,
    immediate: opts.immediate,
    before: [...opts.before, { type: 'disconnected', error }],
  });
}

export function step(state: MachineState, event: MachineEvent, env: MachineEnv): Transition {
  const { phase } = state;
  if (phase === 'closed') return same(state);
  if (event.type === 'close') {
    const error = event.error ?? new SluiceError('cancelled', 'the client is closed');
    return close(state, error, phase === 'opening' || phase === 'handshaking' || phase === 'live');
  }
  switch (phase) {
    case 'idle':
      if (event.type !== 'start') return same(state);
      return {
        state: { ...state, phase: 'opening' },
        actions: [{ type: 'open-socket' }, { type: 'set-timer', ms: env.options.handshakeTimeoutMs }],
      };

    case 'waiting':
      if (event.type !== 'timer') return same(state);
      return {
        state: { ...state, phase: 'opening' },
        actions: [{ type: 'open-socket' }, { type: 'set-timer', ms: env.options.handshakeTimeoutMs }],
      };

    case 'opening':
      switch (event.type) {
        case 'opened':
          return { state: { ...state, phase: 'handshaking' }, actions: [{ type: 'send-hello' }] };
        case 'open-failed':
          if (!event.error.retriable) return close(state, event.error, false);
          return retry(state, env, event.error, { countsAsFailure: true });
        case 'timer':
          return retry(
            state,
            env,
            new SluiceError('unavailable', `no connection within ${env.options.handshakeTimeoutMs} ms`),
            {
              countsAsFailure: true,
              before: [{ type: 'close-socket', code: CloseCode.clientFault, reason: 'connect timeout' }],
            },
          );
        default:
          return same(state);
      }

    case 'handshaking':
      switch (event.type) {
        case 'welcome':
          return {
            state: { ...state, phase: 'live', everLive: true, failures: 0, liveSince: env.now, error: undefined },
            actions: [{ type: 'clear-timer' }, { type: 'go-live' }],
          };
        case 'socket-closed':
          return closedBeforeWelcome(state, env, event.code, event.reason);
        case 'going-away':
          return retry(state, env, new SluiceError('unavailable', `the gateway is going away (${event.reason})`), {
            countsAsFailure: true,
            immediate: true,
            before: [{ type: 'close-socket', code: CloseCode.normal, reason: 'gateway going away' }],
          });
        case 'fault':
          return retry(state, env, event.error, {
            countsAsFailure: true,
            before: [{ type: 'close-socket', code: CloseCode.clientFault, reason: event.error.message.slice(0, 100) }],
          });
        case 'timer':
          return retry(
            state,
            env,
            new SluiceError('unavailable', `no Welcome within ${env.options.handshakeTimeoutMs} ms`),
            {
              countsAsFailure: true,
              before: [{ type: 'close-socket', code: CloseCode.clientFault, reason: 'no Welcome' }],
            },
          );
        default:
          return same(state);
      }

    case 'live':
      switch (event.type) {
        case 'socket-closed': {
          const code = event.code === CloseCode.protocolError ? 'protocol' : 'unavailable';
          const error = new SluiceError(code, `connection to the gateway lost (${describe(event.code, event.reason)})`);
          const immediate = event.code === CloseCode.goingAway || event.code === CloseCode.serviceRestart;
          return liveEnded(state, env, error, { immediate, before: [] });
        }
        case 'going-away':
          return liveEnded(state, env, new SluiceError('unavailable', `the gateway is going away (${event.reason})`), {
            immediate: true,
            before: [{ type: 'close-socket', code: CloseCode.normal, reason: 'gateway going away' }],
          });
        case 'fault':
          return liveEnded(state, env, event.error, {
            immediate: false,
            before: [{ type: 'close-socket', code: CloseCode.clientFault, reason: event.error.message.slice(0, 100) }],
          });
        default:
          return same(state);
      }
  }
}

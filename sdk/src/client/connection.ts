/**
 * One session with a gateway, kept alive across socket losses: Hello/Welcome, request/reply for
 * admin calls, routing of channel frames, application-level pings. Every lifecycle decision is
 * `step()`'s (connection-machine.ts, the table in sdk/SPEC.md); this class performs its actions
 * and feeds it events, one at a time, from the one socket it holds.
 */
import type { Reply, ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { SluiceError } from '../errors.js';
import {
  type ClientFrameKind,
  decodeServerFrame,
  encodeClientFrame,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
} from '../protocol/frames.js';
import type { BackoffOptions } from '../transport/backoff.js';
import { FrameBuffers } from '../transport/frame-buffers.js';
import { abortable, cancelled, systemTimers, type TimerHandle, type Timers, unref } from '../transport/timers.js';
import { createSocket, SUBPROTOCOL, type WebSocketConstructor, type WebSocketLike } from '../transport/websocket.js';
import {
  type Action,
  initialState,
  type MachineEvent,
  type MachineOptions,
  type MachineState,
  publicState,
  step,
} from './connection-machine.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** A channel (writer or reader) as the connection sees it. */
export interface ChannelHandler {
  /** The session is (again) live: (re)send the Open frame. */
  onLive(): void;
  onFrame(frame: ServerFrame['kind']): void;
  /** The socket is gone; the channel waits for onLive again. */
  onDisconnected(): void;
  /**
   * The connection ended for good: `cancelled` when the application closed the client, else why
   * (e.g. `unauthenticated`, `protocol`, `unavailable` after the last attempt). Everything the
   * channel has pending settles now.
   */
  onClosed(error: SluiceError): void;
}

export interface ConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  token?: string | (() => string | Promise<string>) | undefined;
  name: string;
  reconnect: BackoffOptions & { maxAttempts?: number };
  pingIntervalMs?: number;
  /** From opening a socket to Welcome; default 10 s. */
  handshakeTimeoutMs?: number;
  timers?: Timers;
  /** For tests of the backoff: the random source of its jitter. */
  random?: () => number;
}

type ReplyResult = Reply['result'];

/** Attempts of a first connect when `maxAttempts` is not given (once live: unlimited). */
export const FIRST_CONNECT_ATTEMPTS = 3;
/** A session live this long resets the backoff when it ends. */
const STABLE_MS = 10_000;
/** How long close() waits for the socket's closing handshake before it resolves anyway. */
const CLOSE_WAIT_MS = 2_000;
/** An event's payload limit when the gateway does not say (Pravega's Serializer.MAX_EVENT_SIZE). */
export const PRAVEGA_MAX_EVENT_BYTES = 8 * 1024 * 1024;

/** A JWT's exp (ms), read without verifying (the gateway verifies); undefined if none. */
function expiryOf(token: string): number | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const exp = (JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function base64url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

interface Waiter {
  resolve: () => void;
  reject: (e: SluiceError) => void;
}

export class Connection {
  defaultScope = '';
  maxMessageBytes = 1024 * 1024;
  /** The largest event the gateway takes (split into AppendPart frames); 0: one Append at most. */
  maxEventBytes = 0;
  /** The protocol version the gateway chose for the current session (from Welcome). */
  protocolVersion = 0;
  readonly timers: Timers;
  private machine: MachineState = initialState;
  private readonly machineOptions: MachineOptions;
  private readonly queue: MachineEvent[] = [];
  private dispatching = false;
  /** The one socket whose events count; replaced (and the old one ignored) on every attempt. */
  private ws: WebSocketLike | undefined;
  /** Sockets closed but not yet reported gone (close() waits for them). */
  private readonly lingering = new Set<WebSocketLike>();
  private lingerWaiters: Array<() => void> = [];
  /** Bumped whenever the current attempt is abandoned, so a token arriving late is dropped. */
  private attemptId = 0;
  private timer: TimerHandle | undefined;
  private readonly channels = new Map<number, ChannelHandler>();
  private nextChannel = 1;
  private nextRequest = 1;
  private readonly pending = new Map<number, { resolve: (r: ReplyResult) => void; reject: (e: SluiceError) => void }>();
  private readonly listeners = new Set<(state: ConnectionState, error?: SluiceError) => void>();
  private liveWaiters: Waiter[] = [];
  private pingTimer: TimerHandle | undefined;
  private lastPong = 0;
  private refreshTimer: TimerHandle | undefined;
  private token: string | undefined;
  private readonly frameBuffers = new FrameBuffers();

  constructor(private readonly opts: ConnectionOptions) {
    this.timers = opts.timers ?? systemTimers;
    const explicit = opts.reconnect.maxAttempts;
    this.machineOptions = {
      baseMs: opts.reconnect.baseMs ?? 100,
      maxMs: opts.reconnect.maxMs ?? 10_000,
      firstConnectAttempts: explicit === undefined ? FIRST_CONNECT_ATTEMPTS : Math.max(1, explicit),
      maxAttempts: explicit === undefined ? Number.POSITIVE_INFINITY : Math.max(1, explicit),
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
      stableMs: STABLE_MS,
    };
  }

  get state(): ConnectionState {
    return publicState(this.machine);
  }

  /** Why the connection closed (or the last attempt failed). */
  get error(): SluiceError | undefined {
    return this.machine.error;
  }

  /** Connects for the first time; rejects if the gateway cannot be reached within `maxAttempts`. */
  async start(signal?: AbortSignal): Promise<void> {
    const live = this.whenLive();
    const onAbort = () => this.dispatch({ type: 'close', error: cancelled(signal, 'connect()') });
    if (signal?.aborted) onAbort();
    else {
      signal?.addEventListener('abort', onAbort, { once: true });
      this.dispatch({ type: 'start' });
    }
    try {
      await live;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  onStateChange(listener: (state: ConnectionState, error?: SluiceError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the session is live (immediately if it is); rejects once it is closed for good. */
  whenLive(signal?: AbortSignal): Promise<void> {
    if (this.machine.phase === 'live') return Promise.resolve();
    if (this.machine.phase === 'closed') return Promise.reject(this.closedError());
    const waiting = new Promise<void>((resolve, reject) => this.liveWaiters.push({ resolve, reject }));
    return abortable(waiting, signal, 'waiting for the gateway');
  }

  openChannel(handler: ChannelHandler): number {
    const id = this.nextChannel++;
    if (this.machine.phase === 'closed') {
      const error = this.closedError();
      queueMicrotask(() => handler.onClosed(error));
      return id;
    }
    this.channels.set(id, handler);
    if (this.machine.phase === 'live') queueMicrotask(() => this.channels.get(id) === handler && handler.onLive());
    return id;
  }

  forgetChannel(id: number): void {
    this.channels.delete(id);
  }

  /** Sends a frame if the session is live; returns false (frame dropped) otherwise. */
  send(kind: ClientFrameKind): boolean {
    return this.sendEncoded(encodeClientFrame(kind));
  }

  /**
   * A buffer for a frame of `size` bytes that `sendEncoded` will send: a reused one when the
   * socket can say when it is done with what it sent, a new one otherwise.
   */
  frameBuffer(size: number): Uint8Array {
    return this.ws?.sendAndRelease ? this.frameBuffers.take(size) : new Uint8Array(size);
  }

  /** Sends a frame encoded already (the writer encodes its appends by hand); false if not live. */
  sendEncoded(frame: Uint8Array): boolean {
    const ws = this.ws;
    if (this.machine.phase !== 'live' || !ws) {
      this.frameBuffers.release(frame); // never left
      return false;
    }
    if (ws.sendAndRelease) ws.sendAndRelease(frame, () => this.frameBuffers.release(frame));
    else ws.send(frame);
    return true;
  }

  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  /** An admin call. Not retried after a socket loss: it fails with 'unavailable' and the caller decides. */
  async request(
    call: NonNullable<Extract<ClientFrameKind, { case: 'request' }>['value']['call']>,
    signal?: AbortSignal,
  ): Promise<ReplyResult> {
    await this.whenLive(signal);
    const id = this.nextRequest++;
    return new Promise<ReplyResult>((resolve, reject) => {
      if (signal?.aborted) {
        reject(cancelled(signal, 'the request'));
        return;
      }
      const onAbort = () => {
        this.pending.delete(id);
        reject(cancelled(signal, 'the request'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          if (r.case === 'error') reject(SluiceError.fromWire(r.value));
          else resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      if (!this.send({ case: 'request', value: { id, call } })) {
        this.pending.get(id)?.reject(new SluiceError('unavailable', 'not connected to the gateway'));
        this.pending.delete(id);
      }
    });
  }

  /**
   * Closes for good: everything pending settles (`cancelled`), every channel ends. Resolves once
   * the socket finished closing (at most ~2 s: a gateway that does not answer the close is left).
   */
  async close(): Promise<void> {
    this.dispatch({ type: 'close' });
    if (this.lingering.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = this.timers.setTimeout(resolve, CLOSE_WAIT_MS);
      this.lingerWaiters.push(() => {
        this.timers.clearTimeout(timer);
        resolve();
      });
    });
  }

  // ---- the machine -----------------------------------------------------------------------

  /** Feeds one event to the machine; events raised while its actions run wait their turn. */
  private dispatch(event: MachineEvent): void {
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const before = publicState(this.machine);
        const { state, actions } = step(this.machine, next, {
          now: Date.now(),
          random: this.opts.random ?? Math.random,
          options: this.machineOptions,
        });
        this.machine = state;
        for (const action of actions) this.perform(action);
        const after = publicState(state);
        if (after !== before) for (const l of [...this.listeners]) l(after, state.error);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private perform(action: Action): void {
    switch (action.type) {
      case 'open-socket':
        void this.openSocket(++this.attemptId);
        return;
      case 'send-hello':
        this.ws?.send(
          encodeClientFrame({
            case: 'hello',
            value: {
              protocolVersion: MIN_PROTOCOL_VERSION,
              minProtocolVersion: MIN_PROTOCOL_VERSION,
              maxProtocolVersion: PROTOCOL_VERSION,
              clientName: this.opts.name,
            },
          }),
        );
        return;
      case 'close-socket':
        this.dropSocket(action.code, action.reason);
        return;
      case 'set-timer':
        this.clearTimer();
        this.timer = this.timers.setTimeout(() => {
          this.timer = undefined;
          this.dispatch({ type: 'timer' });
        }, action.ms);
        return;
      case 'clear-timer':
        this.clearTimer();
        return;
      case 'go-live':
        this.goLive();
        return;
      case 'disconnected':
        this.stopSessionTimers();
        this.failPending(new SluiceError('unavailable', action.error.message, { cause: action.error }));
        for (const ch of [...this.channels.values()]) ch.onDisconnected();
        return;
      case 'closed':
        this.onClosed(action.error);
        return;
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Closes the current socket (or abandons the attempt still getting a token) and forgets it. */
  private dropSocket(code: number, reason: string): void {
    this.attemptId++;
    const ws = this.ws;
    this.ws = undefined;
    if (!ws) return;
    try {
      ws.close(code, reason);
    } catch {
      ws.close();
    }
  }

  private async openSocket(attempt: number): Promise<void> {
    let token: string | undefined;
    try {
      token = typeof this.opts.token === 'function' ? await this.opts.token() : this.opts.token;
    } catch (err) {
      if (attempt === this.attemptId)
        this.dispatch({ type: 'open-failed', error: SluiceError.from(err, 'unavailable') });
      return;
    }
    if (attempt !== this.attemptId) return; // abandoned (closed or timed out) meanwhile
    const protocols = [SUBPROTOCOL];
    if (token) protocols.push(`bearer.${base64url(token)}`);
    this.token = token;
    let ws: WebSocketLike;
    try {
      ws = createSocket(this.opts.WebSocket, this.opts.url, protocols, {
        onOpen: () => {
          if (ws === this.ws) this.dispatch({ type: 'opened' });
        },
        onOpenFailed: (error) => {
          if (ws !== this.ws) return;
          this.ws = undefined;
          this.dispatch({ type: 'open-failed', error });
        },
        onMessage: (data) => {
          if (ws === this.ws) this.onMessage(data);
        },
        onClose: (code, reason) => {
          if (ws !== this.ws) return;
          this.ws = undefined;
          this.dispatch({ type: 'socket-closed', code, reason });
        },
        onGone: () => {
          this.lingering.delete(ws);
          if (this.lingering.size === 0) for (const wake of this.lingerWaiters.splice(0)) wake();
        },
      });
    } catch (err) {
      this.dispatch({ type: 'open-failed', error: SluiceError.from(err) });
      return;
    }
    this.lingering.add(ws);
    this.ws = ws;
  }

  private goLive(): void {
    this.startPing();
    if (this.token) this.scheduleRefresh(this.token);
    for (const w of this.liveWaiters.splice(0)) w.resolve();
    for (const ch of [...this.channels.values()]) ch.onLive();
  }

  private onClosed(error: SluiceError): void {
    this.stopSessionTimers();
    this.failPending(error);
    for (const w of this.liveWaiters.splice(0)) w.reject(error);
    const channels = [...this.channels.values()];
    this.channels.clear();
    for (const ch of channels) ch.onClosed(error);
  }

  private closedError(): SluiceError {
    return this.machine.error ?? new SluiceError('cancelled', 'the client is closed');
  }

  private onMessage(data: Uint8Array): void {
    let frame: ServerFrame;
    try {
      frame = decodeServerFrame(data);
    } catch (err) {
      this.dispatch({ type: 'fault', error: SluiceError.from(err, 'protocol') });
      return;
    }
    const kind = frame.kind;
    switch (kind.case) {
      case 'welcome': {
        const version = kind.value.protocolVersion;
        if (version < MIN_PROTOCOL_VERSION || version > PROTOCOL_VERSION) {
          // Only a gateway that ignored the offered range answers outside it: no retry will help.
          this.dispatch({
            type: 'close',
            error: new SluiceError(
              'protocol',
              `the gateway chose protocol version ${version}; this SDK speaks ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}`,
            ),
          });
          return;
        }
        this.protocolVersion = version;
        this.defaultScope = kind.value.defaultScope;
        this.maxMessageBytes = kind.value.maxMessageBytes || this.maxMessageBytes;
        this.maxEventBytes = kind.value.maxEventBytes;
        this.dispatch({ type: 'welcome' });
        return;
      }
      case 'goingAway':
        this.dispatch({ type: 'going-away', reason: kind.value.reason });
        return;
      case 'reply': {
        const p = this.pending.get(kind.value.id);
        if (p) {
          this.pending.delete(kind.value.id);
          p.resolve(kind.value.result);
        }
        return;
      }
      case 'pong':
        this.lastPong = Date.now();
        return;
      case undefined:
        return;
      default: {
        const channel = (kind.value as { channel: number }).channel;
        this.channels.get(channel)?.onFrame(kind);
      }
    }
  }

  /**
   * Refreshes the token in-band before it expires (when `token` is a function): at 80 % of its
   * remaining life.
   */
  private scheduleRefresh(token: string): void {
    if (this.refreshTimer !== undefined) this.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    const source = this.opts.token;
    const exp = expiryOf(token);
    if (typeof source !== 'function' || exp === undefined) return;
    const delayMs = Math.max(0, (exp - Date.now()) * 0.8);
    this.refreshTimer = this.timers.setTimeout(() => {
      this.refreshTimer = undefined;
      void (async () => {
        try {
          const fresh = await source();
          if (this.send({ case: 'authenticate', value: { token: fresh } })) {
            this.token = fresh;
            this.scheduleRefresh(fresh);
          }
        } catch {
          // the session ends at expiry and the reconnect asks for a token again
        }
      })();
    }, delayMs);
    unref(this.refreshTimer);
  }

  private failPending(err: SluiceError): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
  }

  private startPing(): void {
    const every = this.opts.pingIntervalMs ?? 15_000;
    this.lastPong = Date.now();
    this.pingTimer = this.timers.setInterval(() => {
      if (Date.now() - this.lastPong > every * 2) {
        this.dispatch({ type: 'fault', error: new SluiceError('unavailable', 'the gateway stopped answering pings') });
        return;
      }
      this.send({ case: 'ping', value: { nonce: BigInt(Date.now()) } });
    }, every);
    unref(this.pingTimer);
  }

  private stopSessionTimers(): void {
    if (this.pingTimer !== undefined) this.timers.clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    if (this.refreshTimer !== undefined) this.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }
}

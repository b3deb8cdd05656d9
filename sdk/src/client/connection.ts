/**
 * One session with a gateway, kept alive across socket losses: Hello/Welcome, request/reply for
 * admin calls, routing of channel frames, application-level pings, and reconnects with
 * full-jitter backoff after which every channel re-opens itself (see sdk/SPEC.md).
 */
import type { Reply, ServerFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import { SluiceError } from '../errors.js';
import { type ClientFrameKind, decodeServerFrame, encodeClientFrame, PROTOCOL_VERSION } from '../protocol/frames.js';
import { type BackoffOptions, backoffDelay, delay } from '../transport/backoff.js';
import { FrameBuffers } from '../transport/frame-buffers.js';
import { openSocket, SUBPROTOCOL, type WebSocketConstructor, type WebSocketLike } from '../transport/websocket.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** A channel (writer or reader) as the connection sees it. */
export interface ChannelHandler {
  /** The session is (again) live: (re)send the Open frame. */
  onLive(): void;
  onFrame(frame: ServerFrame['kind']): void;
  /** The socket is gone; the channel waits for onLive again. */
  onDisconnected(): void;
}

export interface ConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  token?: string | (() => string | Promise<string>) | undefined;
  name: string;
  reconnect: BackoffOptions & { maxAttempts?: number };
  pingIntervalMs?: number;
}

type ReplyResult = Reply['result'];

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

export class Connection {
  state: ConnectionState = 'connecting';
  defaultScope = '';
  maxMessageBytes = 1024 * 1024;
  private ws: WebSocketLike | undefined;
  private readonly channels = new Map<number, ChannelHandler>();
  private nextChannel = 1;
  private nextRequest = 1;
  private readonly pending = new Map<number, { resolve: (r: ReplyResult) => void; reject: (e: SluiceError) => void }>();
  private readonly listeners = new Set<(state: ConnectionState, error?: SluiceError) => void>();
  private welcome: { resolve: () => void; reject: (e: SluiceError) => void } | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastPong = Date.now();
  private liveWaiters: Array<() => void> = [];
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly frameBuffers = new FrameBuffers();

  constructor(private readonly opts: ConnectionOptions) {}

  /** Connects for the first time; rejects if the gateway cannot be reached after the allowed attempts. */
  async start(signal?: AbortSignal): Promise<void> {
    const attempts = Math.max(1, Math.min(this.opts.reconnect.maxAttempts ?? 3, 3));
    let last: SluiceError | undefined;
    for (let i = 0; i < attempts; i++) {
      try {
        await this.open();
        return;
      } catch (err) {
        last = SluiceError.from(err, 'unavailable');
        if (!last.retriable || signal?.aborted) break;
        await delay(backoffDelay(i, this.opts.reconnect), signal);
      }
    }
    this.setState('closed', last);
    throw last ?? new SluiceError('unavailable', 'cannot connect');
  }

  onStateChange(listener: (state: ConnectionState, error?: SluiceError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the session is live (immediately if it is). */
  whenLive(): Promise<void> {
    if (this.state === 'live') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new SluiceError('cancelled', 'the client is closed'));
    return new Promise((resolve) => this.liveWaiters.push(resolve));
  }

  openChannel(handler: ChannelHandler): number {
    const id = this.nextChannel++;
    this.channels.set(id, handler);
    if (this.state === 'live') queueMicrotask(() => handler.onLive());
    return id;
  }

  forgetChannel(id: number): void {
    this.channels.delete(id);
  }

  /** Sends a frame if the socket is open; returns false (frame dropped) otherwise. */
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
    if (this.state !== 'live' || !ws) {
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
    await this.whenLive();
    const id = this.nextRequest++;
    return new Promise<ReplyResult>((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(id);
        reject(new SluiceError('cancelled', 'request cancelled'));
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
        this.pending.delete(id);
        reject(new SluiceError('unavailable', 'not connected to the gateway'));
      }
    });
  }

  close(): void {
    if (this.state === 'closed') return;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.setState('closed');
    this.stopPing();
    this.ws?.close(1000, 'client closed');
    this.ws = undefined;
    this.failPending(new SluiceError('cancelled', 'the client is closed'));
    for (const wake of this.liveWaiters.splice(0)) wake();
  }

  // ---- internals -------------------------------------------------------------------------

  private async open(): Promise<void> {
    const protocols = [SUBPROTOCOL];
    const token = typeof this.opts.token === 'function' ? await this.opts.token() : this.opts.token;
    if (token) protocols.push(`bearer.${base64url(token)}`);
    const ws = await openSocket(this.opts.WebSocket, this.opts.url, protocols, {
      onMessage: (data) => this.onMessage(data),
      onClose: (code, reason) => this.onSocketClosed(ws, code, reason),
    });
    if (this.state === 'closed') {
      ws.close(1000);
      return;
    }
    this.ws = ws;
    const welcomed = new Promise<void>((resolve, reject) => {
      this.welcome = { resolve, reject };
    });
    ws.send(
      encodeClientFrame({ case: 'hello', value: { protocolVersion: PROTOCOL_VERSION, clientName: this.opts.name } }),
    );
    await welcomed;
    this.setState('live');
    if (token) this.scheduleRefresh(token);
    this.startPing();
    for (const wake of this.liveWaiters.splice(0)) wake();
    for (const ch of [...this.channels.values()]) ch.onLive();
  }

  private onMessage(data: Uint8Array): void {
    let frame: ServerFrame;
    try {
      frame = decodeServerFrame(data);
    } catch {
      this.ws?.close(1002, 'undecodable frame');
      return;
    }
    const kind = frame.kind;
    switch (kind.case) {
      case 'welcome':
        this.defaultScope = kind.value.defaultScope;
        this.maxMessageBytes = kind.value.maxMessageBytes || this.maxMessageBytes;
        this.welcome?.resolve();
        this.welcome = undefined;
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

  private onSocketClosed(ws: WebSocketLike, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.stopPing();
    const error = new SluiceError(
      code === 1002 ? 'protocol' : 'unavailable',
      `connection to the gateway lost (${code}${reason ? ` ${reason}` : ''})`,
    );
    this.welcome?.reject(error);
    this.welcome = undefined;
    this.failPending(error);
    for (const ch of this.channels.values()) ch.onDisconnected();
    if (this.state === 'closed') return;
    this.setState('reconnecting', error);
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    const max = this.opts.reconnect.maxAttempts ?? Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < max && this.state === 'reconnecting'; attempt++) {
      await delay(backoffDelay(attempt, this.opts.reconnect));
      if (this.state !== 'reconnecting') return;
      try {
        await this.open();
        return;
      } catch {
        // next attempt
      }
    }
    if (this.state === 'reconnecting') {
      const err = new SluiceError('unavailable', `gave up reconnecting to ${this.opts.url}`);
      this.setState('closed', err);
      for (const ch of this.channels.values())
        ch.onFrame({
          case: 'channelClosed',
          value: { channel: 0, error: { code: err.code, message: err.message } } as never,
        });
    }
  }

  /**
   * Refreshes the token in-band before it expires (when `token` is a function): at 80 % of its
   * remaining life.
   */
  private scheduleRefresh(token: string): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    const source = this.opts.token;
    const exp = expiryOf(token);
    if (typeof source !== 'function' || exp === undefined) return;
    const delayMs = Math.max(0, (exp - Date.now()) * 0.8);
    this.refreshTimer = setTimeout(() => {
      void (async () => {
        try {
          const fresh = await source();
          if (this.send({ case: 'authenticate', value: { token: fresh } })) this.scheduleRefresh(fresh);
        } catch {
          // the session ends at expiry and the reconnect asks for a token again
        }
      })();
    }, delayMs);
    (this.refreshTimer as { unref?: () => void }).unref?.();
  }

  private failPending(err: SluiceError): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private startPing(): void {
    const every = this.opts.pingIntervalMs ?? 15_000;
    this.lastPong = Date.now();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastPong > every * 2) {
        // The gateway stopped answering: treat the socket as dead.
        this.ws?.close(4000, 'ping timeout');
        return;
      }
      this.send({ case: 'ping', value: { nonce: BigInt(Date.now()) } });
    }, every);
    (this.pingTimer as { unref?: () => void }).unref?.();
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private setState(state: ConnectionState, error?: SluiceError): void {
    if (this.state === state) return;
    this.state = state;
    for (const l of this.listeners) l(state, error);
  }
}

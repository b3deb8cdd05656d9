/**
 * One WebSocket session: Hello first, then many channels (writers, readers) and admin calls on
 * one socket. A frame that does not decode closes this socket with 1002 and touches no other; a
 * failing channel closes only that channel.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ClientFrame } from '@sluice/proto/sluice/v1/gateway_pb.js';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Grant } from '../auth/grants.js';
import type { Principal } from '../auth/verifier.js';
import { GatewayError } from '../errors.js';
import { EVENT_HEADER_BYTES } from '../wire/index.js';
import { WriteCoalescer } from '../write-coalescer.js';
import { handleRequest } from './admin.js';
import { type AppendBatch, appendBatchOf, decodeAppendFrame } from './append-frame.js';
import type { Channel, ChannelHost } from './channel-host.js';
import type { GatewayContext } from './context.js';
import { PRAVEGA_MAX_EVENT_BYTES } from './event-assembly.js';
import { FramesInFlight } from './frame-pool.js';
import { decodeClientFrame, encodeServerFrame } from './frames.js';
import { poolMessages } from './pooled-messages.js';
import { clientRange, GATEWAY_PROTOCOL_RANGE, negotiateVersion } from './protocol-version.js';
import { ReaderChannel } from './reader-channel.js';
import { SessionInflight } from './session-inflight.js';
import { TxnChannel } from './txn-channel.js';
import { WriterChannel } from './writer-channel.js';

export { PROTOCOL_VERSION } from './protocol-version.js';

const CLOSE_PROTOCOL_ERROR = 1002;
/** The gateway is shutting down (after a GoingAway frame). */
export const CLOSE_GOING_AWAY = 1001;
/** Token expired without a refresh, or a refresh token was invalid. */
export const CLOSE_UNAUTHENTICATED = 4001;
/** No frame from the client for --idle-timeout-ms. */
export const CLOSE_IDLE = 4002;
/**
 * The client's socket stayed above --send-high-water-bytes for --slow-consumer-ms without draining
 * a high-water mark's worth (or passed its hard limit).
 */
export const CLOSE_SLOW_CONSUMER = 4003;

/**
 * Bytes queued on a socket past which it is closed at once, without waiting --slow-consumer-ms.
 * Readers stop at the high-water mark (plus one credit slice and one event, ≤ 8 MiB), so only a
 * client that keeps asking (pings, requests, appends to acknowledge) while reading nothing gets here.
 */
export function sendHardLimitBytes(sendHighWaterBytes: number): number {
  return 2 * sendHighWaterBytes + 16 * 1024 * 1024;
}

export class Session implements ChannelHost {
  readonly id = randomUUID();
  readonly logger: Logger;
  private greeted = false;
  private closed = false;
  private closing = false;
  private readonly channels = new Map<number, Channel>();
  private readonly drainWaiters: Array<() => void> = [];

  private principal: Principal | undefined;
  private lastFrameAt = Date.now();
  private overHighWaterSince: number | undefined;
  /** Bytes handed to the socket, and how many of them had left it when the slow clock started. */
  private sentBytes = 0;
  private readonly inFlight: FramesInFlight;
  private drainedMark = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** This session's in-flight bytes, and the push-back when they do not fit. */
  readonly inflight: SessionInflight;
  /** Admin calls received and not answered yet (a drain waits for them). */
  private pendingRequests = 0;
  /** Set once the gateway drains: no new work is taken, and GoingAway follows when none is left. */
  private drainWaiter: { resolve: () => void; timer: NodeJS.Timeout; done: Promise<void> } | undefined;
  private readonly coalescer: WriteCoalescer | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly ctx: GatewayContext,
    principal?: Principal,
    /** The client's address (behind trusted proxies, from X-Forwarded-For), for the logs. */
    client?: string,
    /** The socket under `ws`: the frames of one turn of the event loop are written together. */
    socket?: Duplex,
  ) {
    this.coalescer = socket ? new WriteCoalescer(socket) : undefined;
    this.logger = ctx.logger.child({
      session: this.id,
      ...(client ? { client } : {}),
      ...(principal ? { subject: principal.subject } : {}),
    });
    this.setPrincipal(principal);
    this.inFlight = new FramesInFlight(ctx.framePool);
    ws.binaryType = 'nodebuffer';
    poolMessages(ws, ctx.messageBuffers);
    this.inflight = new SessionInflight(
      ctx.inflight,
      ws,
      () => this.send(encodeServerFrame({ case: 'pong', value: { nonce: 0n } })),
      (data, isBinary) => this.onMessage(data, isBinary),
      (err) => this.onFrameError(err),
    );
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.lastFrameAt = Date.now();
      if (this.inflight.holding) this.inflight.hold(data, isBinary);
      else this.onMessage(data, isBinary);
    });
    this.watchdog = setInterval(() => this.checkHealth(), 1_000);
    this.watchdog.unref();
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.logger.debug({ err: err.message }, 'socket error'));
    ctx.metrics.sessions.inc();
  }

  /** Idle sessions and consumers that stopped reading their socket are closed, with a code. */
  private checkHealth(): void {
    const { idleTimeoutMs, slowConsumerMs } = this.ctx.limits;
    const now = Date.now();
    // A pushed-back socket is silent because the gateway stopped reading it.
    if (this.inflight.pushedBack) this.lastFrameAt = now;
    if (idleTimeoutMs > 0 && now - this.lastFrameAt > idleTimeoutMs) {
      this.closeWith(CLOSE_IDLE, 'idle timeout');
      return;
    }
    if (this.hasRoom) {
      this.overHighWaterSince = undefined;
      return;
    }
    // Readers refill the buffer whenever it drains below the mark, so a consumer that reads all
    // the time can sit at the mark too: slow is one that did not drain a mark's worth in time.
    const drained = this.sentBytes - this.ws.bufferedAmount;
    if (this.overHighWaterSince === undefined || drained - this.drainedMark >= this.ctx.limits.sendHighWaterBytes) {
      this.overHighWaterSince = now;
      this.drainedMark = drained;
    } else if (now - this.overHighWaterSince > slowConsumerMs) {
      this.closeWith(CLOSE_SLOW_CONSUMER, 'slow consumer');
    }
  }

  private closeWith(code: number, reason: string): void {
    if (this.closed) return;
    this.logger.info({ reason }, 'closing session');
    this.ctx.metrics.sessionsClosed.inc({ reason });
    this.ws.close(code, reason);
    // A peer that does not read will not answer the close handshake either.
    setTimeout(() => this.ws.terminate(), 1_000).unref();
    this.onClose();
  }

  /** The caller's grants; undefined when auth is off (everything allowed). */
  get grants(): readonly Grant[] | undefined {
    return this.principal?.grants;
  }

  private setPrincipal(principal: Principal | undefined): void {
    this.principal = principal;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (!principal || !Number.isFinite(principal.expiresAt)) return;
    // A session whose token runs out unrefreshed ends then (checked again in case of timer drift).
    const delay = Math.max(0, Math.min(principal.expiresAt - Date.now(), 2 ** 31 - 1));
    this.expiryTimer = setTimeout(() => {
      if (this.principal === principal) this.closeUnauthenticated('token expired');
    }, delay);
    this.expiryTimer.unref();
  }

  private closeUnauthenticated(reason: string): void {
    this.logger.info({ reason }, 'closing session: unauthenticated');
    this.ws.close(CLOSE_UNAUTHENTICATED, reason);
    this.onClose();
  }

  private async authenticate(token: string): Promise<void> {
    const verify = this.ctx.verifyToken;
    if (!verify) {
      this.send(encodeServerFrame({ case: 'authenticated', value: { expiresAtMs: 0n } }));
      return;
    }
    try {
      const principal = await verify(token);
      if (this.closed) return;
      this.setPrincipal(principal);
      const exp = Number.isFinite(principal.expiresAt) ? BigInt(principal.expiresAt) : 0n;
      this.send(encodeServerFrame({ case: 'authenticated', value: { expiresAtMs: exp } }));
    } catch (err) {
      this.closeUnauthenticated(GatewayError.from(err).message.slice(0, 100));
    }
  }

  /**
   * Sends one encoded server frame. A frame from the gateway's frame pool (`pooled`) goes back
   * to it once the socket wrote it.
   */
  send(frame: Uint8Array, pooled = false): void {
    if (this.closed) return;
    this.inFlight.onSent(frame, pooled);
    this.coalescer?.hold();
    this.ws.send(frame, { binary: true }, this.onFrameWritten);
    this.sentBytes += frame.length;
    if (this.ws.bufferedAmount > sendHardLimitBytes(this.ctx.limits.sendHighWaterBytes) && !this.closing) {
      // Closed outside the caller's stack: send() runs inside reader and writer callbacks.
      this.closing = true;
      setImmediate(() => this.closeWith(CLOSE_SLOW_CONSUMER, 'slow consumer'));
    }
  }

  /** True while the socket has room; readers stop pulling from Pravega otherwise. */
  get hasRoom(): boolean {
    return this.ws.bufferedAmount < this.ctx.limits.sendHighWaterBytes;
  }

  /**
   * Resolves when the socket's send buffer fell below the high-water mark: checked as each frame
   * reaches the kernel (`onFrameWritten`), so a waiting reader refills the moment there is room,
   * where a 10 ms timer per waiting session let the socket run dry in between.
   */
  whenRoom(): Promise<void> {
    if (this.hasRoom || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Each sent frame's write callback (one function for all: no closure per frame). */
  private readonly onFrameWritten = (err?: Error): void => {
    this.inFlight.onWritten(err);
    if (this.drainWaiters.length === 0 || (!this.hasRoom && !this.closed)) return;
    for (const wake of this.drainWaiters.splice(0)) wake();
  };

  closeChannel(channel: number, error?: GatewayError): void {
    const ch = this.channels.get(channel);
    if (!ch) return;
    this.channels.delete(channel);
    ch.close();
    this.send(
      encodeServerFrame({
        case: 'channelClosed',
        value: { channel, ...(error ? { error: { code: error.code, message: error.message } } : {}) },
      }),
    );
  }

  /** Closes the socket with a protocol error: the client broke the protocol. */
  protocolError(reason: string): void {
    this.logger.warn({ reason }, 'protocol error: closing session');
    this.ctx.metrics.protocolErrors.inc();
    this.ws.close(CLOSE_PROTOCOL_ERROR, reason.slice(0, 120));
    this.onClose();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) {
      this.protocolError('text frames are not part of the protocol');
      return;
    }
    // Appends, the bulk of a writer's traffic, skip the reflective decoder when they can. A
    // pooled message (pooled-messages.ts) is held here while it is handled; the payloads an append
    // keeps hold it on their own. Frames other than these appends may keep views of their bytes
    // in ways nobody tracks, so their buffer is never given back (it is collected instead).
    const batch = this.greeted ? decodeAppendFrame(data, this.ctx.messageBuffers.leaseOf(data)) : undefined;
    let frame: ClientFrame | undefined;
    if (!batch) {
      try {
        frame = decodeClientFrame(data);
      } catch (err) {
        this.protocolError(GatewayError.from(err).message);
        return;
      }
    }
    try {
      if (batch) {
        this.append(batch);
        batch.lease?.release();
      } else this.dispatch(frame!);
    } catch (err) {
      this.onFrameError(err);
    }
  }

  private onFrameError(err: unknown): void {
    const error = GatewayError.from(err);
    if (error.code === 'protocol') this.protocolError(error.message);
    else this.logger.error({ err: error }, 'unexpected error handling a frame');
  }

  private append(batch: AppendBatch): void {
    // Draining: not forwarded, not acknowledged; the client resends it where GoingAway sends it.
    if (this.drainWaiter) return;
    const ch = this.channels.get(batch.channel);
    // Frames for a channel the gateway just closed cross its ChannelClosed on the wire: drop them.
    if (!ch) return;
    if (!(ch instanceof WriterChannel || ch instanceof TxnChannel)) {
      throw new GatewayError('protocol', `append on channel ${batch.channel}, which is not an open writer`);
    }
    // Over the in-flight budget: held (and the socket paused) until Pravega's acknowledgements free room.
    if (this.inflight.admit(batch, ch)) ch.append(batch);
  }

  private dispatch(frame: ClientFrame): void {
    const kind = frame.kind;
    if (!this.greeted) {
      if (kind.case !== 'hello') throw new GatewayError('protocol', 'the first frame must be Hello');
      const version = negotiateVersion(clientRange(kind.value));
      this.greeted = true;
      this.logger.info({ client: kind.value.clientName }, 'session open');
      this.send(
        encodeServerFrame({
          case: 'welcome',
          value: {
            protocolVersion: version,
            minProtocolVersion: GATEWAY_PROTOCOL_RANGE.min,
            maxProtocolVersion: GATEWAY_PROTOCOL_RANGE.max,
            sessionId: this.id,
            gatewayVersion: this.ctx.version,
            maxMessageBytes: this.ctx.limits.maxMessageBytes,
            defaultScope: this.ctx.defaultScope ?? '',
            // An event in parts reserves its size and header at once: it must fit this session's budget.
            maxEventBytes: Math.min(PRAVEGA_MAX_EVENT_BYTES, this.inflight.account.limit - EVENT_HEADER_BYTES),
          },
        }),
      );
      return;
    }
    switch (kind.case) {
      case 'hello':
        throw new GatewayError('protocol', 'Hello was already received');
      case 'authenticate':
        void this.authenticate(kind.value.token);
        return;
      case 'ping':
        this.send(encodeServerFrame({ case: 'pong', value: { nonce: kind.value.nonce } }));
        return;
      case 'request':
        this.pendingRequests++;
        void handleRequest(this, kind.value).finally(() => this.pendingRequests--);
        return;
      case 'openWriter': {
        const ch = this.openChannel(kind.value.channel);
        if (ch) this.channels.set(kind.value.channel, new WriterChannel(this, kind.value));
        return;
      }
      case 'openReader': {
        const ch = this.openChannel(kind.value.channel);
        if (ch) this.channels.set(kind.value.channel, new ReaderChannel(this, kind.value));
        return;
      }
      case 'openTxn': {
        const ch = this.openChannel(kind.value.channel);
        if (ch) this.channels.set(kind.value.channel, new TxnChannel(this, kind.value));
        return;
      }
      case 'append':
        this.append(appendBatchOf(kind.value));
        return;
      case 'appendPart': {
        const ch = this.channels.get(kind.value.channel);
        if (!ch) return; // crossed a ChannelClosed on the wire, as appends may
        if (!(ch instanceof WriterChannel || ch instanceof TxnChannel))
          throw new GatewayError(
            'protocol',
            `append part on channel ${kind.value.channel}, which is not an open writer`,
          );
        // Draining: an event already started is completed (its reservation is in flight); a new one
        // is left for the client to resend elsewhere, as appends are.
        if (this.drainWaiter && !ch.assembling) return;
        // Admitted like an append: over the in-flight budget it waits, the socket paused.
        const part = kind.value;
        const asBatch: AppendBatch = {
          channel: part.channel,
          firstSequence: Number(part.sequence),
          payloads: [part.data],
          keys: [undefined],
        };
        if (this.inflight.admit(asBatch, { append: () => ch.appendPart(part) }, ch.partCost(part))) ch.appendPart(part);
        return;
      }
      case 'credit': {
        const ch = this.channels.get(kind.value.channel);
        if (!ch) return;
        if (!(ch instanceof ReaderChannel))
          throw new GatewayError('protocol', `credit on channel ${kind.value.channel}, which is not an open reader`);
        ch.grant(kind.value.events, kind.value.bytes);
        return;
      }
      case 'closeChannel':
        this.closeChannel(kind.value.channel);
        return;
      default:
        throw new GatewayError('protocol', 'empty or unknown frame');
    }
  }

  /** Validates a new channel id; answers with ChannelClosed when the channel cannot open. */
  private openChannel(channel: number): boolean {
    if (this.channels.has(channel)) throw new GatewayError('protocol', `channel ${channel} is already open`);
    if (this.channels.size >= this.ctx.limits.maxChannelsPerSession) {
      this.send(
        encodeServerFrame({
          case: 'channelClosed',
          value: {
            channel,
            error: {
              code: 'resource-exhausted',
              message: `at most ${this.ctx.limits.maxChannelsPerSession} channels per session`,
            },
          },
        }),
      );
      return false;
    }
    return true;
  }

  channelOf(channel: number): Channel | undefined {
    return this.channels.get(channel);
  }

  /** Called by channels that end on their own (reader at its end, writer failure). */
  forgetChannel(channel: number): void {
    this.channels.delete(channel);
  }

  /**
   * Drains the session for a gateway going away: from now on appends and new events in parts are
   * not taken (the client resends them after it reconnects); channels still open — a reader that
   * reopens meanwhile must find its channel, or its group commit on it would fail — but their
   * appends wait for the next gateway like the others. Appends and
   * admin calls already taken finish — acknowledged or answered by Pravega — and then the client
   * is told GoingAway and the socket closed with 1001. Resolves when GoingAway was sent (or the
   * session ended). Only then, with nothing of this session left in flight, can the client's
   * resend through another gateway never race its original through this one.
   *
   * `goAwayNow` (the drain timeout passed) sends GoingAway whatever is still in flight: the
   * client resends what was not acknowledged, and Pravega's de-duplication sorts it out.
   */
  drain(): Promise<void> {
    if (this.drainWaiter) return this.drainWaiter.done;
    if (this.closed) return Promise.resolve();
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    // Polled, not evented: acknowledgements, answers and held messages each end work, and a
    // drain happens once per process, so a short poll is simpler than a hook in each of them.
    const timer = setInterval(() => {
      if (this.isIdle()) this.goAwayNow('gateway draining');
    }, 10);
    timer.unref();
    this.drainWaiter = { resolve, timer, done };
    if (this.isIdle()) this.goAwayNow('gateway draining');
    return done;
  }

  /** Nothing of this session is in flight: appends acknowledged, admin calls answered. */
  private isIdle(): boolean {
    return this.inflight.account.used === 0 && !this.inflight.holding && this.pendingRequests === 0;
  }

  /** GoingAway, then close 1001 (and terminate a peer that does not answer the close). */
  goAwayNow(reason: string): void {
    this.settleDrain();
    if (this.closed) return;
    this.ctx.metrics.sessionsClosed.inc({ reason: 'going away' });
    sayGoingAway(this.ws, reason);
    setTimeout(() => this.ws.terminate(), 2_000).unref();
  }

  private settleDrain(): void {
    const waiter = this.drainWaiter;
    if (!waiter) return;
    clearInterval(waiter.timer);
    waiter.resolve();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.settleDrain();
    this.ctx.metrics.sessions.dec();
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.inflight.close();
    for (const ch of this.channels.values()) ch.close(true);
    this.channels.clear();
    for (const wake of this.drainWaiters.splice(0)) wake();
    this.logger.info('session closed');
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/**
 * Tells a client the gateway is going away (a GoingAway frame, then close 1001): the SDK
 * reconnects at once, to wherever its URL now leads. The shutdown path calls this for every
 * socket; a later drain can send the frame first and close when the socket's work is done.
 */
export function sayGoingAway(ws: WebSocket, reason: string): void {
  try {
    ws.send(encodeServerFrame({ case: 'goingAway', value: { reason } }), { binary: true });
  } catch {
    // the socket is closing already: the close code says the same
  }
  ws.close(CLOSE_GOING_AWAY, closeReason(reason));
}

/**
 * Refuses a client whose token is missing or invalid, after the upgrade: close 4001 with the
 * reason, before any frame is read. (Refused before the upgrade, a browser would see only a
 * failed connection — no status, no reason — and could not tell it from a gateway that is down.)
 */
export function refuseUnauthenticated(ws: WebSocket, reason: string): void {
  ws.close(CLOSE_UNAUTHENTICATED, closeReason(`unauthenticated: ${reason}`));
  // A peer that does not answer the close handshake is dropped.
  setTimeout(() => ws.terminate(), 1_000).unref();
}

/** A close reason within the 123 bytes a close frame holds (cut at a character, not a byte). */
function closeReason(reason: string): string {
  let out = reason.slice(0, 123);
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

/**
 * One session's side of the in-flight budget: its account, and the push-back when an append
 * does not fit it or the gateway's.
 *
 * Push-back is TCP's own: the gateway stops reading the session's socket, the kernel's buffers
 * fill, and the client's socket stops sending — nothing is refused, disconnected, or grown. The
 * append that did not fit (already received) and the few messages `ws` had read behind it are
 * held, in order, and handled as soon as acknowledgements from Pravega free room; then reading
 * resumes. Admission asks `fits` and charges in the same synchronous step, so the accounts never
 * pass their limits; what is held meanwhile is bounded per session by one message plus one
 * socket read, and counted apart (`sluice_inflight_held_bytes`).
 *
 * Why not a credit the gateway grants: the SDK already keeps each writer within
 * `--max-inflight-bytes`; a gateway-wide credit would need a new message and a client that waits
 * for it, where pausing the socket works with every client, old SDKs and raw WebSockets included.
 *
 * What pausing costs, and how it is paid for: while its socket is unread a session cannot hear
 * the client's pings, so it sends a Pong every second unasked (the SDK counts any Pong as life and
 * gives up after two ping intervals, 30 s by default); the gateway's own WebSocket heartbeat and
 * idle timeout do not hold a paused socket's silence against it (gateway.ts, session.ts).
 * Acknowledgements keep flowing out the whole time: sending does not depend on reading.
 *
 * The push-back is per socket: a reader on the same socket as a pushed-back writer cannot grant
 * more credit until reading resumes (what it was granted keeps flowing). Clients that must keep
 * reading while their writers are held back use a connection for each.
 */
import { Fifo } from '@sluice/proto/fifo.js';
import { type InflightAccount, inflightCost } from '../streams/inflight-account.js';
import { EVENT_HEADER_BYTES } from '../wire/index.js';
import type { AppendBatch } from './append-frame.js';
import type { InflightBudget, WaitingSession } from './inflight-budget.js';

/** The socket controls push-back needs (ws' WebSocket has them). */
export interface PausableSocket {
  pause(): void;
  resume(): void;
}

/** A channel that takes appends (writer, transaction). */
export interface AppendTarget {
  append(batch: AppendBatch): void;
}

/** How often a pushed-back session tells its client it is alive. */
export const KEEP_ALIVE_MS = 1_000;

interface HeldMessage {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

export class SessionInflight implements WaitingSession {
  readonly account: InflightAccount;
  /** The append that did not fit, and its channel. */
  private blocked: { batch: AppendBatch; target: AppendTarget; cost: number; bytes: number } | undefined;
  /** Messages that arrived behind it, in order. */
  private readonly held = new Fifo<HeldMessage>();
  private heldBytes = 0;
  private pausedAt: number | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly budget: InflightBudget,
    private readonly socket: PausableSocket,
    /** Tells the client the session is alive (a Pong). */
    private readonly keepAlive: () => void,
    /** Handles a held message, as if it had just arrived. */
    private readonly handle: (data: Buffer, isBinary: boolean) => void,
    /** What appending a held batch threw (it runs outside the message handler that would catch it). */
    private readonly onError: (err: unknown) => void,
  ) {
    this.account = budget.sessionAccount();
  }

  /** True while appends wait: a new message must queue behind them (`hold`). */
  get holding(): boolean {
    return this.blocked !== undefined || !this.held.isEmpty;
  }

  /** True while the socket is not read. */
  get pushedBack(): boolean {
    return this.pausedAt !== undefined;
  }

  /** Queues a message that arrived while appends wait (a pooled message keeps its lease). */
  hold(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.held.push({ data, isBinary });
    this.heldBytes += data.length;
    this.budget.observer.heldBytes(data.length);
  }

  /**
   * True: `batch` fits, and the caller appends it now (the writer charges it). False: it is held
   * — with its message's lease — and delivered to `target` once it fits; the socket is paused.
   * `cost`: what it will be charged, when not its payloads' (an event in parts reserves its whole
   * size at its first part and nothing at the others).
   */
  admit(batch: AppendBatch, target: AppendTarget, cost = inflightCost(batch.payloads)): boolean {
    if (this.account.fits(cost)) return true;
    this.block(batch, target, cost);
    return false;
  }

  /** Delivers what fits now, then what was held behind it; resumes reading once nothing waits. */
  retry(): 'done' | 'session' | 'total' {
    while (this.blocked && !this.closed) {
      const { batch, target, cost, bytes } = this.blocked;
      if (!this.account.fits(cost)) return this.account.used + cost > this.account.limit ? 'session' : 'total';
      this.blocked = undefined;
      this.budget.observer.heldBytes(-bytes);
      try {
        target.append(batch);
      } catch (err) {
        this.onError(err);
      }
      batch.lease?.release();
      while (!this.blocked && !this.held.isEmpty && !this.closed) {
        const message = this.held.shift()!;
        this.heldBytes -= message.data.length;
        this.budget.observer.heldBytes(-message.data.length);
        this.handle(message.data, message.isBinary);
      }
    }
    if (!this.closed) this.resume();
    return 'done';
  }

  /** The session ended: whatever waits is dropped (none of it was acknowledged). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.budget.forget(this);
    if (this.blocked) {
      this.budget.observer.heldBytes(-this.blocked.bytes);
      this.blocked.batch.lease?.release();
      this.blocked = undefined;
    }
    this.budget.observer.heldBytes(-this.heldBytes);
    this.heldBytes = 0;
    while (!this.held.isEmpty) this.held.shift();
    this.resume();
  }

  private block(batch: AppendBatch, target: AppendTarget, cost: number): void {
    // Held: the payloads (the message's size, near enough), not what Pravega's framing will take.
    const bytes = cost - batch.payloads.length * EVENT_HEADER_BYTES;
    this.blocked = { batch, target, cost, bytes };
    batch.lease?.hold();
    this.budget.observer.heldBytes(bytes);
    this.budget.wait(this);
    if (this.pausedAt !== undefined) return;
    this.pausedAt = Date.now();
    this.socket.pause();
    this.budget.observer.pushedBack(true);
    this.keepAlive();
    this.keepAliveTimer = setInterval(this.keepAlive, KEEP_ALIVE_MS);
    this.keepAliveTimer.unref();
  }

  private resume(): void {
    if (this.pausedAt === undefined) return;
    const pausedMs = Date.now() - this.pausedAt;
    this.pausedAt = undefined;
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    this.budget.observer.pushedBack(false, pausedMs);
    // Also when closing: the close handshake needs the client's close frame read.
    this.socket.resume();
  }
}

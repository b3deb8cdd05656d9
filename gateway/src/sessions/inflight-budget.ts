/**
 * The gateway-wide budget of in-flight bytes (`--max-inflight-bytes-total`): what all writers of
 * all sessions hold until Pravega acknowledges it. Sessions whose appends do not fit wait here
 * in arrival order, their sockets unread (session-inflight.ts says why that is the push-back);
 * whenever bytes are freed they are retried, first come first served.
 */
import { InflightAccount } from '../streams/inflight-account.js';

/** A session waiting for room: `retry` delivers what fits now. */
export interface WaitingSession {
  /**
   * 'done': nothing waits any more; 'session': what waits needs room in the session's own
   * account; 'total': it needs room in the gateway's, so sessions behind it wait too.
   */
  retry(): 'done' | 'session' | 'total';
}

/** What the budget reports, for metrics. */
export interface PushBackObserver {
  /** A session's socket stopped being read (`paused`) or was read again. */
  pushedBack(paused: boolean, pausedMs?: number): void;
  /** Bytes received but not yet admitted (held while pushed back) changed by `delta`. */
  heldBytes(delta: number): void;
}

export class InflightBudget {
  /** The gateway's account: every writer's unacknowledged bytes. */
  readonly total: InflightAccount;
  private readonly waiting = new Set<WaitingSession>();
  private wakeScheduled = false;

  constructor(
    totalBytes: number,
    /** Each session's own limit, within the total. */
    readonly perSessionBytes: number,
    readonly observer: PushBackObserver = { pushedBack() {}, heldBytes() {} },
  ) {
    this.total = new InflightAccount(totalBytes, undefined, this.wakeSoon);
  }

  /** A new session's account, drawing on the total; freeing bytes there retries waiters too. */
  sessionAccount(): InflightAccount {
    return new InflightAccount(this.perSessionBytes, this.total, this.wakeSoon);
  }

  /** Sessions waiting for room now. */
  get waitingSessions(): number {
    return this.waiting.size;
  }

  /** Queues `session` (once) until room is freed. */
  wait(session: WaitingSession): void {
    this.waiting.add(session);
  }

  /** `session` no longer waits (it closed). */
  forget(session: WaitingSession): void {
    this.waiting.delete(session);
  }

  /**
   * Retries later, not inside whatever freed the bytes: that code (an acknowledgement, a writer
   * being charged for an append it just took) finishes first, and a retried session's appends
   * run on a clean stack.
   */
  private readonly wakeSoon = (): void => {
    if (this.wakeScheduled || this.waiting.size === 0) return;
    this.wakeScheduled = true;
    queueMicrotask(this.wake);
  };

  private readonly wake = (): void => {
    this.wakeScheduled = false;
    // A Set iterates in insertion order and tolerates deletion while iterating.
    for (const session of this.waiting) {
      const result = session.retry();
      if (result === 'done') this.waiting.delete(session);
      // Whoever came first gets the gateway's room first: nobody overtakes a session waiting for it.
      else if (result === 'total') break;
    }
  };
}

/**
 * Keeps a transaction's lease alive (fact sheet §6.1): pings at Java's interval,
 * lease / max(1, sqrt(lease / 1000)), until stopped, until Pravega says the transaction is no
 * longer open, or — after the session that owned it went away — until a grace period ends, after
 * which the controller lets the lease expire and aborts the transaction.
 */
import type { Logger } from 'pino';
import type { ControllerClient, PingStatus } from '../controller/controller-client.js';

export class TxnLease {
  private timer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly controller: ControllerClient,
    private readonly logger: Logger,
    readonly scope: string,
    readonly stream: string,
    readonly txnId: string,
    readonly leaseMs: number,
    /** Hears a final status (aborted, max-execution-time-exceeded, unknown, committed). */
    private readonly onEnded: (status: PingStatus) => void,
  ) {
    const interval = Math.floor(leaseMs / Math.max(1, Math.sqrt(leaseMs / 1000)));
    this.timer = setInterval(() => void this.ping(), interval);
    this.timer.unref();
  }

  /** The owner is gone: keep pinging for `graceMs` more, then let the lease run out. */
  orphan(graceMs: number): void {
    if (this.stopped || this.graceTimer) return;
    this.graceTimer = setTimeout(() => {
      this.logger.info(
        { txn: this.txnId },
        'transaction owner gone past the grace period: no longer renewing its lease',
      );
      this.stop();
    }, graceMs);
    this.graceTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
  }

  private async ping(): Promise<void> {
    if (this.stopped) return;
    let status: PingStatus;
    try {
      status = await this.controller.pingTransaction(this.scope, this.stream, this.txnId, this.leaseMs);
    } catch (err) {
      this.logger.warn(
        { txn: this.txnId, err: (err as Error).message },
        'transaction ping failed; retrying at the next interval',
      );
      return;
    }
    if (status === 'ok') return;
    this.stop();
    this.onEnded(status);
  }
}

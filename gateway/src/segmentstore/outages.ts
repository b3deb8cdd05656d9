/**
 * Segments that lost their segment store, as the gateway's appenders and readers see them: each
 * outage logged once when it starts (segment, host, cause) and once when it ends (the new host,
 * how long the segment had no owner), and counted for metrics. A cluster's failover shows up here
 * as a burst of "lost" lines naming the dead store, then "recovered" lines naming the survivors.
 */
import type { Logger } from 'pino';

/** Why a segment's connection had to be set up again. */
export type ReconnectCause = 'wrong-host' | 'refused' | 'closed' | 'other';

/** The metrics side (server/metrics.ts), kept out of this layer as an interface. */
export interface OutageObserver {
  reconnected(cause: ReconnectCause): void;
  wrongHost(): void;
  /** A segment (role: append or read) has no owner now (+1) or again has one (−1). */
  ownerless(delta: 1 | -1): void;
  /** An outage ended after this long. */
  outageEnded(seconds: number): void;
}

interface Outage {
  readonly since: number;
  readonly host: string | undefined;
  readonly cause: string;
  retries: number;
}

export class SegmentOutages {
  private readonly open = new Map<string, Outage>();

  constructor(
    private readonly logger: Logger,
    private readonly observer?: OutageObserver,
  ) {}

  /** Segments (per role) without an owner now. */
  get count(): number {
    return this.open.size;
  }

  /**
   * A working connection for `segment` failed (or a try to make one did): logged and counted
   * once per outage; every retry counts as a reconnect.
   */
  failed(role: 'append' | 'read', segment: string, host: string | undefined, cause: ReconnectCause, why: string): void {
    this.observer?.reconnected(cause);
    if (cause === 'wrong-host') this.observer?.wrongHost();
    const key = `${role} ${segment}`;
    const outage = this.open.get(key);
    if (outage) {
      outage.retries++;
      return;
    }
    this.open.set(key, { since: performance.now(), host, cause: why, retries: 0 });
    this.observer?.ownerless(1);
    this.logger.warn({ segment, role, host, cause, reason: why }, 'segment lost its segment store; finding its owner');
  }

  /** `segment` works again through `host`: the outage (if any) ends, logged once. */
  recovered(role: 'append' | 'read', segment: string, host: string): void {
    const key = `${role} ${segment}`;
    const outage = this.open.get(key);
    if (!outage) return;
    this.open.delete(key);
    const seconds = (performance.now() - outage.since) / 1000;
    this.observer?.ownerless(-1);
    this.observer?.outageEnded(seconds);
    this.logger.info(
      {
        segment,
        role,
        host,
        previousHost: outage.host,
        withoutOwnerMs: Math.round(seconds * 1000),
        retries: outage.retries,
      },
      'segment recovered on its segment store',
    );
  }

  /** The appender or reader is gone: an open outage ends without a recovery line. */
  forget(role: 'append' | 'read', segment: string): void {
    if (this.open.delete(`${role} ${segment}`)) this.observer?.ownerless(-1);
  }
}

/** What kind of failure `message` (a GatewayError's) describes, for the reconnect counter. */
export function causeOf(message: string): ReconnectCause {
  if (/ECONNREFUSED/.test(message)) return 'refused';
  if (/closed the connection|ECONNRESET|EPIPE|keep-alives/.test(message)) return 'closed';
  return 'other';
}

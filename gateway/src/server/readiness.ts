/**
 * Readiness as /readyz reports it: Pravega reachable (the last probe's result) and the gateway not
 * draining. Probes run on a timer, one at a time, never per request: a load balancer checking
 * every second from several places must not open a Pravega connection each time, and a slow
 * probe must not pile up behind itself. What a probe checks is here too (`checkReadiness`);
 * http.ts only serves the report.
 */
import type { ControllerClient } from '../controller/controller-client.js';

export interface Readiness {
  /** Ready: a controller answers (any of them): the gateway can serve. */
  controller: boolean;
  /** Informational: a segment store answered Hello (one the gateway uses, or the system segment's owner). */
  segmentStore: boolean;
  /** Informational: segments (per role) this gateway is finding a new owner for (a failover). */
  segmentsWithoutOwner?: number;
  error?: string;
}

export interface ReadinessReport extends Readiness {
  ready: boolean;
  draining: boolean;
  /** When the result was learnt (ms since the epoch); 0 before the first probe ended. */
  checkedAt: number;
}

export class ReadinessProbe {
  private last: Readiness | undefined;
  private checkedAt = 0;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private drainingSince: number | undefined;

  constructor(
    private readonly check: () => Promise<Readiness>,
    /** How often Pravega is probed. */
    private readonly intervalMs: number,
  ) {}

  /** Probes now, then every interval; resolves once the first probe ended. */
  async start(): Promise<void> {
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
    await this.probe();
  }

  /** Runs a probe unless one is running (then waits for that one). */
  probe(): Promise<void> {
    this.running ??= this.check()
      .then(
        (result) => {
          this.last = result;
        },
        (err: unknown) => {
          this.last = { controller: false, segmentStore: false, error: (err as Error).message };
        },
      )
      .finally(() => {
        this.checkedAt = Date.now();
        this.running = undefined;
      });
    return this.running;
  }

  /** Not ready from now on, whatever Pravega says: the gateway is going away. */
  setDraining(): void {
    this.drainingSince ??= Date.now();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  get report(): ReadinessReport {
    const last = this.last ?? { controller: false, segmentStore: false, error: 'not probed yet' };
    const draining = this.draining;
    return {
      // One store down (or the one owning a system segment) is a failover the gateway rides out,
      // not a reason for a load balancer to pull it: only an unreachable controller (or a drain) is.
      ready: !draining && last.controller,
      draining,
      ...last,
      ...(draining ? { error: 'draining: the gateway is shutting down' } : {}),
      checkedAt: this.checkedAt,
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * A controller answers (the calls go round the URI's controllers, so one dead controller does
 * not count); then, for information, whether a segment store answers: one this gateway holds a
 * working connection to, or else the system segment's owner.
 */
export async function checkReadiness(
  controller: ControllerClient,
  probeSegmentStore: () => Promise<void>,
  stores: { openConnections: number; outages: { count: number } },
): Promise<Readiness> {
  const segmentsWithoutOwner = stores.outages.count;
  try {
    await controller.ping(AbortSignal.timeout(3_000));
  } catch (err) {
    return { controller: false, segmentStore: false, segmentsWithoutOwner, error: (err as Error).message };
  }
  if (stores.openConnections > 0) return { controller: true, segmentStore: true, segmentsWithoutOwner };
  try {
    await probeSegmentStore();
    return { controller: true, segmentStore: true, segmentsWithoutOwner };
  } catch (err) {
    return { controller: true, segmentStore: false, segmentsWithoutOwner, error: (err as Error).message };
  }
}

/**
 * Segment stores that refused a connection lately, each with one shared watch.
 *
 * When a store dies, the controller goes on naming it for every segment it owned until its
 * containers move (~20 s with Pravega's defaults). Each of those segments' appenders, readers
 * and requests used to ask the controller and try the dead store every ≤ 250 ms on its own: a
 * gateway with many segments there sent many lookups a second, all answered with the dead store.
 * Now a lookup that names a store marked down waits here instead. One loop per such store asks
 * the controller about one waiting segment per tick (each in turn) and tries a TCP connection to
 * the store itself; when the controller names another store, or the store accepts connections
 * again, the mark goes and every waiter looks its segment up once more (a segment still on the
 * dead store marks it down again and waits again). A waiter is let go after `maxWaitMs` even
 * without a change, so its caller's own retries and outage accounting still run.
 */
import { connect } from 'node:net';
import { sleep } from './backoff.js';
import type { SegmentRef } from './segment-ref.js';

export interface DownHostsOptions {
  /** `host:port` the controller names for `segment` now (no cache). */
  lookup(segment: SegmentRef): Promise<string>;
  /** Resolves true if `hostPort` accepts a TCP connection. Default: a plain TCP connect. */
  probe?(hostPort: string): Promise<boolean>;
  /** One controller lookup and one probe per down store this often. */
  tickMs?: number;
  /** A waiter is let go after this long without a change. */
  maxWaitMs?: number;
}

interface Waiter {
  readonly segment: SegmentRef;
  readonly wake: (changed: boolean) => void;
}

interface Watch {
  readonly waiters: Set<Waiter>;
  /** The next waiter whose segment the loop asks about. */
  turn: number;
}

export class DownHosts {
  private readonly hosts = new Map<string, Watch>();
  private closed = false;
  /** Controller lookups made by the watches (tests and metrics). */
  lookups = 0;

  constructor(private readonly opts: DownHostsOptions) {}

  isDown(hostPort: string): boolean {
    return this.hosts.has(hostPort);
  }

  /** A connection to `hostPort` could not be opened: its segments wait for the watch from now on. */
  markDown(hostPort: string): void {
    if (this.closed || this.hosts.has(hostPort)) return;
    const watch: Watch = { waiters: new Set(), turn: 0 };
    this.hosts.set(hostPort, watch);
    void this.run(hostPort, watch);
  }

  /** `hostPort` answered: waiters go on at once. */
  markUp(hostPort: string): void {
    const watch = this.hosts.get(hostPort);
    if (watch) this.release(hostPort, watch);
  }

  /**
   * Waits while `hostPort` is marked down: resolves true once the watch saw a change (look the
   * segment up again), false after `maxWaitMs` without one, at once (true) if it is not down.
   */
  wait(hostPort: string, segment: SegmentRef): Promise<boolean> {
    const watch = this.hosts.get(hostPort);
    if (!watch) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), this.opts.maxWaitMs ?? 5_000);
      timer.unref();
      const waiter: Waiter = { segment, wake: (changed) => done(changed) };
      const done = (changed: boolean) => {
        clearTimeout(timer);
        watch.waiters.delete(waiter);
        resolve(changed);
      };
      watch.waiters.add(waiter);
    });
  }

  close(): void {
    this.closed = true;
    for (const [hostPort, watch] of this.hosts) this.release(hostPort, watch);
  }

  private release(hostPort: string, watch: Watch): void {
    if (this.hosts.get(hostPort) === watch) this.hosts.delete(hostPort);
    for (const w of [...watch.waiters]) w.wake(true);
  }

  private async run(hostPort: string, watch: Watch): Promise<void> {
    const tick = this.opts.tickMs ?? 250;
    const probe = this.opts.probe ?? tcpAccepts;
    let idleTicks = 0;
    while (!this.closed && this.hosts.get(hostPort) === watch) {
      await sleep(tick);
      if (this.hosts.get(hostPort) !== watch) return;
      const waiters = [...watch.waiters];
      if (waiters.length === 0) {
        // Nobody waits (the segments moved on or went away): the mark goes after a few quiet ticks.
        if (++idleTicks >= 8) this.release(hostPort, watch);
        continue;
      }
      idleTicks = 0;
      const waiter = waiters[watch.turn++ % waiters.length]!;
      let changed = false;
      try {
        this.lookups++;
        changed = (await this.opts.lookup(waiter.segment)) !== hostPort;
      } catch {
        // The controller did not answer: the probe alone decides this tick.
      }
      if (!changed) changed = await probe(hostPort).catch(() => false);
      if (changed) this.release(hostPort, watch);
    }
  }
}

/** True if `hostPort` accepts a TCP connection within 2 s (closed again at once). */
function tcpAccepts(hostPort: string): Promise<boolean> {
  const colon = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(hostPort.slice(colon + 1));
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Prometheus metrics (prom-client), one registry per gateway instance. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { OutageObserver, ReconnectCause } from '../segmentstore/outages.js';
import type { PushBackObserver } from '../sessions/inflight-budget.js';
import type { InflightAccount } from '../streams/inflight-account.js';
import { createServiceMetrics, type ServiceMetrics } from './service-metrics.js';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly sessions: Gauge;
  readonly eventsWritten: Counter;
  readonly eventsRead: Counter;
  readonly protocolErrors: Counter;
  readonly sessionsClosed: Counter<'reason'>;
  readonly groupLagBytes: Gauge<'group'>;
  readonly groupReaders: Gauge<'group'>;
  readonly groupTxnsLost: Counter<'group'>;
  readonly pravegaReadBytes: Counter<'role'>;
  readonly tailRingEvents: Counter;
  readonly tailSubscribers: Gauge<'mode'>;
  readonly tailFellBehind: Counter;
  readonly tailCacheBytes: Gauge;
  readonly pushedBackSessions: Gauge;
  readonly pushBacks: Counter;
  readonly pushedBackSeconds: Counter;
  readonly inflightHeldBytes: Gauge;
  readonly segmentReconnects: Counter<'cause'>;
  readonly wrongHostReplies: Counter;
  readonly segmentsWithoutOwner: Gauge;
  readonly segmentOwnerlessSeconds: Histogram;
  /** Build info, latency histograms, Pravega errors, drains (service-metrics.ts). */
  readonly service: ServiceMetrics;
}

export function createMetrics(version: string): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
  return {
    registry,
    service: createServiceMetrics(registry, version),
    sessions: new Gauge({ name: 'sluice_sessions', help: 'open WebSocket sessions', registers: [registry] }),
    eventsWritten: new Counter({
      name: 'sluice_events_written_total',
      help: 'events Pravega acknowledged through this gateway (not merely received; a resend through another gateway after a reconnect counts there too)',
      registers: [registry],
    }),
    eventsRead: new Counter({
      name: 'sluice_events_read_total',
      help: 'events delivered to readers',
      registers: [registry],
    }),
    protocolErrors: new Counter({
      name: 'sluice_protocol_errors_total',
      help: 'sessions closed for protocol errors',
      registers: [registry],
    }),
    sessionsClosed: new Counter({
      name: 'sluice_sessions_closed_by_gateway_total',
      help: 'sessions the gateway closed, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    groupLagBytes: new Gauge({
      name: 'sluice_reader_group_lag_bytes',
      help: 'bytes after the committed offsets of a reader group (groups with readers on this gateway)',
      labelNames: ['group'],
      registers: [registry],
    }),
    groupReaders: new Gauge({
      name: 'sluice_reader_group_readers',
      help: 'readers of a reader group connected to this gateway',
      labelNames: ['group'],
      registers: [registry],
    }),
    groupTxnsLost: new Counter({
      name: 'sluice_reader_group_txns_lost_total',
      help: 'transactions recorded by a vanished group reader that Pravega had already aborted',
      labelNames: ['group'],
      registers: [registry],
    }),
    pravegaReadBytes: new Counter({
      name: 'sluice_pravega_read_bytes_total',
      help: 'bytes read from Pravega segments for readers, by role: shared (one read per segment for many readers) or own',
      labelNames: ['role'],
      registers: [registry],
    }),
    tailRingEvents: new Counter({
      name: 'sluice_tail_ring_events_total',
      help: 'events handed to readers from a shared tail ring (not read from Pravega for them)',
      registers: [registry],
    }),
    tailSubscribers: new Gauge({
      name: 'sluice_tail_subscribers',
      help: 'segment readers by mode: shared (served from the ring) or own (reading on their own)',
      labelNames: ['mode'],
      registers: [registry],
    }),
    tailFellBehind: new Counter({
      name: 'sluice_tail_fell_behind_total',
      help: 'times a segment reader fell behind its shared ring and read on its own',
      registers: [registry],
    }),
    tailCacheBytes: new Gauge({
      name: 'sluice_tail_cache_bytes',
      help: 'bytes of events held in shared tail rings',
      registers: [registry],
    }),
    pushedBackSessions: new Gauge({
      name: 'sluice_pushed_back_sessions',
      help: 'sessions whose socket the gateway is not reading: their appends wait for in-flight room',
      registers: [registry],
    }),
    pushBacks: new Counter({
      name: 'sluice_push_backs_total',
      help: 'times a session was pushed back (its socket paused) for want of in-flight room',
      registers: [registry],
    }),
    pushedBackSeconds: new Counter({
      name: 'sluice_pushed_back_seconds_total',
      help: 'time sessions spent pushed back, summed over sessions (counted when each resumes)',
      registers: [registry],
    }),
    inflightHeldBytes: new Gauge({
      name: 'sluice_inflight_held_bytes',
      help: 'bytes of appends received from pushed-back sessions and not yet admitted (outside the in-flight budget)',
      registers: [registry],
    }),
    segmentReconnects: new Counter({
      name: 'sluice_segment_reconnects_total',
      help: 'times an appender or segment reader set up its connection again, by cause: wrong-host, refused, closed (reset or closed without a reply), other',
      labelNames: ['cause'],
      registers: [registry],
    }),
    wrongHostReplies: new Counter({
      name: 'sluice_wrong_host_replies_total',
      help: 'WrongHost replies from segment stores (a segment asked of a store that no longer owns it)',
      registers: [registry],
    }),
    segmentsWithoutOwner: new Gauge({
      name: 'sluice_segments_without_owner',
      help: 'segments (per role: append, read) this gateway is finding a segment store for now',
      registers: [registry],
    }),
    segmentOwnerlessSeconds: new Histogram({
      name: 'sluice_segment_ownerless_seconds',
      help: 'how long a segment had no working segment store, per outage (from the first failure to the first append set up or read answered)',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers: [registry],
    }),
  };
}

/** The metrics side of segments losing their segment store (segmentstore/outages.ts). */
export function outageObserver(metrics: GatewayMetrics): OutageObserver {
  return {
    reconnected(cause: ReconnectCause) {
      metrics.segmentReconnects.inc({ cause });
    },
    wrongHost() {
      metrics.wrongHostReplies.inc();
    },
    ownerless(delta) {
      metrics.segmentsWithoutOwner.inc(delta);
    },
    outageEnded(seconds) {
      metrics.segmentOwnerlessSeconds.observe(seconds);
    },
  };
}

/** The metrics side of push-back (inflight-budget.ts). */
export function pushBackObserver(metrics: GatewayMetrics): PushBackObserver {
  return {
    pushedBack(paused, pausedMs) {
      if (paused) {
        metrics.pushedBackSessions.inc();
        metrics.pushBacks.inc();
      } else {
        metrics.pushedBackSessions.dec();
        metrics.pushedBackSeconds.inc((pausedMs ?? 0) / 1000);
      }
    },
    heldBytes(delta) {
      metrics.inflightHeldBytes.inc(delta);
    },
  };
}

/** Gauges read from the gateway's in-flight account when scraped. */
export function watchInflight(metrics: GatewayMetrics, total: InflightAccount): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'sluice_inflight_bytes',
    help: "writers' bytes held until Pravega acknowledges them, over all sessions",
    registers,
    collect() {
      this.set(total.used);
    },
  });
  new Gauge({
    name: 'sluice_inflight_bytes_peak',
    help: 'the most in-flight bytes held at once since the gateway started',
    registers,
    collect() {
      this.set(total.peak);
    },
  });
  new Gauge({
    name: 'sluice_inflight_bytes_limit',
    help: 'the gateway-wide in-flight budget (--max-inflight-bytes-total)',
    registers,
    collect() {
      this.set(total.limit);
    },
  });
}

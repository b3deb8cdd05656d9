/**
 * Metrics of the gateway as a service (what a Prometheus user expects of any server): build
 * information, latency histograms, Pravega's error replies, drains. Kept apart from metrics.ts
 * (the gateway's own counters and gauges) so each file keeps one job.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { GATEWAY_PROTOCOL_RANGE } from '../sessions/protocol-version.js';

export interface ServiceMetrics {
  /** From an append reaching the gateway to Pravega acknowledging it (per acknowledgement sent). */
  readonly appendAckSeconds: Histogram;
  /** A transaction commit call, from the request to Pravega reporting it committed. */
  readonly commitSeconds: Histogram;
  /** From events arriving from Pravega to their hand-over to the reader's socket (credit waits included). */
  readonly deliverySeconds: Histogram;
  /** Error replies from the segment stores, by reply type. */
  readonly pravegaErrors: Counter<'reply'>;
  /** Drains (SIGTERM) and how long they took. */
  readonly drainSeconds: Histogram;
  readonly drainForcedSessions: Counter;
}

/** 0.5 ms .. 10 s: an acknowledgement from a local segment store takes about a millisecond. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createServiceMetrics(registry: Registry, version: string): ServiceMetrics {
  const registers = [registry];
  new Gauge({
    name: 'sluice_build_info',
    help: 'always 1; the labels say which gateway this is',
    labelNames: ['version', 'node_version', 'protocol_min', 'protocol_max'],
    registers,
  }).set(
    {
      version,
      node_version: process.version,
      protocol_min: String(GATEWAY_PROTOCOL_RANGE.min),
      protocol_max: String(GATEWAY_PROTOCOL_RANGE.max),
    },
    1,
  );
  return {
    appendAckSeconds: new Histogram({
      name: 'sluice_append_ack_seconds',
      help: 'from an append reaching the gateway to Pravega acknowledging it (observed per acknowledgement, for the newest event it covers)',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    commitSeconds: new Histogram({
      name: 'sluice_txn_commit_seconds',
      help: 'transaction commit calls, from the request to Pravega reporting the transaction committed',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    deliverySeconds: new Histogram({
      name: 'sluice_delivery_seconds',
      help: "from events arriving from Pravega to their hand-over to the reader's socket (waits for the reader's credit included)",
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    pravegaErrors: new Counter({
      name: 'sluice_pravega_error_replies_total',
      help: 'error replies from the segment stores, by reply type (WrongHost, SegmentIsSealed, NoSuchSegment, …)',
      labelNames: ['reply'],
      registers,
    }),
    drainSeconds: new Histogram({
      name: 'sluice_drain_seconds',
      help: 'graceful drains (SIGTERM): from the signal to the last client told to go elsewhere',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
      registers,
    }),
    drainForcedSessions: new Counter({
      name: 'sluice_drain_forced_sessions_total',
      help: 'sessions told to go elsewhere at the drain timeout with work still in flight',
      registers,
    }),
  };
}

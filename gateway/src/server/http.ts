/** Plain HTTP endpoints beside the WebSocket: liveness, readiness (Pravega reachable), metrics. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ControllerClient } from '../controller/controller-client.js';
import type { GatewayMetrics } from './metrics.js';
import type { ReadinessReport } from './readiness.js';

export interface Readiness {
  /** Ready: a controller answers (any of them): the gateway can serve. */
  controller: boolean;
  /** Informational: a segment store answered Hello (one the gateway uses, or the system segment's owner). */
  segmentStore: boolean;
  /** Informational: segments (per role) this gateway is finding a new owner for (a failover). */
  segmentsWithoutOwner?: number;
  error?: string;
}

/**
 * `endpoints` false: this port serves the WebSocket only (the endpoints are on --admin-port), and
 * says so rather than answer a probe that would then be misread.
 */
export function httpHandler(deps: { readiness: () => ReadinessReport; metrics: GatewayMetrics; endpoints: boolean }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (!deps.endpoints) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: /healthz, /readyz and /metrics are on the admin port\n');
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    if (path === '/readyz') {
      const report = deps.readiness();
      res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      return;
    }
    if (path === '/metrics') {
      res
        .writeHead(200, { 'content-type': deps.metrics.registry.contentType })
        .end(await deps.metrics.registry.metrics());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this is a Sluice gateway (WebSocket on /)\n');
  };
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

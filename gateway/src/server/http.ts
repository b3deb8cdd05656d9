/** Plain HTTP endpoints beside the WebSocket: liveness, readiness (Pravega reachable), metrics. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ControllerClient } from '../controller/controller-client.js';
import type { GatewayMetrics } from './metrics.js';

export interface Readiness {
  /** Ready: a controller answers (any of them): the gateway can serve. */
  controller: boolean;
  /** Informational: a segment store answered Hello (one the gateway uses, or the system segment's owner). */
  segmentStore: boolean;
  /** Informational: segments (per role) this gateway is finding a new owner for (a failover). */
  segmentsWithoutOwner?: number;
  error?: string;
}

export function httpHandler(deps: { readiness: () => Promise<Readiness>; metrics: GatewayMetrics }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    if (path === '/readyz') {
      const ready = await deps.readiness();
      // One store down (or the one owning a system segment) is a failover the gateway rides out,
      // not a reason for a load balancer to pull it: only an unreachable controller is.
      const ok = ready.controller;
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ready: ok, ...ready }));
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
